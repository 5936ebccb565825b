from django.urls import path

from jinguo.care import views

app_name = "care"

urlpatterns = [
    path("", views.people, name="people"),
    path("new/", views.person_create, name="create"),
    path("<int:pk>/", views.person_detail, name="person"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/print/", views.person_print, name="print"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("<int:pk>/members/new/", views.member_add, name="member_add"),
    path("<int:pk>/consents/new/", views.consent_add, name="consent_add"),
    path("<int:pk>/help/new/", views.help_add, name="help_add"),
    path("<int:pk>/followups/new/", views.followup_add, name="followup_add"),
    path("<int:pk>/access/", views.access_log, name="access_log"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("help/<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("followups/", views.followups, name="followups"),
    path("unusual/", views.unusual, name="unusual"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:pk>/transfer/", views.transfer, name="transfer"),
    path("duplicates/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("import/", views.import_upload, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    path("import/<str:token>/", views.import_preview, name="import_preview"),
    path("export/", views.export, name="export"),
    path("categories/", views.categories, name="categories"),
    path("retention/", views.retention, name="retention"),
    path("stats/", views.dashboard, name="dashboard"),
]
