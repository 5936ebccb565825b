"""Writes of the campaigns app: notices, receipts (签收) and plans (备案).

Every service checks its preconditions, then changes, saves and writes one audit entry inside
``transaction.atomic()``, and sends in-app notifications after. A precondition that fails raises
``CampaignError`` (message in Chinese, shown to the user) or ``PermissionDenied``.

Signatures (all arguments after the first are keyword-only; ``by`` is the acting user):

    create_campaign(*, issuer, by, title, starts_on, ends_on, plan_deadline, theme="", doc_number="",
                    body="", summary_deadline=None, lines=(), target_units=(), target_kinds=()) -> Campaign
    update_campaign(campaign, *, by, <same fields as create>) -> Campaign          # drafts only
    resolve_targets(*, issuer, units=(), kinds=()) -> list[Org]                   # no write
    check_upload(upload) -> None                                                   # no write
    add_attachment(campaign, *, by, upload) -> Attachment
    publish_campaign(campaign, *, by) -> int                                       # number of targets
    reissue_campaign(parent_campaign, *, by, plan_deadline, summary_deadline=None, title="",
                     target_units=(), target_kinds=()) -> Campaign                 # a draft
    mark_read(target, *, by) -> bool
    sign_campaign(target, *, by) -> bool                                           # False if already signed
    plan_problems(target, *, plan=None, submitting=False, person_in_charge="", contact_phone="", summary="",
                  lines=(), events=()) -> PlanProblems                         # no write
    save_plan(target, *, by, person_in_charge="", contact_phone="", summary="", lines=(), events=(),
              change_note="") -> Plan                                           # events kept by pk
    submit_plan(plan, *, by) -> PlanVersion
    return_plan(plan, *, by, reason) -> None
    approve_plan(plan, *, by) -> None
    approve_plans(plans, *, by) -> int                                             # number approved

``lines`` of a campaign are titles or ``(title, description)`` pairs; ``lines`` of a plan are
``ActivityLine`` objects of its campaign; ``events`` are ``EventSpec``. ``target_kinds`` are
``Org.Kind`` values, resolved at publication to the active units of that kind strictly below the
issuer; ``target_units`` are units strictly below the issuer. A plan that cannot be saved or filed
raises ``PlanInvalid`` (a ``CampaignError``) carrying every problem at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.accounts.rules import has_perm, has_perm_here, holds_perm
from jinguo.accounts.selectors import active_users_of
from jinguo.audit.services import log_action
from jinguo.campaigns.models import (
    ActivityLine,
    Attachment,
    Campaign,
    CampaignTarget,
    Plan,
    PlannedEvent,
    PlanVersion,
    VenueType,
)
from jinguo.campaigns.rules import CAMPAIGN_WRITE, PLAN_REVIEW, PLAN_WRITE, RECEIPT_SIGN
from jinguo.lib.phones import validate_phone
from jinguo.notifications.models import Notification
from jinguo.notifications.services import notify_users
from jinguo.orgs.models import Org

# Extension → (magic-bytes check, label). DOCX and XLSX are ZIP files: the members tell them apart.
ALLOWED_EXTENSIONS = {".pdf", ".docx", ".xlsx", ".jpg", ".jpeg", ".png"}
ALLOWED_TYPES_LABEL = "PDF、Word（.docx）、Excel（.xlsx）、JPG、PNG"


class CampaignError(ValueError):
    """A change that cannot be made; the message is shown to the user."""


LineInput = str | tuple[str, str]


@dataclass(frozen=True)
class EventSpec:
    """One planned event of a plan (a future ledger entry); ``pk`` names the event it changes."""

    title: str
    date: dt.date | None
    place: str
    venue_type: str
    expected_participants: int | None = 0
    line: ActivityLine | None = None
    outside_reason: str = ""  # why the date falls outside the campaign's period
    pk: int | None = None


EVENT_FIELDS = ["line", "title", "date", "place", "venue_type", "expected_participants", "outside_reason"]


@dataclass
class PlanProblems:
    """What is wrong with a plan, all of it: by plan field (``events`` for the list as a whole),
    by event row (the index in the specs given, then the field), and events that cannot be removed."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    events: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    removed: dict[int, str] = field(default_factory=dict)  # planned event pk → why it must stay

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def add_event(self, index: int, name: str, message: str) -> None:
        self.events.setdefault(index, {}).setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.events or self.removed)

    def messages(self) -> list[str]:
        """Every problem as one line, events named by their row (第 n 项, counting from 1)."""
        lines = [m for messages in self.fields.values() for m in messages]
        for index in sorted(self.events):
            lines += [f"第 {index + 1} 项计划活动：{m}" for ms in self.events[index].values() for m in ms]
        return lines + list(self.removed.values())


