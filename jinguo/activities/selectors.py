"""Reads of the activity ledger, for its pages, exports and the live dashboard.

Every function reads through the scoped managers AND filters explicitly by the unit it is given, so
it never widens when called with scoping switched off (commands, the dashboard's own tests).
Voided (作废) entries, attendees and needs count nowhere: every count here filters
``Voidable.COUNTED``; the lists show them only when asked for (the 已作废 filter).

Reusable by the dashboard (``org`` is any unit; its whole subtree is counted):

    activities_in(org, campaign=None) -> QuerySet[Activity]
        Ledger entries held by ``org`` or a unit below it (optionally for one campaign).
    ledger_totals(org, campaign=None) -> dict
        {"events", "participants", "women", "minors", "online_reach", "units"} for that subtree.
    coverage(org, campaign=None) -> Coverage
        Per child unit of ``org`` (plus ``org`` itself for events it held directly): events,
        people and women per venue type, events and people per law and per speaker type; with a
        total row. One query.
    needs_in(org) -> QuerySet[Need]
        Needs whose responsible unit or symposium unit lies in the subtree.
    need_counts(org) -> dict
        {"open", "overdue", "resolved", "unresolvable", "total"} of ``needs_in(org)``.
    need_board(org) -> list[NeedBoardRow]
        Per responsible unit in the subtree: open / overdue / resolved / unresolvable counts. One query.

For the ledger pages (``user`` is the viewer):

    ledger(*, user, filters: LedgerFilter) -> QuerySet[Activity]
    likely_duplicates(*, org, date, title, place, exclude=None) -> list[Activity]
    needs_list(*, user, filters: NeedFilter) -> QuerySet[Need]
    recorded_entries(events) -> dict[int, Activity]   # planned event pk → its ledger entry (voided too)
    roster(activity) -> QuerySet[Attendee]           # the symposium's attendees who count
    campaigns_for_filter(*, user) -> QuerySet[Campaign]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from jinguo.activities.models import LAW_FIELDS, Activity, Attendee, Need
from jinguo.campaigns.models import Campaign, VenueType
from jinguo.orgs.models import Org
from jinguo.orgs.selectors import branches, totals_by_branch

# The four venues the 维权周 notice asks every unit to reach (进农村进社区进企业进学校).
KEY_VENUES = [VenueType.VILLAGE, VenueType.COMMUNITY, VenueType.ENTERPRISE, VenueType.SCHOOL]


def _entries_in(org: Org, campaign: Campaign | None = None) -> QuerySet[Activity]:
    qs = Activity.objects.filter(org.subtree_q("org"))
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs


def activities_in(org: Org, campaign: Campaign | None = None) -> QuerySet[Activity]:
    """The entries that count (not voided)."""
    return _entries_in(org, campaign).filter(Activity.COUNTED)


def ledger_totals(org: Org, campaign: Campaign | None = None) -> dict:
    zero = Value(0, output_field=IntegerField())
    return activities_in(org, campaign).aggregate(
        events=Count("id"),
        participants=Coalesce(Sum("participants_total"), zero),
        women=Coalesce(Sum("participants_women"), zero),
        minors=Coalesce(Sum("participants_minors"), zero),
        online_reach=Coalesce(Sum("online_reach"), zero),
        units=Count("org", distinct=True),
    )


# ---------------------------------------------------------------------------------------------
# Ledger list


@dataclass(frozen=True)
class LedgerFilter:
    campaign: Campaign | None = None
    org: Org | None = None  # a unit in the viewer's subtree; its whole subtree is listed
    venue_type: str = ""
    format: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str = ""
    voided: str = ""  # "" the entries that count, "voided" only the voided ones, "all" both


LEDGER_VOIDED_CHOICES = [("", "有效台账"), ("voided", "已作废"), ("all", "全部（含已作废）")]


def ledger(*, user, filters: LedgerFilter = LedgerFilter()) -> QuerySet[Activity]:
    root = filters.org if filters.org is not None and filters.org.is_within(user.org) else user.org
    qs = _entries_in(root, filters.campaign)
    if filters.voided == "voided":
        qs = qs.filter(voided_at__isnull=False)
    elif filters.voided != "all":
        qs = qs.filter(Activity.COUNTED)
    if filters.venue_type:
        qs = qs.filter(venue_type=filters.venue_type)
    if filters.format:
        qs = qs.filter(format=filters.format)
    if filters.date_from:
        qs = qs.filter(date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(date__lte=filters.date_to)
    if filters.text:
        qs = qs.filter(Q(title__icontains=filters.text) | Q(place__icontains=filters.text))
    return qs.select_related("org", "campaign", "line").annotate(photo_count=Count("photos")).order_by("-date", "-id")


def campaigns_for_filter(*, user) -> QuerySet[Campaign]:
    """Published campaigns the viewer sees (issued in or sent to its subtree)."""
    return Campaign.objects.visible_to(user).exclude(status=Campaign.Status.DRAFT).order_by("-published_at")


def likely_duplicates(
    *, org: Org, date: dt.date, title: str, place: str, exclude: Activity | None = None
) -> list[Activity]:
    """Entries that count, of the same unit and date, with the same title or the same place: the
    one definition of a likely duplicate, asked before recording or changing an entry."""
    qs = Activity.objects.filter(Activity.COUNTED, org=org, date=date).filter(
        Q(title=title.strip()) | Q(place=place.strip())
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(qs.order_by("pk")[:5])


def recorded_entries(events: Iterable) -> dict[int, Activity]:
    """The ledger entries made from these planned events, by planned event pk (one query). A voided
    entry stays linked (its planned event is not recorded again): check ``is_voided``."""
    pks = [e.pk for e in events]
    if not pks:
        return {}
    return {
        a.planned_event_id: a
        for a in Activity.objects.filter(planned_event_id__in=pks).only("pk", "planned_event", "voided_at")
    }


def roster(activity: Activity) -> QuerySet[Attendee]:
    """A symposium's attendees who count (not voided), in the order they were added."""
    return Attendee.objects.filter(Attendee.COUNTED, activity=activity).order_by("id")


