"""Writes of the activity ledger (台账): events, photos, symposium rosters and minutes, and needs.

Every service checks its preconditions, then changes, saves and writes one audit entry inside
``transaction.atomic()``. A precondition that fails raises ``ActivityError`` (message in Chinese,
shown to the user) or ``PermissionDenied``. ``by`` is the acting user; every argument after the
first is keyword-only.

    record_activity(*, org, by, **fields) -> Activity                  # fields: see ActivityFields
    update_activity(activity, *, by, **fields) -> Activity
    record_from_planned_event(event, *, by, **fields) -> Activity      # from a filed plan, linked to it
    void_activity(activity, *, by, reason) -> None                     # 作废: leaves every count
    restore_activity(activity, *, by) -> None                          # admins only: counts again
    check_photo(upload) -> str                                         # no write; the format name
    add_photo(activity, *, by, upload) -> ActivityPhoto                # JPEG/PNG/WebP, EXIF stripped
    delete_photo(photo, *, by) -> None
    add_attendee(activity, *, by, name, category, affiliation="") -> Attendee   # symposiums only
    void_attendee(attendee, *, by, reason) -> None
    restore_attendee(attendee, *, by) -> None                          # admins only
    save_minutes(activity, *, by, minutes) -> None                     # symposiums only
    raise_need(activity, *, by, org, category, description, raised_by_attendee=None, raised_by_name="",
               raised_by_phone="", due_date=None) -> Need              # symposiums only
    void_need(need, *, by, reason) -> None
    restore_need(need, *, by) -> None                                  # admins only
    start_need(need, *, by) -> None                                    # 登记 → 办理中
    add_need_note(need, *, by, note) -> NeedNote
    resolve_need(need, *, by, note) -> None                            # → 已办结
    close_need_unresolvable(need, *, by, reason) -> None               # → 无法解决, reason required

``fields`` of an activity: title, date, place, venue_type, format, speaker_type, laws (an iterable
of ``LAW_FIELDS`` names), participants_total, participants_women, participants_minors,
online_reach, account, minutes, campaign, line. An event is recorded once held: its date may not
be after today.

A voided (作废) record stays listed, marked 已作废, with its reason in the history; it counts nowhere
(``Voidable.COUNTED``) and cannot be changed until an administrator restores it
(``LEDGER_RESTORE``). Voiding and restoring an entry move its figures out of and back into the
rollups in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.accounts.rules import has_perm
from jinguo.activities.models import LAW_FIELDS, Activity, ActivityPhoto, Attendee, Need, NeedNote
from jinguo.activities.rollups import apply_activity_changes, apply_values, rollup_values
from jinguo.activities.rules import ACTIVITY_WRITE, LEDGER_RESTORE, NEED_WRITE
from jinguo.audit.services import log_action
from jinguo.campaigns.models import ActivityLine, Campaign, CampaignTarget, PlannedEvent, VenueType
from jinguo.lib import images
from jinguo.lib.phones import validate_phone
from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import Org

# Words in a line's title that tell the likely format of an event recorded from the plan.
FORMAT_HINTS = [
    ("座谈", Activity.Format.SYMPOSIUM),
    ("演讲", Activity.Format.SPEECH),
    ("竞赛", Activity.Format.QUIZ),
    ("知识", Activity.Format.QUIZ),
    ("文艺", Activity.Format.SHOW),
    ("展演", Activity.Format.SHOW),
    ("走访", Activity.Format.VISIT),
    ("慰问", Activity.Format.VISIT),
    ("培训", Activity.Format.TRAINING),
    ("故事", Activity.Format.STORY),
    ("宣讲", Activity.Format.LECTURE),
]


class ActivityError(ValueError):
    """A change that cannot be made; the message is shown to the user."""


FIELD_DEFAULTS: dict = {
    "format": Activity.Format.OTHER,
    "speaker_type": "",
    "laws": (),
    "participants_total": 0,
    "participants_women": 0,
    "participants_minors": 0,
    "online_reach": 0,
    "account": "",
    "minutes": "",
    "campaign": None,
    "line": None,
}
REQUIRED_FIELDS = ("title", "date", "place", "venue_type")
FUTURE_DATE_ERROR = "活动日期 {date:%Y-%m-%d} 晚于今天：台账只记录已经开展的活动，活动开展后再记入"
VOIDED_ERROR = "该台账已作废，不能再修改；如需恢复，请联系管理员"


def _require(user: User, perm: str, at: Org) -> None:
    if not has_perm(user, perm, at=at):
        raise PermissionDenied


def campaign_reaches(campaign: Campaign, org: Org) -> bool:
    """May ``org``'s events count for ``campaign``? It was sent to the unit or a unit above it, or was
    issued in or sent into the unit's subtree."""
    if campaign.status == Campaign.Status.DRAFT:
        return False
    paths = org.ancestor_paths()
    with scopes_disabled():  # a campaign sent to a unit above reaches the units below it, beyond the viewer's subtree
        return Campaign.objects.filter(Campaign.scope_q(org.path), pk=campaign.pk).exists() or (
            CampaignTarget.objects.filter(campaign=campaign, org__path__in=paths).exists()
        )


