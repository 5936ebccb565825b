"""Reads of the summaries app. Each takes the viewer and reads through the scoped managers, with
an explicit filter on the viewer's unit where a selector must not widen with scoping off."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Prefetch, Q, QuerySet

from jinguo.accounts.rules import has_perm_here, holds_perm
from jinguo.campaigns.models import Campaign, CampaignTarget
from jinguo.summaries.models import Paragraph, Section, Summary, SummaryVersion
from jinguo.summaries.rules import SUMMARY_REVIEW, SUMMARY_WRITE


@dataclass
class CampaignLine:
    campaign: Campaign
    summary: Summary | None


def summary_campaigns(*, user) -> list[CampaignLine]:
    """Published campaigns the viewer's unit issued or received, newest first, each with the unit's
    summary of it (or None). Two queries."""
    org = user.org
    received = CampaignTarget.objects.filter(org=org).values("campaign_id")
    campaigns = list(
        Campaign.objects.filter(Q(issuer=org) | Q(pk__in=received))
        .exclude(status=Campaign.Status.DRAFT)
        .select_related("issuer")
        .order_by(F("published_at").desc(nulls_last=True), "-pk")[:100]
    )
    summaries = {s.campaign_id: s for s in Summary.objects.filter(org=org, campaign__in=campaigns)}
    return [CampaignLine(campaign=c, summary=summaries.get(c.pk)) for c in campaigns]


def review_queue(*, user, status: str = "") -> QuerySet[Summary]:
    """Summaries filed with the viewer's unit (never drafts), oldest filing first."""
    qs = Summary.objects.filter(to_org=user.org).exclude(status=Summary.Status.DRAFT)
    qs = qs.filter(status=status) if status else qs.filed()
    return qs.select_related("org", "campaign").order_by("submitted_at", "pk")


def sections_of(summary: Summary) -> list[Section]:
    """The summary's sections with their paragraphs, in order (two queries)."""
    paragraphs = Prefetch("paragraphs", queryset=Paragraph.objects.order_by("order", "pk"))
    return list(Section.objects.filter(summary=summary).prefetch_related(paragraphs).order_by("order", "pk"))


def versions_of(summary: Summary) -> QuerySet[SummaryVersion]:
    return SummaryVersion.objects.filter(summary=summary).select_related("submitted_by", "reviewed_by")


def can_write_here(user) -> bool:
    return user.org is not None and has_perm_here(user, SUMMARY_WRITE, at=user.org)


def can_review_anything(user) -> bool:
    return user.org is not None and holds_perm(user, SUMMARY_REVIEW)


def can_edit(user, summary: Summary) -> bool:
    return summary.is_editable and has_perm_here(user, SUMMARY_WRITE, at=summary.org)
