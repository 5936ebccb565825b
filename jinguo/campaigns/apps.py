from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "jinguo.campaigns"
    verbose_name = "活动通知"
