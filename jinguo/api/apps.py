from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "jinguo.api"
    verbose_name = "API"