class PlanInvalid(CampaignError):
    """A plan that cannot be saved or filed as it stands; ``problems`` says where, all at once."""

    def __init__(self, problems: PlanProblems):
        super().__init__("；".join(problems.messages()))
        self.problems = problems


# ---------------------------------------------------------------------------------------------
# Campaigns


def _require(user: User, perm: str, at: Org) -> None:
    if not has_perm(user, perm, at=at):
        raise PermissionDenied


def _clean_lines(lines: Iterable[LineInput]) -> list[tuple[str, str]]:
    cleaned = []
    for line in lines:
        title, description = (line, "") if isinstance(line, str) else line
        title, description = (title or "").strip(), (description or "").strip()
        if title:
            cleaned.append((title[:200], description))
        elif description:
            raise CampaignError("每项活动都要填写活动名称")
    return cleaned


def _check_fields(
    *, title: str, starts_on: dt.date, ends_on: dt.date, plan_deadline, summary_deadline, target_kinds
) -> None:
    if not (title or "").strip():
        raise CampaignError("请填写标题")
    if starts_on and ends_on and ends_on < starts_on:
        raise CampaignError("结束日期不能早于开始日期")
    if plan_deadline and summary_deadline and summary_deadline < plan_deadline:
        raise CampaignError("总结报送截止时间不能早于方案报备截止时间")
    unknown = set(target_kinds) - set(Org.Kind.values)
    if unknown:
        raise CampaignError(f"单位类型“{'、'.join(sorted(unknown))}”无效")


def _check_units(issuer: Org, units: Iterable[Org]) -> list[Org]:
    units = list(units)
    for org in units:
        if org.pk == issuer.pk or not org.is_within(issuer):
            raise CampaignError(f"“{org.name}”不是本单位的下级单位，不能作为发送对象")
        if not org.is_active:
            raise CampaignError(f"“{org.name}”已停用，不能作为发送对象")
    return units


def resolve_targets(*, issuer: Org, units: Iterable[Org] = (), kinds: Iterable[str] = ()) -> list[Org]:
    """The units a campaign goes to: the picked ones plus every active unit of the picked kinds
    strictly below the issuer, once each, in tree order."""
    units = _check_units(issuer, units)
    kinds = list(kinds)
    q = Q(pk__in=[u.pk for u in units])
    if kinds:
        q |= Q(kind__in=kinds)
    return list(Org.objects.filter(issuer.subtree_q(), q, is_active=True).exclude(pk=issuer.pk).order_by("path"))


def selected_units(campaign: Campaign) -> list[Org]:
    """The units picked one by one for a draft (read without the request's scope)."""
    through = Campaign.target_units.through
    return list(Org.objects.filter(pk__in=through.objects.filter(campaign=campaign).values("org_id")))


def _write_lines(campaign: Campaign, lines: list[tuple[str, str]]) -> None:
    ActivityLine.objects.filter(campaign=campaign).delete()
    ActivityLine.objects.bulk_create(
        ActivityLine(campaign=campaign, order=i, title=t, description=d) for i, (t, d) in enumerate(lines)
    )


def create_campaign(
    *,
    issuer: Org,
    by: User,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date,
    plan_deadline: dt.datetime,
    theme: str = "",
    doc_number: str = "",
    body: str = "",
    summary_deadline: dt.datetime | None = None,
    lines: Iterable[LineInput] = (),
    target_units: Iterable[Org] = (),
    target_kinds: Iterable[str] = (),
) -> Campaign:
    """Create a draft campaign with its activity lines and target selection.

    Audit: ``campaigns.campaign.created``. No notification (a draft is seen by the issuer only).
    """
    _require(by, CAMPAIGN_WRITE, issuer)
    target_kinds = sorted(set(target_kinds))
    _check_fields(
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        plan_deadline=plan_deadline,
        summary_deadline=summary_deadline,
        target_kinds=target_kinds,
    )
    cleaned_lines = _clean_lines(lines)
    units = _check_units(issuer, target_units)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            issuer=issuer,
            title=title.strip(),
            theme=theme.strip(),
            doc_number=doc_number.strip(),
            starts_on=starts_on,
            ends_on=ends_on,
            body=body,
            plan_deadline=plan_deadline,
            summary_deadline=summary_deadline,
            target_kinds=target_kinds,
            created_by=by,
        )
        campaign.target_units.set(units)
        _write_lines(campaign, cleaned_lines)
        log_action(
            campaign,
            "campaigns.campaign.created",
            by=by,
            org=issuer,
            to_state=str(Campaign.Status.DRAFT.label),
            data={"title": campaign.title, "lines": len(cleaned_lines)},
        )
    return campaign