# ---------------------------------------------------------------------------------------------
# Coverage (维权周 进农村进社区进企业进学校)


@dataclass
class CoverageRow:
    org: Org | None
    own: bool = False  # the events the parent unit held itself
    events: int = 0
    people: int = 0
    women: int = 0
    venues: dict[str, dict[str, int]] = field(default_factory=dict)  # venue → {events, people, women}
    laws: dict[str, dict[str, int]] = field(default_factory=dict)  # law field → {events, people}
    speakers: dict[str, dict[str, int]] = field(default_factory=dict)  # speaker type → {events, people}
    has_children: bool = False

    def __post_init__(self) -> None:
        for v in VenueType.values:
            self.venues.setdefault(v, {"events": 0, "people": 0, "women": 0})
        for f in LAW_FIELDS:
            self.laws.setdefault(f, {"events": 0, "people": 0})
        for s in Activity.SpeakerType.values:
            self.speakers.setdefault(s, {"events": 0, "people": 0})

    @property
    def key_venues_reached(self) -> int:
        return sum(1 for v in KEY_VENUES if self.venues.get(v, {}).get("events"))

    def venue_cells(self) -> list[dict[str, int]]:
        return [self.venues[v] for v in VenueType.values]

    def law_cells(self) -> list[dict[str, int]]:
        return [self.laws[f] for f in LAW_FIELDS]

    def speaker_cells(self) -> list[dict[str, int]]:
        return [self.speakers[s] for s in Activity.SpeakerType.values]


@dataclass
class Coverage:
    org: Org
    campaign: Campaign | None
    rows: list[CoverageRow]
    total: CoverageRow


def _coverage_aggregates() -> dict:
    zero = Value(0, output_field=IntegerField())
    aggs = {
        "events": Count("id"),
        "people": Coalesce(Sum("participants_total"), zero),
        "women": Coalesce(Sum("participants_women"), zero),
    }
    for v in VenueType.values:
        q = Q(venue_type=v)
        aggs[f"v_{v}_events"] = Count("id", filter=q)
        aggs[f"v_{v}_people"] = Coalesce(Sum("participants_total", filter=q), zero)
        aggs[f"v_{v}_women"] = Coalesce(Sum("participants_women", filter=q), zero)
    for f in LAW_FIELDS:
        q = Q(**{f: True})
        aggs[f"l_{f}_events"] = Count("id", filter=q)
        aggs[f"l_{f}_people"] = Coalesce(Sum("participants_total", filter=q), zero)
    for s in Activity.SpeakerType.values:
        q = Q(speaker_type=s)
        aggs[f"s_{s}_events"] = Count("id", filter=q)
        aggs[f"s_{s}_people"] = Coalesce(Sum("participants_total", filter=q), zero)
    return aggs


