"""Writes of the summaries app: drafting, editing, filing and review.

Each service checks its preconditions, then changes, saves and writes one audit entry inside
``transaction.atomic()``, and notifies after. A failed precondition raises ``SummaryError``
(a Chinese message for the page) or ``PermissionDenied``.

    draft_summary(campaign, *, unit, by) -> Summary                # new, or the draft re-read from the data
    update_paragraph(paragraph, *, by, text) -> Paragraph
    add_paragraph(section, *, by, text, after=None) -> Paragraph
    delete_paragraph(paragraph, *, by) -> None
    move_paragraph(paragraph, *, by, up) -> None
    add_section(summary, *, by, heading) -> Section
    rename_section(section, *, by, heading) -> Section
    submit_summary(summary, *, by) -> SummaryVersion
    return_summary(summary, *, by, reason) -> None
    accept_summary(summary, *, by) -> None
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.accounts.rules import has_perm, has_perm_here, holds_perm
from jinguo.accounts.selectors import active_users_of
from jinguo.audit.services import log_action
from jinguo.campaigns.models import Campaign, CampaignTarget
from jinguo.notifications.models import Notification
from jinguo.notifications.services import notify_users
from jinguo.orgs.models import Org
from jinguo.summaries import drafting
from jinguo.summaries.models import Paragraph, Section, Summary, SummaryVersion
from jinguo.summaries.rules import SUMMARY_REVIEW, SUMMARY_WRITE

MAX_PARAGRAPH = 5000
MAX_HEADING = 200


class SummaryError(ValueError):
    """A precondition failed; the message (Chinese) is shown to the user."""


def filed_with(campaign: Campaign, unit: Org) -> Org | None:
    """Where ``unit``'s summary of ``campaign`` goes: the issuer, for a unit the campaign was sent
    to; the unit above, for the issuer itself; None at the top of the tree."""
    if campaign.issuer_id == unit.pk:
        return unit.parent
    return campaign.issuer


def may_summarise(campaign: Campaign, unit: Org) -> bool:
    """A unit summarises a published campaign it issued or received (one query at most)."""
    if campaign.status == Campaign.Status.DRAFT:
        return False
    return campaign.issuer_id == unit.pk or CampaignTarget.objects.filter(campaign=campaign, org=unit).exists()


def _require_writer(by: User, summary: Summary) -> None:
    if not has_perm_here(by, SUMMARY_WRITE, at=summary.org):
        raise PermissionDenied
    if not summary.is_editable:
        raise SummaryError(f"总结{summary.get_status_display()}，不能修改")


def _write_sections(summary: Summary, sections) -> None:
    for i, drafted in enumerate(sections):
        section = Section.objects.create(summary=summary, order=i, key=drafted.key, heading=drafted.heading)
        Paragraph.objects.bulk_create(
            Paragraph(
                section=section,
                order=j,
                text=p.text,
                data_text=p.text if p.figures else "",
                figures=p.figures,
            )
            for j, p in enumerate(drafted.paragraphs)
        )


def draft_summary(campaign: Campaign, *, unit: Org, by: User) -> Summary:
    """Draft ``unit``'s summary of ``campaign`` from the data (or, for a summary still in draft or
    returned, draft it again: the drafted paragraphs are replaced by today's figures, the
    person's own paragraphs and sections are kept). Audit: ``summaries.summary.drafted``."""
    if not has_perm_here(by, SUMMARY_WRITE, at=unit):
        raise PermissionDenied
    if not may_summarise(campaign, unit):
        raise SummaryError("本单位没有收到或发布该活动通知，不能起草总结")
    now = timezone.now()
    ctx, sections = drafting.draft(campaign, unit, now=now)
    with transaction.atomic():
        summary = Summary.objects.select_for_update().filter(campaign=campaign, org=unit).first()
        if summary is None:
            summary = Summary.objects.create(
                campaign=campaign,
                org=unit,
                to_org=filed_with(campaign, unit),
                title=drafting.summary_title(campaign, unit),
                appendix=drafting.appendix(ctx),
                drafted_at=now,
                created_by=by,
            )
            _write_sections(summary, sections)
            action = "summaries.summary.drafted"
        else:
            if not summary.is_editable:
                raise SummaryError(f"总结{summary.get_status_display()}，不能重新起草")
            _redraft(summary, sections)
            summary.appendix = drafting.appendix(ctx)
            summary.drafted_at = now
            summary.save(update_fields=["appendix", "drafted_at", "updated_at"])
            action = "summaries.summary.redrafted"
        log_action(summary, action, by=by, org=unit, data={"as_of": now.isoformat()})
    return summary


