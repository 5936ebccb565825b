from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-app message to one user. Owned by the user, so read by recipient only."""

    class Kind(models.TextChoices):
        CAMPAIGN_PUBLISHED = "campaign_published", _("新活动通知")
        PLAN_SUBMITTED = "plan_submitted", _("方案待审核")
        PLAN_RETURNED = "plan_returned", _("方案被退回")
        PLAN_APPROVED = "plan_approved", _("方案已备案")
        REPORT_SUBMITTED = "report_submitted", _("信息待审核")
        REPORT_ADOPTED = "report_adopted", _("信息已采用")
        REPORT_REJECTED = "report_rejected", _("信息未采用")
        REMINDER = "reminder", _("督办提醒")
        SUMMARY_SUBMITTED = "summary_submitted", _("总结待审核")
        SUMMARY_RETURNED = "summary_returned", _("总结被退回")
        SUMMARY_ACCEPTED = "summary_accepted", _("总结已通过")
        CARE_DUPLICATE = "care_duplicate", _("关爱对象重复登记")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title
