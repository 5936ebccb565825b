"""Reads for the supervision dashboard: who signed, who filed, who is late — derived, never declared."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from jinguo.activities.models import Activity, ActivityBreakdownRollup, ActivityDayRollup, ActivityRollup, Need
from jinguo.campaigns.models import ActivityLine, Campaign, CampaignTarget, Plan, PlanState, VenueType
from jinguo.campaigns.selectors import REISSUE_LEVELS, campaign_family, receipt_counts
from jinguo.care.models import HelpRecord
from jinguo.care.selectors import help_during_campaign_q
from jinguo.lib.rates import rate
from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import Org
from jinguo.orgs.selectors import branches, totals_by_branch
from jinguo.reports.models import Report


def sees_whole_matrix(campaign: Campaign, *, user) -> bool:
    """The issuer unit itself and every unit above it see every target's row.

    Everyone else who can see the campaign — a target unit — sees only the rows of its own subtree.
    """
    return user.org is not None and campaign.issuer.is_within(user.org)


def matrix_rows(campaign: Campaign, *, user, now=None) -> QuerySet[CampaignTarget]:
    """Every target row the viewer may see, annotated for the matrix in one query.

    Rows carry ``plan_state``, ``is_overdue`` (``CampaignTargetQuerySet.with_plan_state``),
    ``plan_submitted_at`` and ``child_campaign_id`` (the campaign that target unit re-issued
    below itself, if published).
    """
    now = now or timezone.now()
    if sees_whole_matrix(campaign, user=user):
        # Still bounded by the viewer's subtree, but written as a prefix test that the planner
        # evaluates per target row: the scoped manager's range on org path would make SQLite walk
        # every unit of a province (50,000 rows) to find the campaign's 3,000 targets.
        with scopes_disabled():  # the prefix test on the viewer's path is the scope, in a form SQLite can use
            qs = CampaignTarget.objects.filter(campaign=campaign, org__path__startswith=user.org.path)
    else:
        # Scoped manager and explicit filter: the selector must not widen when called with scoping off.
        qs = CampaignTarget.objects.filter(user.org.subtree_q("org"), campaign=campaign)
    with scopes_disabled():  # the re-issue of a row already in scope, correlated by its unit (no second scope test)
        reissued = Campaign.objects.filter(parent=campaign, issuer=OuterRef("org_id")).exclude(
            status=Campaign.Status.DRAFT
        )
    return (
        qs.select_related("org", "org__parent", "signed_by")
        .with_plan_state(now=now)
        .annotate(
            plan_submitted_at=F("plan__submitted_at"),
            child_campaign_id=Subquery(reissued.order_by("pk").values("pk")[:1]),
        )
        .order_by("org__path")
    )


@dataclass
class MatrixFilters:
    signed: str = ""  # "yes" / "no"
    plan: str = ""  # a PlanState value
    overdue: str = ""  # "yes" / "no" / "late" (filed after the deadline)
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
        if f.plan not in ("", *PlanState.values):
            f.errors.append("方案状态筛选条件无效，已忽略")
            f.plan = ""
        if f.overdue not in ("", "yes", "no", "late"):
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
        if self.plan:
            qs = qs.filter(plan_state=self.plan)
        if self.overdue == "late":
            qs = qs.filter(is_filed_late=True)
        elif self.overdue:
            qs = qs.filter(is_overdue=(self.overdue == "yes"))
        if self.kind:
            qs = qs.filter(org__kind=self.kind)
        if self.q:
            qs = qs.filter(Q(org__name__icontains=self.q) | Q(org__short_name__icontains=self.q))
        return qs


# ---------------------------------------------------------------------------------------------
# The live supervision board (/dashboard/): one campaign, one unit, a row per child unit.
#
# Receipts (签收率, 备案率, 逾期方案, 逾期报送): the issuer's own figure by default — the receipts of
# the notice itself — and the figure with its published re-issues below (含转发, the family_*
# counters), both from campaigns.selectors.receipt_counts, the one definition the matrix and the
# issuer page read too. Both are restricted to the row's subtree; a unit targeted by the notice and
# by a re-issue holds two receipts and counts twice in 含转发. A row without receipts has no rate
# ("—"): the notice was not sent there, which is not a failure. Events and reports count records
# attached to the campaign or a re-issue; needs count those raised at such events, by the
# responsible unit (责任单位).
#
# Every source is aggregated by ONE grouped query keyed on the path prefix of the child unit
# (all children of a unit have paths of the same length); records held by the unit itself have a
# shorter path and fall in the "本级" row. Totals are the sum of the rows, computed here.


def board_campaigns(*, user) -> QuerySet[Campaign]:
    """Published campaigns the viewer sees (issued in or sent into its subtree), newest first."""
    return (
        Campaign.objects.visible_to(user)
        .exclude(status=Campaign.Status.DRAFT)
        .select_related("issuer")
        .order_by(F("published_at").desc(nulls_last=True), "-pk")
    )


def default_board_campaign(*, user) -> Campaign | None:
    """The latest published campaign the viewer's unit issued or received, else the latest visible."""
    visible = board_campaigns(user=user)
    own = visible.filter(
        Q(issuer=user.org) | Q(pk__in=CampaignTarget.objects.filter(org=user.org).values("campaign_id"))
    )
    chosen = own.first() or visible.first()
    # A re-issue's board is part of its parent's: open the notice it forwards, if the viewer sees it.
    for _ in range(REISSUE_LEVELS):
        if chosen is None or chosen.parent_id is None:
            break
        parent = visible.filter(pk=chosen.parent_id).first()
        if parent is None:
            break
        chosen = parent
    return chosen


