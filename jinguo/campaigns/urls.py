from django.urls import path

from jinguo.campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("issued/", views.issued, name="issued"),
    path("review/", views.review_queue, name="review_queue"),
]
