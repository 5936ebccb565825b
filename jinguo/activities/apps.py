from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "jinguo.activities"
    verbose_name = "活动台账"
