from django.urls import path

from jinguo.activities import views

app_name = "activities"

urlpatterns = [
    path("", views.ledger, name="list"),
    path("new/", views.create, name="create"),
    path("export/", views.export, name="export"),
    path("import/", views.import_upload, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    path("import/<str:token>/", views.import_preview, name="import_preview"),
    path("coverage/", views.coverage, name="coverage"),
    path("from-event/<int:event_pk>/", views.record_event, name="record_event"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/void/", views.activity_void, name="void"),
    path("<int:pk>/photos/", views.photo_upload, name="photo_upload"),
    path("<int:pk>/attendees/", views.attendee_add, name="attendee_add"),
    path("<int:pk>/minutes/", views.minutes_save, name="minutes_save"),
    path("<int:pk>/needs/new/", views.need_create, name="need_create"),
    path("photos/<int:pk>/image/", views.photo_image, name="photo_image"),
    path("photos/<int:pk>/thumbnail/", views.photo_thumbnail, name="photo_thumbnail"),
    path("photos/<int:pk>/delete/", views.photo_delete, name="photo_delete"),
    path("attendees/<int:pk>/void/", views.attendee_void, name="attendee_void"),
    path("needs/", views.needs, name="needs"),
    path("needs/<int:pk>/", views.need_detail, name="need_detail"),
    path("needs/<int:pk>/start/", views.need_start, name="need_start"),
    path("needs/<int:pk>/note/", views.need_note, name="need_note"),
    path("needs/<int:pk>/void/", views.need_void, name="need_void"),
]