def board_targets(*, family: list[int], unit: Org) -> QuerySet[CampaignTarget]:
    return CampaignTarget.objects.filter(unit.subtree_q("org"), campaign_id__in=family)


def board_activities(*, family: list[int], unit: Org):
    return Activity.objects.filter(unit.subtree_q("org"), Activity.COUNTED, campaign_id__in=family)


def board_rollups(*, family: list[int], unit: Org):
    """Ledger totals of ``unit`` and of each of its children (each row holds a whole subtree)."""
    # An id list from the tree, so the (org, campaign) index is probed per unit, never the whole table.
    units = Org.objects.filter(Q(pk=unit.pk) | Q(parent=unit)).values("pk")
    return ActivityRollup.objects.filter(org_id__in=units, campaign_id__in=family)


def board_day_rollups(*, family: list[int], unit: Org):
    """Ledger totals of ``unit``'s subtree per day."""
    return ActivityDayRollup.objects.filter(org=unit, campaign_id__in=family)


def _negated(g: dict) -> dict:
    return {name: -g[name] for name in ("events", "participants", "women")}


# Reports and needs are counted by the unit that sent them / is responsible for them, inside
# ``unit``'s subtree. ``board`` refuses a unit outside the viewer's subtree, so that filter is already
# narrower than the models' scopes, whose OR over a second unit (report's to_org, need's activity
# unit) made PostgreSQL join the whole ledger (580 ms at 1,000,000 entries). Hence scoping is
# disabled here, with the explicit subtree filter in its place.


def board_reports(*, family: list[int], unit: Org):
    with scopes_disabled():  # unit.subtree_q is the scope, narrower than the manager's OR (see above)
        return Report.objects.filter(unit.subtree_q("org"), campaign_id__in=family, status__in=Report.SENT_STATUSES)


def board_needs(*, family: list[int], unit: Org):
    with scopes_disabled():  # unit.subtree_q is the scope, narrower than the manager's OR (see above)
        return Need.objects.filter(unit.subtree_q("org"), Need.COUNTED, campaign_id__in=family)


