from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "jinguo.notifications"
    verbose_name = "消息通知"
