"""Reads for the supervision dashboard: who signed, who filed, who is late — derived, never declared."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import BooleanField, Count, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from jinguo.campaigns.models import Campaign, CampaignTarget, Plan
from jinguo.orgs.models import Org

# A plan in one of these states (or no plan at all) counts as not filed once the deadline passes.
UNFILED_STATUSES = (Plan.Status.DRAFT, Plan.Status.RETURNED)
NO_PLAN = "none"
PLAN_FILTER_CHOICES = [(NO_PLAN, "未建方案"), *Plan.Status.choices]


def sees_whole_matrix(campaign: Campaign, *, user) -> bool:
    """The issuer unit itself and every unit above it see every target's row.

    Everyone else who can see the campaign — a target unit — sees only the rows of its own subtree.
    """
    return user.org is not None and campaign.issuer.is_within(user.org)


def _overdue_expression(campaign: Campaign, *, now=None):
    """Overdue = plan deadline passed and no plan, or the plan is still a draft or was returned."""
    now = now or timezone.now()
    if now <= campaign.plan_deadline:
        return Value(False, output_field=BooleanField())
    late = Q(plan__isnull=True) | Q(plan__status__in=UNFILED_STATUSES)
    return ExpressionWrapper(late, output_field=BooleanField())


def matrix_rows(campaign: Campaign, *, user, now=None) -> QuerySet[CampaignTarget]:
    """Every target row the viewer may see, annotated for the matrix in one query.

    Rows carry ``plan_status``, ``plan_submitted_at``, ``is_overdue`` and ``child_campaign_id``
    (the campaign that target unit re-issued below itself, if published).
    """
    if sees_whole_matrix(campaign, user=user):
        # Still bounded by the viewer's subtree, but written as a prefix test that the planner
        # evaluates per target row: the scoped manager's range on org path would make SQLite walk
        # every unit of a province (50,000 rows) to find the campaign's 3,000 targets.
        qs = CampaignTarget.all_objects.filter(campaign=campaign, org__path__startswith=user.org.path)
    else:
        # Scoped manager and explicit filter: the selector must not widen when called with scoping off.
        qs = CampaignTarget.objects.filter(user.org.subtree_q("org"), campaign=campaign)
    reissued = Campaign.all_objects.filter(parent=campaign, issuer=OuterRef("org_id")).exclude(
        status=Campaign.Status.DRAFT
    )
    return (
        qs.select_related("org", "org__parent", "signed_by")
        .annotate(
            plan_status=F("plan__status"),
            plan_submitted_at=F("plan__submitted_at"),
            is_overdue=_overdue_expression(campaign, now=now),
            child_campaign_id=Subquery(reissued.order_by("pk").values("pk")[:1]),
        )
        .order_by("org__path")
    )


@dataclass
class MatrixFilters:
    signed: str = ""  # "yes" / "no"
    plan: str = ""  # a Plan.Status value or NO_PLAN
    overdue: str = ""  # "yes" / "no"
    kind: str = ""  # an Org.Kind value
    q: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params) -> MatrixFilters:
        f = cls(
            signed=params.get("signed", "").strip(),
            plan=params.get("plan", "").strip(),
            overdue=params.get("overdue", "").strip(),
            kind=params.get("kind", "").strip(),
            q=params.get("q", "").strip()[:50],
        )
        # Unknown values are dropped (and said so) rather than silently matching nothing.
        if f.signed not in ("", "yes", "no"):
            f.errors.append("签收筛选条件无效，已忽略")
            f.signed = ""
        if f.plan not in ("", *dict(PLAN_FILTER_CHOICES)):
            f.errors.append("方案状态筛选条件无效，已忽略")
            f.plan = ""
        if f.overdue not in ("", "yes", "no"):
            f.errors.append("逾期筛选条件无效，已忽略")
            f.overdue = ""
        if f.kind not in ("", *Org.Kind.values):
            f.errors.append("单位类型筛选条件无效，已忽略")
            f.kind = ""
        return f

    @property
    def active(self) -> bool:
        return any((self.signed, self.plan, self.overdue, self.kind, self.q))

    def apply(self, qs: QuerySet[CampaignTarget]) -> QuerySet[CampaignTarget]:
        if self.signed == "yes":
            qs = qs.filter(signed_at__isnull=False)
        elif self.signed == "no":
            qs = qs.filter(signed_at__isnull=True)
        if self.plan == NO_PLAN:
            qs = qs.filter(plan__isnull=True)
        elif self.plan:
            qs = qs.filter(plan__status=self.plan)
        if self.overdue:
            qs = qs.filter(is_overdue=(self.overdue == "yes"))
        if self.kind:
            qs = qs.filter(org__kind=self.kind)
        if self.q:
            qs = qs.filter(Q(org__name__icontains=self.q) | Q(org__short_name__icontains=self.q))
        return qs


@dataclass(frozen=True)
class MatrixStats:
    total: int
    signed: int
    filed: int
    approved: int
    overdue: int

    @staticmethod
    def _rate(part: int, whole: int) -> float:
        # Parts are counted over the same frozen rows as the whole, so this never exceeds 100.
        return round(100 * min(part, whole) / whole, 1) if whole else 0.0

    @property
    def signed_rate(self) -> float:
        return self._rate(self.signed, self.total)

    @property
    def filed_rate(self) -> float:
        return self._rate(self.filed, self.total)

    @property
    def approved_rate(self) -> float:
        return self._rate(self.approved, self.total)


def matrix_stats(rows: QuerySet[CampaignTarget]) -> MatrixStats:
    """Counts over the viewer's rows (the frozen targets), in one aggregate query.

    报送 counts plans submitted or already filed; 备案 counts approved plans.
    """
    agg = rows.order_by().aggregate(
        total=Count("pk"),
        signed=Count("pk", filter=Q(signed_at__isnull=False)),
        filed=Count("pk", filter=Q(plan__status__in=(Plan.Status.SUBMITTED, Plan.Status.APPROVED))),
        approved=Count("pk", filter=Q(plan__status=Plan.Status.APPROVED)),
        overdue=Count("pk", filter=Q(is_overdue=True)),
    )
    return MatrixStats(**agg)