def board_practices(*, family: list[int], unit: Org):
    """The adopted good practices (典型经验) among ``board_reports``, newest adoption first."""
    return (
        board_reports(family=family, unit=unit)
        .filter(kind=Report.Kind.PRACTICE, status=Report.Status.ADOPTED)
        .select_related("org")
        .order_by(F("reviewed_at").desc(nulls_last=True), "-pk")
    )


def board_breakdown(*, family: list[int], unit: Org) -> list[dict]:
    """The board's events (``board_activities``) of ``unit``'s subtree grouped by activity line
    (its title: a re-issue copies its parent's lines; "" for none), venue type, format and speaker
    type, with participants and women: ``[{"line", "venue_type", "format", "speaker_type",
    "events", "participants", "women"}]``, one row per distinct group. Read from the ledger's
    running total (``ActivityBreakdownRollup``: the unit's rows hold its subtree) — the province's
    draft would otherwise group ~850,000 ledger rows — in one grouped query, and one for the lines'
    titles; its sums are the board's totals (tests compare it with a grouping of the raw ledger)."""
    keys = ("line", "venue_type", "format", "speaker_type")
    rows = (
        ActivityBreakdownRollup.objects.filter(org=unit, campaign_id__in=family, events__gt=0)
        .order_by()
        .values(*keys)
        .annotate(events=Sum("events"), participants=Sum("participants_total"), women=Sum("participants_women"))
    )
    rows = list(rows)
    line_ids = {r["line"] for r in rows if r["line"]}
    titles = dict(ActivityLine.objects.filter(pk__in=line_ids).values_list("pk", "title")) if line_ids else {}
    # Lines of one title (a campaign's and its re-issues' copies) are one group, as the draft reads them.
    groups: dict[tuple, dict] = {}
    for r in rows:
        title = titles.get(r["line"], "")
        g = groups.setdefault(
            (title, r["venue_type"], r["format"], r["speaker_type"]),
            {"line": title, "venue_type": r["venue_type"], "format": r["format"], "speaker_type": r["speaker_type"]}
            | {"events": 0, "participants": 0, "women": 0},
        )
        for name in ("events", "participants", "women"):
            g[name] += r[name]
    return list(groups.values())


def board_care_help(*, campaign: Campaign, family: list[int], unit: Org):
    """The care registry's help records given during the campaign (the board's care line)."""
    with scopes_disabled():  # unit.subtree_q is the scope, narrower than the manager's OR (see above)
        return HelpRecord.objects.filter(unit.subtree_q("person__org")).filter(
            help_during_campaign_q(campaign, family=family)
        )


@dataclass
class BoardRow:
    org: Org | None  # None: the totals row
    own: bool = False  # the unit's own records (本级)
    has_children: bool = False
    # Receipts of the notice itself (the issuer's own figure) …
    targets: int = 0
    signed: int = 0
    approved: int = 0
    plans_overdue: int = 0
    plans_late: int = 0  # filed after the deadline (逾期报送)
    # … and with its re-issues below (含转发).
    family_targets: int = 0
    family_signed: int = 0
    family_approved: int = 0
    family_plans_overdue: int = 0
    events: int = 0
    participants: int = 0
    women: int = 0
    venues: dict[str, int] = field(default_factory=dict)
    formats: dict[str, int] = field(default_factory=dict)
    reports_submitted: int = 0
    reports_adopted: int = 0
    needs_raised: int = 0
    needs_resolved: int = 0
    needs_overdue: int = 0
    # The care line: households visited and help given during the campaign, from the help records.
    care_households: int = 0
    care_help: int = 0
    care_amount: Decimal = Decimal(0)

    COUNTERS = (
        "targets", "signed", "approved", "plans_overdue", "plans_late",
        "family_targets", "family_signed", "family_approved", "family_plans_overdue",
        "events", "participants", "women",
        "reports_submitted", "reports_adopted", "needs_raised", "needs_resolved", "needs_overdue",
        "care_households", "care_help", "care_amount",
    )  # fmt: skip

    def __post_init__(self) -> None:
        for v in VenueType.values:
            self.venues.setdefault(v, 0)
        for f in Activity.Format.values:
            self.formats.setdefault(f, 0)

    @property
    def signed_rate(self) -> float | None:
        return rate(self.signed, self.targets)

    @property
    def approved_rate(self) -> float | None:
        return rate(self.approved, self.targets)

    @property
    def family_signed_rate(self) -> float | None:
        return rate(self.family_signed, self.family_targets)

    @property
    def family_approved_rate(self) -> float | None:
        return rate(self.family_approved, self.family_targets)

    @property
    def has_reissues(self) -> bool:
        """Does the row hold receipts of re-issues (so that 含转发 says something more)?"""
        return self.family_targets != self.targets

    @property
    def overdue(self) -> int:
        return self.plans_overdue + self.needs_overdue

    @property
    def key(self) -> str:
        """What the records page calls this row: "own", "total" or the child's pk."""
        return "total" if self.org is None else ("own" if self.own else str(self.org.pk))

    def venue_cells(self) -> list[tuple[str, int]]:
        return list(self.venues.items())

    def add(self, other: BoardRow) -> None:
        for name in self.COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for v, n in other.venues.items():
            self.venues[v] += n
        for f, n in other.formats.items():
            self.formats[f] += n