def clean_fields(org: Org, raw: dict) -> dict:
    unknown = set(raw) - set(FIELD_DEFAULTS) - set(REQUIRED_FIELDS)
    if unknown:
        raise TypeError(f"unknown activity fields: {sorted(unknown)}")
    missing = [f for f in REQUIRED_FIELDS if f not in raw]
    if missing:
        raise TypeError(f"missing activity fields: {missing}")
    data = {**FIELD_DEFAULTS, **raw}
    data["title"] = (data["title"] or "").strip()
    data["place"] = (data["place"] or "").strip()
    if not data["title"]:
        raise ActivityError("请填写活动名称")
    if not isinstance(data["date"], dt.date):
        raise ActivityError("请填写活动日期")
    if data["date"] > timezone.localdate():
        raise ActivityError(FUTURE_DATE_ERROR.format(date=data["date"]))
    if not data["place"]:
        raise ActivityError("请填写活动地点")
    if data["venue_type"] not in VenueType.values:
        raise ActivityError("请选择场所类型")
    if data["format"] not in Activity.Format.values:
        raise ActivityError("请选择活动形式")
    if data["speaker_type"] and data["speaker_type"] not in Activity.SpeakerType.values:
        raise ActivityError("宣讲人类型无效")
    laws = set(data.pop("laws") or ())
    if laws - set(LAW_FIELDS):
        raise ActivityError("宣讲的法律无效")
    for field in LAW_FIELDS:
        data[field] = field in laws
    for field in ("participants_total", "participants_women", "participants_minors", "online_reach"):
        value = data[field] or 0
        if not isinstance(value, int) or value < 0:
            raise ActivityError("人数必须是不小于 0 的整数")
        data[field] = value
    if data["participants_women"] > data["participants_total"]:
        raise ActivityError("妇女人数不能多于参加总人数")
    if data["participants_minors"] > data["participants_total"]:
        raise ActivityError("未成年人数不能多于参加总人数")
    campaign, line = data["campaign"], data["line"]
    if line is not None:
        if campaign is None:
            data["campaign"] = campaign = line.campaign
        elif line.campaign_id != campaign.pk:
            raise ActivityError("所选活动类别不属于所选活动通知")
    if campaign is not None and not campaign_reaches(campaign, org):
        raise ActivityError(f"活动通知“{campaign.title}”没有发给{org.name}，不能记入该通知的台账")
    data["account"] = (data["account"] or "").strip()
    data["minutes"] = (data["minutes"] or "").strip()
    return data


def record_activity(*, org: Org, by: User, **fields) -> Activity:
    """Add one event to ``org``'s ledger. Audit: ``activities.activity.recorded``."""
    _require(by, ACTIVITY_WRITE, org)
    if not org.is_active:
        raise ActivityError(f"“{org.name}”已停用，不能再记录活动")
    data = clean_fields(org, fields)
    with transaction.atomic():
        activity = Activity.objects.create(org=org, created_by=by, **data)
        apply_activity_changes([(activity, 1)])
        log_action(activity, "activities.activity.recorded", by=by, org=org, data={"title": activity.title})
    return activity


def _require_counted(activity: Activity) -> None:
    if activity.is_voided:
        raise ActivityError(VOIDED_ERROR)


