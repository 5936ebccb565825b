"""Reads of the reports app. Each takes the viewer and loads through the scoped managers, adding an
explicit subtree filter where a selector must not widen when called with scoping off.

Counting rules (one definition, reused by the ranking page, its export and the dashboard):

- 报送数 (submitted): reports that left the draft state — pending, adopted or not adopted
  (``Report.SENT_STATUSES``). A voided report (作废) counts nowhere.
- 采用数 (adopted): reports in the adopted state (a report adopted through several channels
  counts once).
- 采用率 (rate): adopted / decided (adopted + not adopted), in percent, one decimal. Pending
  reports make no rate: with nothing decided there is none (``None``, shown "—" / 待审核).
- A unit's numbers roll up its whole subtree (a county counts its townships' reports).
- Ranking is by quality, not volume: adopted desc, then rate desc; units equal on both share a
  rank (1, 2, 2, 4) and are listed in tree order.

Reusable reads for other apps:

    report_counts_by_child(*, user, parent, campaign=None, year=None) -> list[UnitReportCounts]
    report_totals(*, user, org, campaign=None, year=None) -> ReportCounts
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db.models import Count, Q, QuerySet

from jinguo.accounts.rules import has_perm, has_perm_here, holds_perm
from jinguo.activities.models import Activity
from jinguo.campaigns.models import Campaign
from jinguo.lib.ranks import shared_ranks
from jinguo.lib.rates import rate
from jinguo.orgs.models import Org
from jinguo.orgs.selectors import branches, totals_by_branch
from jinguo.reports.models import Report
from jinguo.reports.rules import REPORT_REVIEW, REPORT_WRITE

SENT_STATUSES = Report.SENT_STATUSES
RANKING_RULE = (
    "排名看质量、不看数量：先按采用数从多到少，采用数相同再按采用率从高到低，两者都相同的单位名次相同。"
    "报送数指已报送的信息（含待审核、已采用、未采用，不含已作废），采用率 = 采用数 ÷ 已审核数（已采用 + 未采用）；"
    "待审核的信息不计入采用率，还没有审核结果的单位显示“—”。"
    "各单位的数字包含其全部下级单位报送的信息。"
)


@dataclass(frozen=True)
class ReportCounts:
    submitted: int = 0
    adopted: int = 0
    rejected: int = 0
    pending: int = 0

    @property
    def decided(self) -> int:
        return self.adopted + self.rejected

    @property
    def rate(self) -> float | None:
        """Adoption rate in percent over the decided reports; ``None`` while nothing is decided."""
        return rate(self.adopted, self.decided)


@dataclass(frozen=True)
class UnitReportCounts(ReportCounts):
    org: Org | None = None
    has_children: bool = False
    rank: int = 0  # set by ``ranking``


def quality(counts: ReportCounts) -> tuple[int, float]:
    """What the ranking orders by, best first when sorted in reverse: adopted, then rate. No rate
    (nothing decided yet) ranks as 0 %: a pending report neither lifts nor sinks its unit."""
    return (counts.adopted, counts.rate or 0.0)


def _counts_kwargs() -> dict:
    return {
        "submitted": Count("pk"),
        "adopted": Count("pk", filter=Q(status=Report.Status.ADOPTED)),
        "rejected": Count("pk", filter=Q(status=Report.Status.REJECTED)),
        "pending": Count("pk", filter=Q(status=Report.Status.SUBMITTED)),
    }


def _sent(*, campaign: Campaign | int | None = None, year: int | None = None) -> QuerySet[Report]:
    qs = Report.objects.filter(status__in=SENT_STATUSES)
    if campaign:
        qs = qs.filter(campaign=campaign)
    if year:
        qs = qs.filter(submitted_at__year=year)
    return qs


def report_totals(*, user, org: Org, campaign: Campaign | int | None = None, year: int | None = None) -> ReportCounts:
    """Counts over ``org``'s whole subtree (one query). ``org`` must lie within the viewer's unit."""
    if user.org is None or not org.is_within(user.org):
        return ReportCounts()
    agg = _sent(campaign=campaign, year=year).filter(org.subtree_q("org")).aggregate(**_counts_kwargs())
    return ReportCounts(**agg)


def report_counts_by_child(
    *, user, parent: Org, campaign: Campaign | int | None = None, year: int | None = None
) -> list[UnitReportCounts]:
    """One row per child unit of ``parent`` (active ones, plus inactive ones that have reports),
    each rolled up over the child's subtree, in tree order. Two queries, whatever the size.

    ``parent`` must lie within the viewer's unit, else the result is empty.
    """
    if user.org is None or not parent.is_within(user.org):
        return []
    by_path = totals_by_branch(
        _sent(campaign=campaign, year=year).filter(parent.subtree_q("org")).exclude(org=parent),
        root=parent,
        **_counts_kwargs(),
    )
    return [
        UnitReportCounts(org=b.org, has_children=b.has_children, **by_path.get(b.path, {}))
        for b in branches(parent, by_path)
        if not b.own
    ]


def ranking(
    *, user, parent: Org, campaign: Campaign | int | None = None, year: int | None = None
) -> list[UnitReportCounts]:
    """``report_counts_by_child`` ordered by ``quality`` (best first, then tree order), each row
    with its ``rank``: units of equal quality share one (1, 2, 2, 4)."""
    rows = report_counts_by_child(user=user, parent=parent, campaign=campaign, year=year)
    rows.sort(key=lambda r: r.org.path)
    rows.sort(key=quality, reverse=True)  # stable: equal quality stays in tree order
    ranks = shared_ranks([quality(r) for r in rows])
    return [replace(r, rank=n) for r, n in zip(rows, ranks, strict=True)]


# ---------------------------------------------------------------------------------------------
# Lists


def _search(qs: QuerySet[Report], q: str) -> QuerySet[Report]:
    for word in q.split()[:5]:
        qs = qs.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return qs


def unit_reports(*, user, kind: str = "", status: str = "", q: str = "") -> QuerySet[Report]:
    """The viewer's own unit's reports, drafts first, then newest."""
    qs = Report.objects.filter(org=user.org)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = _search(qs, q)
    return qs.select_related("to_org", "campaign").order_by("-updated_at", "-pk")


def review_queue(
    *,
    user,
    kind: str = "",
    status: str = Report.Status.SUBMITTED,
    unit: Org | None = None,
    campaign_id: int | None = None,
    q: str = "",
) -> QuerySet[Report]:
    """Reports sent to the viewer's unit (never drafts), oldest pending first. ``unit`` narrows
    to that unit's subtree. Voided reports only when asked for (``status`` 已作废), and only
    those that had been sent."""
    if status == Report.Status.VOIDED:
        qs = Report.objects.filter(to_org=user.org, status=status, status_before_void__in=SENT_STATUSES)
    else:
        qs = Report.objects.filter(to_org=user.org, status__in=SENT_STATUSES)
        if status:
            qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if unit is not None:
        qs = qs.filter(unit.subtree_q("org"))
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    if q:
        qs = _search(qs, q)
    return qs.select_related("org", "campaign", "submitted_by", "reviewed_by").order_by("submitted_at", "pk")


def practice_library(*, user, q: str = "", unit: Org | None = None, year: int | None = None) -> QuerySet[Report]:
    """Adopted good practices (典型经验) of the viewer's subtree, newest adoption first."""
    qs = Report.objects.filter(
        user.org.subtree_q("org"), kind=Report.Kind.PRACTICE, status=Report.Status.ADOPTED
    ).select_related("org", "campaign")
    if unit is not None:
        qs = qs.filter(unit.subtree_q("org"))
    if year:
        qs = qs.filter(submitted_at__year=year)
    if q:
        qs = _search(qs, q)
    return qs.prefetch_related("adoptions").order_by("-reviewed_at", "-pk")


