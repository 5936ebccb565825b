"""Reads of the care registry, each taking the viewer. Lists load no encrypted column: a page of
people decrypts nothing it does not show (``Person.LIST_FIELDS``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.accounts.rules import has_perm
from jinguo.care.models import AccessLog, Category, Person
from jinguo.care.rules import REGISTRY_READ
from jinguo.lib.idnumbers import IdNumberError, parse_id_number
from jinguo.lib.masking import mask_name
from jinguo.orgs.models import Org

SOON_DAYS = 7
SEARCH_LIMIT = 50


def people_visible_to(*, user: User) -> QuerySet[Person]:
    """The people of the viewer's subtree, for a viewer holding the care role; nobody else's."""
    if not has_perm(user, REGISTRY_READ, at=user.org):
        return Person.objects.none()
    return Person.objects.visible_to(user).filter(anonymised_at__isnull=True)


def people_list(*, user: User, status: str = "", category: int | None = None, org_id: int | None = None):
    # The units of the subtree first, by id: PostgreSQL otherwise scans the whole table for a name
    # (ILIKE '%…%') before joining the units (290 -> a few ms at 200,000 people, bench/care.py).
    units = Org.objects.filter(user.org.subtree_q()).values("pk")
    qs = people_visible_to(user=user).filter(org__in=units).only(*Person.LIST_FIELDS).select_related("org")
    qs = qs.prefetch_related(Prefetch("categories", queryset=Category.objects.only("id", "name")))
    if status in Person.Status.values:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(categories=category)
    if org_id:
        qs = qs.filter(org_id=org_id)
    return qs.order_by("org__path", "name", "pk")


@dataclass(frozen=True)
class SearchResult:
    people: list[Person]
    by_id: bool
    error: str = ""


def search_people(*, user: User, query: str) -> SearchResult:
    """By exact ID number (through its keyed digest: the number is never compared in clear) when the
    query is one, else by name."""
    from jinguo.care.services import digest_of

    query = (query or "").strip()
    if not query:
        return SearchResult([], by_id=False)
    base = people_list(user=user)
    if query[:1].isdigit():
        try:
            number = parse_id_number(query).number
        except IdNumberError as exc:
            return SearchResult([], by_id=True, error=str(exc))
        return SearchResult(list(base.filter(id_digest=digest_of(number))), by_id=True)
    return SearchResult(list(base.filter(name__icontains=query)[:SEARCH_LIMIT]), by_id=False)


def display_name(person: Person, viewer: User) -> str:
    """Whole for the unit that keeps the person (it works the case), masked for units above it."""
    return person.name if person.org_id == viewer.org_id else mask_name(person.name)


def followups_due(*, user: User, today: dt.date | None = None) -> tuple[list[Person], list[Person]]:
    """(overdue, due within a week) among the viewer's active people."""
    today = today or timezone.localdate()
    qs = people_list(user=user, status=Person.Status.ACTIVE).filter(
        next_followup_on__lte=today + dt.timedelta(days=SOON_DAYS)
    )
    rows = list(qs.order_by("next_followup_on", "pk"))
    return [p for p in rows if p.next_followup_on < today], [p for p in rows if p.next_followup_on >= today]


def followup_counts_by_org(*, today: dt.date) -> dict[int, tuple[int, int]]:
    """Across the tree (the daily digest): org id -> (overdue, due within a week). Counts only."""
    soon = today + dt.timedelta(days=SOON_DAYS)
    rows = (
        Person.objects.filter(status=Person.Status.ACTIVE, anonymised_at__isnull=True, next_followup_on__lte=soon)
        .values("org_id")
        .annotate(overdue=Count("pk", filter=Q(next_followup_on__lt=today)), total=Count("pk"))
    )
    return {r["org_id"]: (r["overdue"], r["total"] - r["overdue"]) for r in rows}


def help_during_campaign_q(campaign, *, family: list[int] | None = None) -> Q:
    """Help given "during the campaign": linked to it (or to a re-issue of it), or given within its
    period. One definition for the campaign board's care line and the care dashboard."""
    return Q(campaign_id__in=family or [campaign.pk]) | Q(
        given_on__gte=campaign.starts_on, given_on__lte=campaign.ends_on
    )


def access_log_of(person: Person) -> QuerySet[AccessLog]:
    return AccessLog.objects.filter(person=person).select_related("user_org").order_by("-at", "-pk")


@dataclass(frozen=True)
class UnusualReading:
    user_id: int
    user_name: str
    org_name: str
    people: int
    start: dt.datetime
    end: dt.datetime


UNUSUAL_PEOPLE = 30
UNUSUAL_WINDOW = dt.timedelta(minutes=60)
READ_ACTIONS = (AccessLog.Action.VIEW, AccessLog.Action.REVEAL, AccessLog.Action.PRINT, AccessLog.Action.ATTACHMENT)


def unusual_reading(
    *, user: User, since: dt.datetime, people: int = UNUSUAL_PEOPLE, window: dt.timedelta = UNUSUAL_WINDOW
) -> list[UnusualReading]:
    """Users who opened ``people`` or more different records within ``window`` (in the viewer's
    subtree, since ``since``): the busiest such window of each."""
    rows = (
        AccessLog.objects.visible_to(user)
        .filter(at__gte=since, action__in=READ_ACTIONS, user__isnull=False)
        .order_by("user_id", "at")
        .values_list("user_id", "user_name", "user_org__name", "person_id", "at")
    )
    by_user: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_user[row[0]].append(row)
    found = []
    for user_id, reads in by_user.items():
        best = None
        start = 0
        for end in range(len(reads)):
            while reads[end][4] - reads[start][4] > window:
                start += 1
            distinct = len({r[3] for r in reads[start : end + 1]})
            if distinct >= people and (best is None or distinct > best[0]):
                best = (distinct, reads[start][4], reads[end][4])
        if best:
            found.append(UnusualReading(user_id, reads[0][1], reads[0][2] or "", best[0], best[1], best[2]))
    return sorted(found, key=lambda u: -u.people)
