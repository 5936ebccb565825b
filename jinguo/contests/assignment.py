"""Automatic assignment of entries to judges, with no database.

``assign`` gives every entry ``per_entry`` distinct judges, never a forbidden (judge, entry) pair,
with every judge's load within one of every other's (max - min <= 1), and the same answer for the
same seed. It works in two steps:

1. Greedy: entries in order of how few judges may take them (ties in a seeded random order), each
   taking the allowed judges with the lowest load so far (ties by a seeded random rank of judges).
   Without conflicts this alone is balanced.
2. Repair: while a judge could hand one of its entries, through a chain of other judges, to a judge
   with two fewer entries, move it (an augmenting path over judges). When no such chain exists both
   the highest load and the lowest are the best any assignment can reach, so a gap still above one
   means no balanced assignment exists, and ``AssignmentImpossible`` says so and why.

``existing`` pairs (judges already working on an entry) stay where they are and count towards both
the entry's k and the judge's load.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Mapping, Sequence, Set


class AssignmentImpossible(Exception):
    """No assignment meets the rules; the message (Chinese, for the organiser) says why."""


def assign(
    entries: Sequence[int],
    judges: Sequence[int],
    *,
    per_entry: int,
    seed: int,
    conflicts: Set[tuple[int, int]] = frozenset(),
    existing: Mapping[int, Sequence[int]] | None = None,
    judge_names: Mapping[int, str] | None = None,
    entry_codes: Mapping[int, str] | None = None,
) -> dict[int, list[int]]:
    """entry -> its judges (sorted), for every entry. ``conflicts`` holds forbidden (judge, entry)
    pairs. Raises ``AssignmentImpossible`` when there are too few judges for k after the conflicts,
    or when the conflicts leave no way to keep the loads within one; its message names judges and
    entries by ``judge_names`` / ``entry_codes`` when given, else by id."""
    existing = existing or {}
    judge_names = judge_names or {}
    entry_codes = entry_codes or {}
    entries = list(dict.fromkeys(entries))
    judges = list(dict.fromkeys(judges))
    if per_entry < 1:
        raise AssignmentImpossible("每件作品的评委人数至少为 1。")
    if not entries:
        return {}
    if len(judges) < per_entry:
        raise AssignmentImpossible(f"本轮只有 {len(judges)} 位评委，少于每件作品需要的 {per_entry} 位。")
    judge_set = set(judges)
    rng = random.Random(seed)
    judge_rank = {judge: position for position, judge in enumerate(rng.sample(judges, len(judges)))}

    by_entry: dict[int, set[int]] = {}
    fixed: set[tuple[int, int]] = set()
    load = dict.fromkeys(judges, 0)
    for entry in entries:
        kept = set(existing.get(entry, ()))
        for judge in kept:
            if judge not in judge_set:
                raise ValueError(f"existing judge {judge} of entry {entry} is not among the judges")
            if (judge, entry) in conflicts:
                raise ValueError(f"existing pair (judge {judge}, entry {entry}) is a conflict")
            fixed.add((judge, entry))
            load[judge] += 1
        by_entry[entry] = kept

    allowed: dict[int, list[int]] = {}
    for entry in entries:
        allowed[entry] = [judge for judge in judges if (judge, entry) not in conflicts]
        if len(allowed[entry]) < per_entry:
            raise AssignmentImpossible(
                f"作品 {entry_codes.get(entry, entry)} 回避后只有 {len(allowed[entry])} 位评委可评，少于每件作品需要的 {per_entry} 位。"
            )

    # The most constrained entries first, so that they still find their few judges with low loads.
    order = rng.sample(entries, len(entries))
    order.sort(key=lambda entry: len(allowed[entry]))
    for entry in order:
        have = by_entry[entry]
        need = per_entry - len(have)
        if need <= 0:
            continue
        candidates = [judge for judge in allowed[entry] if judge not in have]
        candidates.sort(key=lambda judge: (load[judge], judge_rank[judge]))
        for judge in candidates[:need]:
            have.add(judge)
            load[judge] += 1

    _rebalance(by_entry, allowed, load, fixed, judge_rank)

    low, high = min(load.values()), max(load.values())
    if high - low > 1:
        stuck = min(judges, key=lambda judge: (load[judge], judge_rank[judge]))
        raise AssignmentImpossible(
            f"回避关系过多，无法让各评委的作品数相差不超过 1：评委 {judge_names.get(stuck, stuck)} 最多只能分到 {load[stuck]} 件，"
            f"而有评委必须分到 {high} 件。请增加评委或减少回避。"
        )
    return {entry: sorted(by_entry[entry]) for entry in entries}


def _rebalance(
    by_entry: dict[int, set[int]],
    allowed: dict[int, list[int]],
    load: dict[int, int],
    fixed: set[tuple[int, int]],
    judge_rank: dict[int, int],
) -> None:
    """Move entries along chains of judges until neither the highest load can fall nor the lowest
    rise (see the module's docstring)."""
    holds: dict[int, list[int]] = {judge: [] for judge in load}
    for entry, judges in by_entry.items():
        for judge in judges:
            if (judge, entry) not in fixed:
                holds[judge].append(entry)
    for judge_entries in holds.values():
        judge_entries.sort()
    allowed_sets = {entry: set(judges) for entry, judges in allowed.items()}
    ordered = sorted(load, key=judge_rank.__getitem__)

    def path_from(sources: list[int], is_target) -> list[tuple[int, int, int]] | None:
        """A chain of moves (entry, from judge, to judge) from one of ``sources`` to a judge that
        ``is_target`` accepts, found breadth first; None when there is none."""
        came: dict[int, tuple[int, int] | None] = dict.fromkeys(sources)
        queue = deque(sources)
        while queue:
            giver = queue.popleft()
            for entry in holds[giver]:
                on_entry = by_entry[entry]
                for taker in ordered:
                    if taker in came or taker in on_entry or taker not in allowed_sets[entry]:
                        continue
                    came[taker] = (giver, entry)
                    if is_target(taker):
                        moves = []
                        while came[taker] is not None:
                            giver_of, moved = came[taker]
                            moves.append((moved, giver_of, taker))
                            taker = giver_of
                        return moves[::-1]
                    queue.append(taker)
        return None

    def apply(moves: list[tuple[int, int, int]]) -> None:
        for entry, giver, taker in moves:
            by_entry[entry].discard(giver)
            by_entry[entry].add(taker)
            holds[giver].remove(entry)
            holds[taker].append(entry)
        load[moves[0][1]] -= 1
        load[moves[-1][2]] += 1

    # Lower the highest load as far as it goes, then raise the lowest: each step moves one entry.
    while True:
        high = max(load.values())
        if high - min(load.values()) <= 1:
            return
        moves = path_from([j for j in ordered if load[j] == high], lambda taker, high=high: load[taker] <= high - 2)
        if moves is None:
            break
        apply(moves)
    while True:
        low = min(load.values())
        if max(load.values()) - low <= 1:
            return
        lowest = {j for j in ordered if load[j] == low}
        moves = path_from([j for j in ordered if load[j] >= low + 2], lowest.__contains__)
        if moves is None:
            return
        apply(moves)
