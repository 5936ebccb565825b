"""Contests (征文 essays, 作品 arts): entries, the 推荐 step, rounds, judging and awards.

Names here are shared with the judging and copy-detection work (see the contests data-model
note); add fields freely, rename none.

Scope: a contest is seen by its owner's subtree and by the units below it (they submit and
recommend); an entry by its author's unit and those above it, and by the organiser. Judging rows
(judges, assignments, scores, advancements, awards) are the organiser's only: a county sees the
contest, never who judges it or how. Judges read through their own assignments (a selector that
starts there inside ``scopes_disabled()``), never through these managers.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jinguo.contests.storage import private_storage
from jinguo.lib.scoping import ScopedManager


def _file_name(folder: str, filename: str) -> str:
    # A random name: the stored name never carries the author's (people name files after themselves).
    ext = "." + filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else ""
    return f"contests/{folder}/{timezone.now():%Y%m}/{uuid.uuid4().hex}{ext}"


def original_path(instance: EntryVersion, filename: str) -> str:
    return _file_name("originals", filename)


def redacted_path(instance: EntryVersion, filename: str) -> str:
    return _file_name("redacted", filename)


def thumbnail_path(instance: EntryVersion, filename: str) -> str:
    return _file_name("thumbs", filename)


def new_public_key() -> str:
    return uuid.uuid4().hex


class Contest(models.Model):
    """A contest owned by a unit, optionally one activity line of a campaign."""

    class Kind(models.TextChoices):
        ESSAY = "essay", _("征文")
        WORKS = "works", _("作品")

    class Status(models.TextChoices):
        DRAFT = "draft", _("筹备中")
        OPEN = "open", _("征集中")
        JUDGING = "judging", _("评审中")
        FINISHED = "finished", _("已结束")

    owner = models.ForeignKey("orgs.Org", verbose_name=_("主办单位"), on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("所属活动通知"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    line = models.ForeignKey(
        "campaigns.ActivityLine",
        verbose_name=_("活动项目"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("赛事名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.ESSAY)
    rules = models.TextField(_("征集规则"), blank=True)
    opens_at = models.DateTimeField(_("征集开始"))
    closes_at = models.DateTimeField(_("征集截止"))
    max_chars = models.PositiveIntegerField(_("字数上限（汉字）"), null=True, blank=True, help_text=_("留空表示不限"))
    max_file_mb = models.PositiveSmallIntegerField(_("文件大小上限（MB）"), default=20)
    # Comma-separated media kinds a 作品 contest takes: "image", "audio", "video".
    allowed_media = models.CharField(_("允许的作品类型"), max_length=50, blank=True)
    code_prefix = models.CharField(_("作品编号前缀"), max_length=6, default="ZW")
    public_key = models.CharField(max_length=32, unique=True, default=new_public_key, editable=False)
    public_enabled = models.BooleanField(_("开放群众投稿"), default=True)
    declaration_text = models.TextField(
        _("原创声明"), blank=True, default="本人承诺所投作品为本人原创，未公开发表，未在其他比赛中获奖。"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    results_published_at = models.DateTimeField(_("结果公布时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(org="owner", shared_down=True)  # the units below submit and recommend

    class Meta:
        verbose_name = _("赛事")
        verbose_name_plural = _("赛事")
        ordering = ["-opens_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def media_kinds(self) -> list[str]:
        return [m.strip() for m in self.allowed_media.split(",") if m.strip()]

    @property
    def media_labels(self) -> str:
        labels = {"image": "图片", "audio": "音频", "video": "视频"}
        return "、".join(labels.get(kind, kind) for kind in self.media_kinds)

    def is_open_at(self, when) -> bool:
        return self.status == self.Status.OPEN and self.opens_at <= when < self.closes_at


class Category(models.Model):
    """A category of a contest (散文, 诗歌; 书画, 摄影)."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("组别名称"), max_length=50)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = ScopedManager(via="contest")

    class Meta:
        verbose_name = _("组别")
        verbose_name_plural = _("组别")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["contest", "name"], name="contests_category_unique_name")]

    def __str__(self) -> str:
        return self.name


