from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jinguo.accounts"
    verbose_name = "账号"

    def ready(self):
        from jinguo.accounts import checks  # noqa: F401 - registers the system checks
