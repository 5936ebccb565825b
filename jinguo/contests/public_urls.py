"""The public submission page of a contest (no login): ``/c/<public_key>/``."""

from django.urls import path

from jinguo.contests import public

app_name = "contests_public"

urlpatterns = [
    path("<str:key>/", public.submit, name="submit"),
    path("<str:key>/units", public.units, name="units"),
]
