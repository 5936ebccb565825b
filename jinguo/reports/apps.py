from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "jinguo.reports"
    verbose_name = "信息报送"
