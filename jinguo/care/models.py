"""The care registry (关心关爱): people in hardship, the help given to them, follow-ups, consent.

What PIPL (Art. 28) makes sensitive — ID numbers, health and disability, all data of children, and
free text, which may hold any of them — is stored encrypted (``EncryptedTextField``). Names stay in
clear so that a unit can search them; they are masked in lists. Every read is an ``AccessLog`` row.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jinguo.care.fields import EncryptedTextField
from jinguo.lib.scoping import ScopedManager

MINOR_AGE = 18
CHILD_CONSENT_AGE = 14  # PIPL Art. 31: a guardian consents for children under 14


def age_on(birth_date: dt.date | None, day: dt.date) -> int | None:
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# The categories the notice names (name, for minors, retention years); migration 0001 creates them.
DEFAULT_CATEGORIES = [
    ("低收入妇女", False, 5),
    ("失业妇女", False, 5),
    ("患病妇女（含两癌）", False, 5),
    ("单亲困难母亲", False, 5),
    ("留守未成年人", True, 3),
    ("孤儿", True, 3),
    ("残疾儿童", True, 3),
    ("困境儿童", True, 3),
    ("其他", False, 5),
]


class Category(models.Model):
    """A kind of hardship (低收入妇女, 留守未成年人 …). One list for the whole tree: the city extends it.

    ``retention_years``: how long after a case is closed its data is kept; for a category of
    minors (``for_minors``), how long after the person turns 18."""

    name = models.CharField(_("名称"), max_length=30, unique=True)
    for_minors = models.BooleanField(_("未成年人类别"), default=False)
    retention_years = models.PositiveSmallIntegerField(_("保存年限"), default=5)
    order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("关爱类别")
        verbose_name_plural = _("关爱类别")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """One person in the registry, kept by one unit (a township or village, or above)."""

    class Sex(models.TextChoices):
        FEMALE = "F", _("女")
        MALE = "M", _("男")

    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        CLOSED = "closed", _("结案")

    class Basis(models.TextChoices):
        CONSENT = "consent", _("本人或监护人同意（个保法第十三条第一项）")
        DUTY = "duty", _("履行法定职责（第十三条第三项）")
        VITAL = "vital", _("保护生命健康和财产安全所必需（第十三条第四项）")

    org = models.ForeignKey("orgs.Org", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("姓名"), max_length=50)
    id_number = EncryptedTextField(_("身份证号"), blank=True)
    # HMAC-SHA256 of the normalised ID number under a separate key: dedup and exact search.
    id_digest = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    address = EncryptedTextField(_("住址"), blank=True)
    categories = models.ManyToManyField(Category, verbose_name=_("关爱类别"), related_name="people")
    household_size = models.PositiveSmallIntegerField(_("家庭人口"), null=True, blank=True)
    monthly_income = models.DecimalField(_("家庭月收入（元）"), max_digits=9, decimal_places=2, null=True, blank=True)
    health = EncryptedTextField(_("健康状况（疾病、两癌等）"), blank=True)
    disability = EncryptedTextField(_("残疾情况"), blank=True)
    minor_situation = EncryptedTextField(_("未成年人情况（就学、父母去向、监护等）"), blank=True)
    needs = EncryptedTextField(_("困难与需求"), blank=True)
    notes = EncryptedTextField(_("其他说明"), blank=True)
    basis = models.CharField(_("处理依据"), max_length=10, choices=Basis.choices, default=Basis.CONSENT)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    closed_reason = EncryptedTextField(_("结案原因"), blank=True)  # free text: may say why, i.e. about health
    followup_days = models.PositiveSmallIntegerField(_("回访周期（天）"), null=True, blank=True)
    next_followup_on = models.DateField(_("下次回访"), null=True, blank=True, db_index=True)
    purge_on = models.DateField(_("到期匿名化日期"), null=True, blank=True, db_index=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(org="org")

    # The columns a list may load: nothing encrypted (a list decrypts nothing it does not show).
    LIST_FIELDS = ("id", "org", "name", "birth_date", "sex", "status", "next_followup_on", "anonymised_at")
    SENSITIVE_FIELDS = (
        "id_number",
        "phone",
        "address",
        "health",
        "disability",
        "minor_situation",
        "needs",
        "notes",
        "closed_reason",
    )
    REVEALABLE = {"id_number": "身份证号", "phone": "联系电话"}

    class Meta:
        verbose_name = _("关爱对象")
        verbose_name_plural = _("关爱对象")
        ordering = ["org__path", "name", "pk"]
        indexes = [models.Index(fields=["org", "status"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"关爱对象 #{self.pk}"  # never the name: __str__ ends up in logs and error reports

    def age(self, day: dt.date | None = None) -> int | None:
        return age_on(self.birth_date, day or dt.date.today())


class HouseholdMember(models.Model):
    """A member of the person's household; for a minor, the guardian is one of them."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("姓名"), max_length=50)
    relation = models.CharField(_("关系"), max_length=20)
    is_guardian = models.BooleanField(_("监护人"), default=False)
    id_number = EncryptedTextField(_("身份证号"), blank=True)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    notes = EncryptedTextField(_("说明（如外出务工地）"), blank=True)

    objects = ScopedManager(via="person")

    class Meta:
        verbose_name = _("家庭成员")
        ordering = ["-is_guardian", "pk"]

    def __str__(self) -> str:
        return f"家庭成员 #{self.pk}"


