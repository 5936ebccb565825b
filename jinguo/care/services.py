"""Writes of the care registry. Each checks the writer's permission, changes inside one transaction
with its audit entry, and notifies after. Audit entries name the fields that changed, never their
values: the audit table is not encrypted, so a clear value there would undo the registry's encryption.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.accounts.rules import has_perm
from jinguo.audit.services import log_action
from jinguo.care import crypto
from jinguo.care.counts import tracking
from jinguo.care.models import (
    CHILD_CONSENT_AGE,
    DEFAULT_CATEGORIES,
    MINOR_AGE,
    AccessLog,
    Category,
    Consent,
    DuplicateReport,
    FollowUp,
    HelpAttachment,
    HelpRecord,
    HouseholdMember,
    Person,
    add_years,
    age_on,
)
from jinguo.care.rules import REGISTRY_WRITE, is_care_admin
from jinguo.lib.client_ip import client_ip
from jinguo.lib.idnumbers import IdNumberError, normalize_id_number, parse_id_number
from jinguo.lib.phones import PHONE_ERROR, is_valid_phone, normalize_phone
from jinguo.lib.scoping import ancestor_paths, scopes_disabled
from jinguo.notifications.models import Notification
from jinguo.notifications.services import notify_users
from jinguo.orgs.models import Org

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
}
DEFAULT_RETENTION_YEARS = 5


class CareError(ValueError):
    """A write refused, with a message for the user."""


class DuplicateInside(CareError):
    """The ID number is already registered in the user's own subtree: the record is shown."""

    def __init__(self, person: Person):
        super().__init__("该身份证号已登记。")
        self.person = person


class DuplicateElsewhere(CareError):
    """The ID number is registered outside the user's subtree: nothing about it is shown."""

    def __init__(self):
        super().__init__("该人员已在其他单位登记，不能重复登记。已通知上级单位的关爱工作管理员协调转移。")


def _require_write(by: User, org: Org) -> None:
    if not has_perm(by, REGISTRY_WRITE, at=org):
        raise CareError("您无权登记或修改该单位的关爱对象。")


# ---------------------------------------------------------------------------------------------
# Identity and dedup


@dataclass(frozen=True)
class Identity:
    id_number: str
    id_digest: str | None
    birth_date: dt.date | None
    sex: str


def read_identity(id_number: str, *, birth_date: dt.date | None = None, sex: str = "") -> Identity:
    """An ID number validated (GB 11643) with the birth date and sex it holds; without one, what was
    entered. Raises ``CareError`` with the reason."""
    if not (id_number or "").strip():
        if birth_date is None or not sex:
            raise CareError("没有身份证号时，请填写出生日期和性别。")
        return Identity("", None, birth_date, sex)
    try:
        parsed = parse_id_number(id_number)
    except IdNumberError as exc:
        raise CareError(str(exc)) from None
    return Identity(parsed.number, crypto.id_digest(parsed.number), parsed.birth_date, parsed.sex)


def digest_of(id_number: str) -> str:
    return crypto.id_digest(normalize_id_number(id_number))


def find_by_digest(digest: str) -> Person | None:
    with scopes_disabled():  # dedup looks across the whole tree; callers show only what the user may see
        return Person.objects.filter(id_digest=digest).select_related("org").first()


def common_unit(a: Org, b: Org) -> Org:
    """The nearest unit at or above both ``a`` and ``b``."""
    shared = [p for p in ancestor_paths(a.path) if b.path.startswith(p)]
    with scopes_disabled():  # the unit above two others, which may lie outside the asker's subtree
        return Org.objects.get(path=shared[-1])


def care_admins_for(org: Org) -> list[User]:
    """The care admins of ``org``, or of the nearest unit above it that has any."""
    with scopes_disabled():  # recipients may sit above the user who caused the notice
        candidates = list(
            User.objects.filter(
                org__path__in=org.ancestor_paths(), is_active=True, is_org_admin=True, is_care_worker=True
            ).select_related("org")
        )
    by_depth: dict[int, list[User]] = {}
    for user in candidates:
        by_depth.setdefault(user.org.depth, []).append(user)
    return by_depth[max(by_depth)] if by_depth else []