class Quota(models.Model):
    """How many entries a unit (usually a county) may recommend (名额)."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="quotas")
    org = models.ForeignKey("orgs.Org", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    max_entries = models.PositiveSmallIntegerField(_("推荐名额"))

    objects = ScopedManager(org=("org", "contest__owner"))

    class Meta:
        verbose_name = _("推荐名额")
        verbose_name_plural = _("推荐名额")
        ordering = ["org__path"]
        constraints = [models.UniqueConstraint(fields=["contest", "org"], name="contests_quota_unique_org")]

    def __str__(self) -> str:
        return f"{self.org_id}: {self.max_entries}"


class Entry(models.Model):
    """An entry: one author's work in one category, by a liaison or by the public."""

    class Source(models.TextChoices):
        LIAISON = "liaison", _("联络员代报")
        PUBLIC = "public", _("群众投稿")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已投稿")
        WITHDRAWN = "withdrawn", _("已撤回")
        DISQUALIFIED = "disqualified", _("已取消资格")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="entries")
    category = models.ForeignKey(Category, verbose_name=_("组别"), on_delete=models.PROTECT, related_name="entries")
    number = models.PositiveIntegerField(_("序号"))
    code = models.CharField(_("作品编号"), max_length=20)
    title = models.CharField(_("作品标题"), max_length=200)
    author_name = models.CharField(_("作者姓名"), max_length=50)
    author_phone = models.CharField(_("联系电话"), max_length=20)
    author_org = models.ForeignKey("orgs.Org", verbose_name=_("作者单位"), on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.LIAISON)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    declared_at = models.DateTimeField(_("原创声明时间"))
    status = models.CharField(_("状态"), max_length=15, choices=Status.choices, default=Status.SUBMITTED)
    disqualified_reason = models.TextField(_("取消资格原因"), blank=True)
    disqualified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    recommended = models.BooleanField(_("已推荐"), default=False)
    current_version = models.ForeignKey(
        "EntryVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("投稿时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(org=("author_org", "contest__owner"))

    class Meta:
        verbose_name = _("参赛作品")
        verbose_name_plural = _("参赛作品")
        ordering = ["contest", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "number"], name="contests_entry_unique_number"),
            models.UniqueConstraint(fields=["contest", "code"], name="contests_entry_unique_code"),
            # One entry per author per category; a withdrawn one frees the place.
            models.UniqueConstraint(
                fields=["category", "author_name", "author_phone"],
                condition=~Q(status="withdrawn"),
                name="contests_entry_one_per_author",
            ),
        ]
        indexes = [models.Index(fields=["contest", "author_org"], name="contests_entry_org")]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.SUBMITTED


