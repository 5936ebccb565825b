"""Plain reference implementations of what the quiz's hot path does the fast way: the tests check
that the fast code equals these. (bench/quiz/run.py uses ``rebuild_score_buckets`` after loading a
million participants in bulk.)"""

from __future__ import annotations

from django.db import connection, transaction

from jinguo.quiz import ranking
from jinguo.quiz.models import JUDGE_OPTIONS, LETTERS, RANK_ORDER, Kind, Participant, ScoreBucket, ScoreMinute
from jinguo.quiz.paper import BankData, shown_letters


def public_paper(paper, bank: BankData) -> list[dict]:
    """What the phone receives (``paper.public_paper_json``), built as dicts."""
    out = []
    for position, (qid, order) in enumerate(paper):
        q = bank.questions[qid]
        out.append(
            {
                "n": position,
                "kind": q.kind,
                "kind_label": str(Kind(q.kind).label),
                "stem": q.stem,
                "options": [q.options[i] for i in order],
            }
        )
    return out


def review(paper, answers: dict[str, str], bank: BankData, points: dict) -> list[dict]:
    """The reviewed paper (``paper.review_json``), built as dicts."""
    out = []
    for position, (qid, order) in enumerate(paper):
        q = bank.questions[qid]
        given = answers.get(str(position), "")
        right = shown_letters(q.answer, order)
        out.append(
            {
                "n": position,
                "kind": q.kind,
                "kind_label": str(Kind(q.kind).label),
                "stem": q.stem,
                "options": [q.options[i] for i in order],
                "given": given,
                "answer": right,
                "answer_text": JUDGE_OPTIONS[LETTERS.index(right)] if q.kind == Kind.JUDGE and right else right,
                "correct": bool(given) and given == right,
                "points": points[q.kind] if given and given == right else 0,
                "explanation": q.explanation,
                "source": q.source,
                "basis": q.basis,
            }
        )
    return out


def original_letters(shown: str, order: list[int]) -> str:
    """The bank's letters of the options shown as ``shown`` in ``order`` (``shown_letters`` reversed)."""
    return "".join(sorted(LETTERS[order[LETTERS.index(c)]] for c in shown if LETTERS.index(c) < len(order)))


def participant_rank(participant: Participant) -> int | None:
    if participant.best_score is None:
        return None
    return ranking.rank_of(
        quiz_id=participant.quiz_id,
        score=participant.best_score,
        time_ms=participant.best_time_ms,
        submitted_at=participant.best_submitted_at,
    )


def expected_ranks(participants) -> dict[int, int]:
    """Each ranked participant's rank, by sorting in Python on ``RANK_ORDER`` (a full tie shares)."""

    def key(p):
        return tuple(
            -getattr(p, f[1:]) if f.startswith("-") else getattr(p, f) for f in RANK_ORDER
        )  # the descending field is numeric (the score)

    ranked = sorted((p for p in participants if p.best_score is not None), key=key)
    out: dict[int, int] = {}
    for i, p in enumerate(ranked, start=1):
        previous = ranked[i - 2] if i > 1 else None
        out[p.pk] = out[previous.pk] if previous is not None and key(previous) == key(p) else i
    return out


def rebuild_score_buckets(quiz_id: int) -> int:
    """Recount a quiz's ranking histogram and its per-minute sums from its participants' best
    attempts (what the submits keep current). Returns the number of buckets."""
    qn = connection.ops.quote_name
    table, minutes, people = (qn(m._meta.db_table) for m in (ScoreBucket, ScoreMinute, Participant))
    with transaction.atomic():
        for model in (ScoreBucket, ScoreMinute):
            model.objects.filter(quiz_id=quiz_id).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({qn('quiz_id')}, {qn('score')}, {qn('second')}, {qn('participants')}) "  # noqa: S608
                f"SELECT {qn('quiz_id')}, {qn('best_score')}, {qn('best_time_ms')} / 1000, COUNT(*) "
                f"FROM {people} WHERE {qn('quiz_id')} = %s AND {qn('best_score')} IS NOT NULL "
                f"GROUP BY {qn('quiz_id')}, {qn('best_score')}, {qn('best_time_ms')} / 1000",
                [quiz_id],
            )
            buckets = cursor.rowcount
            cursor.execute(
                f"INSERT INTO {minutes} ({qn('quiz_id')}, {qn('score')}, {qn('minute')}, {qn('participants')}) "  # noqa: S608
                f"SELECT {qn('quiz_id')}, {qn('score')}, {qn('second')} / 60, SUM({qn('participants')}) FROM {table} "
                f"WHERE {qn('quiz_id')} = %s GROUP BY {qn('quiz_id')}, {qn('score')}, {qn('second')} / 60",
                [quiz_id],
            )
            return buckets
