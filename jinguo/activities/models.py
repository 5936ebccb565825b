"""The activity ledger (活动台账): what each unit actually held, with photos, the roster and
minutes of symposiums, and the needs (所需所盼) raised there and followed up until closed."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jinguo.campaigns.models import VenueType
from jinguo.lib.scoping import ScopedManager

# The five laws a 维权周 event may cover: field name → label.
LAW_FIELDS = {
    "law_civil_code": "民法典婚姻家庭编",
    "law_women_rights": "妇女权益保障法",
    "law_domestic_violence": "反家庭暴力法",
    "law_family_education": "家庭教育促进法",
    "law_minors": "未成年人保护法",
}


class Validity(models.TextChoices):
    """Whether a voidable record counts; shown with ``{% status_badge record.validity %}``."""

    COUNTED = "counted", _("有效")
    VOIDED = "voided", _("已作废")


class Voidable(models.Model):
    """A record that can be voided (作废) with a reason instead of deleted: it stays listed and in
    its history, marked 已作废, and counts nowhere (every count filters ``COUNTED``). Voided and
    restored only by the services (``void_activity``, ``restore_activity`` …), which keep the
    rollups in step."""

    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    void_reason = models.TextField(_("作废原因"), blank=True, editable=False)

    # What every count, rollup, export and list of live records filters by: the one definition.
    COUNTED = Q(voided_at__isnull=True)

    class Meta:
        abstract = True

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    @property
    def validity(self) -> Validity:
        return Validity.VOIDED if self.is_voided else Validity.COUNTED


class Activity(Voidable):
    """One ledger entry: an event a unit held."""

    class Format(models.TextChoices):
        LECTURE = "lecture", _("宣讲会")
        STORY = "story", _("故事分享会")
        SYMPOSIUM = "symposium", _("座谈交流会")
        SPEECH = "speech", _("演讲比赛")
        QUIZ = "quiz", _("知识竞赛")
        SHOW = "show", _("文艺展演")
        VISIT = "visit", _("走访慰问")
        TRAINING = "training", _("培训")
        OTHER = "other", _("其他")

    class SpeakerType(models.TextChoices):
        LEADER = "leader", _("领导干部")
        WOMAN = "woman", _("女性代表")
        MODEL = "model", _("先进典型")
        VOLUNTEER = "volunteer", _("巾帼志愿宣讲队")

    org = models.ForeignKey("orgs.Org", verbose_name=_("举办单位"), on_delete=models.PROTECT, related_name="activities")
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("所属活动通知"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    line = models.ForeignKey(
        "campaigns.ActivityLine",
        verbose_name=_("活动类别"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    planned_event = models.OneToOneField(
        "campaigns.PlannedEvent",
        verbose_name=_("方案中的计划活动"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activity",
    )
    title = models.CharField(_("活动名称"), max_length=200)
    date = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=200)
    venue_type = models.CharField(_("场所类型"), max_length=20, choices=VenueType.choices)
    format = models.CharField(_("活动形式"), max_length=20, choices=Format.choices, default=Format.LECTURE)
    speaker_type = models.CharField(_("宣讲人类型"), max_length=20, choices=SpeakerType.choices, blank=True)
    law_civil_code = models.BooleanField(_("民法典婚姻家庭编"), default=False)
    law_women_rights = models.BooleanField(_("妇女权益保障法"), default=False)
    law_domestic_violence = models.BooleanField(_("反家庭暴力法"), default=False)
    law_family_education = models.BooleanField(_("家庭教育促进法"), default=False)
    law_minors = models.BooleanField(_("未成年人保护法"), default=False)
    participants_total = models.PositiveIntegerField(_("参加人数"), default=0)
    participants_women = models.PositiveIntegerField(_("其中妇女"), default=0)
    participants_minors = models.PositiveIntegerField(_("其中未成年人"), default=0)
    online_reach = models.PositiveIntegerField(_("线上覆盖人次"), default=0)
    account = models.TextField(_("活动简述"), blank=True)
    minutes = models.TextField(_("座谈纪要"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = _("活动台账")
        verbose_name_plural = _("活动台账")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["campaign", "org"], name="activity_campaign_org"),
            models.Index(fields=["org", "date"], name="activity_org_date"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_symposium(self) -> bool:
        return self.format == self.Format.SYMPOSIUM

    @property
    def laws(self) -> list[str]:
        """Labels of the laws this event covered, in the fixed order."""
        return [label for field, label in LAW_FIELDS.items() if getattr(self, field)]


def _photo_name(folder: str, filename: str) -> str:
    ext = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return f"activities/{folder}/{timezone.now():%Y%m}/{uuid.uuid4().hex}{ext}"


def photo_path(instance: ActivityPhoto, filename: str) -> str:
    return _photo_name("photos", filename)


def thumbnail_path(instance: ActivityPhoto, filename: str) -> str:
    return _photo_name("thumbs", filename)


class ActivityPhoto(models.Model):
    """A photo of an event. Stored without EXIF under a random name; served by a scoped view."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=photo_path, max_length=200)
    thumbnail = models.FileField(upload_to=thumbnail_path, max_length=200)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(org="activity__org")

    class Meta:
        verbose_name = _("活动照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Attendee(Voidable):
    """A participant on a symposium's roster (参会人员)."""

    class Category(models.TextChoices):
        RED_BANNER = "red_banner", _("三八红旗手")
        SCIENTIST = "scientist", _("女科技工作者")
        INTELLECTUAL = "intellectual", _("女知识分子")
        ENTREPRENEUR = "entrepreneur", _("女企业家")
        RURAL_LEADER = "rural_leader", _("女致富带头人")
        INFLUENCER = "influencer", _("女网络大V")
        CADRE_FAMILY = "cadre_family", _("领导干部家属")
        OTHER = "other", _("其他")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendees")
    name = models.CharField(_("姓名"), max_length=50)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices, default=Category.OTHER)
    affiliation = models.CharField(_("单位或身份"), max_length=100, blank=True)

    objects = ScopedManager(org="activity__org")

    class Meta:
        verbose_name = _("参会人员")
        ordering = ["activity", "id"]

    def __str__(self) -> str:
        return self.name


