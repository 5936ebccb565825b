"""Running totals of the activity ledger for the supervision board (台账汇总).

The board must not scan a million ledger entries per view, so every ledger write also adjusts three
small tables inside the same transaction (voiding an entry subtracts it, restoring adds it back):

- ``ActivityRollup`` per (campaign, unit, venue type, format): events, participants (total, women,
  minors) and online reach;
- ``ActivityDayRollup`` per (campaign, unit, day): events, participants (total, women);
- ``ActivityBreakdownRollup`` per (campaign, unit, activity line, venue type, format, speaker type):
  events, participants (total, women) — the summary's per-line and per-speaker figures
  (``dashboard.selectors.board_breakdown``). Its line is the line's id, 0 for none (see the model).

The three are one list (``_totals``: model, key fields, summed fields) that every path below walks —
record, update, void, restore, import, unit move and rebuild — so a new running total is one entry
there plus its model, never a second write path.

``unit`` is EVERY unit above or at the event's unit, so a unit's rows hold its whole subtree; the
board reads the rows of the selected unit and of its children, and 本级 (the unit's own events) is
the unit's rows minus its children's. Entries without a campaign are on no board and are not rolled
up; voided entries count nowhere and are not rolled up either. Increments are ``F()`` updates of rows made sure to exist first (INSERT … ON CONFLICT DO
NOTHING), so concurrent writers add up; if an expected row is missing the write fails rather than
drifting. Rows whose counts fall back to zero are kept (a rebuild drops them).

Who calls what:

    apply_activity_changes(changes)      # ledger services: [(activity, +1 | -1), ...] in their transaction
                                         # (record, import: +1; update: -old +new; void: -1; restore: +1)
    rollup_values(activity)              # the figures of one entry, to subtract before an update
    move_rollups(org, old_ancestors=...) # on orgs' ``org_moved`` signal (move_org, after rewriting the paths)
    rebuild_activity_rollups(campaign=None) -> int   # from the ledger; `manage.py rebuildrollups`

The records pages behind each number keep reading the raw ledger (traceability); the tests check
that after any sequence of writes the rollups equal a fresh aggregate of the ledger for every unit.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import islice
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Sum, Value
from django.db.models.functions import Coalesce, Length, Substr

from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import SEGMENT_WIDTH, Org

ROLLUP_SUMS = ("participants_total", "participants_women", "participants_minors", "online_reach")
DAY_SUMS = ("participants_total", "participants_women")
BREAKDOWN_SUMS = ("participants_total", "participants_women")
BREAKDOWN_KEYS = ("line", "venue_type", "format", "speaker_type")
BATCH = 5000

# The ledger's expression for a key field where it is not the entry's field of the same name:
# the breakdown's ``line`` is the line's id with 0 for none (a NULL key is never "equal" in a unique
# constraint, so ON CONFLICT DO NOTHING would add a row per write).
LEDGER_KEYS = {"line": Coalesce("line_id", Value(0))}


class RollupDriftError(RuntimeError):
    """A rollup row expected to exist was not updated: the write is rolled back."""


def rollup_values(activity) -> dict[str, Any]:
    """What one ledger entry contributes (a snapshot: take it before changing the entry)."""
    return {
        "org_id": activity.org_id,
        "campaign_id": activity.campaign_id,
        "venue_type": activity.venue_type,
        "format": activity.format,
        "date": activity.date,
        "line": activity.line_id or 0,
        "speaker_type": activity.speaker_type,
        **{name: getattr(activity, name) or 0 for name in ROLLUP_SUMS},
    }


def _totals(rollup, day, breakdown) -> list[tuple[Any, tuple[str, ...], tuple[str, ...]]]:
    """The running totals: (model, key fields after campaign and unit, summed fields). ``breakdown``
    is None for migration 0002's models, which predate it."""
    totals = [(rollup, ("venue_type", "format"), ROLLUP_SUMS), (day, ("date",), DAY_SUMS)]
    if breakdown is not None:
        totals.append((breakdown, BREAKDOWN_KEYS, BREAKDOWN_SUMS))
    return totals