@dataclass
class Board:
    campaign: Campaign
    unit: Org
    family: list[int]
    rows: list[BoardRow]  # 本级 first, then the children in tree order
    total: BoardRow
    daily: list[dict]  # [{"date", "events", "participants", "women"}] by activity date


# BoardRow's receipt counters → campaigns.selectors.receipt_counts' names.
RECEIPT_FIELDS = {
    "targets": "total",
    "signed": "signed",
    "approved": "approved",
    "plans_overdue": "overdue",
    "plans_late": "filed_late",
}


def board(*, user, campaign: Campaign, unit: Org, now=None, today=None) -> Board:
    """The board for ``unit`` (within the viewer's subtree). A fixed number of queries."""
    if user.org is None or not unit.is_within(user.org):
        raise ValueError("unit outside the viewer's subtree")
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    family = campaign_family(campaign)
    zero = Value(0, output_field=IntegerField())

    own, every = receipt_counts(now=now, only=Q(campaign_id=campaign.pk)), receipt_counts(now=now)
    targets = totals_by_branch(
        board_targets(family=family, unit=unit),
        root=unit,
        **{field: own[name] for field, name in RECEIPT_FIELDS.items()},
        **{f"family_{field}": every[name] for field, name in RECEIPT_FIELDS.items() if name != "filed_late"},
    )
    # The ledger through its running totals (activities.rollups): one row per (unit, venue, format)
    # for the unit and its children, each holding that unit's whole subtree; 本级 is the unit's
    # rows minus its children's, below. The records pages read the ledger itself.
    activities: dict[str, list[dict]] = {}
    for g in (
        board_rollups(family=family, unit=unit)
        .order_by()
        .values("org__path", "venue_type", "format")
        .annotate(
            events=Coalesce(Sum("events"), zero),
            participants=Coalesce(Sum("participants_total"), zero),
            women=Coalesce(Sum("participants_women"), zero),
        )
    ):
        if g["events"]:  # rows that fell back to zero (entries moved or changed) show nothing
            activities.setdefault(g.pop("org__path"), []).append(g)
    subtree_activities = activities.pop(unit.path, [])
    reports = totals_by_branch(
        board_reports(family=family, unit=unit),
        root=unit,
        reports_submitted=Count("pk"),
        reports_adopted=Count("pk", filter=Q(status=Report.Status.ADOPTED)),
    )
    needs = totals_by_branch(
        board_needs(family=family, unit=unit),
        root=unit,
        needs_raised=Count("pk"),
        needs_resolved=Count("pk", filter=Q(status=Need.Status.RESOLVED)),
        needs_overdue=Count("pk", filter=Need.overdue_q(today)),
    )
    care = totals_by_branch(
        board_care_help(campaign=campaign, family=family, unit=unit),
        root=unit,
        path_field="person__org__path",
        care_households=Count("person", distinct=True),
        care_help=Count("pk"),
        care_amount=Coalesce(Sum("amount"), Value(Decimal(0), output_field=DecimalField())),
    )
    rows = [
        BoardRow(org=b.org, own=b.own, has_children=b.has_children)
        for b in branches(unit, targets, activities, reports, needs, care)
    ]
    # 本级 = the unit's subtree totals minus every child's (shown or not).
    activities[unit.path] = [
        *subtree_activities,
        *({**g, **_negated(g)} for c in list(activities) for g in activities[c]),
    ]
    total = BoardRow(org=None)
    for row in rows:
        branch = row.org.path
        for source in (targets, reports, needs, care):
            for name, value in source.get(branch, {}).items():
                setattr(row, name, value)
        for g in activities.get(branch, ()):
            row.events += g["events"]
            row.participants += g["participants"]
            row.women += g["women"]
            row.venues[g["venue_type"]] = row.venues.get(g["venue_type"], 0) + g["events"]
            row.formats[g["format"]] = row.formats.get(g["format"], 0) + g["events"]
        total.add(row)
    days = (
        board_day_rollups(family=family, unit=unit)
        .order_by()
        .values("date")
        .annotate(
            ev=Coalesce(Sum("events"), zero),
            participants=Coalesce(Sum("participants_total"), zero),
            women=Coalesce(Sum("participants_women"), zero),
        )
        .order_by("date")
    )
    daily = [
        {"date": d["date"], "events": d["ev"], "participants": d["participants"], "women": d["women"]}
        for d in days
        if d["ev"]
    ]
    return Board(campaign=campaign, unit=unit, family=family, rows=rows, total=total, daily=daily)


