from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Case, ExpressionWrapper, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jinguo.lib.scoping import ScopedManager


class Campaign(models.Model):
    """A notice that launches a series of activities for a frozen set of target units."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        CLOSED = "closed", _("已结束")

    issuer = models.ForeignKey(
        "orgs.Org", verbose_name=_("发文单位"), on_delete=models.PROTECT, related_name="issued_campaigns"
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("上级活动"), on_delete=models.PROTECT, null=True, blank=True, related_name="reissues"
    )
    title = models.CharField(_("标题"), max_length=200)
    theme = models.CharField(_("主题"), max_length=100, blank=True)
    doc_number = models.CharField(_("文号"), max_length=50, blank=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    body = models.TextField(_("正文"), blank=True)
    plan_deadline = models.DateTimeField(_("方案报备截止"))
    summary_deadline = models.DateTimeField(_("总结报送截止"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The draft's target selection; publication resolves it into CampaignTarget rows (frozen).
    # Kept apart from CampaignTarget so that a draft is never visible to the units it names.
    target_kinds = models.JSONField(_("按类型选择的下级单位"), default=list, blank=True)
    target_units = models.ManyToManyField("orgs.Org", verbose_name=_("逐个选择的单位"), blank=True, related_name="+")
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Visible to the issuer's subtree, and to a unit it was sent to (the inbox).
    objects = ScopedManager(org=("issuer", "targets__org"))

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-published_at", "-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status != self.Status.DRAFT


class ActivityLine(models.Model):
    """One of the campaign's lines of activity (the notice's 主要活动 (一)…(五))."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="lines")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("活动名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)

    objects = ScopedManager(via="campaign")

    class Meta:
        ordering = ["campaign", "order", "id"]

    def __str__(self) -> str:
        return self.title


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"campaigns/{instance.campaign_id}/{timezone.now():%Y%m%d%H%M%S}_{filename}"


