from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "jinguo.care"
    verbose_name = "关心关爱"

    def ready(self) -> None:
        from jinguo.accounts.rules import register_permissions
        from jinguo.care import checks, rules  # noqa: F401 - checks registers the key-file check

        register_permissions(rules.ROLE_PERMISSIONS)
