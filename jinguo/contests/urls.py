from django.urls import path  # noqa: F401 - the pages come with the next steps

app_name = "contests"

urlpatterns: list = []