def _redraft(summary: Summary, drafted_sections) -> None:
    """Replace what the data wrote and the person left as it was; keep everything the person wrote
    or rewrote, in its section (a section the data no longer drafts stays if it holds their words)."""
    existing = {s.key: s for s in Section.objects.filter(summary=summary) if s.key}
    Paragraph.objects.filter(section__summary=summary, text=F("data_text")).exclude(data_text="").delete()
    top = Section.objects.filter(summary=summary).aggregate(n=Max("order"))["n"] or 0
    for drafted in drafted_sections:
        section = existing.pop(drafted.key, None)
        if section is None:
            top += 1
            section = Section.objects.create(summary=summary, order=top, key=drafted.key, heading=drafted.heading)
        kept = list(Paragraph.objects.filter(section=section).order_by("order", "pk"))
        fresh = [
            Paragraph(section=section, order=j, text=p.text, data_text=p.text if p.figures else "", figures=p.figures)
            for j, p in enumerate(drafted.paragraphs)
        ]
        Paragraph.objects.bulk_create(fresh)
        for j, p in enumerate(kept, start=len(fresh)):
            Paragraph.objects.filter(pk=p.pk).update(order=j)
    for section in existing.values():
        if not Paragraph.objects.filter(section=section).exists():
            section.delete()


