"""Reads of the contests app, each taking the viewer."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from jinguo.contests.models import Contest, Entry, Quota, Recommendation
from jinguo.lib.scoping import scopes_disabled, subtree_q
from jinguo.orgs.models import Org


def contests_visible_to(*, user) -> QuerySet[Contest]:
    """The contests of the viewer's subtree and those of the units above it (they submit to them);
    a contest in 筹备中 only to its own subtree (it has not been announced yet)."""
    announced = ~Q(status=Contest.Status.DRAFT) | subtree_q(user.org.path, "owner")
    return Contest.objects.visible_to(user).filter(announced).select_related("owner", "line")


def entries_of(contest: Contest, *, user, category: int | None = None, status: str = "", org: Org | None = None,
               q: str = "") -> QuerySet[Entry]:  # fmt: skip
    """The entries of ``contest`` the viewer may see (their subtree's, or all for the organiser),
    with what the list shows in one query."""
    qs = (
        Entry.objects.visible_to(user)
        .filter(contest=contest)
        .select_related("category", "author_org", "current_version")
        .order_by("number")
    )
    if category:
        qs = qs.filter(category_id=category)
    if status == "recommended":
        qs = qs.filter(status=Entry.Status.SUBMITTED, recommended=True)
    elif status in Entry.Status.values:
        qs = qs.filter(status=status)
    if org is not None:
        qs = qs.filter(org.subtree_q("author_org"))
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(code__icontains=q) | Q(author_name__icontains=q))
    return qs


def quota_of(contest: Contest, org: Org) -> Quota | None:
    return Quota.objects.filter(contest=contest, org=org).first()


def recommendable_entries(contest: Contest, *, org: Org) -> QuerySet[Entry]:
    """The submitted entries ``org`` decides on: its subtree's, except those of a unit below it
    that has a quota of its own (that unit recommends them)."""
    with scopes_disabled():  # the quota units below ``org`` lie in its own subtree
        inner = list(
            Quota.objects.filter(contest=contest)
            .filter(org.subtree_q("org"))
            .exclude(org=org)
            .values_list("org__path", flat=True)
        )
    qs = Entry.objects.filter(contest=contest, status=Entry.Status.SUBMITTED).filter(org.subtree_q("author_org"))
    for path in inner:
        qs = qs.exclude(subtree_q(path, "author_org"))
    return qs.select_related("category", "author_org", "current_version").order_by("number")


DECISION_FILTERS = {"pending": "待推荐", "recommended": "已推荐", "declined": "不推荐"}


def with_decision(qs: QuerySet[Entry], *, org: Org, decision: str) -> QuerySet[Entry]:
    """``qs`` narrowed to the entries ``org`` has not decided on ("pending"), or has recommended or declined."""
    if decision not in DECISION_FILTERS:
        return qs
    decided = Recommendation.objects.filter(entry=OuterRef("pk"), org=org)
    if decision == "pending":
        return qs.exclude(Exists(decided))
    return qs.filter(Exists(decided.filter(status=decision)))


def decisions_by_entry(entries: list[Entry], *, org: Org) -> dict[int, Recommendation]:
    return {r.entry_id: r for r in Recommendation.objects.filter(entry__in=[e.pk for e in entries], org=org)}


def recommended_count(contest: Contest, org: Org) -> int:
    """How much of ``org``'s 名额 is used: its recommendations of entries still in the contest."""
    return Recommendation.objects.filter(
        entry__contest=contest, entry__status=Entry.Status.SUBMITTED, org=org, status=Recommendation.Status.RECOMMENDED
    ).count()


@dataclass(frozen=True)
class UnitRecommendation:
    org: Org
    quota: int
    submitted: int
    recommended: int
    declined: int

    @property
    def pending(self) -> int:
        return max(self.submitted - self.recommended - self.declined, 0)

    @property
    def done(self) -> bool:
        return self.recommended >= self.quota or self.pending == 0


def recommendation_status(contest: Contest) -> list[UnitRecommendation]:
    """Per quota unit: its 名额, the entries of its subtree, and its decisions (the organiser's view),
    in a fixed number of queries."""
    quotas = list(Quota.objects.filter(contest=contest).select_related("org").order_by("org__path"))
    decided = dict.fromkeys(((q.org_id, s) for q in quotas for s in Recommendation.Status.values), 0)
    for row in (
        Recommendation.objects.filter(entry__contest=contest, entry__status=Entry.Status.SUBMITTED)
        .values("org_id", "status")
        .annotate(n=Count("id"))
    ):
        decided[(row["org_id"], row["status"])] = row["n"]
    paths = list(
        Entry.objects.filter(contest=contest, status=Entry.Status.SUBMITTED).values_list("author_org__path", flat=True)
    )
    quota_paths = sorted((q.org.path for q in quotas), key=len, reverse=True)
    submitted = dict.fromkeys(quota_paths, 0)
    for path in paths:
        owner = next((p for p in quota_paths if path.startswith(p)), None)  # the deepest quota unit
        if owner is not None:
            submitted[owner] += 1
    return [
        UnitRecommendation(
            org=q.org,
            quota=q.max_entries,
            submitted=submitted[q.org.path],
            recommended=decided[(q.org_id, Recommendation.Status.RECOMMENDED)],
            declined=decided[(q.org_id, Recommendation.Status.DECLINED)],
        )
        for q in quotas
    ]
