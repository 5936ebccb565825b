import statistics

import pytest

from jinguo.contests import scoring
from jinguo.contests.scoring import Criterion, ScoreInvalid, UnitTally

RUBRIC = [Criterion(1, "内容", 50), Criterion(2, "结构", 25), Criterion(3, "语言", 25)]


def test_weighted_total_adds_points_when_the_rubric_is_out_of_100():
    assert scoring.weighted_total({1: 42, 2: 20.5, 3: 18}, RUBRIC) == 80.5


def test_weighted_total_rescales_a_rubric_not_out_of_100():
    rubric = [Criterion(1, "内容", 30), Criterion(2, "语言", 10)]
    assert scoring.weighted_total({1: 30, 2: 5}, rubric) == 87.5


def test_weighted_total_names_a_missing_or_out_of_range_criterion():
    with pytest.raises(ScoreInvalid, match="请给「结构」打分"):
        scoring.weighted_total({1: 40, 3: 20}, RUBRIC)
    with pytest.raises(ScoreInvalid, match="「内容」的分数应在 0 到 50 之间"):
        scoring.weighted_total({1: 51, 2: 20, 3: 20}, RUBRIC)
    with pytest.raises(ScoreInvalid, match="「语言」的分数应在 0 到 25 之间"):
        scoring.weighted_total({1: 40, 2: 20, 3: -1}, RUBRIC)


TOTALS = {(1, 10): 90, (1, 20): 80, (1, 30): 40, (2, 10): 70, (2, 20): 75}


def test_aggregate_mean_median_trimmed():
    assert scoring.aggregate(TOTALS, "mean") == {1: 70.0, 2: 72.5}
    assert scoring.aggregate(TOTALS, "median") == {1: 80, 2: 72.5}
    # Entry 1 keeps only its middle total; entry 2 has two totals, so its trimmed mean is the mean.
    assert scoring.aggregate(TOTALS, "trimmed") == {1: 80.0, 2: 72.5}


def test_aggregate_trimmed_drops_one_highest_and_one_lowest_only():
    totals = {(1, j): value for j, value in enumerate([60, 60, 70, 90, 90])}
    assert scoring.aggregate(totals, "trimmed") == {1: round((60 + 70 + 90) / 3, 2)}


def test_aggregate_zscore_removes_a_harsh_judges_offset():
    # Judge 20 scores everything 30 points lower than judge 10, but ranks them the same way;
    # entries 1 and 2 are judged by different pairs, so a plain mean would favour entry 1.
    totals = {
        (1, 10): 90, (1, 30): 80,
        (2, 20): 60, (2, 30): 80,
        (3, 10): 70, (3, 30): 60,
        (4, 20): 40, (4, 30): 60,
    }  # fmt: skip
    mean = scoring.aggregate(totals, "mean")
    z = scoring.aggregate(totals, "zscore")

    assert mean[1] > mean[2]
    assert z[1] == z[2]
    assert z[3] == z[4]
    assert z[1] > z[3]
    # Shown on the round's own scale: the mean of all totals plus z times their SD.
    everything = list(totals.values())
    assert z[1] == round(statistics.fmean(everything) + statistics.pstdev(everything) * 1.0, 2)


def test_aggregate_zscore_judge_who_gives_everyone_the_same_counts_as_average():
    totals = {(1, 10): 80, (2, 10): 80, (1, 20): 90, (2, 20): 70}
    z = scoring.aggregate(totals, "zscore")
    assert z[1] > z[2]
    assert round((z[1] + z[2]) / 2, 2) == 80.0


def test_aggregate_ignores_unknown_method():
    with pytest.raises(ValueError):
        scoring.aggregate(TOTALS, "max")


def test_outliers_flags_the_far_score_only():
    totals = {(1, 10): 85, (1, 20): 82, (1, 30): 50, (2, 10): 85, (2, 20): 80, (2, 30): 76}
    assert scoring.outliers(totals) == {(1, 30)}


def test_outliers_needs_two_other_scores():
    assert scoring.outliers({(1, 10): 95, (1, 20): 20}) == set()


def test_outliers_floor_of_five_points_keeps_near_scores_unflagged():
    # The others agree exactly; 9 points off is within 2 x 5, 11 points is not.
    assert scoring.outliers({(1, 10): 80, (1, 20): 80, (1, 30): 71}) == set()
    assert scoring.outliers({(1, 10): 80, (1, 20): 80, (1, 30): 69}) == {(1, 30)}


