"""Writes of the activity ledger (台账): events, photos, symposium rosters and minutes, and needs.

Every service checks its preconditions, then changes, saves and writes one audit entry inside
``transaction.atomic()``. A precondition that fails raises ``ActivityError`` (message in Chinese,
shown to the user) or ``PermissionDenied``. ``by`` is the acting user; every argument after the
first is keyword-only.

    record_activity(*, org, by, **fields) -> Activity                  # fields: see ActivityFields
    update_activity(activity, *, by, **fields) -> Activity
    record_from_planned_event(event, *, by) -> Activity                # one click, from a filed plan
    check_photo(upload) -> str                                         # no write; the format name
    add_photo(activity, *, by, upload) -> ActivityPhoto                # JPEG/PNG/WebP, EXIF stripped
    delete_photo(photo, *, by) -> None
    add_attendee(activity, *, by, name, category, affiliation="") -> Attendee   # symposiums only
    remove_attendee(attendee, *, by) -> None
    save_minutes(activity, *, by, minutes) -> None                     # symposiums only
    raise_need(activity, *, by, org, category, description, raised_by_name="", raised_by_phone="",
               due_date=None) -> Need                                  # symposiums only
    start_need(need, *, by) -> None                                    # 登记 → 办理中
    add_need_note(need, *, by, note) -> NeedNote
    resolve_need(need, *, by, note) -> None                            # → 已办结
    close_need_unresolvable(need, *, by, reason) -> None               # → 无法解决, reason required

``fields`` of an activity: title, date, place, venue_type, format, speaker_type, laws (an iterable
of ``LAW_FIELDS`` names), participants_total, participants_women, participants_minors,
online_reach, account, minutes, campaign, line.
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
from jinguo.activities.rules import ACTIVITY_WRITE, NEED_WRITE
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


def update_activity(activity: Activity, *, by: User, **fields) -> Activity:
    """Change a ledger entry (all fields given). Audit: ``activities.activity.updated`` with the changed fields."""
    _require(by, ACTIVITY_WRITE, activity.org)
    data = clean_fields(activity.org, fields)
    if activity.planned_event_id and data["campaign"] is None:
        data["campaign"] = activity.campaign
    changed = []
    with transaction.atomic():
        # The stored figures (not the caller's copy) leave the rollups; the new ones join them.
        stored = Activity.objects.select_for_update().select_related("org").get(pk=activity.pk)
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


def _guess_format(title: str) -> str:
    for word, fmt in FORMAT_HINTS:
        if word in title:
            return fmt
    return Activity.Format.OTHER


def record_from_planned_event(event: PlannedEvent, *, by: User) -> Activity:
    """Turn a planned event of a filed plan into a ledger entry in one click (report once).

    Pre-filled from the plan: title, date, place, venue type, line and campaign; the expected
    participants are the starting total. The user then completes the entry. One entry per planned
    event. Audit: ``activities.activity.recorded`` with ``planned_event``.
    """
    plan = event.plan
    org = plan.target.org
    _require(by, ACTIVITY_WRITE, org)
    if not plan.is_filed:
        raise ActivityError("方案报送后，才能把计划活动记入台账")
    if Activity.objects.filter(planned_event=event).exists():
        raise ActivityError("该计划活动已经记入台账")
    line = event.line if event.line_id else None
    hint = f"{line.title if line else ''} {event.title}"
    try:
        with transaction.atomic():
            PlannedEvent.objects.select_for_update().get(pk=event.pk)
            if Activity.objects.filter(planned_event=event).exists():
                raise ActivityError("该计划活动已经记入台账")
            activity = Activity.objects.create(
                org=org,
                campaign=plan.target.campaign,
                line=line,
                planned_event=event,
                title=event.title,
                date=event.date,
                place=event.place,
                venue_type=event.venue_type,
                format=_guess_format(hint),
                participants_total=event.expected_participants,
                created_by=by,
            )
            apply_activity_changes([(activity, 1)])
            log_action(
                activity,
                "activities.activity.recorded",
                by=by,
                org=org,
                data={"title": activity.title, "planned_event": event.pk},
            )
    except IntegrityError as exc:  # two clicks at once: the one-to-one lets only one through
        raise ActivityError("该计划活动已经记入台账") from exc
    return activity


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


def remove_attendee(attendee: Attendee, *, by: User) -> None:
    """Take one person off the roster. Audit: ``activities.attendee.removed``."""
    activity = attendee.activity
    _require(by, ACTIVITY_WRITE, activity.org)
    with transaction.atomic():
        attendee.delete()
        log_action(activity, "activities.attendee.removed", by=by, org=activity.org, data={"name": attendee.name})


def save_minutes(activity: Activity, *, by: User, minutes: str) -> None:
    """Write a symposium's minutes (纪要). Audit: ``activities.minutes.saved``."""
    _require(by, ACTIVITY_WRITE, activity.org)
    _require_symposium(activity)
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
    raised_by_name: str = "",
    raised_by_phone: str = "",
    due_date: dt.date | None = None,
) -> Need:
    """Register a need raised at a symposium, with the unit responsible for it.

    Audit: ``activities.need.raised`` (on the need, in the responsible unit).
    """
    _require(by, NEED_WRITE, activity.org)
    _require_symposium(activity)
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
            raised_by_name=(raised_by_name or "").strip()[:50],
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


def _transition(need: Need, *, by: User, allowed: Iterable[str], to: str, action: str, reason: str = "") -> None:
    _require(by, NEED_WRITE, need.org)
    with transaction.atomic():
        locked = Need.objects.select_for_update().get(pk=need.pk)
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
