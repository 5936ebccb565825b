from django.urls import path

from jinguo.documents import views

app_name = "documents"
urlpatterns = [
    path("campaigns/<int:pk>/notice.<str:fmt>", views.notice, name="notice"),
    path("campaigns/<int:pk>/matrix.<str:fmt>", views.matrix, name="matrix"),
    path("plans/<int:pk>/plan.<str:fmt>", views.plan, name="plan"),
    path("reports/<int:pk>/report.<str:fmt>", views.report, name="report"),
]
