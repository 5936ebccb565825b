"""Reads of the campaigns app. Each takes the viewer and loads through the scoped managers.

Plan states ("filed", "not filed", "overdue") are defined once, on ``CampaignTargetQuerySet``;
the reads here and the dashboard's use it.
"""

from __future__ import annotations

from django.db.models import Case, Count, F, Q, QuerySet, When
from django.utils import timezone

from jinguo.accounts.rules import has_perm, holds_perm
from jinguo.campaigns.models import Campaign, CampaignTarget, CampaignTargetQuerySet, Plan
from jinguo.campaigns.rules import PLAN_REVIEW
from jinguo.notifications.models import Notification
from jinguo.orgs.models import Org

PUBLISHED_STATUSES = (Campaign.Status.PUBLISHED, Campaign.Status.CLOSED)


# ---------------------------------------------------------------------------------------------
# Issuer side


def issued_campaigns(*, user, status: str = "") -> QuerySet[Campaign]:
    """Campaigns issued by the viewer's unit, with receipt and filing counts."""
    qs = Campaign.objects.filter(issuer=user.org)
    if status:
        qs = qs.filter(status=status)
    return (
        qs.annotate(
            target_count=Count("targets", distinct=True),
            signed_count=Count("targets", filter=Q(targets__signed_at__isnull=False), distinct=True),
            submitted_count=Count("targets", filter=CampaignTargetQuerySet.filed_q(prefix="targets__"), distinct=True),
            approved_count=Count("targets", filter=Q(targets__plan__status=Plan.Status.APPROVED), distinct=True),
        )
        .select_related("parent")
        .order_by(F("published_at").desc(nulls_first=True), "-created_at")
    )


def campaign_for_issuer(*, user, campaign: Campaign) -> bool:
    """May the viewer see the issuer's pages of this campaign (its unit or a unit above)?"""
    return user.org is not None and campaign.issuer.is_within(user.org)


def targets_of(*, campaign: Campaign) -> QuerySet[CampaignTarget]:
    """The campaign's receipts as the issuer sees them, unsigned first, with plan state."""
    qs = CampaignTarget.objects.filter(campaign=campaign).select_related("org", "signed_by", "plan")
    return qs.with_plan_state(now=timezone.now()).order_by(
        Case(When(signed_at__isnull=True, then=0), default=1), "org__path"
    )


def receipt_summary(*, campaign: Campaign) -> dict:
    """Signed x/y, filed and overdue counts of a published campaign (one query)."""
    return CampaignTarget.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"),
        signed=Count("pk", filter=Q(signed_at__isnull=False)),
        submitted=Count("pk", filter=CampaignTargetQuerySet.filed_q()),
        approved=Count("pk", filter=Q(plan__status=Plan.Status.APPROVED)),
        overdue=Count("pk", filter=CampaignTargetQuerySet.overdue_q(now=timezone.now())),
    )


# ---------------------------------------------------------------------------------------------
# Target side


def inbox_targets(*, user, state: str = "") -> QuerySet[CampaignTarget]:
    """Notices received by the viewer's unit: unsigned first, then newest."""
    now = timezone.now()
    qs = CampaignTarget.objects.filter(org=user.org, campaign__status__in=PUBLISHED_STATUSES)
    if state == "unsigned":
        qs = qs.filter(signed_at__isnull=True)
    elif state == "signed":
        qs = qs.filter(signed_at__isnull=False)
    elif state == "overdue":
        qs = qs.overdue(now=now)
    qs = qs.select_related("campaign", "campaign__issuer", "plan").with_plan_state(now=now)
    return qs.order_by(Case(When(signed_at__isnull=True, then=0), default=1), "-campaign__published_at", "-pk")


def reissue_of(*, campaign: Campaign, org: Org) -> Campaign | None:
    return Campaign.objects.filter(parent=campaign, issuer=org).first()


# ---------------------------------------------------------------------------------------------
# Review


def can_review_anything(user) -> bool:
    return user.org is not None and holds_perm(user, PLAN_REVIEW)


def review_queue(*, user, campaign_id: int | None = None, status: str = Plan.Status.SUBMITTED) -> QuerySet[Plan]:
    """Plans filed with the viewer's unit, oldest submission first."""
    qs = Plan.objects.filter(target__campaign__issuer=user.org)
    if campaign_id:
        qs = qs.filter(target__campaign_id=campaign_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("target__org", "target__campaign").order_by("submitted_at", "pk")


def reviewable_campaigns(*, user) -> QuerySet[Campaign]:
    return Campaign.objects.filter(issuer=user.org, status__in=PUBLISHED_STATUSES).only("pk", "title")


def can_review(user, plan: Plan) -> bool:
    return has_perm(user, PLAN_REVIEW, at=plan.target.campaign.issuer)


# ---------------------------------------------------------------------------------------------
# Home


def home_summary(*, user) -> dict:
    """What the landing page shows: what waits for me and my unit, a few rows of each."""
    if user.org is None:
        return {}
    now = timezone.now()
    mine = (
        CampaignTarget.objects.filter(org=user.org, campaign__status=Campaign.Status.PUBLISHED)
        .select_related("campaign", "campaign__issuer", "plan")
        .with_plan_state(now=now)
    )
    unsigned = mine.filter(signed_at__isnull=True).order_by("campaign__published_at")
    plans_due = mine.unfiled().order_by("campaign__plan_deadline")
    returned_count = mine.filter(plan__status=Plan.Status.RETURNED).count()
    summary = {
        "unsigned": list(unsigned[:5]),
        "unsigned_count": unsigned.count(),
        "plans_due": list(plans_due[:5]),
        "plans_due_count": plans_due.count(),
        "returned_count": returned_count,
        "to_review": [],
        "to_review_count": 0,
        "can_review": can_review_anything(user),
        "unread": list(Notification.objects.filter(recipient=user, read_at__isnull=True)[:5]),
    }
    if summary["can_review"]:
        to_review = review_queue(user=user)
        summary["to_review"] = list(to_review[:5])
        summary["to_review_count"] = to_review.count()
    return summary


def has_children(org: Org) -> bool:
    return Org.objects.filter(parent=org, is_active=True).exists()