def check_duplicate(identity: Identity, *, by: User, ip: str = "", exclude: Person | None = None) -> None:
    """Raise ``DuplicateInside`` (with the record) or ``DuplicateElsewhere`` (with nothing, after a
    report to the nearest common unit) if the ID number is already registered."""
    if not identity.id_digest:
        return
    existing = find_by_digest(identity.id_digest)
    if existing is None or (exclude is not None and existing.pk == exclude.pk):
        return
    if existing.org.is_within(by.org):
        log_reads(by, [existing], AccessLog.Action.DEDUP, ip=ip, where="care:dedup")
        raise DuplicateInside(existing)
    report_duplicate(existing, by=by)
    raise DuplicateElsewhere()


def report_duplicate(person: Person, *, by: User) -> DuplicateReport:
    """Record that ``by``'s unit met a person kept elsewhere; tell the common unit's care admins.
    The notice names units, never the person. Audit: ``care.duplicate.reported``."""
    common = common_unit(person.org, by.org)
    with transaction.atomic(), scopes_disabled():  # the report belongs to the unit above both
        report = DuplicateReport.objects.filter(
            person=person, requesting_org=by.org, status=DuplicateReport.Status.OPEN
        ).first()
        if report is not None:
            return report
        report = DuplicateReport.objects.create(
            person=person, requesting_org=by.org, common_org=common, requested_by=by
        )
        log_action(report, "care.duplicate.reported", by=by, org=common)
    recipients = care_admins_for(common)
    notify_users(
        users=recipients,
        kind=Notification.Kind.CARE_DUPLICATE,
        title=f"{by.org.name}登记的关爱对象已由{person.org.name}登记，请协调",
        url=reverse("care:duplicates"),
    )
    return report


# ---------------------------------------------------------------------------------------------
# The person


def _clean_phone(phone: str) -> str:
    phone = normalize_phone(phone)
    if phone and not is_valid_phone(phone):
        raise CareError(PHONE_ERROR)
    return phone


def retention_date(person: Person, categories: Iterable[Category]) -> dt.date | None:
    """When the person's data is due for anonymisation: for a category of minors, when they turn
    18 plus its years; for any other, its years after the case is closed (never while open). The
    latest date of all the person's categories wins: data is kept as long as one reason holds."""
    dates: list[dt.date] = []
    open_adult_reason = False
    categories = list(categories) or [Category(name="—", retention_years=DEFAULT_RETENTION_YEARS)]
    for category in categories:
        if category.for_minors and person.birth_date:
            adult = add_years(person.birth_date, MINOR_AGE + category.retention_years)
            dates.append(
                max(adult, add_years(person.closed_on, category.retention_years)) if person.closed_on else adult
            )
        elif person.status == Person.Status.CLOSED and person.closed_on:
            dates.append(add_years(person.closed_on, category.retention_years))
        else:
            open_adult_reason = True
    if open_adult_reason or not dates:
        return None
    return max(dates)


def _set_retention(person: Person) -> None:
    person.purge_on = retention_date(person, person.categories.all())
    Person.objects.filter(pk=person.pk).update(purge_on=person.purge_on)


@dataclass
class ConsentInput:
    given_by: str
    relation: str
    given_on: dt.date
    valid_until: dt.date | None = None
    purposes: str = "登记建档、帮扶、回访"
    covers_photo: bool = False


@dataclass
class GuardianInput:
    name: str
    relation: str
    phone: str = ""
    id_number: str = ""


PERSON_FIELDS = (
    "name",
    "phone",
    "address",
    "household_size",
    "monthly_income",
    "health",
    "disability",
    "minor_situation",
    "needs",
    "notes",
    "basis",
    "followup_days",
)


