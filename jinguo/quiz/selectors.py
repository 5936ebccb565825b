"""Reads of the quiz app: lists for organisers, the ranking, the leaderboard and per-unit tables."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Avg, Count, Q, QuerySet, Sum

from jinguo.lib.db import prepared_cursor
from jinguo.lib.masking import mask_name
from jinguo.orgs.models import Org
from jinguo.orgs.selectors import branches, totals_by_branch
from jinguo.quiz.models import (
    Attempt,
    Participant,
    Question,
    QuestionBank,
    Quiz,
    ScoreBucket,
    ScoreMinute,
    UnitTarget,
)

LEADERBOARD_TTL = 3  # seconds: a big screen in every county polls it


def banks_visible_to(*, user) -> QuerySet[QuestionBank]:
    return QuestionBank.objects.select_related("owner").annotate(
        question_count=Count("questions", filter=Q(questions__is_active=True))
    )


def questions_of(bank: QuestionBank, *, q: str = "", topic: str = "", kind: str = "", difficulty: str = "", status=""):
    qs = Question.objects.filter(bank=bank)
    if q:
        qs = qs.filter(Q(stem__icontains=q) | Q(source__icontains=q))
    if topic:
        qs = qs.filter(topic=topic)
    if kind:
        qs = qs.filter(kind=kind)
    if difficulty:
        qs = qs.filter(difficulty=difficulty)
    if status == "inactive":
        qs = qs.filter(is_active=False)
    elif status != "all":
        qs = qs.filter(is_active=True)
    return qs.order_by("id")


def quizzes_visible_to(*, user) -> QuerySet[Quiz]:
    return Quiz.objects.select_related("owner", "bank")


def rank_sql(best: str) -> str:
    """SQL for 1 + the number of participants whose best attempt is better than the best held in
    the one-row relation ``best`` (columns s: score, t: time used ms, at: submitted at), in the
    ranking order: score desc, time used asc, submitted asc. Four parameters, all the quiz id.

    The per-minute sums (ScoreMinute) count everyone with a higher score and everyone of the same
    score in the minutes before; the histogram (ScoreBucket) everyone of the same score in the
    seconds before, within its own minute; an index range count on quiz_participant_rank the rest
    of the same one-second bucket. So a lookup reads at most one row per score and minute used
    (420 for 21 scores and a 20-minute limit), 59 seconds of its own score and a few hundred
    index entries, whether the quiz has a thousand participants or a million (a plain COUNT grows
    with the rank). Used by ``rank_of``; the submit's PL/pgSQL function (migration quiz 0008) and
    ``services._finish_sqlite`` compute the same sums."""
    qn = connection.ops.quote_name
    buckets, people = qn(ScoreBucket._meta.db_table), qn(Participant._meta.db_table)
    minutes = qn(ScoreMinute._meta.db_table)
    score, sec, time_ms, at = qn("score"), qn("second"), qn("best_time_ms"), qn("best_submitted_at")
    n = qn("participants")
    # Only quoted identifiers and the caller's relation name are interpolated.
    return (
        f"1 + (SELECT COALESCE(SUM({n}), 0) FROM {minutes} "  # noqa: S608
        f"WHERE {qn('quiz_id')} = %s AND {score} > {best}.s) + "
        f"(SELECT COALESCE(SUM({n}), 0) FROM {minutes} "
        f"WHERE {qn('quiz_id')} = %s AND {score} = {best}.s AND {qn('minute')} < {best}.t / 60000) + "
        f"(SELECT COALESCE(SUM({n}), 0) FROM {buckets} "
        f"WHERE {qn('quiz_id')} = %s AND {score} = {best}.s AND {sec} >= ({best}.t / 60000) * 60 "
        f"AND {sec} < {best}.t / 1000) + "
        f"(SELECT COUNT(*) FROM {people} WHERE {qn('quiz_id')} = %s AND {qn('best_score')} IS NOT NULL "
        f"AND {qn('best_score')} = {best}.s AND {time_ms} >= ({best}.t / 1000) * 1000 AND {time_ms} <= {best}.t "
        f"AND ({time_ms} < {best}.t OR {at} < {best}.at))"
    )


@functools.cache
def rank_of_sql() -> str:
    return f"SELECT {rank_sql('b')} FROM (SELECT %s AS s, %s AS t, %s AS at) b"  # noqa: S608 see rank_sql


def rank_of(*, quiz_id: int, score: int, time_ms: int, submitted_at) -> int:
    """The rank of a best of (score, time used, submitted at) among the quiz's participants."""
    sql = rank_of_sql()
    params = [
        quiz_id,
        quiz_id,
        quiz_id,
        quiz_id,
        score,
        time_ms,
        connection.ops.adapt_datetimefield_value(submitted_at),
    ]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def participant_rank(participant: Participant) -> int | None:
    if participant.best_score is None:
        return None
    return rank_of(
        quiz_id=participant.quiz_id,
        score=participant.best_score,
        time_ms=participant.best_time_ms,
        submitted_at=participant.best_submitted_at,
    )


