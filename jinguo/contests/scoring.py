"""Scores, their aggregation, outliers, rankings and award proposals, with no database.

The rules, stated once (the results pages, exports and the demo all call these functions):

- **A judge's total** is the sum of their criterion points; the weights are the criteria's max points
  (内容 50 / 结构 25 / 语言 25), and the sum is rescaled to 100 when the max points do not add up to 100.
  Totals and aggregated scores are kept to two decimals; two scores are equal when they are equal at
  two decimals.
- **Aggregation** over the submitted totals of an entry (drafts never count):
  ``mean``; ``median``; ``trimmed`` drops one highest and one lowest total, and with fewer than three
  totals (nothing would be left to average fairly) it is the plain mean; ``zscore`` turns each total
  into the judge's z-score over all the totals that judge gave in the round (a judge with fewer than
  two totals, or who gave everyone the same, contributes 0: the round's average), averages an
  entry's z-scores, and shows the result on the round's own scale: the mean of all the round's totals
  plus the z-score times their standard deviation, held within 0..100.
- **Outliers**: a judge's total is flagged when it lies more than two standard deviations from the
  mean of the other judges' totals on the entry (needs at least two others); the standard deviation
  is taken as at least 5 points, so that two judges who happen to agree do not make every third
  opinion an outlier. A flag is for the chief judge to look at; nothing changes a score.
- **Ranking** (per round and category): higher score first; entries with equal scores share the rank
  (1, 2, 2, 4, by ``lib.ranks.shared_ranks``) and are listed by code. Entries with no submitted
  score are not ranked.
- **Advancing**: top N (over the round), top N per category, or a score threshold (score >= value).
  A tie at the boundary advances every tied entry, so more than N may advance; the organiser confirms.
- **Awards** (per category, from the final round's ranking): an entry gets the highest level whose
  cumulative quota covers its rank (一等奖 2 → ranks 1-2, 二等奖 5 → ranks 3-7, 三等奖 8 → ranks 8-15,
  优秀奖 the given number more, or every remaining ranked entry when its quota is None). Entries tied
  across a boundary all get the higher level and the proposal marks that level as over its quota; the
  shared ranks then leave the following levels fewer places, so the cumulative count never exceeds
  the cumulative quota except by the tie itself. The organiser confirms or overrides with a reason.
- **优秀组织奖**: units ordered by award points (一等奖 5, 二等奖 3, 三等奖 2, 优秀奖 1), then entries
  recommended, then entries submitted; equal units share the rank; units ranked within the given
  number of places with at least one award are proposed.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jinguo.lib.ranks import shared_ranks

MEAN, MEDIAN, TRIMMED, ZSCORE = "mean", "median", "trimmed", "zscore"
METHODS = (MEAN, MEDIAN, TRIMMED, ZSCORE)

FIRST, SECOND, THIRD, EXCELLENT = "first", "second", "third", "excellent"
DEFAULT_QUOTAS: tuple[tuple[str, int | None], ...] = ((FIRST, 2), (SECOND, 5), (THIRD, 8), (EXCELLENT, None))
ORGANISATION_POINTS = {FIRST: 5, SECOND: 3, THIRD: 2, EXCELLENT: 1}

OUTLIER_SDS = 2
OUTLIER_MIN_SD = 5.0


class ScoreInvalid(ValueError):
    """The points given do not fit the rubric; the message (Chinese) names the criterion."""


@dataclass(frozen=True)
class Criterion:
    id: int
    name: str
    max_points: float


def weighted_total(points: Mapping[int, float], criteria: Sequence[Criterion]) -> float:
    """The total on a 100-point scale of one judge's points (criterion id -> points)."""
    if not criteria:
        raise ScoreInvalid("本轮还没有评分标准。")
    given = 0.0
    for criterion in criteria:
        value = points.get(criterion.id)
        if value is None:
            raise ScoreInvalid(f"请给「{criterion.name}」打分。")
        if not 0 <= value <= criterion.max_points:
            raise ScoreInvalid(f"「{criterion.name}」的分数应在 0 到 {criterion.max_points:g} 之间。")
        given += float(value)
    full = sum(float(criterion.max_points) for criterion in criteria)
    return round(given * 100 / full, 2) if full != 100 else round(given, 2)


def aggregate(totals: Mapping[tuple[int, int], float], method: str) -> dict[int, float]:
    """entry -> aggregated score, from submitted totals keyed (entry, judge)."""
    if method not in METHODS:
        raise ValueError(f"unknown aggregation {method!r}")
    by_entry: dict[int, list[float]] = defaultdict(list)
    for (entry, _judge), total in totals.items():
        by_entry[entry].append(float(total))
    if method == ZSCORE:
        return _zscore(totals)
    result = {}
    for entry, values in by_entry.items():
        if method == MEAN:
            value = statistics.fmean(values)
        elif method == MEDIAN:
            value = statistics.median(values)
        else:
            value = statistics.fmean(sorted(values)[1:-1]) if len(values) >= 3 else statistics.fmean(values)
        result[entry] = round(value, 2)
    return result


def _zscore(totals: Mapping[tuple[int, int], float]) -> dict[int, float]:
    by_judge: dict[int, list[float]] = defaultdict(list)
    for (_entry, judge), total in totals.items():
        by_judge[judge].append(float(total))
    judge_stats = {}
    for judge, values in by_judge.items():
        spread = statistics.pstdev(values) if len(values) >= 2 else 0.0
        judge_stats[judge] = (statistics.fmean(values), spread)
    z_by_entry: dict[int, list[float]] = defaultdict(list)
    for (entry, judge), total in totals.items():
        mean, spread = judge_stats[judge]
        z_by_entry[entry].append((float(total) - mean) / spread if spread else 0.0)
    everything = [float(total) for total in totals.values()]
    if not everything:
        return {}
    centre = statistics.fmean(everything)
    scale = statistics.pstdev(everything)
    return {
        entry: round(min(100.0, max(0.0, centre + scale * statistics.fmean(zs))), 2) for entry, zs in z_by_entry.items()
    }