# What a number on the board stands for: the records page lists exactly these rows.
RECORD_KINDS = {
    "targets": "下发单位（签收单）",
    "signed": "已签收",
    "unsigned": "未签收",
    "approved": "已备案",
    "plans_overdue": "逾期未报方案",
    "plans_late": "逾期报送的方案",
    "events": "活动台账",
    "reports": "报送的信息",
    "reports_adopted": "采用的信息",
    "needs": "所需所盼",
    "needs_resolved": "已办结的所需所盼",
    "needs_overdue": "超期未办结的所需所盼",
}


RECEIPT_KINDS = ("targets", "signed", "unsigned", "approved", "plans_overdue", "plans_late")


def board_records(
    *,
    user,
    campaign: Campaign,
    unit: Org,
    kind: str,
    own: bool = False,
    venue: str = "",
    reissues: bool = False,
    now=None,
):
    """The records behind one number of the board: ``unit``'s subtree, or only ``unit`` itself
    (``own``, the 本级 row). Receipts are the notice's own, or with its re-issues (``reissues``,
    the 含转发 figure). Same querysets as ``board``, so the counts agree."""
    if user.org is None or not unit.is_within(user.org) or kind not in RECORD_KINDS:
        raise ValueError("unit outside the viewer's subtree or unknown kind")
    now = now or timezone.now()
    family = campaign_family(campaign)
    if kind in RECEIPT_KINDS:
        qs = board_targets(family=family if reissues else [campaign.pk], unit=unit)
        qs = {
            "targets": qs,
            "signed": qs.filter(signed_at__isnull=False),
            "unsigned": qs.filter(signed_at__isnull=True),
            "approved": qs.filter(plan__status=Plan.Status.APPROVED),
            "plans_overdue": qs.overdue(now=now),
            "plans_late": qs.filed_late(),
        }[kind]
        qs = qs.with_plan_state(now=now).select_related("org", "campaign", "plan").order_by("org__path", "pk")
    elif kind == "events":
        qs = board_activities(family=family, unit=unit)
        if venue in VenueType.values:
            qs = qs.filter(venue_type=venue)
        qs = qs.select_related("org", "campaign").order_by("-date", "-pk")
    elif kind in ("reports", "reports_adopted"):
        qs = board_reports(family=family, unit=unit)
        if kind == "reports_adopted":
            qs = qs.filter(status=Report.Status.ADOPTED)
        qs = qs.select_related("org", "campaign").order_by("-submitted_at", "-pk")
    else:
        qs = board_needs(family=family, unit=unit)
        if kind == "needs_resolved":
            qs = qs.filter(status=Need.Status.RESOLVED)
        elif kind == "needs_overdue":
            qs = qs.filter(Need.overdue_q(timezone.localdate(now)))
        qs = qs.select_related("org", "activity").order_by("due_date", "pk")
    if own:
        qs = qs.filter(org=unit)
    return qs


