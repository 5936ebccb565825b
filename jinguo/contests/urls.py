from django.urls import path

from jinguo.contests import views
from jinguo.contests.urls_judging import urlpatterns as judging_urlpatterns

app_name = "contests"

urlpatterns = [
    path("", views.contest_list, name="list"),
    path("new/", views.contest_create, name="create"),
    path("<int:pk>/", views.contest_detail, name="detail"),
    path("<int:pk>/edit/", views.contest_edit, name="edit"),
    path("<int:pk>/status/", views.contest_set_status, name="set_status"),
    path("<int:pk>/qr.png", views.contest_qr, name="qr"),
    path("<int:pk>/quotas/", views.quotas, name="quotas"),
    path("<int:pk>/entries/", views.entry_list, name="entries"),
    path("<int:pk>/entries.xlsx", views.entries_export, name="entries_export"),
    path("<int:pk>/entries/new/", views.entry_create, name="entry_create"),
    path("<int:pk>/recommend/", views.recommend, name="recommend"),
    path("<int:pk>/recommendations/", views.recommendation_status, name="recommendations"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/replace/", views.entry_replace, name="entry_replace"),
    path("entries/<int:pk>/withdraw/", views.entry_withdraw, name="entry_withdraw"),
    path("entries/<int:pk>/disqualify/", views.entry_disqualify, name="entry_disqualify"),
    path("entries/<int:pk>/redaction/", views.redaction, name="redaction"),
    path("entries/<int:pk>/decide/", views.recommend_decide, name="recommend_decide"),
    path("versions/<int:pk>/<str:kind>/", views.version_file, name="version_file"),
]
urlpatterns += judging_urlpatterns

# Copy detection (wip-copies).
from jinguo.contests.urls_copies import urlpatterns as copies_urlpatterns  # noqa: E402

urlpatterns += copies_urlpatterns
