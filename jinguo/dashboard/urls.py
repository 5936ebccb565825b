from django.urls import path

from jinguo.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("campaigns/<int:pk>/matrix/", views.matrix, name="matrix"),
    path("campaigns/<int:pk>/matrix.xlsx", views.matrix_export, name="matrix_export"),
]
urlpatterns += [
    path("", views.board, name="board"),
    path("board.xlsx", views.board_export, name="board_export"),
    path("records/", views.board_records, name="records"),
    path("records.xlsx", views.board_records_export, name="records_export"),
]
