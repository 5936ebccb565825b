from django.apps import AppConfig


class QuizConfig(AppConfig):
    name = "jinguo.quiz"
    verbose_name = "知识竞赛"

    def ready(self) -> None:
        from jinguo.accounts.rules import register_permissions
        from jinguo.quiz import rules

        register_permissions(rules.ROLE_PERMISSIONS)