def register_person(
    *,
    by: User,
    org: Org,
    id_number: str = "",
    birth_date: dt.date | None = None,
    sex: str = "",
    categories: Iterable[Category] = (),
    consent: ConsentInput | None = None,
    guardian: GuardianInput | None = None,
    ip: str = "",
    **fields,
) -> Person:
    """Register a person kept by ``org``. Refuses a duplicate ID number (see ``check_duplicate``), a
    person registered on consent without a consent record, and a child under 14 without a guardian
    (who gives the consent: PIPL Art. 31). Audit: ``care.person.registered`` (field names only)."""
    _require_write(by, org)
    name = (fields.get("name") or "").strip()
    if not name:
        raise CareError("请填写姓名。")
    identity = read_identity(id_number, birth_date=birth_date, sex=sex)
    today = timezone.localdate()
    age = age_on(identity.birth_date, today)
    if age is not None and age < CHILD_CONSENT_AGE and guardian is None:
        raise CareError("未满 14 周岁的儿童须登记监护人，并由监护人同意。")
    basis = fields.get("basis") or Person.Basis.CONSENT
    if basis == Person.Basis.CONSENT and consent is None:
        raise CareError("以同意为处理依据时，须登记同意记录。")
    if consent is not None and age is not None and age < CHILD_CONSENT_AGE and consent.relation == "本人":
        raise CareError("未满 14 周岁的儿童，须由监护人作出同意。")
    fields["phone"] = _clean_phone(fields.get("phone", ""))
    check_duplicate(identity, by=by, ip=ip)
    categories = list(categories)
    try:
        with transaction.atomic(), tracking() as counted:
            person = Person(
                org=org,
                id_number=identity.id_number,
                id_digest=identity.id_digest,
                birth_date=identity.birth_date,
                sex=identity.sex,
                created_by=by,
                **{k: v for k, v in fields.items() if k in PERSON_FIELDS},
            )
            person.name = name
            if person.followup_days:
                person.next_followup_on = today + dt.timedelta(days=person.followup_days)
            person.save()
            person.categories.set(categories)
            counted.add([person.pk])
            if guardian is not None:
                HouseholdMember.objects.create(
                    person=person,
                    name=guardian.name,
                    relation=guardian.relation,
                    is_guardian=True,
                    phone=_clean_phone(guardian.phone),
                    id_number=normalize_id_number(guardian.id_number),
                )
            if consent is not None:
                Consent.objects.create(person=person, recorded_by=by, **consent.__dict__)
            _set_retention(person)
            log_action(
                person,
                "care.person.registered",
                by=by,
                org=org,
                data={"fields": sorted(k for k, v in fields.items() if k in PERSON_FIELDS and v not in ("", None))},
            )
    except IntegrityError:  # the same number registered at the same moment by someone else
        raise CareError("该身份证号刚刚已被登记，请重新查找。") from None
    return person


def update_person(
    person: Person, *, by: User, categories: Iterable[Category] | None = None, ip: str = "", **changes
) -> list[str]:
    """Change the person's fields; returns the names of those that changed. Changing the ID number
    re-derives birth date and sex and checks for duplicates again. Audit: ``care.person.updated``
    with the changed fields' names ("已修改"), never their old or new values."""
    _require_write(by, person.org)
    changed = []
    if "id_number" in changes:
        new = changes.pop("id_number") or ""
        if normalize_id_number(new) != person.id_number:
            identity = read_identity(new, birth_date=changes.get("birth_date"), sex=changes.get("sex", ""))
            check_duplicate(identity, by=by, ip=ip, exclude=person)
            person.id_number, person.id_digest = identity.id_number, identity.id_digest
            person.birth_date, person.sex = identity.birth_date, identity.sex
            changed.append("id_number")
    if not person.id_number:
        for key in ("birth_date", "sex"):
            if key in changes and changes[key] != getattr(person, key):
                setattr(person, key, changes[key])
                changed.append(key)
    if "phone" in changes:
        changes["phone"] = _clean_phone(changes["phone"])
    for key in PERSON_FIELDS:
        if key in changes and changes[key] != getattr(person, key):
            setattr(person, key, changes[key])
            changed.append(key)
    with transaction.atomic(), tracking([person.pk]):
        if "followup_days" in changed and person.followup_days and person.next_followup_on is None:
            person.next_followup_on = timezone.localdate() + dt.timedelta(days=person.followup_days)
        person.save()
        if categories is not None:
            categories = list(categories)
            if {c.pk for c in categories} != set(person.categories.values_list("pk", flat=True)):
                person.categories.set(categories)
                changed.append("categories")
        _set_retention(person)
        if changed:
            log_action(
                person, "care.person.updated", by=by, org=person.org, data={"fields": changed, "values": "已修改"}
            )
    return changed