class Consent(models.Model):
    """Who consented, to what, when and until when (PIPL Art. 14, 29, 31)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    given_by = models.CharField(_("同意人"), max_length=50)
    relation = models.CharField(_("与本人关系"), max_length=20, default="本人")
    purposes = models.CharField(_("同意的用途"), max_length=200, default="登记建档、帮扶、回访")
    covers_photo = models.BooleanField(_("同意拍摄和保存本人照片"), default=False)
    given_on = models.DateField(_("同意日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    withdrawn_on = models.DateField(_("撤回日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(via="person")

    class Meta:
        verbose_name = _("同意记录")
        ordering = ["-given_on", "-pk"]

    def __str__(self) -> str:
        return f"同意记录 #{self.pk}"

    def in_force(self, day: dt.date) -> bool:
        return (
            self.given_on <= day
            and (self.valid_until is None or day <= self.valid_until)
            and (self.withdrawn_on is None or day < self.withdrawn_on)
        )


class HelpRecord(models.Model):
    """Help given (帮扶记录), linked to a campaign and its activity line when it was part of one."""

    class Kind(models.TextChoices):
        CASH = "cash", _("慰问金")
        GOODS = "goods", _("物资")
        TRAINING = "training", _("就业培训")
        LEGAL = "legal", _("法律援助")
        COUNSELLING = "counselling", _("心理疏导")
        MEDICAL = "medical", _("就医帮助")
        SCHOOLING = "schooling", _("助学")
        OTHER = "other", _("其他")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="help_records")
    given_on = models.DateField(_("日期"))
    kind = models.CharField(_("帮扶方式"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    goods = models.CharField(_("物资"), max_length=100, blank=True)
    given_by = models.CharField(_("帮扶人或单位"), max_length=100)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("所属活动"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    line = models.ForeignKey(
        "campaigns.ActivityLine",
        verbose_name=_("活动项目"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = EncryptedTextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(org="person__org")

    class Meta:
        verbose_name = _("帮扶记录")
        ordering = ["-given_on", "-pk"]
        indexes = [models.Index(fields=["campaign", "given_on"])]

    def __str__(self) -> str:
        return f"帮扶记录 #{self.pk}"


class HelpAttachment(models.Model):
    """A receipt or a photo; the file is stored encrypted and served only through a checked view."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("票据")
        PHOTO = "photo", _("现场照片")
        PERSON_PHOTO = "person_photo", _("本人照片")

    record = models.ForeignKey(HelpRecord, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to="care/", max_length=200)
    filename = EncryptedTextField(blank=True)  # an uploaded name may carry a person's name
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(org="record__person__org")

    class Meta:
        verbose_name = _("帮扶附件")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"附件 #{self.pk}"


class FollowUp(models.Model):
    """A follow-up visit (回访) with its note; it sets when the next one is due."""

    class Way(models.TextChoices):
        HOME = "home", _("入户走访")
        PHONE = "phone", _("电话回访")
        OTHER = "other", _("其他")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="followups")
    visited_on = models.DateField(_("回访日期"))
    way = models.CharField(_("方式"), max_length=10, choices=Way.choices, default=Way.HOME)
    note = EncryptedTextField(_("回访记录"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(org="person__org")

    class Meta:
        verbose_name = _("回访记录")
        ordering = ["-visited_on", "-pk"]

    def __str__(self) -> str:
        return f"回访记录 #{self.pk}"


class AccessLog(models.Model):
    """One read of one person's record: who, when, what, from where."""

    class Action(models.TextChoices):
        VIEW = "view", _("查看")
        LIST = "list", _("列表或搜索结果")
        REVEAL = "reveal", _("显示完整信息")
        EXPORT = "export", _("导出")
        PRINT = "print", _("打印")
        DEDUP = "dedup", _("重复登记比对")
        ATTACHMENT = "attachment", _("下载附件")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user_name = models.CharField(max_length=150)
    user_org = models.ForeignKey("orgs.Org", null=True, on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="access_logs")
    action = models.CharField(max_length=12, choices=Action.choices)
    field = models.CharField(max_length=30, blank=True)  # what a reveal showed
    reason = EncryptedTextField(blank=True)  # a reason may name the person or their situation
    ip = models.GenericIPAddressField(null=True)
    where = models.CharField(max_length=100, blank=True)  # the page (a URL name), never a query string

    objects = ScopedManager(org="person__org")

    class Meta:
        verbose_name = _("访问记录")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "at"]), models.Index(fields=["person", "at"])]

    def __str__(self) -> str:
        return f"{self.user_name} {self.action} #{self.person_id}"


class DuplicateReport(models.Model):
    """A unit tried to register a person another unit already keeps, outside its subtree. Owned by the
    nearest unit above both, whose care admins may arrange a transfer; neither side sees the other."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        TRANSFERRED = "transferred", _("已转移")
        DISMISSED = "dismissed", _("维持原单位")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    requesting_org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    common_org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(org="common_org")

    class Meta:
        verbose_name = _("重复登记")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"重复登记 #{self.pk}"


class UnitCount(models.Model):
    """Running total of the people 在册 (active, not anonymised) per unit, its whole subtree: ``org``
    is every unit above or at the person's unit. Kept by the registry's writes in their transaction
    (jinguo/care/counts.py); ``rebuild_care_counts`` recomputes it. Rows may hold zeros."""

    org = models.OneToOneField("orgs.Org", on_delete=models.CASCADE, related_name="+")
    people = models.IntegerField(default=0)

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = _("在册人数汇总")

    def __str__(self) -> str:
        return f"{self.org_id}: {self.people}"


class CategoryCount(models.Model):
    """Running total of the people 在册 per (unit, category), subtree totals as ``UnitCount``."""

    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    people = models.IntegerField(default=0)

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = _("分类在册人数汇总")
        constraints = [models.UniqueConstraint(fields=["org", "category"], name="care_category_count_key")]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.category_id}: {self.people}"