def update_campaign(
    campaign: Campaign,
    *,
    by: User,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date,
    plan_deadline: dt.datetime,
    theme: str = "",
    doc_number: str = "",
    body: str = "",
    summary_deadline: dt.datetime | None = None,
    lines: Iterable[LineInput] = (),
    target_units: Iterable[Org] = (),
    target_kinds: Iterable[str] = (),
) -> Campaign:
    """Change a draft: fields, lines (replaced) and target selection (replaced).

    Audit: ``campaigns.campaign.updated``. Published campaigns cannot change (targets are frozen).
    """
    _require(by, CAMPAIGN_WRITE, campaign.issuer)
    if campaign.status != Campaign.Status.DRAFT:
        raise CampaignError("活动已发布，不能再修改内容或发送对象")
    target_kinds = sorted(set(target_kinds))
    _check_fields(
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        plan_deadline=plan_deadline,
        summary_deadline=summary_deadline,
        target_kinds=target_kinds,
    )
    cleaned_lines = _clean_lines(lines)
    units = _check_units(campaign.issuer, target_units)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != Campaign.Status.DRAFT:
            raise CampaignError("活动已发布，不能再修改内容或发送对象")
        campaign.title = title.strip()
        campaign.theme = theme.strip()
        campaign.doc_number = doc_number.strip()
        campaign.starts_on = starts_on
        campaign.ends_on = ends_on
        campaign.body = body
        campaign.plan_deadline = plan_deadline
        campaign.summary_deadline = summary_deadline
        campaign.target_kinds = target_kinds
        campaign.save()
        campaign.target_units.set(units)
        _write_lines(campaign, cleaned_lines)
        log_action(
            campaign,
            "campaigns.campaign.updated",
            by=by,
            org=campaign.issuer,
            data={"title": campaign.title, "lines": len(cleaned_lines)},
        )
    return campaign


# ---------------------------------------------------------------------------------------------
# Attachments