def outliers(
    totals: Mapping[tuple[int, int], float], *, sds: float = OUTLIER_SDS, min_sd: float = OUTLIER_MIN_SD
) -> set[tuple[int, int]]:
    """The (entry, judge) pairs whose total lies more than ``sds`` standard deviations (at least
    ``min_sd`` points) from the mean of the other judges' totals on that entry."""
    by_entry: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (entry, judge), total in totals.items():
        by_entry[entry].append((judge, float(total)))
    flagged = set()
    for entry, given in by_entry.items():
        if len(given) < 3:
            continue
        for judge, total in given:
            others = [value for other, value in given if other != judge]
            spread = max(statistics.pstdev(others), min_sd)
            if abs(total - statistics.fmean(others)) > sds * spread:
                flagged.add((entry, judge))
    return flagged


@dataclass(frozen=True)
class Ranked:
    entry: int
    category: int | None
    code: str
    score: float
    rank: int


def rank(
    scores: Mapping[int, float], *, codes: Mapping[int, str], categories: Mapping[int, int] | None = None
) -> list[Ranked]:
    """Rankings per category (or over everything when ``categories`` is None), categories in id
    order, each from its first place down."""
    groups: dict[int | None, list[int]] = defaultdict(list)
    for entry in scores:
        groups[categories[entry] if categories is not None else None].append(entry)
    ranked = []
    for category in sorted(groups, key=lambda c: (c is not None, c)):
        members = sorted(groups[category], key=lambda entry: (-round(scores[entry], 2), codes[entry]))
        places = shared_ranks([round(scores[entry], 2) for entry in members])
        ranked.extend(
            Ranked(entry=entry, category=category, code=codes[entry], score=round(scores[entry], 2), rank=place)
            for entry, place in zip(members, places, strict=True)
        )
    return ranked


TOP_N, TOP_N_PER_CATEGORY, THRESHOLD = "top_n", "top_n_per_category", "threshold"


def advancing(
    scores: Mapping[int, float],
    *,
    codes: Mapping[int, str],
    categories: Mapping[int, int],
    rule: str,
    value: float,
) -> set[int]:
    """The entries the advance rule proposes (ties at the boundary all advance)."""
    if rule == THRESHOLD:
        return {entry for entry, score in scores.items() if round(score, 2) >= value}
    if rule == TOP_N:
        return {row.entry for row in rank(scores, codes=codes) if row.rank <= value}
    if rule == TOP_N_PER_CATEGORY:
        return {row.entry for row in rank(scores, codes=codes, categories=categories) if row.rank <= value}
    raise ValueError(f"unknown advance rule {rule!r}")


@dataclass(frozen=True)
class AwardProposal:
    entry: int
    category: int | None
    rank: int
    level: str
    over_quota: bool  # this level holds more entries than its quota because of a tie at its boundary


def propose_awards(
    ranked: Sequence[Ranked], quotas: Sequence[tuple[str, int | None]] = DEFAULT_QUOTAS
) -> list[AwardProposal]:
    """Award levels for a ranking (as ``rank`` returns it), per category, by the rule above."""
    bounds: list[tuple[str, float, int | None]] = []
    reach = 0.0
    for level, quota in quotas:
        reach = float("inf") if quota is None else reach + quota
        bounds.append((level, reach, quota))
    proposals: list[AwardProposal] = []
    by_category: dict[int | None, list[Ranked]] = defaultdict(list)
    for row in ranked:
        by_category[row.category].append(row)
    for category, rows in by_category.items():
        picked: list[tuple[Ranked, str]] = []
        for row in rows:
            level = next((level for level, limit, _ in bounds if row.rank <= limit), None)
            if level is not None:
                picked.append((row, level))
        counted = defaultdict(int)
        for _row, level in picked:
            counted[level] += 1
        quota_of = {level: quota for level, _, quota in bounds}
        proposals.extend(
            AwardProposal(
                entry=row.entry,
                category=category,
                rank=row.rank,
                level=level,
                over_quota=quota_of[level] is not None and counted[level] > quota_of[level],
            )
            for row, level in picked
        )
    return proposals


@dataclass(frozen=True)
class UnitTally:
    unit: int
    submitted: int
    recommended: int
    awards: Mapping[str, int]  # level -> number of the unit's entries awarded it


@dataclass(frozen=True)
class OrganisationProposal:
    unit: int
    points: int
    recommended: int
    submitted: int
    rank: int
    proposed: bool


def propose_organisation_awards(tallies: Sequence[UnitTally], *, places: int = 3) -> list[OrganisationProposal]:
    """优秀组织奖: every unit, best first, with its rank and whether it is proposed (rule above)."""

    def key(tally: UnitTally) -> tuple[int, int, int]:
        points = sum(ORGANISATION_POINTS[level] * count for level, count in tally.awards.items())
        return (points, tally.recommended, tally.submitted)

    ordered = sorted(tallies, key=lambda tally: (tuple(-part for part in key(tally)), tally.unit))
    keys = [key(tally) for tally in ordered]
    return [
        OrganisationProposal(
            unit=tally.unit,
            points=unit_key[0],
            recommended=tally.recommended,
            submitted=tally.submitted,
            rank=place,
            proposed=place <= places and unit_key[0] > 0,
        )
        for tally, unit_key, place in zip(ordered, keys, shared_ranks(keys), strict=True)
    ]