CODES = {1: "ZW-0001", 2: "ZW-0002", 3: "ZW-0003", 4: "ZW-0004", 5: "ZW-0005", 6: "ZW-0006"}
CATEGORIES = {1: 100, 2: 100, 3: 100, 4: 200, 5: 200, 6: 200}
SCORES = {1: 88.0, 2: 91.5, 3: 88.004, 4: 70.0, 5: 75.0, 6: 60.0}


def test_rank_per_category_with_shared_ranks_listed_by_code():
    rows = scoring.rank(SCORES, codes=CODES, categories=CATEGORIES)
    assert [(r.category, r.code, r.score, r.rank) for r in rows] == [
        (100, "ZW-0002", 91.5, 1),
        (100, "ZW-0001", 88.0, 2),
        (100, "ZW-0003", 88.0, 2),
        (200, "ZW-0005", 75.0, 1),
        (200, "ZW-0004", 70.0, 2),
        (200, "ZW-0006", 60.0, 3),
    ]


def test_advancing_top_n_ties_at_boundary_all_advance():
    assert scoring.advancing(SCORES, codes=CODES, categories=CATEGORIES, rule="top_n", value=2) == {1, 2, 3}
    assert scoring.advancing(SCORES, codes=CODES, categories=CATEGORIES, rule="top_n", value=1) == {2}


def test_advancing_per_category_and_threshold():
    per_category = scoring.advancing(SCORES, codes=CODES, categories=CATEGORIES, rule="top_n_per_category", value=1)
    assert per_category == {2, 5}
    assert scoring.advancing(SCORES, codes=CODES, categories=CATEGORIES, rule="threshold", value=75) == {1, 2, 3, 5}


def ranking_of(points):
    scores = dict(enumerate(points, start=1))
    codes = {entry: f"ZW-{entry:04d}" for entry in scores}
    return scoring.rank(scores, codes=codes)


def test_propose_awards_default_quotas():
    proposals = scoring.propose_awards(ranking_of(range(100, 80, -1)))
    levels = [p.level for p in proposals]
    assert levels == ["first"] * 2 + ["second"] * 5 + ["third"] * 8 + ["excellent"] * 5
    assert not any(p.over_quota for p in proposals)


def test_propose_awards_tie_at_boundary_gets_higher_level_and_is_marked():
    # Ranks 1, 2, 2: three 一等奖 over a quota of two; 二等奖 then starts at rank 4 and has four places.
    points = [99, 98, 98] + list(range(90, 70, -1))
    proposals = scoring.propose_awards(ranking_of(points), quotas=(("first", 2), ("second", 5), ("third", 8)))
    levels = [p.level for p in proposals]

    assert levels == ["first"] * 3 + ["second"] * 4 + ["third"] * 8
    assert [p.over_quota for p in proposals if p.level == "first"] == [True, True, True]
    assert not any(p.over_quota for p in proposals if p.level != "first")
    assert len(proposals) == 15


def test_propose_awards_excellent_quota_limits_the_rest():
    proposals = scoring.propose_awards(ranking_of(range(100, 70, -1)), quotas=(("first", 1), ("excellent", 3)))
    assert [p.level for p in proposals] == ["first", "excellent", "excellent", "excellent"]


def test_propose_organisation_awards_orders_by_points_then_recommended_then_submitted():
    tallies = [
        UnitTally(unit=1, submitted=30, recommended=5, awards={"third": 1}),  # 2 points
        UnitTally(unit=2, submitted=10, recommended=5, awards={"first": 1}),  # 5 points
        UnitTally(unit=3, submitted=12, recommended=4, awards={"second": 1, "excellent": 2}),  # 5 points
        UnitTally(unit=4, submitted=40, recommended=5, awards={"third": 1}),  # 2 points, more submitted
        UnitTally(unit=5, submitted=50, recommended=5, awards={}),
    ]
    rows = scoring.propose_organisation_awards(tallies, places=3)
    assert [(r.unit, r.points, r.rank, r.proposed) for r in rows] == [
        (2, 5, 1, True),
        (3, 5, 2, True),
        (4, 2, 3, True),
        (1, 2, 4, False),
        (5, 0, 5, False),
    ]


def test_propose_organisation_awards_equal_units_share_the_last_place():
    tallies = [UnitTally(unit=u, submitted=3, recommended=1, awards={"excellent": 1}) for u in (7, 8)]
    rows = scoring.propose_organisation_awards(tallies, places=1)
    assert [(r.unit, r.rank, r.proposed) for r in rows] == [(7, 1, True), (8, 1, True)]