def _looks_like(head: bytes, upload: UploadedFile, ext: str) -> bool:
    if ext == ".pdf":
        return head.startswith(b"%PDF-")
    if ext in (".jpg", ".jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if ext == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext in (".docx", ".xlsx"):
        if not head.startswith(b"PK\x03\x04"):
            return False
        member = "word/document.xml" if ext == ".docx" else "xl/workbook.xml"
        try:
            upload.seek(0)
            with zipfile.ZipFile(upload) as archive:
                return member in archive.namelist()
        except zipfile.BadZipFile:
            return False
        finally:
            upload.seek(0)
    return False


def check_upload(upload: UploadedFile) -> None:
    """Raise ``CampaignError`` unless the file is an allowed type (by extension AND content)
    and no larger than ``settings.ATTACHMENT_MAX_BYTES``."""
    name = PurePath(upload.name or "").name
    ext = PurePath(name).suffix.lower()
    if ext not in ALLOWED_EXTENSIONS:
        raise CampaignError(f"“{name}”的文件类型不允许上传，只能上传 {ALLOWED_TYPES_LABEL} 文件")
    if upload.size is None or upload.size == 0:
        raise CampaignError(f"“{name}”是空文件")
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise CampaignError(f"“{name}”超过大小上限（最大 {limit / 1024 / 1024:.0f} MB）")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not _looks_like(head, upload, ext):
        raise CampaignError(f"“{name}”的内容与扩展名不符，文件可能已损坏或被改名")


def add_attachment(campaign: Campaign, *, by: User, upload: UploadedFile) -> Attachment:
    """Store one file for a campaign (drafts only). Stored under a random name outside any
    public URL; downloads go through the scoped view. Audit: ``campaigns.attachment.added``."""
    _require(by, CAMPAIGN_WRITE, campaign.issuer)
    if campaign.status != Campaign.Status.DRAFT:
        raise CampaignError("活动已发布，不能再添加附件")
    check_upload(upload)
    original = PurePath(upload.name).name[:200]
    ext = PurePath(original).suffix.lower()
    with transaction.atomic():
        attachment = Attachment(campaign=campaign, original_name=original, size=upload.size, uploaded_by=by)
        attachment.file.save(f"{uuid.uuid4().hex}{ext}", upload, save=False)
        attachment.save()
        log_action(
            campaign,
            "campaigns.attachment.added",
            by=by,
            org=campaign.issuer,
            data={"attachment": attachment.pk, "name": original, "size": upload.size},
        )
    return attachment


# ---------------------------------------------------------------------------------------------
# Publication and reissue


def _users_of(orgs: Iterable[Org]):
    return active_users_of(orgs)


def publish_campaign(campaign: Campaign, *, by: User) -> int:
    """Publish a draft: resolve its target selection into frozen receipts (CampaignTarget rows).

    Needs at least one activity line, one target and both deadlines, the plan deadline in the
    future. Audit: ``campaigns.campaign.published``. Notifies every active user of every target
    unit (``CAMPAIGN_PUBLISHED``). Returns the number of targets.
    """
    _require(by, CAMPAIGN_WRITE, campaign.issuer)
    if campaign.status != Campaign.Status.DRAFT:
        raise CampaignError("活动已经发布过了")
    if not ActivityLine.objects.filter(campaign=campaign).exists():
        raise CampaignError("请至少填写一项活动内容后再发布")
    if campaign.plan_deadline is None:
        raise CampaignError("请先填写方案报备截止时间")
    if campaign.summary_deadline is None:
        raise CampaignError("请先填写总结报送截止时间")
    if campaign.plan_deadline <= timezone.now():
        raise CampaignError("方案报备截止时间已过，请修改后再发布")
    orgs = resolve_targets(issuer=campaign.issuer, units=selected_units(campaign), kinds=campaign.target_kinds)
    if not orgs:
        raise CampaignError("请至少选择一个发送对象（单位）后再发布")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != Campaign.Status.DRAFT:
            raise CampaignError("活动已经发布过了")
        CampaignTarget.objects.bulk_create(
            [CampaignTarget(campaign=campaign, org=org) for org in orgs], batch_size=1000
        )
        campaign.status = Campaign.Status.PUBLISHED
        campaign.published_at = timezone.now()
        campaign.published_by = by
        campaign.save(update_fields=["status", "published_at", "published_by", "updated_at"])
        log_action(
            campaign,
            "campaigns.campaign.published",
            by=by,
            org=campaign.issuer,
            from_state=str(Campaign.Status.DRAFT.label),
            to_state=str(Campaign.Status.PUBLISHED.label),
            data={"targets": len(orgs)},
        )
    notify_users(
        users=_users_of(orgs),
        kind=Notification.Kind.CAMPAIGN_PUBLISHED,
        title=f"{campaign.issuer.display_name}发来通知：{campaign.title}",
        url=reverse("campaigns:notice", args=[campaign.pk]),
        body=f"请签收，并于 {timezone.localtime(campaign.plan_deadline):%Y-%m-%d %H:%M} 前报备活动方案。",
    )
    return len(orgs)


def reissue_campaign(
    parent_campaign: Campaign,
    *,
    by: User,
    plan_deadline: dt.datetime,
    summary_deadline: dt.datetime | None = None,
    title: str = "",
    target_units: Iterable[Org] = (),
    target_kinds: Iterable[str] = (),
) -> Campaign:
    """A unit that received ``parent_campaign`` passes it on to its own units below: a new draft
    campaign issued by ``by.org`` with ``parent`` set, the notice, lines and attachments copied.

    The new draft is published with ``publish_campaign`` like any other. Audit:
    ``campaigns.campaign.reissued`` on the new campaign.
    """
    issuer = by.org
    if issuer is None:
        raise PermissionDenied
    _require(by, CAMPAIGN_WRITE, issuer)
    if parent_campaign.status == Campaign.Status.DRAFT:
        raise CampaignError("该活动尚未发布，不能转发")
    if not CampaignTarget.objects.filter(campaign=parent_campaign, org=issuer).exists():
        raise CampaignError("本单位不是该活动的发送对象，不能转发")
    if Campaign.objects.filter(parent=parent_campaign, issuer=issuer).exists():
        raise CampaignError("本单位已转发过该活动，请在“发布的活动”中继续编辑")
    summary_deadline = summary_deadline or parent_campaign.summary_deadline
    target_kinds = sorted(set(target_kinds))
    _check_fields(
        title=title or parent_campaign.title,
        starts_on=parent_campaign.starts_on,
        ends_on=parent_campaign.ends_on,
        plan_deadline=plan_deadline,
        summary_deadline=summary_deadline,
        target_kinds=target_kinds,
    )
    units = _check_units(issuer, target_units)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            issuer=issuer,
            parent=parent_campaign,
            title=(title or parent_campaign.title).strip(),
            theme=parent_campaign.theme,
            starts_on=parent_campaign.starts_on,
            ends_on=parent_campaign.ends_on,
            body=parent_campaign.body,
            plan_deadline=plan_deadline,
            summary_deadline=summary_deadline,
            target_kinds=target_kinds,
            created_by=by,
        )
        campaign.target_units.set(units)
        parent_lines = ActivityLine.objects.filter(campaign=parent_campaign)
        _write_lines(campaign, [(line.title, line.description) for line in parent_lines])
        # The files are immutable once stored, so the copies share them.
        Attachment.objects.bulk_create(
            Attachment(campaign=campaign, file=a.file.name, original_name=a.original_name, size=a.size, uploaded_by=by)
            for a in Attachment.objects.filter(campaign=parent_campaign)
        )
        log_action(
            campaign,
            "campaigns.campaign.reissued",
            by=by,
            org=issuer,
            to_state=str(Campaign.Status.DRAFT.label),
            data={"parent": parent_campaign.pk, "parent_title": parent_campaign.title},
        )
    return campaign