def _fill(row: CoverageRow, data: dict) -> None:
    row.events += data["events"]
    row.people += data["people"]
    row.women += data["women"]
    for v, cell in row.venues.items():
        for k in cell:
            cell[k] += data[f"v_{v}_{k}"]
    for f, cell in row.laws.items():
        for k in cell:
            cell[k] += data[f"l_{f}_{k}"]
    for s, cell in row.speakers.items():
        for k in cell:
            cell[k] += data[f"s_{s}_{k}"]


def coverage(org: Org, campaign: Campaign | None = None) -> Coverage:
    """Per child unit of ``org``: the subtree's events and people by venue, law and speaker type.

    Children with no events are listed with zeros (who has done nothing shows); 本级 only when
    ``org`` held events itself. Two queries.
    """
    by_branch = totals_by_branch(activities_in(org, campaign), root=org, **_coverage_aggregates())
    rows = []
    total = CoverageRow(org=None)
    for branch in branches(org, by_branch):
        row = CoverageRow(org=branch.org, own=branch.own, has_children=branch.has_children)
        if branch.path in by_branch:
            _fill(row, by_branch[branch.path])
            _fill(total, by_branch[branch.path])
        if row.events or not row.own:
            rows.append(row)
    return Coverage(org=org, campaign=campaign, rows=rows, total=total)


# ---------------------------------------------------------------------------------------------
# Needs


def _all_needs_in(org: Org) -> QuerySet[Need]:
    return Need.objects.filter(org.subtree_q("org") | org.subtree_q("activity__org"))


def needs_in(org: Org) -> QuerySet[Need]:
    """The needs that count (not voided)."""
    return _all_needs_in(org).filter(Need.COUNTED)


def need_counts(org: Org, *, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    return needs_in(org).aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status__in=Need.OPEN_STATUSES)),
        overdue=Count("id", filter=Need.overdue_q(today)),
        resolved=Count("id", filter=Q(status=Need.Status.RESOLVED)),
        unresolvable=Count("id", filter=Q(status=Need.Status.UNRESOLVABLE)),
    )


@dataclass
class NeedBoardRow:
    org: Org
    open: int
    overdue: int
    resolved: int
    unresolvable: int

    @property
    def total(self) -> int:
        return self.open + self.resolved + self.unresolvable


def need_board(org: Org, *, today: dt.date | None = None) -> list[NeedBoardRow]:
    """Per responsible unit (every unit in the subtree that has needs), overdue first."""
    today = today or timezone.localdate()
    grouped = (
        Need.objects.filter(org.subtree_q("org"), Need.COUNTED)
        .values("org")
        .annotate(
            open=Count("id", filter=Q(status__in=Need.OPEN_STATUSES)),
            overdue=Count("id", filter=Need.overdue_q(today)),
            resolved=Count("id", filter=Q(status=Need.Status.RESOLVED)),
            unresolvable=Count("id", filter=Q(status=Need.Status.UNRESOLVABLE)),
        )
        .order_by()
    )
    counts = {g["org"]: g for g in grouped}
    orgs = Org.objects.filter(pk__in=list(counts)).order_by("path")
    rows = [
        NeedBoardRow(
            org=o,
            open=counts[o.pk]["open"],
            overdue=counts[o.pk]["overdue"],
            resolved=counts[o.pk]["resolved"],
            unresolvable=counts[o.pk]["unresolvable"],
        )
        for o in orgs
    ]
    rows.sort(key=lambda r: (-r.overdue, -r.open, r.org.path))
    return rows


@dataclass(frozen=True)
class NeedFilter:
    org: Org | None = None  # responsible unit (and below)
    state: str = ""  # a Need.Status value, "open", "overdue" or "voided"
    category: str = ""
    text: str = ""


NEED_STATES = [("open", "未办结"), ("overdue", "已超期"), *Need.Status.choices, ("voided", "已作废")]


def needs_list(*, user, filters: NeedFilter = NeedFilter(), today: dt.date | None = None) -> QuerySet[Need]:
    today = today or timezone.localdate()
    qs = _all_needs_in(user.org)
    qs = qs.filter(voided_at__isnull=False) if filters.state == "voided" else qs.filter(Need.COUNTED)
    if filters.org is not None and filters.org.is_within(user.org):
        qs = qs.filter(filters.org.subtree_q("org"))
    if filters.state == "open":
        qs = qs.filter(status__in=Need.OPEN_STATUSES)
    elif filters.state == "overdue":
        qs = qs.filter(Need.overdue_q(today))
    elif filters.state in Need.Status.values:
        qs = qs.filter(status=filters.state)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.text:
        qs = qs.filter(Q(description__icontains=filters.text) | Q(raised_by_name__icontains=filters.text))
    return qs.select_related("org", "activity__org").order_by("status", "due_date", "id")