class EntryVersion(models.Model):
    """One version of an entry's work: the file as sent, its text, and the judges' redacted copy."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("版本"))
    file = models.FileField(storage=private_storage, upload_to=original_path, max_length=200, null=True, blank=True)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    text = models.TextField(_("正文"), blank=True)
    char_count = models.PositiveIntegerField(_("字数"), default=0)
    redacted_text = models.TextField(_("评审用正文"), blank=True)
    redacted_file = models.FileField(
        storage=private_storage, upload_to=redacted_path, max_length=200, null=True, blank=True
    )
    thumbnail = models.FileField(
        storage=private_storage, upload_to=thumbnail_path, max_length=200, null=True, blank=True
    )
    redaction_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    redaction_checked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(org=("entry__author_org", "entry__contest__owner"))

    class Meta:
        verbose_name = _("作品版本")
        verbose_name_plural = _("作品版本")
        ordering = ["entry", "number"]
        constraints = [models.UniqueConstraint(fields=["entry", "number"], name="contests_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.entry_id} v{self.number}"

    @property
    def media_kind(self) -> str:
        """ "image", "audio", "video", "document" or "" (typed text)."""
        major = self.content_type.split("/", 1)[0]
        if major in ("image", "audio", "video"):
            return major
        return "document" if self.file else ""


class Recommendation(models.Model):
    """A unit's 推荐 decision on an entry of its subtree."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待推荐")
        RECOMMENDED = "recommended", _("已推荐")
        DECLINED = "declined", _("不推荐")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="recommendations")
    org = models.ForeignKey("orgs.Org", verbose_name=_("推荐单位"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=15, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("理由"), blank=True)

    # The recommending unit (and those above it) and the organiser; a township does not see
    # its county's review.
    objects = ScopedManager(org=("org", "entry__contest__owner"))

    class Meta:
        verbose_name = _("推荐")
        verbose_name_plural = _("推荐")
        ordering = ["entry", "org"]
        constraints = [models.UniqueConstraint(fields=["entry", "org"], name="contests_recommendation_unique")]

    def __str__(self) -> str:
        return f"{self.entry_id}@{self.org_id}: {self.status}"


class Round(models.Model):
    """A judging round (初评, 复评, 终评)."""

    class Aggregation(models.TextChoices):
        MEAN = "mean", _("平均分")
        MEDIAN = "median", _("中位数")
        TRIMMED = "trimmed", _("去掉最高最低分")
        ZSCORE = "zscore", _("标准分")

    class PeerScores(models.TextChoices):
        NEVER = "never", _("不可见")
        AFTER_OWN = "after_own", _("提交自己的评分后可见")
        AFTER_CLOSE = "after_close", _("本轮结束后可见")

    class AdvanceRule(models.TextChoices):
        TOP_N = "top_n", _("前 N 名")
        TOP_N_PER_CATEGORY = "top_n_per_category", _("每组前 N 名")
        THRESHOLD = "threshold", _("达到分数线")

    class Status(models.TextChoices):
        SETUP = "setup", _("未开始")
        OPEN = "open", _("评审中")
        CLOSED = "closed", _("已结束")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("轮次"))
    name = models.CharField(_("名称"), max_length=50)
    judges_per_entry = models.PositiveSmallIntegerField(_("每件作品评委人数"), default=3)
    aggregation = models.CharField(_("计分方式"), max_length=10, choices=Aggregation.choices, default=Aggregation.MEAN)
    names_visible = models.BooleanField(_("评委可见作者姓名"), default=False)
    peer_scores = models.CharField(
        _("评委互见评分"), max_length=15, choices=PeerScores.choices, default=PeerScores.NEVER
    )
    advance_rule = models.CharField(
        _("晋级规则"), max_length=20, choices=AdvanceRule.choices, default=AdvanceRule.TOP_N
    )
    advance_value = models.DecimalField(_("晋级数量或分数线"), max_digits=7, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SETUP)
    deadline = models.DateTimeField(_("评审截止"), null=True, blank=True)
    seed = models.PositiveIntegerField(_("分配随机种子"), default=0)

    objects = ScopedManager(via="contest")

    class Meta:
        verbose_name = _("评审轮次")
        verbose_name_plural = _("评审轮次")
        ordering = ["contest", "number"]
        constraints = [models.UniqueConstraint(fields=["contest", "number"], name="contests_round_unique_number")]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    """A rubric line of a round; its weight is its max points (内容 50 / 结构 25 / 语言 25)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("评分项"), max_length=50)
    max_points = models.PositiveSmallIntegerField(_("满分"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = ScopedManager(via="round")

    class Meta:
        verbose_name = _("评分项")
        verbose_name_plural = _("评分项")
        ordering = ["round", "order", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.max_points}）"


class Judge(models.Model):
    """A judge of a contest: a staff user, or an external expert with a personal link."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="judges")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="contest_judges"
    )
    name = models.CharField(_("姓名"), max_length=50)
    affiliation = models.CharField(_("所在单位"), max_length=100, blank=True)
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("所属妇联单位"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_chief = models.BooleanField(_("评委组长"), default=False)
    # Only the hash of an external judge's personal link is stored.
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    conflicts = models.ManyToManyField("orgs.Org", verbose_name=_("回避单位"), blank=True, related_name="+")
    rounds = models.ManyToManyField(Round, verbose_name=_("参加的轮次"), blank=True, related_name="judges")
    created_at = models.DateTimeField(auto_now_add=True)

    # The organiser's: a county sees the contest, not who judges it.
    objects = ScopedManager(org="contest__owner")

    class Meta:
        verbose_name = _("评委")
        verbose_name_plural = _("评委")
        ordering = ["contest", "id"]

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """An entry given to a judge in a round."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="assignments")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="assignments")
    judge = models.ForeignKey(Judge, on_delete=models.CASCADE, related_name="assignments")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(org="round__contest__owner")

    class Meta:
        verbose_name = _("评审分配")
        verbose_name_plural = _("评审分配")
        ordering = ["round", "judge", "entry"]
        constraints = [
            models.UniqueConstraint(fields=["round", "entry", "judge"], name="contests_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}/{self.entry_id}/{self.judge_id}"


class Score(models.Model):
    """A judge's score of an assigned entry; submitted scores lock until the chief judge unlocks one."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="score")
    points = models.JSONField(_("各项得分"), default=dict)  # {criterion_id: points}
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("评语"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    unlock_reason = models.TextField(_("解锁原因"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(org="assignment__round__contest__owner")

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        ordering = ["assignment"]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.total}"


class Advancement(models.Model):
    """An entry's place at the end of a round, and whether it goes on (the organiser confirms)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="advancements")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="advancements")
    score = models.DecimalField(_("得分"), max_digits=8, decimal_places=3, null=True, blank=True)
    rank = models.PositiveIntegerField(_("名次"), null=True, blank=True)
    advanced = models.BooleanField(_("晋级"), default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(org="round__contest__owner")

    class Meta:
        verbose_name = _("晋级")
        verbose_name_plural = _("晋级")
        ordering = ["round", "rank", "entry"]
        constraints = [models.UniqueConstraint(fields=["round", "entry"], name="contests_advancement_unique")]

    def __str__(self) -> str:
        return f"{self.round_id}/{self.entry_id}: {self.rank}"


class Award(models.Model):
    """An award level given to an entry (proposed by the quotas, confirmed by the organiser)."""

    class Level(models.TextChoices):
        FIRST = "first", _("一等奖")
        SECOND = "second", _("二等奖")
        THIRD = "third", _("三等奖")
        EXCELLENT = "excellent", _("优秀奖")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="awards")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="awards")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="awards")
    level = models.CharField(_("奖项"), max_length=10, choices=Level.choices, blank=True)
    proposed_level = models.CharField(_("建议奖项"), max_length=10, choices=Level.choices, blank=True)
    override_reason = models.TextField(_("调整理由"), blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    # The organiser's until published; the public results page reads published ones on its own.
    objects = ScopedManager(org="contest__owner")

    class Meta:
        verbose_name = _("奖项")
        verbose_name_plural = _("奖项")
        ordering = ["contest", "category", "entry"]
        constraints = [models.UniqueConstraint(fields=["contest", "entry"], name="contests_award_unique_entry")]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.level}"


class ReferenceText(models.Model):
    """A text of the copy-detection corpus (published essays, good-practice reports)."""

    owner = models.ForeignKey("orgs.Org", verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("标题"), max_length=200)
    text = models.TextField(_("正文"))
    source = models.CharField(_("出处"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(org="owner")

    class Meta:
        verbose_name = _("比对文本")
        verbose_name_plural = _("比对文本")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


# Copy detection (wip-copies): its own module, found by Django through this import.
from jinguo.contests.models_copies import Overlap, TextFingerprint  # noqa: E402, F401
