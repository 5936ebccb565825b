from django.apps import AppConfig


class QuizConfig(AppConfig):
    name = "jinguo.quiz"
    verbose_name = "知识竞赛"
