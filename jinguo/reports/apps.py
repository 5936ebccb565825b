from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "jinguo.reports"
    verbose_name = "信息报送"

    def ready(self) -> None:
        from jinguo.accounts.rules import register_permissions
        from jinguo.reports import rules

        register_permissions(rules.ROLE_PERMISSIONS)