# ---------------------------------------------------------------------------------------------
# The landing page: what is due for me, what is overdue below me, unread notices.

DUE_SOON_DAYS = 3
DUE_SOON_SHOWN = 10


def _as_date(value) -> dt.date:
    return timezone.localdate(value) if isinstance(value, dt.datetime) else value


def landing(*, user, now=None) -> dict:
    """``campaigns.selectors.home_summary`` plus needs to handle, deadlines within three days and,
    for admins and reviewers, what is overdue in the subtree below the viewer's unit."""
    from jinguo.campaigns.selectors import home_summary

    summary = home_summary(user=user)
    if user.org is None:
        return summary
    now = now or timezone.now()
    today = timezone.localdate(now)
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    my_needs = Need.objects.filter(Need.COUNTED, org=user.org, status__in=Need.OPEN_STATUSES).select_related("activity")
    summary["my_needs"] = list(my_needs.order_by(F("due_date").asc(nulls_last=True), "pk")[:5])
    summary["my_needs_count"] = my_needs.count()
    plans_soon = (
        CampaignTarget.objects.filter(
            org=user.org,
            campaign__status=Campaign.Status.PUBLISHED,
            campaign__plan_deadline__gte=now,
            campaign__plan_deadline__lt=now + dt.timedelta(days=DUE_SOON_DAYS),
        )
        .unfiled()
        .select_related("campaign")
    )
    needs_soon = my_needs.filter(due_date__gte=today, due_date__lte=soon)
    due = [
        {"title": f"报备方案：{t.campaign.title}", "due": t.campaign.plan_deadline, "kind": "plan", "pk": t.pk}
        for t in plans_soon.order_by("campaign__plan_deadline", "pk")[:DUE_SOON_SHOWN]
    ] + [
        {"title": f"办理诉求：{n.description[:30]}", "due": n.due_date, "kind": "need", "pk": n.pk}
        for n in needs_soon.order_by("due_date", "pk")[:DUE_SOON_SHOWN]
    ]
    # Plan deadlines are datetimes, need deadlines dates: order them by their local date.
    summary["due_soon"] = sorted(due, key=lambda d: _as_date(d["due"]))[:DUE_SOON_SHOWN]
    summary["due_soon_count"] = plans_soon.count() + needs_soon.count()
    summary["supervises"] = bool(user.is_org_admin or user.is_reviewer)
    if summary["supervises"]:
        below = CampaignTarget.objects.filter(user.org.subtree_q("org"), campaign__status=Campaign.Status.PUBLISHED)
        overdue = (
            below.exclude(org=user.org)
            .overdue(now=now)
            .order_by()
            .values("campaign_id", "campaign__title")
            .annotate(units=Count("org", distinct=True))
            .order_by("-units", "campaign_id")
        )
        summary["overdue_campaigns"] = list(overdue[:5])
        summary["overdue_units"] = (
            below.exclude(org=user.org).overdue(now=now).aggregate(n=Count("org", distinct=True))["n"]
        )
        summary["overdue_needs"] = Need.objects.filter(user.org.subtree_q("org")).filter(Need.overdue_q(today)).count()
    return summary
