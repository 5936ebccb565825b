from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jinguo.lib.scoping import ScopedManager


class Report(models.Model):
    """An information report (信息报送) or good practice (典型经验) a unit sends up for adoption (采用).

    ``to_org`` is the unit that reviews it: the issuer of the campaign it reports on, else the
    submitting unit's parent. It always lies above ``org``.

    A voided report (作废) keeps the state it was voided from in ``status_before_void``, so that
    restoring it puts it back exactly there; it counts nowhere (``SENT_STATUSES`` leaves it out).
    """

    class Kind(models.TextChoices):
        NEWS = "news", _("工作动态")
        PRACTICE = "practice", _("典型经验")
        SUGGESTION = "suggestion", _("问题建议")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已报送")
        ADOPTED = "adopted", _("已采用")
        REJECTED = "rejected", _("未采用")
        VOIDED = "voided", _("已作废")

    # Reports that were sent up and count: 报送数 and every figure built on it (ranking, board).
    SENT_STATUSES = (Status.SUBMITTED, Status.ADOPTED, Status.REJECTED)

    org = models.ForeignKey("orgs.Org", verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="reports")
    to_org = models.ForeignKey(
        "orgs.Org", verbose_name=_("审核单位"), on_delete=models.PROTECT, related_name="reports_received"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("所属活动"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
    )
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices, default=Kind.NEWS)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    activities = models.ManyToManyField(
        "activities.Activity", verbose_name=_("相关活动台账"), blank=True, related_name="reports"
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reject_reason = models.TextField(_("未采用原因"), blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.TextField(_("作废原因"), blank=True)
    status_before_void = models.CharField(_("作废前状态"), max_length=20, choices=Status.choices, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(org=("org", "to_org"))

    class Meta:
        verbose_name = _("信息")
        verbose_name_plural = _("信息")
        ordering = ["-submitted_at", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["to_org", "status"]),
            models.Index(fields=["org", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_reviewable(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.ADOPTED)

    @property
    def is_voided(self) -> bool:
        return self.status == self.Status.VOIDED


def photo_path(instance: ReportPhoto, filename: str) -> str:
    # The caller passes a random name; the original one is kept in ``original_name`` only.
    return f"reports/{timezone.now():%Y%m}/{filename}"


class ReportPhoto(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=30)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(org=("report__org", "report__to_org"))

    class Meta:
        verbose_name = _("图片")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class ReportAdoption(models.Model):
    """One channel through which the reviewing unit used (采用) a report."""

    class Channel(models.TextChoices):
        WEBSITE = "website", _("网站")
        WECHAT = "wechat", _("微信公众号")
        BRIEFING = "briefing", _("简报")
        UPWARD = "upward", _("报送上级")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="adoptions")
    channel = models.CharField(_("采用渠道"), max_length=20, choices=Channel.choices)
    adopted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    adopted_at = models.DateTimeField(_("采用时间"))

    objects = ScopedManager(org=("report__org", "report__to_org"))

    class Meta:
        verbose_name = _("采用记录")
        ordering = ["report", "adopted_at", "id"]
        constraints = [models.UniqueConstraint(fields=["report", "channel"], name="unique_report_channel")]

    def __str__(self) -> str:
        return f"{self.report} · {self.get_channel_display()}"


class ReportRevision(models.Model):
    """An edit the reviewing unit made to a submitted report: what it said before and after."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="revisions")
    title_before = models.CharField(_("修改前标题"), max_length=200)
    body_before = models.TextField(_("修改前正文"))
    title_after = models.CharField(_("修改后标题"), max_length=200)
    body_after = models.TextField(_("修改后正文"))
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    edited_at = models.DateTimeField(_("修改时间"))

    objects = ScopedManager(org=("report__org", "report__to_org"))

    class Meta:
        verbose_name = _("修改记录")
        ordering = ["report", "-edited_at", "-id"]

    def __str__(self) -> str:
        return f"{self.report} 的修改"