def update_activity(activity: Activity, *, by: User, **fields) -> Activity:
    """Change a ledger entry (all fields given). Audit: ``activities.activity.updated`` with the changed fields."""
    _require(by, ACTIVITY_WRITE, activity.org)
    _require_counted(activity)
    data = clean_fields(activity.org, fields)
    if activity.planned_event_id and data["campaign"] is None:
        data["campaign"] = activity.campaign
    changed = []
    with transaction.atomic():
        # The stored figures (not the caller's copy) leave the rollups; the new ones join them.
        stored = Activity.objects.select_for_update().select_related("org").get(pk=activity.pk)
        _require_counted(stored)
        before = rollup_values(stored)
        for name, value in data.items():
            old = getattr(activity, name)
            if (old.pk if isinstance(old, Campaign | ActivityLine) else old) != (
                value.pk if isinstance(value, Campaign | ActivityLine) else value
            ):
                changed.append(name)
            setattr(activity, name, value)
        activity.save()
        if stored.campaign_id != activity.campaign_id:
            Need.objects.filter(activity=activity).update(campaign_id=activity.campaign_id)
        apply_values([(before, -1), (rollup_values(activity), 1)])
        log_action(activity, "activities.activity.updated", by=by, org=activity.org, data={"changed": changed})
    return activity


def guess_format(title: str) -> str:
    """The likely format of an event from words in its (and its line's) title."""
    for word, fmt in FORMAT_HINTS:
        if word in title:
            return fmt
    return Activity.Format.OTHER


def planned_event_prefill(event: PlannedEvent) -> dict:
    """What the ledger form starts from for a planned event: its title, date, place, venue type,
    line and campaign, and a guessed format. Not the headcount: the expected participants are a
    hint, the actual count is typed by the user."""
    line = event.line if event.line_id else None
    return {
        "title": event.title,
        "date": event.date,
        "place": event.place,
        "venue_type": event.venue_type,
        "format": guess_format(f"{line.title if line else ''} {event.title}"),
        "campaign": event.plan.target.campaign,
        "line": line,
    }


def record_from_planned_event(event: PlannedEvent, *, by: User, **fields) -> Activity:
    """Record a planned event of a filed plan as held, linked to it (report once): ``fields`` as for
    ``record_activity``, typically the form pre-filled by ``planned_event_prefill`` and completed by
    the user; the unit and the campaign are the plan's. One entry per planned event, voided or not
    (a voided one is restored, not recorded again). Audit: ``activities.activity.recorded`` with
    ``planned_event``.
    """
    plan = event.plan
    org = plan.target.org
    _require(by, ACTIVITY_WRITE, org)
    if not plan.is_filed:
        raise ActivityError("方案报送后，才能把计划活动记入台账")
    if Activity.objects.filter(planned_event=event).exists():
        raise ActivityError("该计划活动已经记入台账")
    data = clean_fields(org, {**fields, "campaign": plan.target.campaign})
    try:
        with transaction.atomic():
            PlannedEvent.objects.select_for_update().get(pk=event.pk)
            if Activity.objects.filter(planned_event=event).exists():
                raise ActivityError("该计划活动已经记入台账")
            activity = Activity.objects.create(org=org, planned_event=event, created_by=by, **data)
            apply_activity_changes([(activity, 1)])
            log_action(
                activity,
                "activities.activity.recorded",
                by=by,
                org=org,
                data={"title": activity.title, "planned_event": event.pk},
            )
    except IntegrityError as exc:  # two saves at once: the one-to-one lets only one through
        raise ActivityError("该计划活动已经记入台账") from exc
    return activity


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ActivityError("请填写作废原因")
    return reason


def _mark_voided(record, *, by: User, reason: str) -> None:
    record.voided_at, record.voided_by, record.void_reason = timezone.now(), by, reason
    record.save(update_fields=["voided_at", "voided_by", "void_reason"])


def _mark_restored(record) -> None:
    record.voided_at, record.voided_by, record.void_reason = None, None, ""
    record.save(update_fields=["voided_at", "voided_by", "void_reason"])


def void_activity(activity: Activity, *, by: User, reason: str) -> None:
    """作废 a ledger entry: it stays listed (已作废) and leaves every count; its figures leave the
    rollups. A symposium's needs are voided first (they are counted on their own). A planned event
    keeps its link to a voided entry. Audit: ``activities.activity.voided`` with the reason."""
    _require(by, ACTIVITY_WRITE, activity.org)
    reason = _clean_reason(reason)
    with transaction.atomic():
        stored = Activity.objects.select_for_update().get(pk=activity.pk)
        if stored.is_voided:
            raise ActivityError("该台账已经作废")
        needs = Need.objects.filter(Need.COUNTED, activity=stored).count()
        if needs:
            raise ActivityError(f"该座谈会登记的 {needs} 项诉求尚未作废，请先作废这些诉求，再作废座谈会")
        _mark_voided(stored, by=by, reason=reason)
        apply_activity_changes([(stored, -1)])
        log_action(stored, "activities.activity.voided", by=by, org=stored.org, to_state="已作废", reason=reason)
    activity.voided_at, activity.voided_by, activity.void_reason = stored.voided_at, by, reason


