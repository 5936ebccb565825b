from django.urls import path  # noqa: F401 - the pages come with the next steps

from jinguo.contests.urls_judging import urlpatterns as judging_urlpatterns

app_name = "contests"

urlpatterns: list = []
urlpatterns += judging_urlpatterns
