from django.urls import path

from jinguo.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("campaigns/<int:pk>/matrix/", views.matrix, name="matrix"),
    path("campaigns/<int:pk>/matrix.xlsx", views.matrix_export, name="matrix_export"),
]
