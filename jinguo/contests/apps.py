from django.apps import AppConfig


class ContestsConfig(AppConfig):
    name = "jinguo.contests"
    verbose_name = "赛事"

    def ready(self) -> None:
        from jinguo.accounts.rules import register_permissions
        from jinguo.contests import rules, summary  # noqa: F401 - summary registers the summary's section

        register_permissions(rules.ROLE_PERMISSIONS)