# ---------------------------------------------------------------------------------------------
# Receipts


def mark_read(target: CampaignTarget, *, by: User) -> bool:
    """Record the first time a user of the target unit opens the notice. Only the first open is
    written (audit ``campaigns.receipt.read``); returns True then."""
    if by.org_id != target.org_id or target.first_read_at is not None:
        return False
    now = timezone.now()
    with transaction.atomic():
        updated = CampaignTarget.objects.filter(pk=target.pk, first_read_at__isnull=True).update(first_read_at=now)
        if not updated:
            return False
        target.first_read_at = now
        log_action(target, "campaigns.receipt.read", by=by, org=target.org)
    return True


def sign_campaign(target: CampaignTarget, *, by: User) -> bool:
    """Sign for (签收) the notice on behalf of the target unit: who and when.

    Idempotent: signing again changes nothing and returns False. Only users of that unit with
    ``campaigns.receipts:sign``. Audit: ``campaigns.receipt.signed``.
    """
    if not has_perm_here(by, RECEIPT_SIGN, at=target.org):
        raise PermissionDenied
    if target.signed_at is not None:
        return False
    now = timezone.now()
    with transaction.atomic():
        updated = CampaignTarget.objects.filter(pk=target.pk, signed_at__isnull=True).update(
            signed_at=now, signed_by=by
        )
        if not updated:
            target.refresh_from_db()
            return False
        CampaignTarget.objects.filter(pk=target.pk, first_read_at__isnull=True).update(first_read_at=now)
        target.signed_at, target.signed_by = now, by
        target.first_read_at = target.first_read_at or now
        log_action(target, "campaigns.receipt.signed", by=by, org=target.org, from_state="未签收", to_state="已签收")
    return True


# ---------------------------------------------------------------------------------------------
# Plans


def _period_label(campaign: Campaign) -> str:
    return f"{campaign.starts_on:%Y-%m-%d} 至 {campaign.ends_on:%Y-%m-%d}"


def _check_event(problems: PlanProblems, index: int, event: EventSpec, campaign: Campaign, known: set[int]) -> None:
    def add(name: str, message: str) -> None:
        problems.add_event(index, name, message)

    if event.pk is not None and event.pk not in known:
        add("title", "这项计划活动已不在方案中，请刷新页面后重新填写")
    if not (event.title or "").strip():
        add("title", "请填写活动名称")
    if event.date is None:
        add("date", "请填写日期")
    elif not (campaign.starts_on <= event.date <= campaign.ends_on) and not (event.outside_reason or "").strip():
        add("date", f"不在活动期间（{_period_label(campaign)}）内：请改日期，或填写不在活动期间的原因")
    if not (event.place or "").strip():
        add("place", "请填写地点")
    if event.venue_type not in VenueType.values:
        add("venue_type", "请选择场所类型")
    if event.expected_participants is None or event.expected_participants < 0:
        add("expected_participants", "预计参加人数不能为负数")
    if event.line is not None and event.line.campaign_id != campaign.pk:
        add("line", "所属活动不属于本通知")