def restore_activity(activity: Activity, *, by: User) -> None:
    """Put a voided entry back into every count and the rollups (administrators only).
    Audit: ``activities.activity.restored``."""
    _require(by, LEDGER_RESTORE, activity.org)
    with transaction.atomic():
        stored = Activity.objects.select_for_update().get(pk=activity.pk)
        if not stored.is_voided:
            raise ActivityError("该台账没有作废，无需恢复")
        _mark_restored(stored)
        apply_activity_changes([(stored, 1)])
        log_action(stored, "activities.activity.restored", by=by, org=stored.org, from_state="已作废", to_state="有效")
    activity.voided_at, activity.voided_by, activity.void_reason = None, None, ""


# ---------------------------------------------------------------------------------------------
# Photos


def check_photo(upload: UploadedFile) -> str:
    """Raise ``ActivityError`` unless the upload is a JPEG, PNG or WebP (by its first bytes) of at
    most ``images.PHOTO_MAX_BYTES``. Returns the Pillow format name."""
    try:
        return images.check_photo(upload)
    except images.PhotoError as exc:
        raise ActivityError(str(exc)) from exc


def add_photo(activity: Activity, *, by: User, upload: UploadedFile) -> ActivityPhoto:
    """Store one photo of an event: re-encoded without EXIF (GPS location included), with a
    400 px JPEG thumbnail, under random names outside any public URL (served by a scoped view).
    Audit: ``activities.photo.added``."""
    _require(by, ACTIVITY_WRITE, activity.org)
    _require_counted(activity)
    name = PurePath(upload.name or "photo").name[:200]
    try:
        clean = images.read_clean_photo(upload)
    except images.PhotoError as exc:
        raise ActivityError(str(exc)) from exc
    photo = ActivityPhoto(
        activity=activity,
        original_name=name,
        size=len(clean.image),
        width=clean.width,
        height=clean.height,
        uploaded_by=by,
    )
    photo.image.save(f"photo.{clean.extension}", ContentFile(clean.image), save=False)
    photo.thumbnail.save("thumb.jpg", ContentFile(clean.thumbnail), save=False)
    try:
        with transaction.atomic():
            photo.save()
            log_action(activity, "activities.photo.added", by=by, org=activity.org, data={"name": name})
    except Exception:
        photo.image.delete(save=False)
        photo.thumbnail.delete(save=False)
        raise
    return photo


def delete_photo(photo: ActivityPhoto, *, by: User) -> None:
    """Remove a photo and its files. Audit: ``activities.photo.deleted``."""
    activity = photo.activity
    _require(by, ACTIVITY_WRITE, activity.org)
    _require_counted(activity)
    with transaction.atomic():
        photo.delete()
        log_action(activity, "activities.photo.deleted", by=by, org=activity.org, data={"name": photo.original_name})
    photo.image.delete(save=False)
    photo.thumbnail.delete(save=False)


# ---------------------------------------------------------------------------------------------
# Symposiums: roster and minutes


def _require_symposium(activity: Activity) -> None:
    if not activity.is_symposium:
        raise ActivityError("只有“座谈交流会”才有参会名单、座谈纪要和所需所盼")


def add_attendee(activity: Activity, *, by: User, name: str, category: str, affiliation: str = "") -> Attendee:
    """Add one person to a symposium's roster. Audit: ``activities.attendee.added``."""
    _require(by, ACTIVITY_WRITE, activity.org)
    _require_symposium(activity)
    _require_counted(activity)
    name = (name or "").strip()
    if not name:
        raise ActivityError("请填写参会人员姓名")
    if category not in Attendee.Category.values:
        raise ActivityError("请选择参会人员类别")
    with transaction.atomic():
        attendee = Attendee.objects.create(
            activity=activity, name=name[:50], category=category, affiliation=(affiliation or "").strip()[:100]
        )
        log_action(activity, "activities.attendee.added", by=by, org=activity.org, data={"name": attendee.name})
    return attendee