class Need(Voidable):
    """A need (所需所盼) raised at a symposium, handled by a responsible unit until closed."""

    class Category(models.TextChoices):
        BUSINESS = "business", _("创业")
        EMPLOYMENT = "employment", _("就业")
        SKILLS = "skills", _("技能培训")
        FINANCE = "finance", _("融资贷款")
        LEGAL_AID = "legal_aid", _("法律援助")
        FAMILY_EDUCATION = "family_education", _("家庭教育")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("登记")
        IN_PROGRESS = "in_progress", _("办理中")
        RESOLVED = "resolved", _("已办结")
        UNRESOLVABLE = "unresolvable", _("无法解决")

    OPEN_STATUSES = (Status.REGISTERED, Status.IN_PROGRESS)
    CLOSED_STATUSES = (Status.RESOLVED, Status.UNRESOLVABLE)

    activity = models.ForeignKey(Activity, verbose_name=_("座谈会"), on_delete=models.PROTECT, related_name="needs")
    # The symposium's campaign, copied here (kept in step by the ledger services) so that the board
    # counts a campaign's needs without joining the whole ledger.
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    org = models.ForeignKey("orgs.Org", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="needs")
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    description = models.TextField(_("诉求内容"))
    raised_by_name = models.CharField(_("提出人"), max_length=50, blank=True)
    # The person on the symposium's roster who raised it, when picked from there (the name is copied).
    raised_by_attendee = models.ForeignKey(
        Attendee,
        verbose_name=_("提出人（参会人员）"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    raised_by_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    due_date = models.DateField(_("办理时限"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    closing_note = models.TextField(_("办结情况或无法解决的原因"), blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(org=("org", "activity__org"))

    class Meta:
        verbose_name = _("所需所盼")
        verbose_name_plural = _("所需所盼")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["org", "status"], name="need_org_status"),
            models.Index(fields=["campaign", "org"], name="need_campaign_org"),
        ]

    def __str__(self) -> str:
        return self.description[:30]

    def save(self, *args, **kwargs) -> None:
        self.campaign_id = self.activity.campaign_id  # always the symposium's (see the field)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "campaign"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return (
            self.is_open and not self.is_voided and self.due_date is not None and self.due_date < timezone.localdate()
        )

    @classmethod
    def overdue_q(cls, today=None) -> Q:
        """Needs past their due date, not closed and not voided (derived, never stored)."""
        today = today or timezone.localdate()
        return Q(status__in=cls.OPEN_STATUSES, due_date__lt=today) & cls.COUNTED


class NeedNote(models.Model):
    """A follow-up note on a need (办理记录)."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="notes")
    note = models.TextField(_("办理记录"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(org=("need__org", "need__activity__org"))

    class Meta:
        verbose_name = _("办理记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.note[:30]


class ActivityRollup(models.Model):
    """Running totals of the ledger per (campaign, unit, venue type, format), for the supervision board.

    ``org`` is every unit above or at the event's unit: a unit's rows already hold its whole subtree
    (本级 = the unit's rows minus its children's). Kept by every ledger write in the same transaction
    (jinguo/activities/rollups.py); ``rebuild_activity_rollups`` recomputes them from the ledger.
    Entries without a campaign are on no board and are not rolled up. Rows may hold zeros.
    """

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    venue_type = models.CharField(max_length=20)
    format = models.CharField(max_length=20)
    events = models.IntegerField(default=0)
    participants_total = models.BigIntegerField(default=0)
    participants_women = models.BigIntegerField(default=0)
    participants_minors = models.BigIntegerField(default=0)
    online_reach = models.BigIntegerField(default=0)

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = _("台账汇总")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "org", "venue_type", "format"], name="activity_rollup_key")
        ]
        indexes = [models.Index(fields=["org", "campaign"], name="activity_rollup_org")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.org_id}/{self.venue_type}/{self.format}: {self.events}"


class ActivityBreakdownRollup(models.Model):
    """Running totals of the ledger per (campaign, unit, activity line, venue type, format, speaker
    type), for the summary's per-line and per-speaker figures; same rules as ``ActivityRollup``.

    ``line`` is the ``ActivityLine`` id, 0 for an entry without one: a plain integer, not a nullable
    foreign key, because NULLs never collide in the unique key (SQLite, PostgreSQL < 15), so the
    insert-if-missing before each increment would add a row per write. The lines' titles are read
    with the totals. A campaign's lines are only rewritten while it is a draft (no ledger yet).
    """

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    line = models.BigIntegerField(default=0)
    venue_type = models.CharField(max_length=20)
    format = models.CharField(max_length=20)
    speaker_type = models.CharField(max_length=20, blank=True)
    events = models.IntegerField(default=0)
    participants_total = models.BigIntegerField(default=0)
    participants_women = models.BigIntegerField(default=0)

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = _("台账分类汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "org", "line", "venue_type", "format", "speaker_type"],
                name="activity_breakdown_rollup_key",
            )
        ]
        indexes = [models.Index(fields=["org", "campaign"], name="activity_breakdown_org")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.org_id}/{self.line}/{self.venue_type}/{self.format}/{self.speaker_type}: {self.events}"


class ActivityDayRollup(models.Model):
    """Running totals of the ledger per (campaign, unit, day); same rules as ``ActivityRollup``."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    events = models.IntegerField(default=0)
    participants_total = models.BigIntegerField(default=0)
    participants_women = models.BigIntegerField(default=0)

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = _("台账每日汇总")
        constraints = [models.UniqueConstraint(fields=["campaign", "org", "date"], name="activity_day_rollup_key")]
        indexes = [models.Index(fields=["org", "campaign"], name="activity_day_rollup_org")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.org_id}/{self.date}: {self.events}"