def plan_problems(
    target: CampaignTarget,
    *,
    plan: Plan | None = None,
    submitting: bool = False,
    person_in_charge: str = "",
    contact_phone: str = "",
    summary: str = "",
    lines: Iterable[ActivityLine] = (),
    events: Sequence[EventSpec] = (),
) -> PlanProblems:
    """Everything wrong with this plan content, all at once (no write).

    The one definition of what a plan may hold: a valid phone when given; events with a title,
    date, place and venue type, dated inside the campaign's period unless a reason says why not;
    no removal of an event already recorded in the ledger; not empty. ``submitting`` adds what
    filing needs: a person in charge, a phone and at least one event. ``plan`` is the unit's
    existing plan, whose events the specs with a ``pk`` change.
    """
    campaign = target.campaign
    problems = PlanProblems()
    lines, events = list(lines), list(events)
    if any(line.campaign_id != campaign.pk for line in lines):
        problems.add("lines", "所选活动不属于本通知")
    if not person_in_charge.strip() and submitting:
        problems.add("person_in_charge", "报送前请填写负责人")
    if contact_phone.strip():
        try:
            validate_phone(contact_phone)
        except ValidationError as exc:
            problems.add("contact_phone", exc.messages[0])
    elif submitting:
        problems.add("contact_phone", "报送前请填写联系电话")
    known = set(PlannedEvent.objects.filter(plan=plan).values_list("pk", flat=True)) if plan is not None else set()
    seen: set[int] = set()
    for index, event in enumerate(events):
        if event.pk is not None and event.pk in seen:
            problems.add_event(index, "title", "这项计划活动重复出现，请刷新页面后重新填写")
        seen.add(event.pk)
        _check_event(problems, index, event, campaign, known)
    # A ledger entry points at its planned event (activities.Activity.planned_event): removing the
    # event would orphan the entry and offer 记入台账 for its replacement, counting the event twice.
    for event in PlannedEvent.objects.filter(pk__in=known - seen, activity__isnull=False):
        problems.removed[event.pk] = f"计划活动“{event.title}”（{event.date:%Y-%m-%d}）已记入台账，不能删除"
    if not events:
        if submitting:
            problems.add("events", "报送前请至少填写一项计划活动")
        elif not lines and not summary.strip():
            problems.add("events", "方案还是空的：请至少选择承担的活动、填写方案说明或一项计划活动，再保存草稿")
    return problems


def save_plan(
    target: CampaignTarget,
    *,
    by: User,
    person_in_charge: str = "",
    contact_phone: str = "",
    summary: str = "",
    lines: Iterable[ActivityLine] = (),
    events: Sequence[EventSpec] = (),
    change_note: str = "",
) -> Plan:
    """Create or change the unit's plan while it is a draft or returned.

    Events keep their identity across versions: a spec with a ``pk`` changes that event in place,
    one without is added, and an event no spec names is removed — unless it is already recorded in
    the ledger, which refuses the whole save. Everything ``plan_problems`` finds refuses it too
    (``PlanInvalid``, nothing saved). ``change_note`` answers a return reason; ``submit_plan``
    moves it onto the next version.
    A unit that works on its plan has evidently received the notice: if it has not signed yet,
    this signs for it too (report once). Audit: ``campaigns.plan.saved`` (and the signature's).
    """
    if not has_perm_here(by, PLAN_WRITE, at=target.org):
        raise PermissionDenied
    campaign = target.campaign
    if campaign.status == Campaign.Status.DRAFT:
        raise CampaignError("该活动尚未发布")
    lines, events = list(lines), list(events)
    existing = Plan.objects.filter(target=target).first()
    if existing is not None and not existing.is_editable:
        raise CampaignError(f"方案{existing.get_status_display()}，不能修改")
    content = {
        "person_in_charge": person_in_charge,
        "contact_phone": contact_phone,
        "summary": summary,
        "lines": lines,
        "events": events,
    }
    problems = plan_problems(target, plan=existing, **content)
    if problems:
        raise PlanInvalid(problems)
    contact_phone = validate_phone(contact_phone) if contact_phone.strip() else ""
    with transaction.atomic():
        if target.signed_at is None and has_perm_here(by, RECEIPT_SIGN, at=target.org):
            sign_campaign(target, by=by)
        plan, _created = Plan.objects.select_for_update().get_or_create(target=target)
        if not plan.is_editable:
            raise CampaignError(f"方案{plan.get_status_display()}，不能修改")
        # Under the lock on the plan's events, so that a ledger entry made meanwhile still counts.
        current = {e.pk: e for e in PlannedEvent.objects.select_for_update().filter(plan=plan)}
        problems = plan_problems(target, plan=plan, **content)
        if problems:
            raise PlanInvalid(problems)
        plan.person_in_charge = person_in_charge.strip()[:50]
        plan.contact_phone = contact_phone
        plan.summary = summary
        plan.change_note = change_note.strip()
        plan.save()
        plan.lines.set(lines)
        kept, added = [], []
        for e in events:
            event = current[e.pk] if e.pk is not None else PlannedEvent(plan=plan)
            event.line = e.line
            event.title = e.title.strip()
            event.date = e.date
            event.place = e.place.strip()
            event.venue_type = e.venue_type
            event.expected_participants = e.expected_participants
            event.outside_reason = (e.outside_reason or "").strip()[:200]
            (kept if e.pk is not None else added).append(event)
        removed = set(current) - {e.pk for e in kept}
        PlannedEvent.objects.filter(pk__in=removed).delete()
        PlannedEvent.objects.bulk_update(kept, EVENT_FIELDS)
        PlannedEvent.objects.bulk_create(added)
        log_action(
            plan,
            "campaigns.plan.saved",
            by=by,
            org=target.org,
            to_state=plan.get_status_display(),
            data={"events": len(events), "added": len(added), "changed": len(kept), "removed": len(removed)},
        )
    target.plan = plan
    return plan


