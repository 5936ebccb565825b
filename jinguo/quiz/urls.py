from django.urls import path

from jinguo.quiz import public_urls, views

app_name = "quiz"
urlpatterns = [
    path("", views.quiz_list, name="list"),
    path("new/", views.quiz_create, name="create"),
    path("<int:pk>/", views.quiz_detail, name="detail"),
    path("<int:pk>/edit/", views.quiz_edit, name="edit"),
    path("<int:pk>/publish/", views.quiz_set_published, {"published": True}, name="publish"),
    path("<int:pk>/unpublish/", views.quiz_set_published, {"published": False}, name="unpublish"),
    path("<int:pk>/qr.png", views.quiz_qr, {"kind": "png"}, name="qr_png"),
    path("<int:pk>/qr.svg", views.quiz_qr, {"kind": "svg"}, name="qr_svg"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/results.xlsx", views.results_export, name="results_export"),
    path("<int:pk>/units/", views.unit_table, name="units"),
    path("<int:pk>/units.xlsx", views.unit_table_export, name="units_export"),
    path("<int:pk>/targets/", views.unit_targets, name="targets"),
    path("banks/", views.bank_list, name="banks"),
    path("banks/new/", views.bank_create, name="bank_create"),
    path("banks/template.xlsx", views.import_template, name="import_template"),
    path("banks/<int:pk>/", views.bank_detail, name="bank_detail"),
    path("banks/<int:pk>/edit/", views.bank_edit, name="bank_edit"),
    path("banks/<int:pk>/export.xlsx", views.bank_export, name="bank_export"),
    path("banks/<int:pk>/questions/new/", views.question_create, name="question_create"),
    path("banks/<int:pk>/import/", views.import_upload, name="import"),
    path("banks/<int:pk>/import/<str:token>/", views.import_preview, name="import_preview"),
    path("questions/<int:pk>/edit/", views.question_edit, name="question_edit"),
    path("questions/<int:pk>/deactivate/", views.question_set_active, {"active": False}, name="question_deactivate"),
    path("questions/<int:pk>/reactivate/", views.question_set_active, {"active": True}, name="question_reactivate"),
    # Public: the taking page, its JSON API, the leaderboard and the big screen.
    *public_urls.urlpatterns,
]
