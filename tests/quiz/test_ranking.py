"""Ranking: score desc, then time used asc, then submission time asc; each person's best attempt."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jinguo.quiz import memory, ranking, taking
from jinguo.quiz.models import Participant, ScoreBucket, ScoreMinute
from tests.quiz import reference


def _participant(quiz, unit, key, score, time_ms, submitted):
    return Participant.objects.create(
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
    Participant.objects.create(quiz=quiz, key="13800000006", phone="x", name="未交卷", unit=tree.qxg)
    reference.rebuild_score_buckets(quiz.pk)  # rows made directly, not through submits
    ranks = {p.key[-1]: reference.participant_rank(p) for p in (a, b, c, d, e)}
    assert ranks == {"4": 1, "2": 2, "3": 3, "1": 4, "5": 4}
    board = ranking.leaderboard(quiz_id=quiz.pk, size=10)
    assert [(r["rank"], r["score"]) for r in board] == [(1, 100), (2, 90), (3, 90), (4, 90), (4, 90)]
    assert ranking.global_ranks(quiz, [a.pk, d.pk]) == {a.pk: 4, d.pk: 1}


def test_submit_outcome_rank_is_the_rank_after_the_submit(tree, quiz):
    """The submit computes the rank with the grade (one function call on PostgreSQL): for fresh bests,
    ties, improvements and a worse second attempt it equals a lookup made afterwards."""
    from tests.quiz.conftest import correct_answers

    snap = memory.quiz_by_slug(quiz.slug)
    t0 = timezone.now()
    plan = [  # (phone, all correct?, seconds used)
        ("13800000001", False, 100),
        ("13800000002", True, 300),
        ("13800000003", True, 200),
        ("13800000004", False, 100),  # ties 1 on score and bucket, submitted later
        ("13800000001", True, 100),  # 1 improves: now first
        ("13800000003", False, 50),  # 3 does worse: keeps its best
    ]
    seen = []
    for i, (phone, right, seconds) in enumerate(plan):
        started = taking.start_attempt(
            snap, phone=phone, name="张丽", unit_id=tree.qxg.pk, now=t0 + dt.timedelta(minutes=i)
        )
        token = taking.read_token(started.token, attempt_id=started.attempt.pk)
        answers = correct_answers(None, started.attempt) if right else {}
        at = started.attempt.started_at + dt.timedelta(seconds=seconds)
        outcome = taking.submit_attempt(snap, token, answers=answers, now=at)
        p = Participant.objects.get(quiz=quiz, key=phone)
        assert outcome.rank == reference.participant_rank(p), (i, phone)
        seen.append(outcome.rank)
    assert seen == [1, 1, 1, 4, 1, 2]


def test_participant_keeps_the_best_attempt(client, tree, quiz):
    from tests.quiz.conftest import correct_answers

    snap = memory.quiz_by_slug(quiz.slug)
    first = taking.start_attempt(snap, phone="13800138000", name="张丽", unit_id=tree.qxg.pk)
    token = taking.read_token(first.token, attempt_id=first.attempt.pk)
    taking.submit_attempt(snap, token, answers=correct_answers(None, first.attempt))
    second = taking.start_attempt(snap, phone="13800138000", name="张丽", unit_id=tree.qxg.pk)
    token = taking.read_token(second.token, attempt_id=second.attempt.pk)
    taking.submit_attempt(snap, token, answers={})
    participant = Participant.objects.get()
    assert (participant.best_score, participant.best_attempt_id, participant.attempts_count) == (
        34,
        first.attempt.pk,
        2,
    )


def test_leaderboard_masks_names(tree, quiz):
    _participant(quiz, tree.qxg, "13800000001", 90, 1000, timezone.now())
    assert ranking.leaderboard(quiz_id=quiz.pk, size=5)[0]["name"] == "人*1"


def _submit(snap, phone, unit, answers_for, *, at):
    started = taking.start_attempt(snap, phone=phone, name="张丽", unit_id=unit.pk, now=at)
    token = taking.read_token(started.token, attempt_id=started.attempt.pk)
    return taking.submit_attempt(snap, token, answers=answers_for(started.attempt), now=at + dt.timedelta(seconds=90))


def _buckets(quiz):
    return sorted(
        ScoreBucket.objects.filter(quiz=quiz, participants__gt=0).values_list("score", "second", "participants")
    )


def _minutes(quiz):
    return sorted(
        ScoreMinute.objects.filter(quiz=quiz, participants__gt=0).values_list("score", "minute", "participants")
    )


def test_histogram_follows_each_participants_best_attempt(tree, quiz):
    from tests.quiz.conftest import correct_answers

    snap = memory.quiz_by_slug(quiz.slug)
    t0 = timezone.now()
    _submit(snap, "13800000001", tree.qxg, lambda a: correct_answers(None, a), at=t0)
    _submit(snap, "13800000002", tree.dafang, lambda a: {}, at=t0)
    assert _buckets(quiz) == [(0, 90, 1), (34, 90, 1)]
    assert _minutes(quiz) == [(0, 1, 1), (34, 1, 1)]
    # A better second attempt moves the person from the 0 bucket to the 34 one; a worse one moves nothing.
    _submit(snap, "13800000002", tree.dafang, lambda a: correct_answers(None, a), at=t0 + dt.timedelta(minutes=1))
    _submit(snap, "13800000001", tree.qxg, lambda a: {}, at=t0 + dt.timedelta(minutes=2))
    assert _buckets(quiz) == [(34, 90, 2)]
    assert _minutes(quiz) == [(34, 1, 2)]
    # The same score in the same time again: nothing moves.
    _submit(snap, "13800000001", tree.qxg, lambda a: correct_answers(None, a), at=t0 + dt.timedelta(minutes=3))
    same_again = _buckets(quiz)
    reference.rebuild_score_buckets(quiz.pk)
    assert _buckets(quiz) == same_again == [(34, 90, 2)]
    ScoreMinute.objects.filter(quiz=quiz).update(participants=98)  # damaged: a rebuild repairs it
    reference.rebuild_score_buckets(quiz.pk)
    assert _minutes(quiz) == [(34, 1, 2)]


def test_rank_matches_a_full_window_ranking_with_ties_across_buckets(tree, quiz):
    """Ties on score inside one second, across seconds, full ties, and the second boundary."""
    t0 = timezone.now().replace(microsecond=0)
    specs = [
        (100, 59_999, t0),
        (100, 60_000, t0),
        (100, 60_000, t0 - dt.timedelta(seconds=1)),
        (100, 60_000, t0),  # full tie with the second one
        (100, 60_500, t0),
        (100, 61_000, t0),
        (90, 1_000, t0),
        (90, 999, t0 + dt.timedelta(hours=1)),
        (90, 999, t0),
        (0, 0, t0),
    ]
    people = [_participant(quiz, tree.qxg, f"138000000{i:02d}", *spec) for i, spec in enumerate(specs)]
    reference.rebuild_score_buckets(quiz.pk)
    expected = ranking.global_ranks(quiz, [p.pk for p in people])
    assert [reference.participant_rank(p) for p in people] == [expected[p.pk] for p in people]
    assert [expected[p.pk] for p in people] == [1, 3, 2, 3, 5, 6, 9, 8, 7, 10]


def test_rank_across_minutes_matches_a_full_window_ranking(tree, quiz):
    """Many participants over ten minutes and three scores, with ties on the minute and second
    boundaries: each rank read through the per-score, per-minute and per-second sums equals the
    window-function ranking over all participants."""
    import random

    rng = random.Random(7)
    t0 = timezone.now().replace(microsecond=0)
    times = [0, 59_999, 60_000, 119_999, 120_000, 125_500, 599_999] + [rng.randrange(600_000) for _ in range(60)]
    people = [
        _participant(quiz, tree.qxg, f"1380000{i:04d}", rng.choice([80, 90, 100]), ms, t0 + dt.timedelta(seconds=i % 3))
        for i, ms in enumerate(times)
    ]
    reference.rebuild_score_buckets(quiz.pk)
    assert len(_minutes(quiz)) > 10  # the sums cover several minutes of each score
    expected = ranking.global_ranks(quiz, [p.pk for p in people])
    assert [reference.participant_rank(p) for p in people] == [expected[p.pk] for p in people]


def test_submits_keep_rank_and_histogram_exact_through_random_improvements(tree, bank):
    """Random people, scores and times over ten minutes, three attempts each, better and worse
    ones in any order: after every submit, the rank it returned (computed inside the submit: the
    PostgreSQL function or the SQLite steps) equals a full window ranking, and the histogram and
    per-minute sums always equal a recount from the participants' best attempts."""
    import random

    from tests.quiz.conftest import correct_answers, make_quiz

    quiz = make_quiz(tree.city, bank, max_attempts=3, max_attempts_per_day=3)
    snap = memory.quiz_by_slug(quiz.slug)
    rng = random.Random(11)
    t0 = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=30)
    phones = [f"1390000{i:04d}" for i in range(12)]
    plan = [phone for phone in phones for _ in range(3)]
    rng.shuffle(plan)
    improved = 0
    for i, phone in enumerate(plan):
        started = taking.start_attempt(
            snap, phone=phone, name="王芳", unit_id=tree.qxg.pk, now=t0 + dt.timedelta(seconds=i)
        )
        token = taking.read_token(started.token, attempt_id=started.attempt.pk)
        right = correct_answers(None, started.attempt)
        answers = {k: v for k, v in right.items() if rng.random() < 0.6}  # a few scores, shared by many
        seconds = rng.choice([59, 60, 61, 119, 120, 300, 300.5, 599]) if i % 2 else rng.uniform(1, 600)
        before = Participant.objects.get(quiz=quiz, key=phone).best_score
        outcome = taking.submit_attempt(
            snap, token, answers=answers, now=started.attempt.started_at + dt.timedelta(seconds=seconds)
        )
        p = Participant.objects.get(quiz=quiz, key=phone)
        improved += before is not None and p.best_attempt_id == started.attempt.pk
        assert outcome.rank == ranking.global_ranks(quiz, [p.pk])[p.pk], (i, phone)
        assert outcome.best == (p.best_score, p.best_time_ms, p.best_submitted_at)
        buckets, minutes = _buckets(quiz), _minutes(quiz)
        reference.rebuild_score_buckets(quiz.pk)
        assert (_buckets(quiz), _minutes(quiz)) == (buckets, minutes), i
    assert improved >= 3  # second and third attempts did move bests (and their histogram rows)