# ---------------------------------------------------------------------------------------------
# Report once: a draft from a ledger entry


def draft_from_activity(activity: Activity, *, campaigns: QuerySet[Campaign]) -> dict:
    """The report form's initial values for a report on ``activity`` (a ledger entry of the
    writer's unit): its campaign (if among ``campaigns``, those the unit may report on), its title,
    and its facts — date, place, participants, account — as a first paragraph to edit."""
    d = activity.date
    facts = f"{d.year}年{d.month}月{d.day}日，{activity.org.name}在{activity.place}开展“{activity.title}”活动"
    if activity.participants_total:
        facts += f"，共 {activity.participants_total} 人参加"
        if activity.participants_women:
            facts += f"，其中妇女 {activity.participants_women} 人"
    body = facts + "。"
    if activity.account:
        body += "\n\n" + activity.account.strip()
    campaign_id = activity.campaign_id if campaigns.filter(pk=activity.campaign_id).exists() else None
    return {
        "kind": Report.Kind.NEWS,
        "campaign": campaign_id,
        "title": activity.title,
        "body": body,
        "activities": [activity.pk],
    }


# ---------------------------------------------------------------------------------------------
# Permissions as the pages ask them


def can_write_here(user) -> bool:
    return user.org is not None and has_perm_here(user, REPORT_WRITE, at=user.org)


def can_review_anything(user) -> bool:
    return user.org is not None and holds_perm(user, REPORT_REVIEW)


def can_review(user, report: Report) -> bool:
    return has_perm(user, REPORT_REVIEW, at=report.to_org)


def can_edit(user, report: Report) -> bool:
    return report.is_editable and has_perm_here(user, REPORT_WRITE, at=report.org)


def filter_units(*, user, depth: int = 2) -> QuerySet[Org]:
    """Units offered in filter bars: the viewer's unit and two levels below it."""
    org = user.org
    return Org.objects.filter(org.subtree_q(), depth__lte=org.depth + depth).order_by("path")


def review_campaigns(*, user) -> QuerySet[Campaign]:
    return Campaign.objects.filter(reports__to_org=user.org).distinct().only("pk", "title").order_by("-pk")
