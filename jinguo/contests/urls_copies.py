"""Copy detection's pages, inside the contests namespace (added to ``urls.py`` in one line)."""

from django.urls import path

from jinguo.contests import views_copies

urlpatterns = [
    path("<int:pk>/copies/", views_copies.overlap_list, name="copies"),
    path("<int:pk>/copies/check/", views_copies.overlap_check, name="copies_check"),
    path("<int:pk>/copies/references/", views_copies.reference_list, name="references"),
    path("copies/<int:pk>/", views_copies.overlap_detail, name="overlap"),
    path("copies/<int:pk>/decide/", views_copies.overlap_decide, name="overlap_decide"),
    path("references/<int:pk>/delete/", views_copies.reference_delete, name="reference_delete"),
]
