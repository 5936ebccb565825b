from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "jinguo.dashboard"
    verbose_name = "督导"