def close_person(person: Person, *, by: User, reason: str, on: dt.date | None = None) -> None:
    """结案 with a reason; the retention clock starts. Audit: ``care.person.closed``."""
    _require_write(by, person.org)
    reason = (reason or "").strip()
    if not reason:
        raise CareError("请填写结案原因。")
    if person.status == Person.Status.CLOSED:
        raise CareError("已结案。")
    with transaction.atomic(), tracking([person.pk]):
        person.status, person.closed_on, person.closed_reason = (
            Person.Status.CLOSED,
            on or timezone.localdate(),
            reason[:200],
        )
        person.next_followup_on = None
        person.save(update_fields=["status", "closed_on", "closed_reason", "next_followup_on", "updated_at"])
        _set_retention(person)
        log_action(
            person, "care.person.closed", by=by, org=person.org, from_state="在册", to_state="结案", reason=reason
        )


def reopen_person(person: Person, *, by: User) -> None:
    _require_write(by, person.org)
    with transaction.atomic(), tracking([person.pk]):
        person.status, person.closed_on, person.closed_reason = Person.Status.ACTIVE, None, ""
        person.save(update_fields=["status", "closed_on", "closed_reason", "updated_at"])
        _set_retention(person)
        log_action(person, "care.person.reopened", by=by, org=person.org, from_state="结案", to_state="在册")


def add_member(
    person: Person,
    *,
    by: User,
    name: str,
    relation: str,
    is_guardian: bool = False,
    phone: str = "",
    id_number: str = "",
    notes: str = "",
) -> HouseholdMember:
    _require_write(by, person.org)
    if not name.strip() or not relation.strip():
        raise CareError("请填写家庭成员的姓名和关系。")
    if id_number.strip():
        try:
            id_number = parse_id_number(id_number).number
        except IdNumberError as exc:
            raise CareError(str(exc)) from None
    with transaction.atomic():
        member = HouseholdMember.objects.create(
            person=person,
            name=name.strip(),
            relation=relation.strip(),
            is_guardian=is_guardian,
            phone=_clean_phone(phone),
            id_number=id_number,
            notes=notes,
        )
        log_action(person, "care.member.added", by=by, org=person.org, data={"member": member.pk})
    return member


def record_consent(person: Person, *, by: User, consent: ConsentInput) -> Consent:
    _require_write(by, person.org)
    if not consent.given_by.strip():
        raise CareError("请填写同意人。")
    age = person.age()
    if age is not None and age < CHILD_CONSENT_AGE and consent.relation == "本人":
        raise CareError("未满 14 周岁的儿童，须由监护人作出同意。")
    with transaction.atomic():
        row = Consent.objects.create(person=person, recorded_by=by, **consent.__dict__)
        log_action(person, "care.consent.recorded", by=by, org=person.org, data={"consent": row.pk})
    return row


def withdraw_consent(consent: Consent, *, by: User, on: dt.date | None = None) -> None:
    _require_write(by, consent.person.org)
    with transaction.atomic():
        consent.withdrawn_on = on or timezone.localdate()
        consent.save(update_fields=["withdrawn_on"])
        log_action(
            consent.person, "care.consent.withdrawn", by=by, org=consent.person.org, data={"consent": consent.pk}
        )


def photo_consent_in_force(person: Person, day: dt.date | None = None) -> bool:
    day = day or timezone.localdate()
    return any(c.covers_photo and c.in_force(day) for c in person.consents.all())


# ---------------------------------------------------------------------------------------------
# Help, attachments, follow-ups