def _plan_line_ids(plan: Plan) -> QuerySet:
    return Plan.lines.through.objects.filter(plan=plan).values("activityline_id")


def _spec_of(event: PlannedEvent) -> EventSpec:
    return EventSpec(**{name: getattr(event, name) for name in EVENT_FIELDS}, pk=event.pk)


def _snapshot(plan: Plan) -> dict:
    plan_line_ids = _plan_line_ids(plan)
    return {
        "person_in_charge": plan.person_in_charge,
        "contact_phone": plan.contact_phone,
        "summary": plan.summary,
        "lines": [line.title for line in ActivityLine.objects.filter(pk__in=plan_line_ids).order_by("order", "id")],
        "events": [
            {
                "title": e.title,
                "date": e.date.isoformat(),
                "place": e.place,
                "venue_type": e.venue_type,
                "venue_type_label": e.get_venue_type_display(),
                "expected_participants": e.expected_participants,
                "line": e.line.title if e.line else "",
                "outside_reason": e.outside_reason,
            }
            for e in PlannedEvent.objects.filter(plan=plan).select_related("line")
        ],
    }


def _reviewers_of(org: Org) -> list[User]:
    return [u for u in active_users_of([org]) if holds_perm(u, PLAN_REVIEW)]


def _liaisons_of(org: Org):
    return active_users_of([org]).filter(is_liaison=True)


def submit_plan(plan: Plan, *, by: User) -> PlanVersion:
    """File (报送) a draft or returned plan: it becomes 已报送 and a frozen copy is kept as the
    next PlanVersion, with the plan's 修改说明 (moved, not copied). Refused with ``PlanInvalid``
    unless ``plan_problems(submitting=True)`` finds nothing (a person in charge, a valid phone, at
    least one planned event, dates inside the period or explained).
    Audit: ``campaigns.plan.submitted``. Notifies the issuer's reviewers (``PLAN_SUBMITTED``)."""
    target = plan.target
    if not has_perm_here(by, PLAN_WRITE, at=target.org):
        raise PermissionDenied
    if not plan.is_editable:
        raise CampaignError(f"方案{plan.get_status_display()}，不能再次报送")
    problems = plan_problems(
        target,
        plan=plan,
        submitting=True,
        person_in_charge=plan.person_in_charge,
        contact_phone=plan.contact_phone,
        summary=plan.summary,
        lines=ActivityLine.objects.filter(pk__in=_plan_line_ids(plan)),
        events=[_spec_of(e) for e in PlannedEvent.objects.filter(plan=plan).select_related("line")],
    )
    if problems:
        raise PlanInvalid(problems)
    now = timezone.now()
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        if not locked.is_editable:
            raise CampaignError(f"方案{locked.get_status_display()}，不能再次报送")
        from_state = plan.get_status_display()
        plan.version = locked.version + 1
        plan.status = Plan.Status.SUBMITTED
        plan.submitted_at = now
        plan.first_submitted_at = locked.first_submitted_at or now
        change_note, plan.change_note = locked.change_note, ""
        plan.save(
            update_fields=["version", "status", "submitted_at", "first_submitted_at", "change_note", "updated_at"]
        )
        version = PlanVersion.objects.create(
            plan=plan,
            number=plan.version,
            snapshot=_snapshot(plan),
            submitted_by=by,
            submitted_at=now,
            change_note=change_note,
        )
        log_action(
            plan,
            "campaigns.plan.submitted",
            by=by,
            org=target.org,
            from_state=from_state,
            to_state=plan.get_status_display(),
            data={"version": plan.version},
        )
    campaign = target.campaign
    notify_users(
        users=_reviewers_of(campaign.issuer),
        kind=Notification.Kind.PLAN_SUBMITTED,
        title=f"{target.org.display_name}报送了方案（第 {plan.version} 版）：{campaign.title}",
        url=reverse("campaigns:plan_detail", args=[plan.pk]),
    )
    return version


