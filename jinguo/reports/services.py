"""Writes of the reports app: information reports (信息报送), good practices (典型经验) and their
adoption (采用) by the unit that reviews them.

A report goes draft → submitted → adopted or rejected. Its unit writes and submits it; the
reviewing unit (``to_org``: the campaign's issuer, else the unit's parent) may edit the text
(every edit kept as a ``ReportRevision``), adopt it through one or more channels, or decline it
with a reason. Every service checks its preconditions, then changes, saves and writes one audit
entry inside ``transaction.atomic()``, and sends in-app notifications after. A precondition that
fails raises ``ReportError`` (message in Chinese, shown to the user) or ``PermissionDenied``.

Signatures (``by`` is the acting user; everything after the first argument is keyword-only):

    save_report(report_or_None, *, by, kind, title, body, campaign=None, activities=None) -> Report
    check_photo(upload) -> str                                   # content type; no write
    add_report_photo(report, *, by, upload) -> ReportPhoto
    remove_report_photo(photo, *, by) -> None
    copy_activity_photos(report, *, by, photos) -> list[ReportPhoto]   # from the unit's ledger
    submit_report(report, *, by) -> None
    edit_report_as_reviewer(report, *, by, title, body, note="") -> ReportRevision
    adopt_report(report, *, by, channels) -> list[ReportAdoption]   # the channels added
    reject_report(report, *, by, reason) -> None
    void_report(report, *, by, reason) -> None
    restore_report(report, *, by) -> None

Voiding (作废) takes a report out of every count (``Report.SENT_STATUSES`` leaves it out) without
deleting it; restoring puts it back in the state it was voided from.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import PurePath

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.accounts.rules import has_perm, has_perm_here, holds_perm
from jinguo.accounts.selectors import active_users_of
from jinguo.activities.models import Activity, ActivityPhoto
from jinguo.audit.services import log_action
from jinguo.campaigns.models import Campaign, CampaignTarget
from jinguo.lib import images
from jinguo.notifications.models import Notification
from jinguo.notifications.services import notify_users
from jinguo.orgs.models import Org
from jinguo.reports.models import Report, ReportAdoption, ReportPhoto, ReportRevision
from jinguo.reports.rules import REPORT_RESTORE, REPORT_REVIEW, REPORT_VOID, REPORT_WRITE

PHOTO_MAX_COUNT = 9


class ReportError(ValueError):
    """A change that cannot be made; the message is shown to the user."""


def _require_writer(user: User, report: Report) -> None:
    if not has_perm_here(user, REPORT_WRITE, at=report.org):
        raise PermissionDenied


def _require_reviewer(user: User, report: Report) -> None:
    if not has_perm(user, REPORT_REVIEW, at=report.to_org):
        raise PermissionDenied


def reviewing_unit(org: Org, campaign: Campaign | None) -> Org:
    """Who reviews a report of ``org``: the campaign's issuer, else the parent unit."""
    if campaign is not None:
        return campaign.issuer
    if org.parent_id is None:
        raise ReportError("本单位没有上级单位，无法报送信息")
    return org.parent  # followed through the plain base manager: the parent lies above the writer's subtree


def campaigns_for(org: Org):
    """Campaigns a unit may report on: the published ones it received."""
    received = CampaignTarget.objects.filter(org=org).values("campaign_id")
    return (
        Campaign.objects.filter(pk__in=received)
        .exclude(status=Campaign.Status.DRAFT)
        .select_related("issuer")
        .order_by("-published_at", "-pk")
    )


def activities_for(org: Org):
    """Ledger entries a unit may link to its reports: its own, those that count (not voided)."""
    return Activity.objects.filter(Activity.COUNTED, org=org).order_by("-date", "-pk")