def test_every_ranking_follows_the_one_ranking_order(tree, quiz):
    """models.RANK_ORDER is the ranking: the rank lookup (its histogram SQL), the window ranking of
    pages and exports, the leaderboard and the results list all agree with a plain Python sort on
    it, for ties on every key. (The submit's function ranks with the lookup's expression:
    test_submits_keep_rank_and_histogram_exact_through_random_improvements.)"""
    import random

    from jinguo.quiz.models import RANK_ORDER

    assert RANK_ORDER == ("-best_score", "best_time_ms", "best_submitted_at")
    rng = random.Random(3)
    t0 = timezone.now().replace(microsecond=0)
    people = [
        _participant(
            quiz,
            rng.choice([tree.qxg, tree.dafang_town]),
            f"1381000{i:04d}",
            rng.choice([80, 90, 100]),
            rng.choice([59_999, 60_000, 60_500, 61_000, 125_000]),
            t0 + dt.timedelta(seconds=rng.choice([0, 1, 2])),
        )
        for i in range(40)
    ]
    reference.rebuild_score_buckets(quiz.pk)
    expected = reference.expected_ranks(people)
    assert len(set(expected.values())) < len(people)  # ties shared ranks
    assert {p.pk: reference.participant_rank(p) for p in people} == expected
    assert ranking.global_ranks(quiz, [p.pk for p in people]) == expected
    in_order = sorted(people, key=lambda p: (expected[p.pk], p.pk))
    board = ranking.leaderboard(quiz_id=quiz.pk, size=40)
    assert [row["rank"] for row in board] == [expected[p.pk] for p in in_order]
    assert [row["score"] for row in board] == [p.best_score for p in in_order]
    listed = list(ranking.ranked_participants(quiz))
    assert [expected[p.pk] for p in listed] == sorted(expected.values())
