from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "jinguo.audit"
    verbose_name = "操作日志"