def _clean_text(text: str, *, limit: int, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise SummaryError(f"{what}不能为空")
    if len(text) > limit:
        raise SummaryError(f"{what}不能超过 {limit} 字（现有 {len(text)} 字）")
    return text


def update_paragraph(paragraph: Paragraph, *, by: User, text: str) -> Paragraph:
    """Rewrite a paragraph. A rewritten data paragraph becomes the person's (unmarked)."""
    summary = paragraph.section.summary
    _require_writer(by, summary)
    paragraph.text = _clean_text(text, limit=MAX_PARAGRAPH, what="段落")
    with transaction.atomic():
        paragraph.save(update_fields=["text"])
        Summary.objects.filter(pk=summary.pk).update(updated_at=timezone.now())
    return paragraph


def add_paragraph(section: Section, *, by: User, text: str, after: Paragraph | None = None) -> Paragraph:
    """A paragraph of the person's own, at the end of the section or after ``after``."""
    _require_writer(by, section.summary)
    text = _clean_text(text, limit=MAX_PARAGRAPH, what="段落")
    with transaction.atomic():
        siblings = list(Paragraph.objects.filter(section=section).order_by("order", "pk"))
        at = siblings.index(after) + 1 if after is not None and after in siblings else len(siblings)
        siblings.insert(at, Paragraph(section=section, text=text))
        for i, p in enumerate(siblings):
            p.order = i
        new = siblings[at]
        new.save()
        Paragraph.objects.bulk_update([p for p in siblings if p is not new], ["order"])
    return new


def delete_paragraph(paragraph: Paragraph, *, by: User) -> None:
    _require_writer(by, paragraph.section.summary)
    paragraph.delete()


def move_paragraph(paragraph: Paragraph, *, by: User, up: bool) -> None:
    """Swap a paragraph with the one before (``up``) or after it in its section."""
    _require_writer(by, paragraph.section.summary)
    with transaction.atomic():
        siblings = list(Paragraph.objects.filter(section=paragraph.section).order_by("order", "pk"))
        i = next(k for k, p in enumerate(siblings) if p.pk == paragraph.pk)
        j = i - 1 if up else i + 1
        if not 0 <= j < len(siblings):
            return
        siblings[i], siblings[j] = siblings[j], siblings[i]
        for k, p in enumerate(siblings):
            p.order = k
        Paragraph.objects.bulk_update(siblings, ["order"])


def add_section(summary: Summary, *, by: User, heading: str) -> Section:
    _require_writer(by, summary)
    heading = _clean_text(heading, limit=MAX_HEADING, what="标题")
    top = Section.objects.filter(summary=summary).aggregate(n=Max("order"))["n"]
    return Section.objects.create(summary=summary, order=(top or 0) + 1, heading=heading)


def rename_section(section: Section, *, by: User, heading: str) -> Section:
    _require_writer(by, section.summary)
    section.heading = _clean_text(heading, limit=MAX_HEADING, what="标题")
    section.save(update_fields=["heading"])
    return section


def snapshot(summary: Summary) -> dict:
    """What a version freezes: the title, the sections and paragraphs (with their data marks), the appendix."""
    sections = Section.objects.filter(summary=summary).prefetch_related("paragraphs").order_by("order", "pk")
    return {
        "title": summary.title,
        "drafted_at": summary.drafted_at.isoformat(),
        "sections": [
            {
                "heading": s.heading,
                "paragraphs": [{"text": p.text, "data": p.is_data} for p in s.paragraphs.all()],
            }
            for s in sections
        ],
        "appendix": summary.appendix,
    }


def _reviewers_of(org: Org) -> list[User]:
    return [u for u in active_users_of([org]) if holds_perm(u, SUMMARY_REVIEW)]


def _writers_of(org: Org) -> list[User]:
    return [u for u in active_users_of([org]) if holds_perm(u, SUMMARY_WRITE)]


def submit_summary(summary: Summary, *, by: User) -> SummaryVersion:
    """File (报送) a draft or returned summary with ``to_org``: it becomes 已报送 and a frozen copy
    is kept as the next version. Audit: ``summaries.summary.submitted``. Notifies the reviewers
    of the unit it is filed with (``SUMMARY_SUBMITTED``)."""
    _require_writer(by, summary)
    if summary.to_org_id is None:
        raise SummaryError("本单位没有上级单位，总结无需报送，可直接导出")
    if not Paragraph.objects.filter(section__summary=summary).exists():
        raise SummaryError("总结没有任何内容，不能报送")
    now = timezone.now()
    with transaction.atomic():
        locked = Summary.objects.select_for_update().get(pk=summary.pk)
        if not locked.is_editable:
            raise SummaryError(f"总结{locked.get_status_display()}，不能再次报送")
        from_state = summary.get_status_display()
        summary.version = locked.version + 1
        summary.status = Summary.Status.SUBMITTED
        summary.submitted_at = now
        summary.first_submitted_at = locked.first_submitted_at or now
        summary.save(update_fields=["version", "status", "submitted_at", "first_submitted_at", "updated_at"])
        version = SummaryVersion.objects.create(
            summary=summary, number=summary.version, snapshot=snapshot(summary), submitted_by=by, submitted_at=now
        )
        log_action(
            summary,
            "summaries.summary.submitted",
            by=by,
            org=summary.org,
            from_state=from_state,
            to_state=summary.get_status_display(),
            data={"version": summary.version},
        )
    notify_users(
        users=_reviewers_of(summary.to_org),
        kind=Notification.Kind.SUMMARY_SUBMITTED,
        title=f"{summary.org.display_name}报送了活动总结（第 {summary.version} 版）：{summary.campaign.title}",
        url=reverse("summaries:detail", args=[summary.pk]),
    )
    return version


def can_review(user: User, summary: Summary) -> bool:
    return summary.to_org is not None and has_perm(user, SUMMARY_REVIEW, at=summary.to_org)


def _review(summary: Summary, *, by: User, outcome: str, reason: str = "") -> None:
    if not can_review(by, summary):
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        locked = Summary.objects.select_for_update().get(pk=summary.pk)
        if locked.status != Summary.Status.SUBMITTED:
            raise SummaryError(f"总结{locked.get_status_display()}，不是待审核状态")
        from_state = summary.get_status_display()
        summary.status = outcome
        summary.reviewed_at = now
        summary.reviewed_by = by
        summary.return_reason = reason
        summary.save(update_fields=["status", "reviewed_at", "reviewed_by", "return_reason", "updated_at"])
        SummaryVersion.objects.filter(summary=summary, number=summary.version).update(
            outcome=outcome, reviewed_by=by, reviewed_at=now, reason=reason
        )
        action = "summaries.summary.returned" if outcome == Summary.Status.RETURNED else "summaries.summary.accepted"
        log_action(
            summary,
            action,
            by=by,
            org=summary.org,
            from_state=from_state,
            to_state=summary.get_status_display(),
            reason=reason,
            data={"version": summary.version},
        )


def return_summary(summary: Summary, *, by: User, reason: str) -> None:
    """Send a filed summary back (退回修改) with a reason. Audit: ``summaries.summary.returned``.
    Notifies the unit's writers (``SUMMARY_RETURNED``)."""
    reason = (reason or "").strip()
    if not reason:
        raise SummaryError("请填写退回原因")
    _review(summary, by=by, outcome=Summary.Status.RETURNED, reason=reason)
    notify_users(
        users=_writers_of(summary.org),
        kind=Notification.Kind.SUMMARY_RETURNED,
        title=f"活动总结被退回修改：{summary.campaign.title}",
        body=f"退回原因：{reason}",
        url=reverse("summaries:detail", args=[summary.pk]),
    )


def accept_summary(summary: Summary, *, by: User) -> None:
    """Accept a filed summary (已通过). Audit: ``summaries.summary.accepted``. Notifies the unit's writers."""
    _review(summary, by=by, outcome=Summary.Status.ACCEPTED)
    notify_users(
        users=_writers_of(summary.org),
        kind=Notification.Kind.SUMMARY_ACCEPTED,
        title=f"活动总结已通过：{summary.campaign.title}",
        url=reverse("summaries:detail", args=[summary.pk]),
    )