def leaderboard(*, quiz_id: int, size: int) -> list[dict]:
    """The top participants (best attempts), names masked: a public page. Cached a few seconds."""
    key = f"quiz:board:{quiz_id}:{size}"
    rows = cache.get(key)
    if rows is None:
        qs = (
            Participant.all_objects.filter(quiz_id=quiz_id, best_score__isnull=False)
            .order_by("-best_score", "best_time_ms", "best_submitted_at")
            .values("name", "unit__name", "best_score", "best_time_ms", "best_submitted_at")[:size]
        )
        rows, previous, rank = [], None, 0
        for i, row in enumerate(qs, start=1):
            current = (row["best_score"], row["best_time_ms"], row["best_submitted_at"])
            rank = rank if current == previous else i
            previous = current
            rows.append(
                {
                    "rank": rank,
                    "name": mask_name(row["name"]),
                    "unit": row["unit__name"],
                    "score": row["best_score"],
                    "time": format_ms(row["best_time_ms"]),
                }
            )
        cache.set(key, rows, LEADERBOARD_TTL)
    return rows


_totals: dict[int, tuple[float, dict]] = {}  # quiz id -> (expires, totals): this process's copy


def public_totals(*, quiz_id: int) -> dict:
    """Participants, attempts and ranked participants of a quiz, about LEADERBOARD_TTL old: from
    this process's memory, else the shared cache, else one aggregate query. Every full submit
    shows "共 N 人", so the common case is a dictionary lookup, not a round trip to Redis.

    The count reads every participant of the quiz (a million in a large quiz), so it is never run
    by many at once: in a process, one thread refreshes while the others use the copy they have;
    across processes, the one that takes the lease in the shared cache counts while the others use
    the last count a little longer (the shared entry outlives its freshness for that)."""
    from jinguo.quiz.engine import flight

    now = time.monotonic()
    hit = _totals.get(quiz_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    lock = flight(("totals", quiz_id))
    if not lock.acquire(blocking=hit is None):
        return hit[1]
    try:
        key = f"quiz:totals:{quiz_id}"
        shared = cache.get(key)  # (fresh until, totals)
        if shared is None or shared[0] <= time.time():
            lease = key + ":lease"
            if shared is None or cache.add(lease, 1, LEADERBOARD_TTL * 5):
                shared = (time.time() + LEADERBOARD_TTL, _count_totals(quiz_id))
                cache.set(key, shared, LEADERBOARD_TTL * 20)
                cache.delete(lease)
        if len(_totals) > 1000:
            _totals.clear()
        _totals[quiz_id] = (time.monotonic() + LEADERBOARD_TTL, shared[1])
        return shared[1]
    finally:
        lock.release()


def _count_totals(quiz_id: int) -> dict:
    totals = Participant.all_objects.filter(quiz_id=quiz_id).aggregate(
        participants=Count("id"),
        attempts=Sum("attempts_count"),
        ranked=Count("id", filter=Q(best_score__isnull=False)),
    )
    totals["attempts"] = totals["attempts"] or 0
    return totals


def format_ms(ms: int | None) -> str:
    if ms is None:
        return "—"
    seconds = ms // 1000
    return f"{seconds // 60}分{seconds % 60:02d}秒"


@dataclass
class UnitRow:
    org: Org | None  # None: people registered at the root unit itself (本级)
    label: str
    participants: int = 0
    attempts: int = 0
    avg_score: float | None = None
    target: int | None = None
    has_children: bool = False

    @property
    def rate(self) -> float | None:
        if not self.target:
            return None
        return self.participants / self.target * 100


def unit_table(quiz: Quiz, root: Org) -> tuple[list[UnitRow], UnitRow]:
    """One row per child unit of ``root`` (its whole subtree counted in), plus the root's own
    participants, and a total. The rate is participants against the targets set in the subtree.
    Three queries whatever the size of the tree."""
    stats = totals_by_branch(
        Participant.objects.filter(root.subtree_q("unit"), quiz=quiz),
        root=root,
        path_field="unit__path",
        n=Count("id"),
        attempts=Sum("attempts_count"),
        avg=Avg("best_score"),
        scored=Count("id", filter=Q(best_score__isnull=False)),
    )
    targets = totals_by_branch(
        UnitTarget.objects.filter(root.subtree_q("unit"), quiz=quiz),
        root=root,
        path_field="unit__path",
        members=Sum("members"),
    )
    rows = []
    scored_sum = scored_n = 0
    for branch in branches(root, stats, targets):
        label = f"{root.name}（本级）" if branch.own else branch.org.name
        row = UnitRow(org=None if branch.own else branch.org, label=label, has_children=branch.has_children)
        found = stats.get(branch.path)
        if found:
            row.participants, row.attempts, row.avg_score = found["n"], found["attempts"] or 0, found["avg"]
            if found["avg"] is not None:
                scored_sum += found["avg"] * found["scored"]
                scored_n += found["scored"]
        row.target = targets.get(branch.path, {}).get("members")
        if not branch.own or row.participants or row.target:
            rows.append(row)
    total = UnitRow(org=root, label="合计")
    total.participants = sum(r.participants for r in rows)
    total.attempts = sum(r.attempts for r in rows)
    total.avg_score = scored_sum / scored_n if scored_n else None
    target_sum = sum(r.target or 0 for r in rows)
    total.target = target_sum or None
    return rows, total


def attempts_for(quiz: Quiz, *, q: str = "", status: str = "") -> QuerySet[Attempt]:
    """Attempts of the quiz in the viewer's subtree (the scoped manager), newest first."""
    qs = Attempt.objects.filter(quiz=quiz).select_related("participant", "unit")
    if q:
        qs = qs.filter(
            Q(participant__name__icontains=q) | Q(participant__phone__startswith=q) | Q(unit__name__icontains=q)
        )
    if status in Attempt.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("-started_at", "-id")


def ranked_participants(quiz: Quiz) -> QuerySet[Participant]:
    return (
        Participant.objects.filter(quiz=quiz, best_score__isnull=False)
        .select_related("unit")
        .order_by("-best_score", "best_time_ms", "best_submitted_at")
    )


def global_ranks(quiz: Quiz, participant_ids: list[int]) -> dict[int, int]:
    """The rank among all of the quiz's participants (not only the viewer's subtree) of a few
    participants, in one query."""
    if not participant_ids:
        return {}
    qn = connection.ops.quote_name
    table = qn(Participant._meta.db_table)
    marks = ", ".join(["%s"] * len(participant_ids))
    sql = (
        f"SELECT {qn('id')}, r FROM (SELECT {qn('id')}, RANK() OVER (ORDER BY {qn('best_score')} DESC, "  # noqa: S608 identifiers only
        f"{qn('best_time_ms')}, {qn('best_submitted_at')}) AS r FROM {table} WHERE {qn('quiz_id')} = %s "
        f"AND {qn('best_score')} IS NOT NULL) ranked WHERE {qn('id')} IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [quiz.pk, *participant_ids])
        return {pk: int(rank) for pk, rank in cursor.fetchall()}
