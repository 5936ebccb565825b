from django.urls import path

from jinguo.reports import views

app_name = "reports"
urlpatterns = [
    # The unit's side
    path("", views.unit_list, name="list"),
    path("new/", views.report_create, name="create"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/edit/", views.report_edit, name="edit"),
    path("<int:pk>/submit/", views.report_submit, name="submit"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("photos/<int:pk>/delete/", views.photo_delete, name="photo_delete"),
    # The reviewing side
    path("review/", views.review, name="review"),
    path("review/export/", views.review_export, name="review_export"),
    path("<int:pk>/adopt/", views.report_adopt, name="adopt"),
    path("<int:pk>/reject/", views.report_reject, name="reject"),
    path("<int:pk>/revise/", views.report_revise, name="revise"),
    # Voiding (作废) and restoring
    path("<int:pk>/void/", views.report_void, name="void"),
    path("<int:pk>/restore/", views.report_restore, name="restore"),
    # Ranking and library
    path("ranking/", views.ranking, name="ranking"),
    path("ranking/export/", views.ranking_export, name="ranking_export"),
    path("library/", views.library, name="library"),
]