class Attachment(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(via="campaign")

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class CampaignTargetQuerySet(models.QuerySet):
    """Where each target's plan stands: the one definition of "filed", "not filed" and "overdue".

    A plan is filed once submitted or approved; no plan, a draft or a returned plan is not filed.
    A target is overdue when its campaign's plan deadline has passed and its plan is not filed.
    A plan is filed late (逾期报送) when it is filed and was first submitted after the deadline: a
    plan first sent on time, returned and resent after the deadline is not late. Overdue and late
    never hold together. Both are derived, never stored. The matrix, the board, the landing pages, the reminders and
    the exports all read these, so they cannot disagree.

    The ``*_q`` class methods are the same rules as filters for aggregates (``Count(filter=...)``);
    ``prefix`` reaches CampaignTarget from another model (``"targets__"`` from Campaign).
    """

    @classmethod
    def filed_q(cls, *, prefix: str = "") -> Q:
        return Q(**{f"{prefix}plan__status__in": Plan.FILED_STATUSES})

    @classmethod
    def unfiled_q(cls, *, prefix: str = "") -> Q:
        return Q(**{f"{prefix}plan__isnull": True}) | Q(**{f"{prefix}plan__status__in": Plan.UNFILED_STATUSES})

    @classmethod
    def overdue_q(cls, *, now: dt.datetime, prefix: str = "") -> Q:
        return Q(**{f"{prefix}campaign__plan_deadline__lt": now}) & cls.unfiled_q(prefix=prefix)

    @classmethod
    def filed_late_q(cls, *, prefix: str = "") -> Q:
        first_sent_after_deadline = Q(
            **{f"{prefix}plan__first_submitted_at__gt": F(f"{prefix}campaign__plan_deadline")}
        )
        return cls.filed_q(prefix=prefix) & first_sent_after_deadline

    def filed(self) -> CampaignTargetQuerySet:
        return self.filter(self.filed_q())

    def unfiled(self) -> CampaignTargetQuerySet:
        return self.filter(self.unfiled_q())

    def overdue(self, *, now: dt.datetime) -> CampaignTargetQuerySet:
        return self.filter(self.overdue_q(now=now))

    def filed_late(self) -> CampaignTargetQuerySet:
        return self.filter(self.filed_late_q())

    def with_plan_state(self, *, now: dt.datetime) -> CampaignTargetQuerySet:
        """Annotate ``plan_state`` (a ``PlanState`` member), ``is_overdue`` and ``is_filed_late`` (bools)."""
        return self.annotate(
            plan_state=Coalesce("plan__status", Value(PlanState.NONE.value), output_field=_PlanStateField()),
            is_overdue=ExpressionWrapper(self.overdue_q(now=now), output_field=models.BooleanField()),
            # Case, not a bare comparison: a target without a plan compares to NULL, not False.
            is_filed_late=Case(When(self.filed_late_q(), then=Value(True)), default=Value(False)),
        )


class CampaignTarget(models.Model):
    """A unit a published campaign was sent to: its receipt (签收). Frozen at publication."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="campaign_targets")
    first_read_at = models.DateTimeField(_("首次阅读"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager.from_queryset(CampaignTargetQuerySet)(org="org")

    class Meta:
        verbose_name = _("签收")
        ordering = ["campaign", "org__path"]
        constraints = [models.UniqueConstraint(fields=["campaign", "org"], name="unique_campaign_target")]

    def __str__(self) -> str:
        return f"{self.campaign} → {self.org}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class VenueType(models.TextChoices):
    VILLAGE = "village", _("农村")
    COMMUNITY = "community", _("社区")
    ENTERPRISE = "enterprise", _("企业")
    SCHOOL = "school", _("学校")
    AGENCY = "agency", _("机关")
    ONLINE = "online", _("线上")


class Plan(models.Model):
    """A target unit's activity plan, filed for the record (备案) with the issuer."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已报送")
        APPROVED = "approved", _("已备案")
        RETURNED = "returned", _("退回修改")

    FILED_STATUSES = (Status.SUBMITTED, Status.APPROVED)
    UNFILED_STATUSES = (Status.DRAFT, Status.RETURNED)

    target = models.OneToOneField(CampaignTarget, on_delete=models.CASCADE, related_name="plan")
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    lines = models.ManyToManyField(ActivityLine, verbose_name=_("承担的活动"), blank=True, related_name="+")
    person_in_charge = models.CharField(_("负责人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    summary = models.TextField(_("方案说明"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=0)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    first_submitted_at = models.DateTimeField(_("首次报送时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    return_reason = models.TextField(_("退回原因"), blank=True)
    # The unit's answer to the return reason, written while returned; moved onto the next version.
    change_note = models.TextField(_("修改说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(org="target__org")

    class Meta:
        verbose_name = _("活动方案")
        ordering = ["target__org__path"]

    def __str__(self) -> str:
        return f"{self.target.org} 的方案"

    @property
    def is_filed(self) -> bool:
        return self.status in self.FILED_STATUSES

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class PlanState(models.TextChoices):
    """Where a target's plan stands: a ``Plan.Status``, or no plan at all (``NONE``)."""

    NONE = "none", _("未建方案")
    DRAFT = Plan.Status.DRAFT.value, Plan.Status.DRAFT.label
    SUBMITTED = Plan.Status.SUBMITTED.value, Plan.Status.SUBMITTED.label
    APPROVED = Plan.Status.APPROVED.value, Plan.Status.APPROVED.label
    RETURNED = Plan.Status.RETURNED.value, Plan.Status.RETURNED.label


class _PlanStateField(models.CharField):
    """The output field of the ``plan_state`` annotation: reads rows as ``PlanState`` members."""

    def from_db_value(self, value, expression, connection):
        return PlanState(value)


class PlannedEvent(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="events")
    line = models.ForeignKey(
        ActivityLine, verbose_name=_("活动"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("活动名称"), max_length=200)
    date = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=200)
    venue_type = models.CharField(_("场所类型"), max_length=20, choices=VenueType.choices)
    expected_participants = models.PositiveIntegerField(_("预计参加人数"), default=0)
    outside_reason = models.CharField(_("不在活动期间的原因"), max_length=200, blank=True)

    objects = ScopedManager(org="plan__target__org")

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return self.title


class PlanVersion(models.Model):
    """A frozen copy of the plan as submitted; the review outcome is written on it."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=Plan.Status.choices, default=Plan.Status.SUBMITTED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    change_note = models.TextField(_("修改说明"), blank=True)  # the answer to the previous version's reason

    objects = ScopedManager(org="plan__target__org")

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="unique_plan_version")]

    def __str__(self) -> str:
        return f"v{self.number}"
