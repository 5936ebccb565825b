from django.urls import path

from jinguo.campaigns import views

app_name = "campaigns"
urlpatterns = [
    # Issuer side
    path("issued/", views.issued, name="issued"),
    path("new/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/publish/", views.campaign_publish, name="publish"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    # Target side
    path("inbox/", views.inbox, name="inbox"),
    path("<int:pk>/notice/", views.notice, name="notice"),
    path("<int:pk>/reissue/", views.reissue, name="reissue"),
    path("targets/<int:pk>/", views.target_detail, name="target"),
    path("targets/<int:pk>/sign/", views.target_sign, name="sign"),
    path("targets/<int:pk>/plan/", views.plan_edit, name="plan_edit"),
    # Plans and review
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/submit/", views.plan_submit, name="plan_submit"),
    path("plans/<int:pk>/approve/", views.plan_approve, name="plan_approve"),
    path("plans/<int:pk>/return/", views.plan_return, name="plan_return"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/approve/", views.plans_approve, name="plans_approve"),
]
