"""Running totals of the registry for the aggregate page (关爱统计): people 在册 (active and not
anonymised) per unit, and per (unit, category), so the page does not group 200,000 wide person rows
per view. Same pattern as the ledger's totals (``activities.rollups``):

- ``UnitCount`` per unit and ``CategoryCount`` per (unit, category), where ``org`` is EVERY unit
  above or at the person's unit: a unit's row holds its whole subtree, 本级 is the unit's row minus
  its children's;
- increments are ``F()`` updates of rows made sure to exist first (INSERT … ON CONFLICT DO
  NOTHING), so concurrent writers add up; a missing row fails the write rather than drifting.

Who calls what (inside the write's transaction):

    with tracking(person_ids) as t:   # register, update, close, reopen, transfer, import, anonymise
        ...change the people...       # what each person counted is read from the database before
        t.add(new_ids)                # and after the change, and the difference applied: a write
                                      # that changes nothing countable changes no total
    follow_moved_org(...)             # on orgs' ``org_moved`` signal (the subtree's totals move)
    rebuild_care_counts() -> int      # from the registry; `manage.py rebuildcarecounts`, migration 0002

Overdue follow-ups and help given stay queries: they depend on today and on the chosen period.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import Length, Substr

from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import SEGMENT_WIDTH, Org

BATCH = 5000
ACTIVE = "active"


class CountDriftError(RuntimeError):
    """A count row expected to exist was not updated: the write is rolled back."""


def _models():
    from jinguo.care.models import CategoryCount, Person, UnitCount

    return Person, UnitCount, CategoryCount


def contributions(person_ids: Iterable[int], *, lock: bool = False) -> Counter:
    """What ``person_ids`` count now: {(org_id, None): people, (org_id, category_id): people}."""
    person, _, _ = _models()
    ids = list(person_ids)
    out: Counter = Counter()
    if not ids:
        return out
    with scopes_disabled():  # the totals follow the database, whoever the writer is
        qs = person.objects.filter(pk__in=ids)
        if lock:  # two writers of one person: the second reads what the first left
            list(qs.select_for_update().values_list("pk", flat=True))
        counted = dict(qs.filter(status=ACTIVE, anonymised_at__isnull=True).order_by().values_list("pk", "org_id"))
        for org_id in counted.values():
            out[(org_id, None)] += 1
        through = person.categories.through.objects.filter(person_id__in=list(counted))
        for person_id, category_id in through.values_list("person_id", "category_id"):
            out[(counted[person_id], category_id)] += 1
    return out


class Tracker:
    def __init__(self, person_ids: Iterable[int]):
        self.ids = set(person_ids)
        self.before = contributions(self.ids, lock=True)

    def add(self, person_ids: Iterable[int]) -> None:
        """People created inside the block (they counted nothing before)."""
        self.ids |= set(person_ids)

    def apply(self) -> None:
        after = contributions(self.ids)
        deltas = {k: after[k] - self.before[k] for k in after.keys() | self.before.keys()}
        apply_deltas({k: d for k, d in deltas.items() if d})
        self.before = after


@contextmanager
def tracking(person_ids: Iterable[int] = ()):
    """Apply to the totals what the block changed of ``person_ids`` (and of those ``add``-ed)."""
    with transaction.atomic():
        tracker = Tracker(person_ids)
        yield tracker
        tracker.apply()


def apply_deltas(deltas: dict[tuple[int, int | None], int]) -> None:
    """Add ``deltas`` ({(org_id, category_id or None): n}) to the unit and all units above it."""
    if not deltas:
        return
    with scopes_disabled():  # a person counts in the totals of every unit above it, beyond the writer's subtree
        paths = dict(Org.objects.filter(pk__in={o for o, _ in deltas}).values_list("pk", "path"))
        wanted = {p[:i] for p in paths.values() for i in range(SEGMENT_WIDTH, len(p) + 1, SEGMENT_WIDTH)}
        ids = dict(Org.objects.filter(path__in=wanted).values_list("path", "pk"))
        spread: dict[tuple[int, int | None], int] = defaultdict(int)
        for (org_id, category_id), n in deltas.items():
            path = paths[org_id]
            for i in range(SEGMENT_WIDTH, len(path) + 1, SEGMENT_WIDTH):
                spread[(ids[path[:i]], category_id)] += n
        _apply(spread)


def _apply(spread: dict[tuple[int, int | None], int]) -> None:
    _, unit, category = _models()
    spread = {k: v for k, v in spread.items() if v}
    units = {o: n for (o, c), n in spread.items() if c is None}
    cats = {(o, c): n for (o, c), n in spread.items() if c is not None}
    unit.objects.bulk_create([unit(org_id=o) for o in sorted(units)], ignore_conflicts=True, batch_size=BATCH)
    category.objects.bulk_create(
        [category(org_id=o, category_id=c) for o, c in sorted(cats)], ignore_conflicts=True, batch_size=BATCH
    )
    # One UPDATE per distinct (category, delta): one person touches all its ancestors at once.
    groups: dict[tuple, list[int]] = defaultdict(list)
    for (org_id, category_id), n in sorted(spread.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        groups[(category_id, n)].append(org_id)
    for (category_id, n), org_ids in groups.items():
        if category_id is None:
            qs = unit.objects.filter(org_id__in=org_ids)
        else:
            qs = category.objects.filter(org_id__in=org_ids, category_id=category_id)
        done = qs.update(people=F("people") + n)
        if done != len(org_ids):
            raise CountDriftError(f"care counts: {done} of {len(org_ids)} rows updated")


def follow_moved_org(sender, *, org: Org, old_ancestors: list[int], new_ancestors: list[int], **kwargs) -> None:
    """Receiver of ``jinguo.orgs.signals.org_moved``: ``org``'s rows (its subtree's totals) leave
    the units that were above it and join those now above it (connected in ``CareConfig.ready``)."""
    _, unit, category = _models()
    spread: dict[tuple[int, int | None], int] = defaultdict(int)
    with scopes_disabled():  # the units above the old and the new place lie outside the mover's subtree
        rows = [(None, n) for n in unit.objects.filter(org=org).values_list("people", flat=True)]
        rows += list(category.objects.filter(org=org).values_list("category_id", "people"))
        for category_id, n in rows:
            for ancestors, sign in ((old_ancestors, -1), (new_ancestors, 1)):
                for org_id in ancestors:
                    spread[(org_id, category_id)] += sign * n
        _apply(spread)


def _rebuild(person_model, org_model, unit, category) -> int:
    # Base managers: unscoped, and present on the historical models of a migration too.
    unit._base_manager.all().delete()
    category._base_manager.all().delete()
    people = person_model._base_manager.filter(status=ACTIVE, anonymised_at__isnull=True)
    through = person_model._meta.get_field("categories").remote_field.through._base_manager.filter(
        person__status=ACTIVE, person__anonymised_at__isnull=True
    )
    orgs = org_model._base_manager
    max_len = max((len(p) for p in orgs.values_list("path", flat=True)), default=0)
    ids = dict(orgs.values_list("path", "pk"))
    written = 0
    for width in range(SEGMENT_WIDTH, max_len + 1, SEGMENT_WIDTH):
        rows = [
            unit(org_id=ids[g["branch"]], people=g["n"])
            for g in people.annotate(branch=Substr("org__path", 1, width), depth_len=Length("org__path"))
            .filter(depth_len__gte=width)
            .order_by()
            .values("branch")
            .annotate(n=Count("pk"))
        ]
        rows_c = [
            category(org_id=ids[g["branch"]], category_id=g["category_id"], people=g["n"])
            for g in through.annotate(
                branch=Substr("person__org__path", 1, width), depth_len=Length("person__org__path")
            )
            .filter(depth_len__gte=width)
            .order_by()
            .values("branch", "category_id")
            .annotate(n=Count("pk"))
        ]
        unit._base_manager.bulk_create(rows, batch_size=BATCH)
        category._base_manager.bulk_create(rows_c, batch_size=BATCH)
        written += len(rows) + len(rows_c)
    return written


def rebuild_care_counts() -> int:
    """Recompute every running total from the registry, in one transaction; rows written."""
    person, unit, category = _models()
    with transaction.atomic():
        return _rebuild(person, Org, unit, category)


def counts_by_branch(org: Org) -> tuple[dict[str, dict], dict[str, dict]]:
    """People and people per category of ``org``'s subtree per branch, keyed as
    ``orgs.selectors.totals_by_branch`` keys them (a child's path; ``org.path`` for 本级), zeros left out."""
    _, unit, category = _models()
    children = dict(Org.objects.filter(parent=org).values_list("pk", "path"))
    keys = {**children, org.pk: org.path}
    people: dict[str, dict] = defaultdict(dict)
    cats: dict[str, dict] = defaultdict(dict)
    for org_id, n in unit.objects.filter(org_id__in=list(keys)).values_list("org_id", "people"):
        people[keys[org_id]]["people"] = n
    for org_id, category_id, n in category.objects.filter(org_id__in=list(keys)).values_list(
        "org_id", "category_id", "people"
    ):
        cats[keys[org_id]][f"c{category_id}"] = n
    # 本级: the unit's subtree total minus its children's.
    for table in (people, cats):
        own = table.get(org.path, {})
        for name in list(own):
            own[name] -= sum(table[p].get(name, 0) for p in children.values() if p in table)
    return (
        {p: {k: v for k, v in d.items() if v} for p, d in people.items() if any(d.values())},
        {p: {k: v for k, v in d.items() if v} for p, d in cats.items() if any(d.values())},
    )