def record_help(
    person: Person,
    *,
    by: User,
    given_on: dt.date,
    kind: str,
    given_by: str,
    amount: Decimal | None = None,
    goods: str = "",
    campaign=None,
    line=None,
    note: str = "",
) -> HelpRecord:
    """Record help given. A line must belong to the campaign. Audit: ``care.help.recorded``."""
    _require_write(by, person.org)
    if given_on > timezone.localdate():
        raise CareError("帮扶日期不能晚于今天。")
    if amount is not None and amount < 0:
        raise CareError("金额不能为负数。")
    if line is not None and (campaign is None or line.campaign_id != campaign.pk):
        raise CareError("所选活动项目不属于所选活动。")
    with transaction.atomic():
        record = HelpRecord.objects.create(
            person=person,
            given_on=given_on,
            kind=kind,
            given_by=given_by.strip(),
            amount=amount,
            goods=goods,
            campaign=campaign,
            line=line,
            note=note,
            created_by=by,
        )
        log_action(person, "care.help.recorded", by=by, org=person.org, data={"help": record.pk, "kind": kind})
    return record


def add_attachment(record: HelpRecord, *, by: User, upload: UploadedFile, kind: str) -> HelpAttachment:
    """Store a receipt or photo encrypted. A photo of the person only with a photo consent in force.
    Audit: ``care.attachment.added``."""
    person = record.person
    _require_write(by, person.org)
    if kind == HelpAttachment.Kind.PERSON_PHOTO and not photo_consent_in_force(person):
        raise CareError("没有本人（或监护人）同意拍摄和保存照片的有效记录，不能上传本人照片。")
    ext = PurePath(upload.name or "").suffix.lower()
    if ext not in ATTACHMENT_TYPES:
        raise CareError("只能上传 JPG、PNG 图片或 PDF 文件。")
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise CareError("文件不能超过 10 MB。")
    data = upload.read()
    with transaction.atomic():
        attachment = HelpAttachment(
            record=record,
            kind=kind,
            filename=PurePath(upload.name).name[:100],
            content_type=ATTACHMENT_TYPES[ext],
            size=len(data),
            uploaded_by=by,
        )
        attachment.file.save(
            f"{uuid.uuid4().hex}.bin",
            ContentFile(crypto.encrypt_bytes(data, purpose=crypto.ATTACHMENT_PURPOSE)),
            save=False,
        )
        attachment.save()
        log_action(
            person, "care.attachment.added", by=by, org=person.org, data={"attachment": attachment.pk, "kind": kind}
        )
    return attachment


def read_attachment(attachment: HelpAttachment) -> bytes:
    with attachment.file.open("rb") as f:
        return crypto.decrypt_bytes(f.read(), purpose=crypto.ATTACHMENT_PURPOSE)


def record_followup(
    person: Person, *, by: User, visited_on: dt.date, way: str, note: str = "", next_on: dt.date | None = None
) -> FollowUp:
    """A visit; the next one is due ``next_on`` or after the person's schedule. Audit: ``care.followup.recorded``."""
    _require_write(by, person.org)
    if visited_on > timezone.localdate():
        raise CareError("回访日期不能晚于今天。")
    if next_on is not None and next_on <= visited_on:
        raise CareError("下次回访日期应晚于本次回访日期。")
    with transaction.atomic():
        followup = FollowUp.objects.create(person=person, visited_on=visited_on, way=way, note=note, by=by)
        if next_on is None and person.followup_days:
            next_on = visited_on + dt.timedelta(days=person.followup_days)
        if person.status == Person.Status.ACTIVE:
            person.next_followup_on = next_on
            person.save(update_fields=["next_followup_on", "updated_at"])
        log_action(person, "care.followup.recorded", by=by, org=person.org, data={"followup": followup.pk})
    return followup


# ---------------------------------------------------------------------------------------------
# Transfers between units