def _models():
    from jinguo.activities.models import ActivityBreakdownRollup, ActivityDayRollup, ActivityRollup

    return ActivityRollup, ActivityDayRollup, ActivityBreakdownRollup


def _apply(model, keys: tuple[str, ...], sums: tuple[str, ...], deltas: dict[tuple, list[int]]) -> None:
    """Add ``deltas`` ({(campaign_id, org_id, *keys): [events, *sums]}) to ``model``'s rows."""
    deltas = {k: v for k, v in deltas.items() if any(v)}
    if not deltas:
        return
    names = ("campaign_id", "org_id", *keys)
    model.objects.bulk_create(
        [model(**dict(zip(names, k, strict=True))) for k in sorted(deltas)], ignore_conflicts=True, batch_size=BATCH
    )
    # One UPDATE per distinct (campaign, key, delta): a single entry touches all its ancestors at once.
    groups: dict[tuple, list[int]] = defaultdict(list)
    for (campaign_id, org_id, *rest), delta in sorted(deltas.items()):
        groups[(campaign_id, *rest, *delta)].append(org_id)
    for group, org_ids in groups.items():
        campaign_id, rest, delta = group[0], group[1 : 1 + len(keys)], group[1 + len(keys) :]
        changes = {"events": F("events") + delta[0]}
        changes |= {name: F(name) + d for name, d in zip(sums, delta[1:], strict=True)}
        n = model.objects.filter(
            campaign_id=campaign_id, org_id__in=org_ids, **dict(zip(keys, rest, strict=True))
        ).update(**changes)
        if n != len(org_ids):
            raise RollupDriftError(f"{model.__name__}: {n} of {len(org_ids)} rows updated")


def _ancestor_ids(paths: set[str]) -> dict[str, int]:
    wanted = {p[:i] for p in paths for i in range(SEGMENT_WIDTH, len(p) + 1, SEGMENT_WIDTH)}
    return dict(Org.objects.filter(path__in=wanted).values_list("path", "pk"))


def apply_values(changes: list[tuple[dict[str, Any], int]]) -> None:
    """Add (sign +1) or subtract (sign -1) entries given as ``rollup_values`` snapshots."""
    changes = [(v, sign) for v, sign in changes if v["campaign_id"] is not None]
    if not changes:
        return
    with scopes_disabled():  # an entry counts in the totals of every unit above it, beyond the writer's subtree
        _apply_values(changes)


def _apply_values(changes: list[tuple[dict[str, Any], int]]) -> None:
    # Paths read here, not from the callers' objects, which may predate a move of the unit.
    paths = dict(Org.objects.filter(pk__in={v["org_id"] for v, _ in changes}).values_list("pk", "path"))
    ids = _ancestor_ids(set(paths.values()))
    for model, keys, sums in _totals(*_models()):
        deltas: dict[tuple, list[int]] = defaultdict(lambda sums=sums: [0] * (1 + len(sums)))
        for v, sign in changes:
            path = paths[v["org_id"]]
            key = tuple(v[k] for k in keys)
            for i in range(SEGMENT_WIDTH, len(path) + 1, SEGMENT_WIDTH):
                row = deltas[(v["campaign_id"], ids[path[:i]], *key)]
                row[0] += sign
                for j, name in enumerate(sums, 1):
                    row[j] += sign * v[name]
        _apply(model, keys, sums, deltas)


def apply_activity_changes(changes: list[tuple[Any, int]]) -> None:
    """Add (+1) or subtract (-1) ledger entries; call inside the write's transaction."""
    apply_values([(rollup_values(a), sign) for a, sign in changes])


