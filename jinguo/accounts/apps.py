from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jinguo.accounts"
    verbose_name = "账号"

    def ready(self) -> None:
        from jinguo.accounts import checks, rules  # noqa: F401 - checks registers the system checks

        rules.register_permissions(rules.ROLE_PERMISSIONS)
