"""Ranking: score desc, then time used asc, then submission time asc; each person's best attempt."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jinguo.quiz import selectors
from jinguo.quiz.models import Participant


def _participant(quiz, unit, key, score, time_ms, submitted):
    return Participant.all_objects.create(
        quiz=quiz,
        key=key,
        phone=key,
        name=f"人{key[-2:]}",
        unit=unit,
        attempts_count=1,
        best_score=score,
        best_time_ms=time_ms,
        best_submitted_at=submitted,
    )


def test_rank_ties_break_on_time_then_submission(tree, quiz):
    t0 = timezone.now()
    a = _participant(quiz, tree.qxg, "13800000001", 90, 300_000, t0)
    b = _participant(quiz, tree.qxg, "13800000002", 90, 200_000, t0 + dt.timedelta(minutes=5))
    c = _participant(quiz, tree.qxg, "13800000003", 90, 300_000, t0 - dt.timedelta(minutes=1))
    d = _participant(quiz, tree.qxg, "13800000004", 100, 900_000, t0)
    e = _participant(quiz, tree.qxg, "13800000005", 90, 300_000, t0)  # a full tie with a shares its rank
    Participant.all_objects.create(quiz=quiz, key="13800000006", phone="x", name="未交卷", unit=tree.qxg)
    ranks = {p.key[-1]: selectors.participant_rank(p) for p in (a, b, c, d, e)}
    assert ranks == {"4": 1, "2": 2, "3": 3, "1": 4, "5": 4}
    board = selectors.leaderboard(quiz_id=quiz.pk, size=10)
    assert [(r["rank"], r["score"]) for r in board] == [(1, 100), (2, 90), (3, 90), (4, 90), (4, 90)]
    assert selectors.global_ranks(quiz, [a.pk, d.pk]) == {a.pk: 4, d.pk: 1}


def test_participant_keeps_the_best_attempt(client, tree, quiz):
    from jinguo.quiz import engine, services
    from tests.quiz.conftest import correct_answers

    snap = engine.quiz_by_slug(quiz.slug)
    first = services.start_attempt(snap, phone="13800138000", name="张丽", unit_id=tree.qxg.pk)
    token = services.read_token(first.token, attempt_id=first.attempt.pk)
    services.submit_attempt(snap, token, answers=correct_answers(None, first.attempt))
    second = services.start_attempt(snap, phone="13800138000", name="张丽", unit_id=tree.qxg.pk)
    token = services.read_token(second.token, attempt_id=second.attempt.pk)
    services.submit_attempt(snap, token, answers={})
    participant = Participant.all_objects.get()
    assert (participant.best_score, participant.best_attempt_id, participant.attempts_count) == (
        34,
        first.attempt.pk,
        2,
    )


def test_leaderboard_masks_names(tree, quiz):
    _participant(quiz, tree.qxg, "13800000001", 90, 1000, timezone.now())
    assert selectors.leaderboard(quiz_id=quiz.pk, size=5)[0]["name"] == "人*1"
    assert (selectors.mask_name("张丽"), selectors.mask_name("欧阳娜娜")) == ("张*", "欧**娜")