def move_rollups(org: Org, *, old_ancestors: list[int], new_ancestors: list[int]) -> None:
    """``org`` moved with its subtree: its rows (its subtree's totals) leave the units that were
    above it and join the units now above it. Rows of the subtree itself are keyed by unit id and
    stay exact. Call inside the move's transaction."""
    with scopes_disabled():  # the units above the old and the new place lie outside the mover's subtree
        _move_rollups(org, old_ancestors=old_ancestors, new_ancestors=new_ancestors)


def _move_rollups(org: Org, *, old_ancestors: list[int], new_ancestors: list[int]) -> None:
    for model, keys, sums in _totals(*_models()):
        width = 1 + len(sums)
        deltas: dict[tuple, list[int]] = defaultdict(lambda width=width: [0] * width)
        for row in model.objects.filter(org=org).values("campaign_id", *keys, "events", *sums):
            figures = [row["events"], *(row[s] for s in sums)]
            for ancestors, sign in ((old_ancestors, -1), (new_ancestors, 1)):
                for org_id in ancestors:
                    delta = deltas[(row["campaign_id"], org_id, *(row[k] for k in keys))]
                    for i, n in enumerate(figures):
                        delta[i] += sign * n
        _apply(model, keys, sums, deltas)


def follow_moved_org(sender, *, org: Org, old_ancestors: list[int], new_ancestors: list[int], **kwargs) -> None:
    """Receiver of ``jinguo.orgs.signals.org_moved`` (connected in ``ActivitiesConfig.ready``)."""
    move_rollups(org, old_ancestors=old_ancestors, new_ancestors=new_ancestors)


def _rebuild(activity_model, org_model, totals, campaign_id: int | None) -> int:
    """Recompute ``totals`` (a list as ``_totals`` gives, or part of it: a migration adding a running
    total builds only its own) from the ledger."""
    # Base managers: unscoped, and present on the historical models of a migration too.
    for model, _keys, _sums in totals:
        qs = model._base_manager.all()
        (qs.filter(campaign_id=campaign_id) if campaign_id else qs).delete()
    ledger = activity_model._base_manager.filter(campaign__isnull=False)
    if any(f.name == "voided_at" for f in activity_model._meta.fields):  # migration 0002's model predates voiding
        ledger = ledger.filter(voided_at__isnull=True)
    if campaign_id:
        ledger = ledger.filter(campaign_id=campaign_id)
    orgs = org_model._base_manager
    max_len = max((len(p) for p in orgs.values_list("path", flat=True)), default=0)
    ids = dict(orgs.values_list("path", "pk"))
    written = 0
    for width in range(SEGMENT_WIDTH, max_len + 1, SEGMENT_WIDTH):
        for model, keys, sums in totals:
            groups = (
                ledger.annotate(branch=Substr("org__path", 1, width), depth_len=Length("org__path"))
                .annotate(**{f"k_{k}": LEDGER_KEYS.get(k, F(k)) for k in keys})
                .filter(depth_len__gte=width)
                .order_by()
                .values("branch", "campaign_id", *(f"k_{k}" for k in keys))
                .annotate(n=Count("pk"), **{f"s_{s}": Sum(s) for s in sums})
            )
            objs = (
                model(
                    org_id=ids[g["branch"]],
                    campaign_id=g["campaign_id"],
                    events=g["n"],
                    **{k: g[f"k_{k}"] for k in keys},
                    **{s: g[f"s_{s}"] or 0 for s in sums},
                )
                for g in groups.iterator(chunk_size=BATCH)
            )
            while batch := list(islice(objs, BATCH)):  # streamed: a province holds millions of rows
                model._base_manager.bulk_create(batch)
                written += len(batch)
    return written


def rebuild_activity_rollups(campaign=None) -> int:
    """Recompute the rollups of ``campaign`` (or of every campaign) from the ledger, in one
    transaction. Returns the number of rows written."""
    from jinguo.activities.models import Activity

    with transaction.atomic():
        return _rebuild(Activity, Org, _totals(*_models()), campaign.pk if campaign is not None else None)
