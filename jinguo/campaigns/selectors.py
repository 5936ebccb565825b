"""Reads of the campaigns app. Each takes the viewer and loads through the scoped managers.

Plan states ("filed", "not filed", "overdue", "filed late") are defined once, on
``CampaignTargetQuerySet``; the reads here and the dashboard's use it.

The receipt figures (签收率, 报送率, 备案率 and the counts behind them) are defined once, here:
``receipt_counts`` (the aggregates) and ``receipt_figures`` (a campaign within a unit). The issuer
pages, the supervision matrix, the board and their exports all read them. The default figure is
the issuer's own: the receipts of the notice itself. The figure with the re-issues below (含转发)
adds the receipts of the notice's published re-issues (a county forwarding it to its townships);
it is shown beside the default one, labelled, never instead of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, F, Q, QuerySet, When
from django.utils import timezone

from jinguo.accounts.rules import has_perm, holds_perm
from jinguo.campaigns.models import Campaign, CampaignTarget, CampaignTargetQuerySet, Plan
from jinguo.campaigns.rules import PLAN_REVIEW
from jinguo.lib.rates import rate
from jinguo.lib.scoping import scopes_disabled
from jinguo.notifications.models import Notification
from jinguo.orgs.models import Org

PUBLISHED_STATUSES = (Campaign.Status.PUBLISHED, Campaign.Status.CLOSED)


# ---------------------------------------------------------------------------------------------
# Receipt figures

# Re-issue chains: city → county → township → village; four levels reach every possible re-issue.
REISSUE_LEVELS = 4
RECEIPT_COUNTS = ("total", "signed", "filed", "approved", "overdue", "filed_late")


def campaign_family(campaign: Campaign) -> list[int]:
    """The campaign and its published re-issues down the tree (one query)."""
    q = Q(pk=campaign.pk)
    chain = "parent"
    for _ in range(REISSUE_LEVELS):
        q |= Q(**{chain: campaign.pk})
        chain += "__parent"
    published = Campaign.objects.filter(q).exclude(status=Campaign.Status.DRAFT)
    ids = list(published.values_list("pk", flat=True))
    return ids if campaign.pk in ids else [campaign.pk, *ids]


def receipt_counts(*, now: dt.datetime, only: Q | None = None, prefix: str = "") -> dict[str, Count]:
    """The counts of ``RECEIPT_COUNTS`` as aggregates over receipts (CampaignTarget rows).

    报送 (filed) counts plans submitted or approved, 备案 (approved) approved ones; overdue and
    filed late are ``CampaignTargetQuerySet``'s. ``only`` narrows every count (the issuer's own
    notice among its family); ``prefix`` reaches the receipts from another model (``"targets__"``).
    """

    def count(condition: Q | None = None) -> Count:
        if only is not None:
            condition = only if condition is None else condition & only
        return Count(f"{prefix}pk", filter=condition, distinct=bool(prefix))

    rules = CampaignTargetQuerySet
    return {
        "total": count(),
        "signed": count(Q(**{f"{prefix}signed_at__isnull": False})),
        "filed": count(rules.filed_q(prefix=prefix)),
        "approved": count(Q(**{f"{prefix}plan__status": Plan.Status.APPROVED})),
        "overdue": count(rules.overdue_q(now=now, prefix=prefix)),
        "filed_late": count(rules.filed_late_q(prefix=prefix)),
    }


@dataclass(frozen=True)
class ReceiptFigures:
    """Counts over a set of receipts, and their rates (``None``, shown "—", when there are none)."""

    total: int = 0
    signed: int = 0
    filed: int = 0
    approved: int = 0
    overdue: int = 0
    filed_late: int = 0

    @property
    def signed_rate(self) -> float | None:
        return rate(self.signed, self.total)

    @property
    def filed_rate(self) -> float | None:
        return rate(self.filed, self.total)

    @property
    def approved_rate(self) -> float | None:
        return rate(self.approved, self.total)


@dataclass(frozen=True)
class CampaignFigures:
    """A campaign's receipt figures within a unit: the issuer's own (``own``, the default) and
    with the re-issues below (``with_reissues``, 含转发)."""

    own: ReceiptFigures
    with_reissues: ReceiptFigures

    @property
    def has_reissues(self) -> bool:
        """Are there receipts of re-issues here, i.e. does the 含转发 figure say anything more?"""
        return self.with_reissues.total != self.own.total


def receipt_figures(
    *, user, campaign: Campaign, within: Org | None = None, now: dt.datetime | None = None
) -> CampaignFigures:
    """``campaign``'s figures over the receipts in ``within``'s subtree (default: the viewer's unit,
    which must hold ``within``). One query for the family, one aggregate."""
    within = within or user.org
    if user.org is None or within is None or not within.is_within(user.org):
        raise ValueError("unit outside the viewer's subtree")
    now = now or timezone.now()
    family = campaign_family(campaign)
    # The prefix test on a unit in the viewer's subtree is the scope, written as the matrix writes it
    # (dashboard.selectors.matrix_rows): SQLite probes the campaign's receipts, not the whole tree.
    with scopes_disabled():  # org__path__startswith=within.path is the scope (see above)
        rows = CampaignTarget.objects.filter(campaign_id__in=family, org__path__startswith=within.path)
    own = receipt_counts(now=now, only=Q(campaign_id=campaign.pk))
    every = {f"all_{name}": agg for name, agg in receipt_counts(now=now).items()}
    agg = rows.aggregate(**own, **every)
    return CampaignFigures(
        own=ReceiptFigures(**{name: agg[name] for name in RECEIPT_COUNTS}),
        with_reissues=ReceiptFigures(**{name: agg[f"all_{name}"] for name in RECEIPT_COUNTS}),
    )


# ---------------------------------------------------------------------------------------------
# Issuer side


def issued_campaigns(*, user, status: str = "") -> QuerySet[Campaign]:
    """Campaigns issued by the viewer's unit, with the issuer's own receipt counts (``receipt_counts``)
    annotated as ``total_count``, ``signed_count``, ``filed_count`` … ."""
    qs = Campaign.objects.filter(issuer=user.org)
    if status:
        qs = qs.filter(status=status)
    counts = receipt_counts(now=timezone.now(), prefix="targets__")
    return (
        qs.annotate(**{f"{name}_count": agg for name, agg in counts.items()})
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
