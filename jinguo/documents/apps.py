from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "jinguo.documents"
    verbose_name = "公文"
