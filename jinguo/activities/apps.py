from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "jinguo.activities"
    verbose_name = "活动台账"

    def ready(self) -> None:
        from jinguo.accounts.rules import register_permissions
        from jinguo.activities import rules

        register_permissions(rules.ROLE_PERMISSIONS)