def _review(plan: Plan, *, by: User, outcome: str, reason: str = "") -> None:
    """Write a review outcome on the plan and its latest version (inside a transaction)."""
    now = timezone.now()
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    if locked.status != Plan.Status.SUBMITTED:
        raise CampaignError(f"方案{locked.get_status_display()}，不是待审核状态")
    from_state = plan.get_status_display()
    plan.status = outcome
    plan.reviewed_at = now
    plan.reviewed_by = by
    plan.return_reason = reason
    plan.save(update_fields=["status", "reviewed_at", "reviewed_by", "return_reason", "updated_at"])
    PlanVersion.objects.filter(plan=plan, number=plan.version).update(
        outcome=outcome, reviewed_by=by, reviewed_at=now, reason=reason
    )
    action = "campaigns.plan.returned" if outcome == Plan.Status.RETURNED else "campaigns.plan.approved"
    log_action(
        plan,
        action,
        by=by,
        org=plan.target.org,
        from_state=from_state,
        to_state=plan.get_status_display(),
        reason=reason,
        data={"version": plan.version},
    )


def return_plan(plan: Plan, *, by: User, reason: str) -> None:
    """Send a submitted plan back (退回修改) with a reason. Audit: ``campaigns.plan.returned``.
    Notifies the unit's liaisons (``PLAN_RETURNED``)."""
    _require(by, PLAN_REVIEW, plan.target.campaign.issuer)
    reason = (reason or "").strip()
    if not reason:
        raise CampaignError("请填写退回原因")
    with transaction.atomic():
        _review(plan, by=by, outcome=Plan.Status.RETURNED, reason=reason)
    notify_users(
        users=_liaisons_of(plan.target.org),
        kind=Notification.Kind.PLAN_RETURNED,
        title=f"方案被退回修改：{plan.target.campaign.title}",
        body=f"退回原因：{reason}",
        url=reverse("campaigns:plan_detail", args=[plan.pk]),
    )


def approve_plan(plan: Plan, *, by: User) -> None:
    """Accept a submitted plan for the record (已备案). Audit: ``campaigns.plan.approved``.
    Notifies the unit's liaisons (``PLAN_APPROVED``)."""
    _require(by, PLAN_REVIEW, plan.target.campaign.issuer)
    with transaction.atomic():
        _review(plan, by=by, outcome=Plan.Status.APPROVED)
    notify_users(
        users=_liaisons_of(plan.target.org),
        kind=Notification.Kind.PLAN_APPROVED,
        title=f"方案已备案：{plan.target.campaign.title}",
        url=reverse("campaigns:plan_detail", args=[plan.pk]),
    )


def approve_plans(plans: Iterable[Plan], *, by: User) -> int:
    """Approve several plans at once: all or nothing. Every plan must be reviewable by ``by`` and
    submitted. One audit entry per plan; notifications after. Returns the number approved."""
    plans = list(plans)
    for plan in plans:
        _require(by, PLAN_REVIEW, plan.target.campaign.issuer)
        if plan.status != Plan.Status.SUBMITTED:
            raise CampaignError(f"{plan.target.org.name}的方案{plan.get_status_display()}，不是待审核状态")
    with transaction.atomic():
        for plan in plans:
            _review(plan, by=by, outcome=Plan.Status.APPROVED)
    for plan in plans:
        notify_users(
            users=_liaisons_of(plan.target.org),
            kind=Notification.Kind.PLAN_APPROVED,
            title=f"方案已备案：{plan.target.campaign.title}",
            url=reverse("campaigns:plan_detail", args=[plan.pk]),
        )
    return len(plans)