def void_attendee(attendee: Attendee, *, by: User, reason: str) -> None:
    """作废 one person on the roster (listed as 已作废, not counted, not offered as a need's raiser).
    Audit: ``activities.attendee.voided`` on the symposium, with the name and the reason."""
    activity = attendee.activity
    _require(by, ACTIVITY_WRITE, activity.org)
    _require_counted(activity)
    reason = _clean_reason(reason)
    with transaction.atomic():
        stored = Attendee.objects.select_for_update().get(pk=attendee.pk)
        if stored.is_voided:
            raise ActivityError("该参会人员已经作废")
        _mark_voided(stored, by=by, reason=reason)
        log_action(
            activity,
            "activities.attendee.voided",
            by=by,
            org=activity.org,
            reason=reason,
            data={"name": stored.name, "attendee": stored.pk},
        )


def restore_attendee(attendee: Attendee, *, by: User) -> None:
    """Put a voided person back on the roster (administrators only). Audit: ``activities.attendee.restored``."""
    activity = attendee.activity
    _require(by, LEDGER_RESTORE, activity.org)
    _require_counted(activity)
    with transaction.atomic():
        stored = Attendee.objects.select_for_update().get(pk=attendee.pk)
        if not stored.is_voided:
            raise ActivityError("该参会人员没有作废，无需恢复")
        _mark_restored(stored)
        log_action(
            activity,
            "activities.attendee.restored",
            by=by,
            org=activity.org,
            data={"name": stored.name, "attendee": stored.pk},
        )


def save_minutes(activity: Activity, *, by: User, minutes: str) -> None:
    """Write a symposium's minutes (纪要). Audit: ``activities.minutes.saved``."""
    _require(by, ACTIVITY_WRITE, activity.org)
    _require_symposium(activity)
    _require_counted(activity)
    with transaction.atomic():
        activity.minutes = (minutes or "").strip()
        activity.save(update_fields=["minutes", "updated_at"])
        log_action(activity, "activities.minutes.saved", by=by, org=activity.org)


# ---------------------------------------------------------------------------------------------
# Needs (所需所盼)


def responsible_org_allowed(org: Org, *, activity: Activity, by: User) -> bool:
    """A need goes to a unit the raiser oversees, or to the symposium's unit or a unit above it."""
    return org.is_active and (org.is_within(by.org) or org.path in activity.org.ancestor_paths())


def raise_need(
    activity: Activity,
    *,
    by: User,
    org: Org,
    category: str,
    description: str,
    raised_by_attendee: Attendee | None = None,
    raised_by_name: str = "",
    raised_by_phone: str = "",
    due_date: dt.date | None = None,
) -> Need:
    """Register a need raised at a symposium, with the unit responsible for it. Its raiser is a
    person on the symposium's roster (``raised_by_attendee``, whose name is copied) or, for someone
    not on it, a typed ``raised_by_name``.

    Audit: ``activities.need.raised`` (on the need, in the responsible unit).
    """
    _require(by, NEED_WRITE, activity.org)
    _require_symposium(activity)
    _require_counted(activity)
    raised_by_name = (raised_by_name or "").strip()[:50]
    if raised_by_attendee is not None:
        if raised_by_attendee.activity_id != activity.pk or raised_by_attendee.is_voided:
            raise ActivityError("提出人须是本次座谈会参会名单上的人员")
        if raised_by_name and raised_by_name != raised_by_attendee.name:
            raise ActivityError("提出人请从参会名单中选择，或填写不在名单上的姓名，不要同时填写两个人")
        raised_by_name = raised_by_attendee.name
    if not responsible_org_allowed(org, activity=activity, by=by):
        raise ActivityError(f"不能把诉求交给“{org.name}”办理")
    if category not in Need.Category.values:
        raise ActivityError("请选择诉求类别")
    description = (description or "").strip()
    if not description:
        raise ActivityError("请填写诉求内容")
    phone = ""
    if (raised_by_phone or "").strip():
        try:
            phone = validate_phone(raised_by_phone)
        except ValidationError as exc:
            raise ActivityError(exc.messages[0]) from exc
    if due_date is not None and due_date < activity.date:
        raise ActivityError("办理时限不能早于座谈会日期")
    with transaction.atomic():
        need = Need.objects.create(
            activity=activity,
            org=org,
            category=category,
            description=description,
            raised_by_attendee=raised_by_attendee,
            raised_by_name=raised_by_name,
            raised_by_phone=phone,
            due_date=due_date,
            created_by=by,
        )
        log_action(
            need,
            "activities.need.raised",
            by=by,
            org=org,
            to_state=str(Need.Status.REGISTERED.label),
            data={"activity": activity.pk},
        )
    return need


