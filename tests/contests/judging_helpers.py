"""A judged contest, built through the judging services: rounds, judges, entries, scores."""

from __future__ import annotations

from decimal import Decimal

from jinguo.contests import judging
from jinguo.contests.models import Judge, Round
from tests.contests.conftest import make_entry

RUBRIC = [("内容", 50), ("结构", 25), ("语言", 25)]


def make_round(contest, by, **fields) -> Round:
    values = {
        "name": "初评",
        "judges_per_entry": 2,
        "aggregation": Round.Aggregation.MEAN,
        "names_visible": False,
        "peer_scores": Round.PeerScores.NEVER,
        "advance_rule": Round.AdvanceRule.TOP_N,
        "advance_value": Decimal(2),
        "criteria": RUBRIC,
    }
    values.update(fields)
    return judging.save_round(contest, by=by, **values)


def make_judge(contest, by, round_, *, user=None, name="", org=None, is_chief=False, conflicts=()) -> Judge:
    return judging.save_judge(
        contest,
        by=by,
        name=name,
        user=user,
        org=org,
        is_chief=is_chief,
        rounds=[round_],
        conflicts=conflicts,
        affiliation="" if user else "市作家协会",
    )


def points_for(round_, *values) -> dict[str, float]:
    return {str(c.id): v for c, v in zip(judging.rubric(round_), values, strict=True)}


def entries_from(contest, tree, n_qxg=2, n_dafang=2):
    entries = []
    for i in range(n_qxg):
        entries.append(
            make_entry(
                contest,
                org=tree.qxg_town,
                author_name=f"七星关作者{i}",
                author_phone=f"1390000{i:04d}",
                recommended=True,
            )
        )
    for i in range(n_dafang):
        entries.append(
            make_entry(
                contest,
                org=tree.dafang_town,
                author_name=f"大方作者{i}",
                author_phone=f"1370000{i:04d}",
                recommended=True,
            )
        )
    return entries
