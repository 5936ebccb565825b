from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jinguo.accounts"
    verbose_name = "账号"
