"""Question banks, quizzes, participants and their attempts.

The public taking flow is built for bursts: an attempt row carries everything needed to audit
it (the drawn paper with each question's option order, the answers, the events), and the ranking
lives on the participant row (each person's best attempt), indexed for a COUNT of better ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jinguo.lib.scoping import ScopedManager

LETTERS = "ABCDE"
JUDGE_OPTIONS = ["正确", "错误"]

# The ranking order, best first: each participant's best attempt by score (higher first), then
# time used (less first), then when it was handed in (earlier first); a full tie shares a rank.
# The one definition: the index below, the leaderboard, the results and their export order by it,
# and the rank SQL and the submit's PL/pgSQL function are checked against it (tests/quiz/test_ranking.py).
RANK_ORDER = ("-best_score", "best_time_ms", "best_submitted_at")


def full_marks(kinds: Iterable[str], points: Mapping[str, int]) -> int:
    """The full marks of a paper of questions of these kinds: the one way a max_score is computed
    (a quiz's rules, a snapshot's, a drawn paper's)."""
    return sum(points[kind] for kind in kinds)


def rule_kinds(rules: Iterable[Mapping]) -> Iterable[str]:
    """The kind of each question the paper rules draw."""
    for rule in rules:
        yield from [rule["kind"]] * int(rule.get("count", 0))


class Topic(models.TextChoices):
    WOMEN_RIGHTS = "women_rights", _("妇女权益保障法")
    DOMESTIC_VIOLENCE = "domestic_violence", _("反家庭暴力法")
    FAMILY_EDUCATION = "family_education", _("家庭教育促进法")
    MINORS = "minors", _("未成年人保护法")
    CIVIL_CODE_FAMILY = "civil_code_family", _("民法典婚姻家庭编")
    PARTY_CONSTITUTION = "party_constitution", _("党章")
    PARTY_RULES = "party_rules", _("党规党纪")
    FEDERATION_CHARTER = "federation_charter", _("妇联章程")


class Kind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTI = "multi", _("多选")
    JUDGE = "judge", _("判断")


class Difficulty(models.TextChoices):
    EASY = "easy", _("易")
    MEDIUM = "medium", _("中")
    HARD = "hard", _("难")


class QuestionBank(models.Model):
    """A unit's collection of questions; quizzes of that unit and below draw from it."""

    owner = models.ForeignKey("orgs.Org", verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("题库名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    # Bumped on every change to a question, so that cached copies of the bank are replaced.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(org="owner")

    class Meta:
        verbose_name = _("题库")
        verbose_name_plural = _("题库")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    """One question. Answers are letters of the stored option order ("B", "ACD"); a 判断 question's
    options are 正确 (A) and 错误 (B). Questions that papers used are deactivated, never deleted."""

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("题型"), max_length=10, choices=Kind.choices)
    stem = models.TextField(_("题干"))
    options = models.JSONField(_("选项"), default=list, blank=True)
    answer = models.CharField(_("答案"), max_length=5)
    explanation = models.TextField(_("解析"), blank=True)
    source = models.CharField(_("出处"), max_length=200, blank=True)
    topic = models.CharField(_("主题"), max_length=30, choices=Topic.choices)
    difficulty = models.CharField(_("难度"), max_length=10, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    basis = models.TextField(_("依据"), blank=True, help_text=_("法条原文"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(org="bank__owner")

    class Meta:
        verbose_name = _("试题")
        verbose_name_plural = _("试题")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["bank", "stem"], name="quiz_question_unique_stem")]

    def __str__(self) -> str:
        return self.stem[:40]

    @property
    def shown_options(self) -> list[str]:
        return JUDGE_OPTIONS if self.kind == Kind.JUDGE else list(self.options)

    @property
    def answer_display(self) -> str:
        if self.kind == Kind.JUDGE:
            return JUDGE_OPTIONS[LETTERS.index(self.answer)]
        return self.answer


def uses_sms_code(*, audience: str, identity_check: str, awards_prizes: bool) -> bool:
    """Whether a public participant proves their phone number with an SMS code on every start:
    the one rule (the quiz, its snapshot in memory, the page, the code endpoint)."""
    if audience != Quiz.Audience.PUBLIC:
        return False  # a staff quiz: the login is the identity
    if identity_check == Quiz.IdentityCheck.DEFAULT:
        return awards_prizes
    return identity_check == Quiz.IdentityCheck.SMS


class Quiz(models.Model):
    """A quiz: a window, an audience, paper rules, points and limits."""

    class Audience(models.TextChoices):
        PUBLIC = "public", _("公众（手机号 + 姓名 + 单位）")
        STAFF = "staff", _("本单位及下级单位的工作人员（需登录）")

    class IdentityCheck(models.TextChoices):
        """How a public participant proves to be the person behind a phone number (uses_sms_code)."""

        DEFAULT = "default", _("默认：设有奖品的用短信验证码，不设奖品的用本机验证")
        DEVICE = "device", _("本机验证")
        SMS = "sms", _("短信验证码")

    owner = models.ForeignKey("orgs.Org", verbose_name=_("主办单位"), on_delete=models.PROTECT, related_name="+")
    bank = models.ForeignKey(QuestionBank, verbose_name=_("题库"), on_delete=models.PROTECT, related_name="quizzes")
    title = models.CharField(_("竞赛名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    slug = models.SlugField(_("链接标识"), max_length=40, unique=True, editable=False)
    is_published = models.BooleanField(_("已发布"), default=False)
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("结束时间"))
    audience = models.CharField(_("参加对象"), max_length=10, choices=Audience.choices, default=Audience.PUBLIC)
    # Each rule: {"topic": "", "kind": "single", "difficulty": "", "count": 10}; "" means any.
    paper_rules = models.JSONField(_("组卷规则"), default=list)
    points_single = models.PositiveSmallIntegerField(_("单选题每题分值"), default=5)
    points_multi = models.PositiveSmallIntegerField(_("多选题每题分值"), default=5)
    points_judge = models.PositiveSmallIntegerField(_("判断题每题分值"), default=5)
    time_limit_minutes = models.PositiveSmallIntegerField(_("答题时限（分钟）"), default=20)
    max_attempts = models.PositiveSmallIntegerField(_("每人最多答题次数"), default=3)
    max_attempts_per_day = models.PositiveSmallIntegerField(_("每人每天最多答题次数"), default=1)
    leaderboard_size = models.PositiveSmallIntegerField(_("排行榜显示人数"), default=50)
    awards_prizes = models.BooleanField(_("设有奖品"), default=False)
    identity_check = models.CharField(
        _("参赛人身份核验"), max_length=10, choices=IdentityCheck.choices, default=IdentityCheck.DEFAULT
    )
    # Bumped on every change, so that cached copies of the quiz are replaced.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(org="owner", shared_down=True)  # its units take it and see their own results

    class Meta:
        verbose_name = _("知识竞赛")
        verbose_name_plural = _("知识竞赛")
        ordering = ["-opens_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def question_count(self) -> int:
        return sum(int(rule.get("count", 0)) for rule in self.paper_rules)

    @property
    def points(self) -> dict[str, int]:
        """Points per question of each kind."""
        return {Kind.SINGLE: self.points_single, Kind.MULTI: self.points_multi, Kind.JUDGE: self.points_judge}

    @property
    def max_score(self) -> int:
        return full_marks(rule_kinds(self.paper_rules), self.points)

    @property
    def uses_sms_code(self) -> bool:
        return uses_sms_code(
            audience=self.audience, identity_check=self.identity_check, awards_prizes=self.awards_prizes
        )


class Participant(models.Model):
    """One person in one quiz. Holds the attempt counters the limits are enforced on, and the best
    attempt the ranking uses (in RANK_ORDER)."""

    # No index of their own on quiz and unit: quiz_participant_unique_key and quiz_participant_unit
    # lead with them, and every index is written on each start and each better submit.
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="participants", db_index=False)
    # The phone number for the public; "user:<id>" for staff quizzes.
    key = models.CharField(max_length=40)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    name = models.CharField(_("姓名"), max_length=50)
    unit = models.ForeignKey(
        "orgs.Org", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # SHA-256 of the random device key the quiz page keeps in the phone's localStorage: a later
    # start with this phone number must come from that device (or prove the number by SMS code).
    # Empty: not bound yet (a participant from before, or a client that sends no key).
    device_hash = models.CharField(max_length=64, blank=True, default="")
    attempts_count = models.PositiveIntegerField(default=0)
    day = models.DateField(null=True)
    day_count = models.PositiveIntegerField(default=0)
    best_attempt = models.ForeignKey("Attempt", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    best_score = models.IntegerField(null=True)
    best_time_ms = models.IntegerField(null=True)
    best_submitted_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(org="unit")

    class Meta:
        verbose_name = _("参赛人")
        verbose_name_plural = _("参赛人")
        constraints = [models.UniqueConstraint(fields=["quiz", "key"], name="quiz_participant_unique_key")]
        indexes = [
            models.Index(
                "quiz",
                *(models.F(f[1:]).desc() if f.startswith("-") else models.F(f) for f in RANK_ORDER),
                name="quiz_participant_rank",
                condition=Q(best_score__isnull=False),
            ),
            models.Index(fields=["unit", "quiz"], name="quiz_participant_unit"),
        ]

    def __str__(self) -> str:
        return self.name


class Attempt(models.Model):
    """One paper taken by one participant."""

    class Status(models.TextChoices):
        OPEN = "open", _("答题中")
        SUBMITTED = "submitted", _("已交卷")
        CLOSED = "closed", _("超时收卷")

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    # quiz_attempt_unique_number leads with the participant: no second index to write on each submit.
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="attempts", db_index=False)
    unit = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("第几次"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(_("开始时间"))
    deadline = models.DateTimeField(_("截止时间"))
    submitted_at = models.DateTimeField(_("交卷时间"), null=True)
    # [[question id, [original option index shown at each position]], ...] in paper order.
    paper = models.JSONField(default=list)
    # {"<position>": "AC"}: letters as shown to the participant.
    answers = models.JSONField(default=dict)
    saved_at = models.DateTimeField(null=True)
    score = models.IntegerField(_("得分"), null=True)
    correct_count = models.PositiveSmallIntegerField(null=True)
    time_used_ms = models.IntegerField(null=True)
    tab_switches = models.PositiveIntegerField(_("切屏次数"), default=0)
    # Evidence only: seconds after the start at which the page was hidden.
    events = models.JSONField(default=list)
    ip = models.GenericIPAddressField(null=True)

    objects = ScopedManager(org="unit")

    class Meta:
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        constraints = [
            models.UniqueConstraint(fields=["participant", "number"], name="quiz_attempt_unique_number"),
        ]
        # Ranking reads Participant (best attempts), so attempts carry no ranking index: every
        # index is paid for on each submit. Open attempts are found by deadline to be closed.
        indexes = [models.Index(fields=["deadline"], name="quiz_attempt_open", condition=Q(status="open"))]

    def __str__(self) -> str:
        return f"{self.participant_id} #{self.number}"


class UnitTarget(models.Model):
    """How many members a unit is expected to bring to a quiz (the denominator of its rate)."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    members = models.PositiveIntegerField(_("应参与人数"))

    objects = ScopedManager(org="unit")

    class Meta:
        verbose_name = _("参与目标")
        constraints = [models.UniqueConstraint(fields=["quiz", "unit"], name="quiz_target_unique_unit")]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.members}"


class ScoreBucket(models.Model):
    """The ranking's histogram: how many participants have their best attempt at this score and
    whole second of time used. Kept in the submit transaction, so that a rank is a sum over the
    buckets ahead plus an index count inside one bucket, whatever the number of participants.
    Counts only, no person: it belongs to the quiz and shares its scope."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="+")
    score = models.IntegerField()
    second = models.IntegerField()
    participants = models.IntegerField(default=0)

    objects = ScopedManager(via="quiz")

    class Meta:
        verbose_name = _("成绩分布")
        constraints = [
            models.UniqueConstraint(fields=["quiz", "score", "second"], name="quiz_scorebucket_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz_id}: {self.score}/{self.second}s × {self.participants}"


class ScoreMinute(models.Model):
    """The ranking histogram summed per score and whole minute of time used (second // 60). A rank
    adds these for the higher scores and for the minutes before its own at its score, then only
    the seconds of its own minute: a quiz with a 20-minute limit had a rank read up to 1,200
    one-second buckets of its score (~0.15 ms of PostgreSQL per submit at 30,000 participants, a
    third of the submit statement's cost). A per-score total (one row per score, updated by every
    submit) was dropped: under a burst its few rows were so hot that reading them (all their not
    yet pruned versions) cost more than summing these. Kept by the submit with ScoreBucket, in the
    same transaction (PostgreSQL: the jinguo_quiz_finish function); counts only, in the quiz's scope."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="+", db_index=False)
    score = models.IntegerField()
    minute = models.IntegerField()
    participants = models.IntegerField(default=0)

    objects = ScopedManager(via="quiz")

    class Meta:
        verbose_name = _("成绩分布（按分钟）")
        constraints = [models.UniqueConstraint(fields=["quiz", "score", "minute"], name="quiz_scoreminute_unique")]

    def __str__(self) -> str:
        return f"{self.quiz_id}: {self.score}/{self.minute}min × {self.participants}"