def _clean_text(kind: str, title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    if kind not in Report.Kind.values:
        raise ReportError("请选择信息类别")
    if not title:
        raise ReportError("请填写标题")
    if len(title) > 200:
        raise ReportError("标题不能超过 200 字")
    if not body:
        raise ReportError("请填写正文")
    return title, body


def save_report(
    report: Report | None,
    *,
    by: User,
    kind: str,
    title: str,
    body: str,
    campaign: Campaign | None = None,
    activities: Iterable[Activity] | None = None,
) -> Report:
    """Create (``report`` None) or change a draft of the acting user's unit.

    ``campaign`` must be one the unit received; it decides who reviews the report. ``activities``
    (ledger entries of the unit) replace the linked ones when given. Audit: ``reports.report.saved``.
    """
    org = report.org if report is not None else by.org
    if org is None or not has_perm_here(by, REPORT_WRITE, at=org):
        raise PermissionDenied
    if report is not None and not report.is_editable:
        raise ReportError(f"信息{report.get_status_display()}，不能再修改")
    title, body = _clean_text(kind, title, body)
    if campaign is not None and not campaigns_for(org).filter(pk=campaign.pk).exists():
        raise ReportError("只能选择本单位收到的活动通知")
    to_org = reviewing_unit(org, campaign)
    if activities is not None:
        activities = list(activities)
        if any(a.org_id != org.pk for a in activities):
            raise ReportError("只能关联本单位的活动台账")
    with transaction.atomic():
        if report is None:
            report = Report(org=org, created_by=by)
        else:
            locked = Report.objects.select_for_update().get(pk=report.pk)
            if not locked.is_editable:
                raise ReportError(f"信息{locked.get_status_display()}，不能再修改")
        report.kind, report.title, report.body = kind, title, body
        report.campaign, report.to_org = campaign, to_org
        report.save()
        if activities is not None:
            report.activities.set(activities)
        log_action(
            report,
            "reports.report.saved",
            by=by,
            org=org,
            to_state=report.get_status_display(),
            data={"title": title, "kind": kind},
        )
    return report


# ---------------------------------------------------------------------------------------------
# Photos


def check_photo(upload: UploadedFile) -> str:
    """Return the content type of an acceptable photo (JPEG, PNG or WebP by its first bytes, at
    most 10 MB); raise ``ReportError`` otherwise."""
    try:
        return images.CONTENT_TYPES[images.check_photo(upload)]
    except images.PhotoError as exc:
        raise ReportError(str(exc)) from exc


def add_report_photo(report: Report, *, by: User, upload: UploadedFile) -> ReportPhoto:
    """Attach a photo to a draft (at most nine). Stored under a random name; served by a scoped
    view. Audit: ``reports.photo.added``."""
    _require_writer(by, report)
    if not report.is_editable:
        raise ReportError(f"信息{report.get_status_display()}，不能再添加图片")
    if ReportPhoto.objects.filter(report=report).count() >= PHOTO_MAX_COUNT:
        raise ReportError(f"每条信息最多 {PHOTO_MAX_COUNT} 张图片")
    original = PurePath(upload.name or "photo").name[:200]
    try:
        clean = images.read_clean_photo(upload)  # re-encoded: no EXIF, no GPS location
    except images.PhotoError as exc:
        raise ReportError(str(exc)) from exc
    with transaction.atomic():
        photo = ReportPhoto(
            report=report,
            original_name=original,
            content_type=clean.content_type,
            size=len(clean.image),
            uploaded_by=by,
        )
        photo.file.save(f"{uuid.uuid4().hex}.{clean.extension}", ContentFile(clean.image), save=False)
        photo.save()
        log_action(report, "reports.photo.added", by=by, org=report.org, data={"photo": photo.pk, "name": original})
    return photo


def copy_activity_photos(report: Report, *, by: User, photos: Iterable[ActivityPhoto]) -> list[ReportPhoto]:
    """Attach copies of ledger photos of the report's unit to a draft (report once: the photos of
    the event the report is about), up to the nine a report may hold; the rest are left out. The
    ledger keeps its own; the copies are the report's. Already stripped of metadata when they
    entered the ledger. Audit: ``reports.photo.added`` per photo."""
    _require_writer(by, report)
    if not report.is_editable:
        raise ReportError(f"信息{report.get_status_display()}，不能再添加图片")
    photos = list(photos)
    if any(p.activity.org_id != report.org_id for p in photos):
        raise ReportError("只能使用本单位活动台账的照片")
    room = PHOTO_MAX_COUNT - ReportPhoto.objects.filter(report=report).count()
    copied = []
    with transaction.atomic():
        for source in photos[: max(room, 0)]:
            fmt = images.SUFFIX_FORMATS.get(PurePath(source.image.name).suffix.lower())
            if fmt is None:
                continue
            with source.image.open("rb") as handle:
                data = handle.read()
            photo = ReportPhoto(
                report=report,
                original_name=source.original_name,
                content_type=images.CONTENT_TYPES[fmt],
                size=len(data),
                uploaded_by=by,
            )
            photo.file.save(f"{uuid.uuid4().hex}.{images.EXTENSIONS[fmt]}", ContentFile(data), save=False)
            photo.save()
            log_action(
                report,
                "reports.photo.added",
                by=by,
                org=report.org,
                data={"photo": photo.pk, "name": photo.original_name, "activity_photo": source.pk},
            )
            copied.append(photo)
    return copied


def remove_report_photo(photo: ReportPhoto, *, by: User) -> None:
    """Delete a photo of a draft, file included. Audit: ``reports.photo.removed``."""
    report = photo.report
    _require_writer(by, report)
    if not report.is_editable:
        raise ReportError(f"信息{report.get_status_display()}，不能再删除图片")
    with transaction.atomic():
        log_action(
            report,
            "reports.photo.removed",
            by=by,
            org=report.org,
            data={"photo": photo.pk, "name": photo.original_name},
        )
        photo.delete()
    photo.file.delete(save=False)


# ---------------------------------------------------------------------------------------------
# Submission and review


def reviewers_of(org: Org) -> list[User]:
    """Active users of ``org`` who may review reports sent to it."""
    return [u for u in active_users_of([org]) if holds_perm(u, REPORT_REVIEW)]


def _unit_recipients(report: Report) -> list[User]:
    """Who hears the outcome: the unit's active writers (liaisons, admins) and the submitter."""
    users = {u.pk: u for u in active_users_of([report.org]) if holds_perm(u, REPORT_WRITE)}
    submitter = report.submitted_by
    if submitter is not None and submitter.is_active:
        users.setdefault(submitter.pk, submitter)
    return list(users.values())


def _url(report: Report) -> str:
    return reverse("reports:detail", args=[report.pk])


def submit_report(report: Report, *, by: User) -> None:
    """Send a draft up (已报送). Audit: ``reports.report.submitted``. Notifies the reviewers of
    ``to_org`` (``REPORT_SUBMITTED``)."""
    _require_writer(by, report)
    if not report.is_editable:
        raise ReportError(f"信息{report.get_status_display()}，不能再次报送")
    _clean_text(report.kind, report.title, report.body)
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if not locked.is_editable:
            raise ReportError(f"信息{locked.get_status_display()}，不能再次报送")
        report.status = Report.Status.SUBMITTED
        report.submitted_at = timezone.now()
        report.submitted_by = by
        report.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
        log_action(
            report,
            "reports.report.submitted",
            by=by,
            org=report.org,
            from_state=str(Report.Status.DRAFT.label),
            to_state=report.get_status_display(),
            data={"to_org": report.to_org_id},
        )
    notify_users(
        users=reviewers_of(report.to_org),
        kind=Notification.Kind.REPORT_SUBMITTED,
        title=f"{report.org.name}报送了{report.get_kind_display()}：{report.title}",
        url=_url(report),
    )


def edit_report_as_reviewer(report: Report, *, by: User, title: str, body: str, note: str = "") -> ReportRevision:
    """The reviewing unit corrects a submitted or adopted report; the text before and after is kept
    as a ``ReportRevision``. Audit: ``reports.report.revised``. No notification (the unit sees the
    revision on the report's page)."""
    _require_reviewer(by, report)
    if not report.is_reviewable:
        raise ReportError(f"信息{report.get_status_display()}，不能修改")
    title, body = _clean_text(report.kind, title, body)
    note = (note or "").strip()[:200]
    if title == report.title and body == report.body:
        raise ReportError("标题和正文都没有变化")
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if not locked.is_reviewable:
            raise ReportError(f"信息{locked.get_status_display()}，不能修改")
        revision = ReportRevision.objects.create(
            report=report,
            title_before=locked.title,
            body_before=locked.body,
            title_after=title,
            body_after=body,
            note=note,
            edited_by=by,
            edited_at=timezone.now(),
        )
        report.title, report.body = title, body
        report.save(update_fields=["title", "body", "updated_at"])
        log_action(
            report, "reports.report.revised", by=by, org=report.org, data={"revision": revision.pk, "note": note}
        )
    return revision


def adopt_report(report: Report, *, by: User, channels: Iterable[str]) -> list[ReportAdoption]:
    """Adopt (采用) a submitted report through one or more channels, or add channels to an adopted
    one. Returns the adoptions added. Audit: ``reports.report.adopted``. Notifies the unit's
    writers and the submitter (``REPORT_ADOPTED``)."""
    _require_reviewer(by, report)
    channels = list(dict.fromkeys(channels))
    if not channels:
        raise ReportError("请至少选择一个采用渠道")
    unknown = set(channels) - set(ReportAdoption.Channel.values)
    if unknown:
        raise ReportError(f"采用渠道“{'、'.join(sorted(unknown))}”无效")
    if not report.is_reviewable:
        raise ReportError(f"信息{report.get_status_display()}，不能采用")
    now = timezone.now()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if not locked.is_reviewable:
            raise ReportError(f"信息{locked.get_status_display()}，不能采用")
        existing = set(ReportAdoption.objects.filter(report=report).values_list("channel", flat=True))
        new = [c for c in channels if c not in existing]
        if not new:
            raise ReportError("所选渠道都已采用过")
        added = ReportAdoption.objects.bulk_create(
            [ReportAdoption(report=report, channel=c, adopted_by=by, adopted_at=now) for c in new]
        )
        from_state = locked.get_status_display()
        report.status = Report.Status.ADOPTED
        report.reviewed_at = now
        report.reviewed_by = by
        report.save(update_fields=["status", "reviewed_at", "reviewed_by", "updated_at"])
        labels = "、".join(str(ReportAdoption.Channel(c).label) for c in new)
        log_action(
            report,
            "reports.report.adopted",
            by=by,
            org=report.org,
            from_state=from_state,
            to_state=report.get_status_display(),
            data={"channels": new, "labels": labels},
        )
    notify_users(
        users=_unit_recipients(report),
        kind=Notification.Kind.REPORT_ADOPTED,
        title=f"信息已被{report.to_org.name}采用：{report.title}",
        body=f"采用渠道：{labels}",
        url=_url(report),
    )
    return added


def reject_report(report: Report, *, by: User, reason: str) -> None:
    """Decline (未采用) a submitted report with a reason. Audit: ``reports.report.rejected``.
    Notifies the unit's writers and the submitter (``REPORT_REJECTED``)."""
    _require_reviewer(by, report)
    reason = (reason or "").strip()
    if not reason:
        raise ReportError("请填写未采用的原因")
    if report.status != Report.Status.SUBMITTED:
        raise ReportError(f"信息{report.get_status_display()}，不是待审核状态")
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.status != Report.Status.SUBMITTED:
            raise ReportError(f"信息{locked.get_status_display()}，不是待审核状态")
        report.status = Report.Status.REJECTED
        report.reviewed_at = timezone.now()
        report.reviewed_by = by
        report.reject_reason = reason
        report.save(update_fields=["status", "reviewed_at", "reviewed_by", "reject_reason", "updated_at"])
        log_action(
            report,
            "reports.report.rejected",
            by=by,
            org=report.org,
            from_state=str(Report.Status.SUBMITTED.label),
            to_state=report.get_status_display(),
            reason=reason,
        )
    notify_users(
        users=_unit_recipients(report),
        kind=Notification.Kind.REPORT_REJECTED,
        title=f"信息未被采用：{report.title}",
        body=f"原因：{reason}",
        url=_url(report),
    )


# ---------------------------------------------------------------------------------------------
# Voiding


def may_void(user: User, report: Report) -> bool:
    """The unit's writers while the report is not adopted; an administrator of the reviewing unit
    (or above it) always. Never twice."""
    if report.is_voided:
        return False
    if has_perm(user, REPORT_VOID, at=report.to_org):
        return True
    return report.status != Report.Status.ADOPTED and has_perm_here(user, REPORT_WRITE, at=report.org)


def may_restore(user: User, report: Report) -> bool:
    return report.is_voided and has_perm(user, REPORT_RESTORE, at=report.to_org)


def void_report(report: Report, *, by: User, reason: str) -> None:
    """Void (作废) a report with a reason: it leaves every count, ranking, the library and the
    dashboard, and keeps its text and history. Audit: ``reports.report.voided``. No notification:
    the report's page and history say who voided it and why."""
    reason = (reason or "").strip()
    if not may_void(by, report):
        if report.is_voided:
            raise ReportError("信息已作废")
        if report.status == Report.Status.ADOPTED and has_perm_here(by, REPORT_WRITE, at=report.org):
            raise ReportError("信息已采用，只有审核单位的管理员可以作废")
        raise PermissionDenied
    if not reason:
        raise ReportError("请填写作废原因")
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.is_voided:
            raise ReportError("信息已作废")
        if locked.status != report.status and not may_void(by, locked):
            raise ReportError(f"信息{locked.get_status_display()}，不能作废")
        from_state = locked.get_status_display()
        report.status_before_void = locked.status
        report.status = Report.Status.VOIDED
        report.voided_at = timezone.now()
        report.voided_by = by
        report.void_reason = reason
        report.save(
            update_fields=["status", "status_before_void", "voided_at", "voided_by", "void_reason", "updated_at"]
        )
        log_action(
            report,
            "reports.report.voided",
            by=by,
            org=report.org,
            from_state=from_state,
            to_state=report.get_status_display(),
            reason=reason,
        )


def restore_report(report: Report, *, by: User) -> None:
    """Undo a void: the report returns to the state it was voided from, and counts again.
    Audit: ``reports.report.restored``."""
    if not report.is_voided:
        raise ReportError(f"信息{report.get_status_display()}，不需要恢复")
    if not may_restore(by, report):
        raise PermissionDenied
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if not locked.is_voided:
            raise ReportError(f"信息{locked.get_status_display()}，不需要恢复")
        report.status = locked.status_before_void or Report.Status.DRAFT
        report.status_before_void = ""
        report.voided_at, report.voided_by, report.void_reason = None, None, ""
        report.save(
            update_fields=["status", "status_before_void", "voided_at", "voided_by", "void_reason", "updated_at"]
        )
        log_action(
            report,
            "reports.report.restored",
            by=by,
            org=report.org,
            from_state=str(Report.Status.VOIDED.label),
            to_state=report.get_status_display(),
            data={"void_reason": locked.void_reason},
        )