def transfer_person(report: DuplicateReport, *, by: User) -> None:
    """Move the person to the unit that asked (a care admin of the common unit decides).
    Audit: ``care.person.transferred`` on the person, under the common unit."""
    if not is_care_admin(by, at=report.common_org):
        raise CareError("只有共同上级单位的关爱工作管理员可以协调转移。")
    if report.status != DuplicateReport.Status.OPEN:
        raise CareError("该重复登记已处理。")
    with (
        transaction.atomic(),
        scopes_disabled(),  # the person moves between two subtrees below the admin
        tracking([report.person_id]),
    ):
        person = Person.objects.select_for_update().get(pk=report.person_id)
        old = person.org
        person.org = report.requesting_org
        person.save(update_fields=["org", "updated_at"])
        report.status, report.resolved_by, report.resolved_at = DuplicateReport.Status.TRANSFERRED, by, timezone.now()
        report.save(update_fields=["status", "resolved_by", "resolved_at"])
        log_action(
            person,
            "care.person.transferred",
            by=by,
            org=report.common_org,
            from_state=old.name,
            to_state=report.requesting_org.name,
        )
    recipients = care_workers_of(report.requesting_org)
    notify_users(
        users=recipients,
        kind=Notification.Kind.CARE_DUPLICATE,
        title="关爱对象已转由本单位负责",
        url=reverse("care:person", args=[person.pk]),
    )


def dismiss_duplicate(report: DuplicateReport, *, by: User) -> None:
    if not is_care_admin(by, at=report.common_org):
        raise CareError("只有共同上级单位的关爱工作管理员可以处理。")
    with transaction.atomic():
        report.status, report.resolved_by, report.resolved_at = DuplicateReport.Status.DISMISSED, by, timezone.now()
        report.save(update_fields=["status", "resolved_by", "resolved_at"])
        log_action(report, "care.duplicate.dismissed", by=by, org=report.common_org)


def care_workers_of(org: Org) -> list[User]:
    with scopes_disabled():  # recipients of a notice, found by unit
        return list(User.objects.filter(org=org, is_active=True, is_care_worker=True))


# ---------------------------------------------------------------------------------------------
# Reads are logged


def log_reads(
    user: User,
    people: Iterable[Person],
    action: str,
    *,
    ip: str = "",
    where: str = "",
    field: str = "",
    reason: str = "",
) -> int:
    """One access-log row per person read (one INSERT)."""
    rows = [
        AccessLog(
            user=user,
            user_name=user.display_name,
            user_org_id=user.org_id,
            person=p,
            action=action,
            field=field,
            reason=reason,
            ip=ip or None,
            where=where[:100],
        )
        for p in people
    ]
    with scopes_disabled():  # a write; the rows belong to the people read
        AccessLog.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def log_request_reads(request, people: Iterable[Person], action: str, *, field: str = "", reason: str = "") -> int:
    match = request.resolver_match
    where = match.view_name if match else ""
    return log_reads(request.user, people, action, ip=client_ip(request), where=where, field=field, reason=reason)


# ---------------------------------------------------------------------------------------------
# Categories (the city keeps the list)


def ensure_default_categories() -> None:
    """Create any of the notice's categories that is missing (the demo; a test database flushed by a
    transactional test). Existing rows, and the city's own additions, are left as they are."""
    for order, (name, for_minors, years) in enumerate(DEFAULT_CATEGORIES, start=1):
        Category.objects.get_or_create(
            name=name, defaults={"for_minors": for_minors, "retention_years": years, "order": order * 10}
        )


def add_category(*, by: User, name: str, for_minors: bool, retention_years: int) -> Category:
    from jinguo.care.rules import is_city_care_admin

    if not is_city_care_admin(by):
        raise CareError("只有市级及以上的关爱工作管理员可以维护关爱类别。")
    name = name.strip()
    if not name:
        raise CareError("请填写类别名称。")
    if not 1 <= retention_years <= 30:
        raise CareError("保存年限应在 1 到 30 年之间。")
    with transaction.atomic():
        if Category.objects.filter(name=name).exists():
            raise CareError(f"类别“{name}”已存在。")
        category = Category.objects.create(name=name, for_minors=for_minors, retention_years=retention_years)
        log_action(category, "care.category.added", by=by, org=by.org)
    return category
