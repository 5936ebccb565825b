import itertools
import random
from collections import Counter

import pytest

from jinguo.contests.assignment import AssignmentImpossible, assign


def loads(result, judges):
    counted = Counter(judge for entry_judges in result.values() for judge in entry_judges)
    return [counted[judge] for judge in judges]


def check(result, entries, judges, k, conflicts, existing=None):
    assert sorted(result) == sorted(entries)
    for entry, entry_judges in result.items():
        assert len(entry_judges) == k
        assert len(set(entry_judges)) == k
        assert set(entry_judges) <= set(judges)
        assert not any((judge, entry) in conflicts for judge in entry_judges)
        assert set((existing or {}).get(entry, ())) <= set(entry_judges)
    counts = loads(result, judges)
    assert max(counts) - min(counts) <= 1


def random_case(rng):
    entries = rng.sample(range(1, 500), rng.randint(1, 60))
    judges = rng.sample(range(1, 100), rng.randint(1, 12))
    k = rng.randint(1, 4)
    density = rng.choice([0, 0.05, 0.2, 0.5])
    conflicts = {(j, e) for j in judges for e in entries if rng.random() < density}
    return entries, judges, k, conflicts


def feasible_by_brute_force(entries, judges, k, conflicts):
    """Every way of giving each entry k allowed judges, checked for balance (tiny cases only)."""
    options = [
        [combo for combo in itertools.combinations(judges, k) if not any((j, e) in conflicts for j in combo)]
        for e in entries
    ]
    for choice in itertools.product(*options):
        counted = Counter(judge for combo in choice for judge in combo)
        counts = [counted[judge] for judge in judges]
        if max(counts) - min(counts) <= 1:
            return True
    return False


def test_assign_without_conflicts_gives_everyone_the_same_load():
    result = assign(list(range(1, 2001)), list(range(1, 41)), per_entry=3, seed=7)

    check(result, list(range(1, 2001)), list(range(1, 41)), 3, set())
    assert set(loads(result, list(range(1, 41)))) == {150}


def test_assign_random_cases_keep_every_rule_or_say_why():
    rng = random.Random(20261206)
    solved = refused = 0
    for _ in range(400):
        entries, judges, k, conflicts = random_case(rng)
        try:
            result = assign(entries, judges, per_entry=k, seed=rng.randrange(10**6), conflicts=conflicts)
        except AssignmentImpossible as refusal:
            assert "评委" in str(refusal)
            refused += 1
            continue
        check(result, entries, judges, k, conflicts)
        solved += 1
    # Both outcomes really occur, so neither branch of the test is idle.
    assert solved > 100
    assert refused > 20


def test_assign_refuses_exactly_when_no_balanced_assignment_exists():
    rng = random.Random(5)
    outcomes = Counter()
    for _ in range(300):
        entries = list(range(1, rng.randint(1, 4) + 1))
        judges = list(range(101, 101 + rng.randint(1, 4)))
        k = rng.randint(1, 2)
        conflicts = {(j, e) for j in judges for e in entries if rng.random() < 0.35}
        possible = feasible_by_brute_force(entries, judges, k, conflicts)
        try:
            result = assign(entries, judges, per_entry=k, seed=rng.randrange(1000), conflicts=conflicts)
        except AssignmentImpossible:
            assert not possible, (entries, judges, k, conflicts)
            outcomes["refused"] += 1
        else:
            assert possible
            check(result, entries, judges, k, conflicts)
            outcomes["solved"] += 1
    assert outcomes["refused"] > 30
    assert outcomes["solved"] > 30


def test_assign_is_deterministic_for_a_seed_and_varies_with_it():
    entries, judges = list(range(1, 301)), list(range(1, 21))
    conflicts = {(j, e) for j in judges for e in entries if (j * 7 + e) % 11 == 0}

    first = assign(entries, judges, per_entry=3, seed=42, conflicts=conflicts)
    again = assign(list(entries), list(judges), per_entry=3, seed=42, conflicts=set(conflicts))
    other = assign(entries, judges, per_entry=3, seed=43, conflicts=conflicts)

    assert first == again
    assert first != other


def test_assign_keeps_existing_pairs_and_counts_them():
    entries, judges = [1, 2, 3, 4], [10, 20, 30, 40]
    existing = {1: [10], 2: [10]}

    result = assign(entries, judges, per_entry=2, seed=1, existing=existing)

    check(result, entries, judges, 2, set(), existing)
    assert loads(result, judges) == [2, 2, 2, 2]


def test_assign_rejects_an_existing_pair_that_is_a_conflict():
    with pytest.raises(ValueError):
        assign([1], [10, 20], per_entry=1, seed=1, conflicts={(10, 1)}, existing={1: [10]})


def test_assign_refuses_too_few_judges_for_k():
    with pytest.raises(AssignmentImpossible, match="本轮只有 2 位评委，少于每件作品需要的 3 位"):
        assign([1, 2], [10, 20], per_entry=3, seed=1)


def test_assign_refuses_an_entry_with_too_few_judges_after_conflicts():
    with pytest.raises(AssignmentImpossible, match="作品 2 回避后只有 1 位评委可评"):
        assign([1, 2], [10, 20, 30], per_entry=2, seed=1, conflicts={(10, 2), (20, 2)})


def test_assign_refuses_when_conflicts_leave_a_judge_underloaded():
    # Judge 30 may only take entry 1; the others would need 3 each while 30 has 1.
    conflicts = {(30, entry) for entry in range(2, 8)}
    with pytest.raises(AssignmentImpossible, match="评委 30 最多只能分到 1 件，而有评委必须分到 3 件"):
        assign(list(range(1, 8)), [10, 20, 30], per_entry=1, seed=1, conflicts=conflicts)


def test_assign_repairs_a_greedy_imbalance_through_a_chain():
    # County-like blocks: each judge is barred from its own county's entries, counties uneven.
    rng = random.Random(3)
    entries = list(range(1, 201))
    judges = list(range(1, 13))
    county_of_entry = {e: (0 if e <= 120 else rng.randrange(1, 4)) for e in entries}
    county_of_judge = {j: j % 4 for j in judges}
    conflicts = {(j, e) for j in judges for e in entries if county_of_judge[j] == county_of_entry[e]}

    result = assign(entries, judges, per_entry=2, seed=9, conflicts=conflicts)

    check(result, entries, judges, 2, conflicts)


def test_assign_no_entries_is_empty():
    assert assign([], [1, 2], per_entry=2, seed=1) == {}