def _require_counted_need(need: Need) -> None:
    if need.is_voided:
        raise ActivityError("该诉求已作废，不能再办理；如需恢复，请联系管理员")


def _transition(need: Need, *, by: User, allowed: Iterable[str], to: str, action: str, reason: str = "") -> None:
    _require(by, NEED_WRITE, need.org)
    with transaction.atomic():
        locked = Need.objects.select_for_update().get(pk=need.pk)
        _require_counted_need(locked)
        if locked.status not in allowed:
            raise ActivityError(f"该诉求当前状态为“{locked.get_status_display()}”，不能进行此操作")
        from_label = locked.get_status_display()
        need.status = to
        if to in Need.CLOSED_STATUSES:
            need.closing_note = reason
            need.resolved_at = timezone.now()
        need.save()
        log_action(
            need,
            action,
            by=by,
            org=need.org,
            from_state=str(from_label),
            to_state=str(Need.Status(to).label),
            reason=reason,
        )


def start_need(need: Need, *, by: User) -> None:
    """登记 → 办理中. Audit: ``activities.need.started``."""
    _transition(
        need, by=by, allowed=[Need.Status.REGISTERED], to=Need.Status.IN_PROGRESS, action="activities.need.started"
    )


def add_need_note(need: Need, *, by: User, note: str) -> NeedNote:
    """Add a follow-up note to an open need. Audit: ``activities.need.noted``."""
    _require(by, NEED_WRITE, need.org)
    _require_counted_need(need)
    note = (note or "").strip()
    if not note:
        raise ActivityError("请填写办理记录")
    if not need.is_open:
        raise ActivityError("该诉求已办结，不能再添加办理记录")
    with transaction.atomic():
        entry = NeedNote.objects.create(need=need, note=note, by=by)
        log_action(need, "activities.need.noted", by=by, org=need.org)
    return entry


def resolve_need(need: Need, *, by: User, note: str) -> None:
    """→ 已办结 (from 登记 or 办理中), with what was done. Audit: ``activities.need.resolved``."""
    note = (note or "").strip()
    if not note:
        raise ActivityError("请填写办结情况")
    _transition(
        need,
        by=by,
        allowed=Need.OPEN_STATUSES,
        to=Need.Status.RESOLVED,
        action="activities.need.resolved",
        reason=note,
    )


def close_need_unresolvable(need: Need, *, by: User, reason: str) -> None:
    """→ 无法解决 (from 登记 or 办理中); the reason is required. Audit: ``activities.need.unresolvable``."""
    reason = (reason or "").strip()
    if not reason:
        raise ActivityError("请填写无法解决的原因")
    _transition(
        need,
        by=by,
        allowed=Need.OPEN_STATUSES,
        to=Need.Status.UNRESOLVABLE,
        action="activities.need.unresolvable",
        reason=reason,
    )


def void_need(need: Need, *, by: User, reason: str) -> None:
    """作废 a need registered by mistake or twice: listed as 已作废, counted nowhere, no longer
    handled or reminded of. Those who may register needs at the symposium's unit may void them.
    Audit: ``activities.need.voided`` with the reason."""
    _require(by, NEED_WRITE, need.activity.org)
    reason = _clean_reason(reason)
    with transaction.atomic():
        stored = Need.objects.select_for_update().get(pk=need.pk)
        if stored.is_voided:
            raise ActivityError("该诉求已经作废")
        _mark_voided(stored, by=by, reason=reason)
        log_action(
            stored, "activities.need.voided", by=by, org=stored.org, from_state=stored.get_status_display(),
            to_state="已作废", reason=reason,
        )  # fmt: skip
    need.voided_at, need.voided_by, need.void_reason = stored.voided_at, by, reason


def restore_need(need: Need, *, by: User) -> None:
    """Put a voided need back into the counts, in the status it had (administrators only; its
    symposium must not be voided). Audit: ``activities.need.restored``."""
    _require(by, LEDGER_RESTORE, need.activity.org)
    if need.activity.is_voided:
        raise ActivityError("该诉求所属的座谈会已作废，请先恢复座谈会")
    with transaction.atomic():
        stored = Need.objects.select_for_update().get(pk=need.pk)
        if not stored.is_voided:
            raise ActivityError("该诉求没有作废，无需恢复")
        _mark_restored(stored)
        log_action(
            stored, "activities.need.restored", by=by, org=stored.org, from_state="已作废",
            to_state=stored.get_status_display(),
        )  # fmt: skip
    need.voided_at, need.voided_by, need.void_reason = None, None, ""
