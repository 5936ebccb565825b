from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "jinguo.campaigns"
    verbose_name = "活动通知"

    def ready(self) -> None:
        from jinguo.accounts.rules import register_permissions
        from jinguo.campaigns import rules

        register_permissions(rules.ROLE_PERMISSIONS)
