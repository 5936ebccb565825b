"""The ranking: closing an attempt and ranking it, rank lookups, the leaderboard and the totals.

Each participant's best attempt is ranked in ``models.RANK_ORDER``. The ranking histogram
(ScoreBucket: per score and second of time used; ScoreMinute: per score and minute) makes a rank
a sum over the buckets ahead plus an index count inside one second, whatever the number of
participants.

"Close the attempt and rank it" is written ONCE, below, as ``FINISH``: a short procedure of SQL
steps (close the attempt if open; lock the participant; if this attempt beats their best, move
the best and the histogram; the rank of the best). On PostgreSQL it is compiled into the PL/pgSQL
function ``jinguo_quiz_finish`` (one round trip per submit; installed by a migration, and a test
checks that the installed body is ``finish_function_body()``); on SQLite the same steps run one
by one in a transaction. ``rank_of`` uses the same rank expression, ``RANK``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import time
from dataclasses import dataclass

import orjson
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.dateparse import parse_datetime

from jinguo.lib.db import prepared_cursor
from jinguo.lib.masking import mask_name
from jinguo.quiz.memory import Memory
from jinguo.quiz.models import RANK_ORDER, Attempt, Participant, Quiz, ScoreBucket, ScoreMinute
from jinguo.quiz.selectors import format_ms

LEADERBOARD_TTL = 3  # seconds: a big screen in every county polls it

# ---- the finish procedure ---------------------------------------------------------------------
# SQL with {name} for a variable: a PL/pgSQL variable in the function, a named parameter on SQLite.


@dataclass(frozen=True)
class Sql:
    text: str
    into: tuple[str, ...] = ()
    lock: bool = False  # FOR UPDATE (PostgreSQL; SQLite's one writer holds the whole database)
    or_return: bool = False  # no row: the procedure ends without an answer


@dataclass(frozen=True)
class Let:
    name: str
    expr: str


@dataclass(frozen=True)
class If:
    cond: str
    then: tuple
    otherwise: tuple = ()


_ATTEMPT, _PARTICIPANT = Attempt._meta.db_table, Participant._meta.db_table
_BUCKETS, _MINUTES = ScoreBucket._meta.db_table, ScoreMinute._meta.db_table

# The rank of the best {f_s} (score), {f_t} (time used ms), {f_at} (submitted at) in quiz {v_quiz}:
# 1 + everyone with a higher score or the same score in an earlier minute (per-minute sums), the
# same score in an earlier second of that minute (buckets), then, inside its own second, those
# ahead in RANK_ORDER by time used and submission (an index range count on quiz_participant_rank).
# A lookup reads at most one row per score and minute, 59 seconds and a few hundred index entries,
# whether the quiz has a thousand participants or a million.
RANK = (
    f"1 + (SELECT COALESCE(SUM(mm.participants), 0) FROM {_MINUTES} mm WHERE mm.quiz_id = {{v_quiz}} "  # noqa: S608 table names and variables only
    "AND mm.score >= {f_s} AND (mm.score > {f_s} OR mm.minute < {f_t} / 60000)) "
    f"+ (SELECT COALESCE(SUM(bb.participants), 0) FROM {_BUCKETS} bb WHERE bb.quiz_id = {{v_quiz}} "
    "AND bb.score = {f_s} AND bb.second >= ({f_t} / 60000) * 60 AND bb.second < {f_t} / 1000) "
    f"+ (SELECT COUNT(*) FROM {_PARTICIPANT} qp WHERE qp.quiz_id = {{v_quiz}} AND qp.best_score IS NOT NULL "
    "AND qp.best_score = {f_s} AND qp.best_time_ms >= ({f_t} / 1000) * 1000 AND qp.best_time_ms <= {f_t} "
    "AND (qp.best_time_ms < {f_t} OR qp.best_submitted_at < {f_at}))"
)


def _histogram_moves() -> tuple:
    """-1 where the participant's old best was, +1 where the new one is (nothing when both fall in
    the same row), rows taken in key order, the one-second buckets then the per-minute sums:
    every submit takes its locks in the same order, so concurrent submits cannot deadlock."""
    steps = []
    for table, column, div in ((_BUCKETS, "second", ""), (_MINUTES, "minute", " / 60")):
        old, new = "{o_sec}" + div, "{n_sec}" + div

        def upsert(key: str, delta: int, table=table, column=column) -> Sql:
            return Sql(
                f"INSERT INTO {table} AS h (quiz_id, score, {column}, participants) "  # noqa: S608 table names and variables only
                f"VALUES ({{v_quiz}}, {'{o_score}' if delta < 0 else '{p_score}'}, {key}, {delta}) "
                f"ON CONFLICT (quiz_id, score, {column}) DO UPDATE SET participants = h.participants "
                f"{'+' if delta > 0 else '-'} {abs(delta)}"
            )

        steps += [
            If(f"{{o_score}} IS NOT NULL AND ({{o_score}}, {old}) < ({{p_score}}, {new})", (upsert(old, -1),)),
            If(f"{{o_score}} IS NULL OR ({{o_score}}, {old}) <> ({{p_score}}, {new})", (upsert(new, 1),)),
            If(f"{{o_score}} IS NOT NULL AND ({{o_score}}, {old}) > ({{p_score}}, {new})", (upsert(old, -1),)),
        ]
    return tuple(steps)


FINISH_PARAMS = (
    ("p_attempt", "bigint"),
    ("p_status", "text"),
    ("p_answers", "jsonb"),
    ("p_score", "integer"),
    ("p_correct", "integer"),
    ("p_time", "integer"),
    ("p_at", "timestamptz"),
    ("p_tabs", "integer"),  # NULL: keep the saved ones (closing at the deadline)
    ("p_events", "jsonb"),
)
FINISH_LOCALS = (
    ("v_participant", "bigint"),
    ("v_quiz", "bigint"),
    ("n_sec", "integer"),  # this attempt's second of time used
    ("o_sec", "integer"),  # the old best's
    ("f_s", "integer"),  # the participant's best after this submit
    ("f_t", "integer"),
    ("f_at", "timestamptz"),
)
FINISH_OUT = (
    ("o_score", "integer"),  # the participant's best before this submit
    ("o_time", "integer"),
    ("o_at", "timestamptz"),
    ("o_improved", "boolean"),  # this attempt is their new best
    ("o_name", "text"),
    ("o_used", "integer"),  # attempts used
    ("o_rank", "bigint"),  # of the best after this submit
)
FINISH = (
    # Close the attempt if it is still open; a repeated submit changes nothing and gets no answer.
    Sql(
        f"UPDATE {_ATTEMPT} SET status = {{p_status}}, answers = {{p_answers}}, score = {{p_score}}, "  # noqa: S608 table names and variables only
        "correct_count = {p_correct}, time_used_ms = {p_time}, submitted_at = {p_at}, "
        "tab_switches = COALESCE({p_tabs}, tab_switches), events = COALESCE({p_events}, events) "
        "WHERE id = {p_attempt} AND status = 'open' RETURNING participant_id, quiz_id",
        into=("v_participant", "v_quiz"),
        or_return=True,
    ),
    Sql(
        f"SELECT best_score, best_time_ms, best_submitted_at, name, attempts_count FROM {_PARTICIPANT} "  # noqa: S608 table names and variables only
        "WHERE id = {v_participant}",
        into=("o_score", "o_time", "o_at", "o_name", "o_used"),
        lock=True,
    ),
    # RANK_ORDER on score, then time used; on a full tie the earlier best stays (a later attempt
    # never wins a tie on the submission time).
    Let("o_improved", "{o_score} IS NULL OR {o_score} < {p_score} OR ({o_score} = {p_score} AND {o_time} > {p_time})"),
    If(
        "{o_improved}",
        (
            Sql(
                f"UPDATE {_PARTICIPANT} SET best_attempt_id = {{p_attempt}}, best_score = {{p_score}}, "  # noqa: S608 table names and variables only
                "best_time_ms = {p_time}, best_submitted_at = {p_at} WHERE id = {v_participant}"
            ),
            Let("f_s", "{p_score}"),
            Let("f_t", "{p_time}"),
            Let("f_at", "{p_at}"),
            Let("n_sec", "{p_time} / 1000"),
            Let("o_sec", "{o_time} / 1000"),
            *_histogram_moves(),
        ),
        (Let("f_s", "{o_score}"), Let("f_t", "{o_time}"), Let("f_at", "{o_at}")),
    ),
    # The participant's own rows are never ahead of their best: reading them after the moves
    # above changes nothing.
    Sql("SELECT " + RANK, into=("o_rank",)),
)
FUNCTION = "jinguo_quiz_finish"
_NAME = re.compile(r"\{(\w+)\}")


def _render(text: str, name) -> str:
    return _NAME.sub(lambda m: name(m[1]), text)


def _plpgsql(steps, indent: str) -> list[str]:
    lines = []
    for step in steps:
        if isinstance(step, Sql):
            sql = _render(step.text, str) + (" FOR UPDATE" if step.lock else "")
            lines.append(f"{indent}{sql}{' INTO ' + ', '.join(step.into) if step.into else ''};")
            if step.or_return:
                lines.append(f"{indent}IF NOT FOUND THEN RETURN; END IF;")
        elif isinstance(step, Let):
            lines.append(f"{indent}{step.name} := {_render(step.expr, str)};")
        else:
            lines.append(f"{indent}IF {_render(step.cond, str)} THEN")
            lines += _plpgsql(step.then, indent + "    ")
            if step.otherwise:
                lines.append(f"{indent}ELSE")
                lines += _plpgsql(step.otherwise, indent + "    ")
            lines.append(f"{indent}END IF;")
    return lines


def finish_function_body() -> str:
    """The PL/pgSQL source of ``FINISH``: what ``pg_proc.prosrc`` holds once it is installed."""
    declare = [f"    {name} {kind};" for name, kind in FINISH_LOCALS]
    body = _plpgsql(FINISH, "    ")
    return "\n".join(["", "DECLARE", *declare, "BEGIN", *body, "    RETURN NEXT;", "END", ""])


def finish_function_signature() -> str:
    return f"{FUNCTION}({', '.join(kind for _, kind in FINISH_PARAMS)})"


def finish_function_sql() -> str:
    """CREATE OR REPLACE for the function (run by the migration that installs this version)."""
    params = ", ".join(f"{name} {kind}" for name, kind in FINISH_PARAMS)
    out = ", ".join(f"{name} {kind}" for name, kind in FINISH_OUT)
    return (
        f"CREATE OR REPLACE FUNCTION {FUNCTION}({params})\nRETURNS TABLE ({out})\n"
        f"LANGUAGE plpgsql VOLATILE AS $fn${finish_function_body()}$fn$"
    )


def finish_function_sha256() -> str:
    """Recorded by the migration that installs this version (tests/quiz/test_finish.py)."""
    return hashlib.sha256(finish_function_sql().encode()).hexdigest()


def _run_steps(cursor, steps, env: dict) -> bool:
    """``FINISH`` on SQLite, step by step in the caller's transaction. False: it ended early."""

    def sql(text: str) -> str:
        return _render(text, lambda name: f"%({name})s")

    for step in steps:
        if isinstance(step, Sql):
            cursor.execute(sql(step.text), env)
            if step.into:
                row = cursor.fetchone()
                if row is None and step.or_return:
                    return False
                env.update(zip(step.into, row or (None,) * len(step.into), strict=True))
        elif isinstance(step, Let):
            cursor.execute(f"SELECT {sql(step.expr)}", env)
            env[step.name] = cursor.fetchone()[0]
        else:
            cursor.execute(f"SELECT CASE WHEN {sql(step.cond)} THEN 1 ELSE 0 END", env)
            if not _run_steps(cursor, step.then if cursor.fetchone()[0] else step.otherwise, env):
                return False
    return True


@dataclass(kw_only=True)
class Finished:
    best: tuple[int, int, dt.datetime]  # the participant's best after this attempt
    name: str
    attempts_used: int
    rank: int  # of that best


_FINISH_CALL = f"SELECT * FROM {FUNCTION}(%s, %s, %s::jsonb, %s, %s, %s, %s, %s::integer, %s::jsonb)"  # noqa: S608 table names and variables only


def finish(
    *, attempt_id: int, status: str, answers: dict, score: int, correct: int, time_used_ms: int, at: dt.datetime,
    tab_switches: int | None, events: list | None,
) -> Finished | None:  # fmt: skip
    """Close the attempt (if still open) with its grade, move the participant's best and the
    histogram if it beats their best, and rank that best: ONE call on PostgreSQL (autocommit:
    atomic, no BEGIN/COMMIT), a transaction of the same steps on SQLite. None if the attempt was
    closed already. ``tab_switches``/``events`` None: keep the saved ones."""
    answers_json = orjson.dumps(answers).decode()
    events_json = orjson.dumps(events).decode() if events is not None else None
    if connection.vendor == "postgresql":
        params = [attempt_id, status, answers_json, score, correct, time_used_ms, at, tab_switches, events_json]
        with prepared_cursor() as cursor:
            cursor.execute(_FINISH_CALL, params)
            row = cursor.fetchone()
        if row is None:
            return None
        o_score, o_time, o_at, improved, name, used, rank = row
    else:
        env = dict.fromkeys([n for n, _ in (*FINISH_PARAMS, *FINISH_LOCALS, *FINISH_OUT)])
        env.update(p_attempt=attempt_id, p_status=status, p_answers=answers_json, p_score=score, p_correct=correct)
        env.update(p_time=time_used_ms, p_at=connection.ops.adapt_datetimefield_value(at), p_tabs=tab_switches)
        env.update(p_events=events_json)
        with transaction.atomic(), connection.cursor() as cursor:
            if not _run_steps(cursor, FINISH, env):
                return None
        o_score, o_time, o_at, improved, name, used, rank = (env[n] for n, _ in FINISH_OUT)
        if isinstance(o_at, str):
            o_at = parse_datetime(o_at)
        if o_at is not None and o_at.tzinfo is None:
            o_at = o_at.replace(tzinfo=dt.UTC)
    best = (score, time_used_ms, at) if improved else (o_score, o_time, o_at)
    return Finished(best=best, name=name, attempts_used=used, rank=int(rank))


# ---- rank lookups -----------------------------------------------------------------------------


@functools.cache
def rank_of_sql() -> str:
    # The best as a one-row relation of four parameters (the quiz, score, time used, submitted at).
    best = {"v_quiz": "b.q", "f_s": "b.s", "f_t": "b.t", "f_at": "b.at"}
    return f"SELECT {_render(RANK, best.__getitem__)} FROM (SELECT %s AS q, %s AS s, %s AS t, %s AS at) b"  # noqa: S608 table names and variables only


def rank_of(*, quiz_id: int, score: int, time_ms: int, submitted_at) -> int:
    """The rank of a best of (score, time used, submitted at) among the quiz's participants."""
    params = [quiz_id, score, time_ms, connection.ops.adapt_datetimefield_value(submitted_at)]
    with prepared_cursor() as cursor:
        cursor.execute(rank_of_sql(), params)
        return int(cursor.fetchone()[0])


def _order_sql() -> str:
    qn = connection.ops.quote_name
    return ", ".join(qn(f.lstrip("-")) + (" DESC" if f.startswith("-") else "") for f in RANK_ORDER)


def global_ranks(quiz: Quiz, participant_ids: list[int]) -> dict[int, int]:
    """The rank among all of the quiz's participants (not only the viewer's subtree) of a few
    participants, in one query (a window over every ranked participant: for pages and exports)."""
    if not participant_ids:
        return {}
    qn = connection.ops.quote_name
    table = qn(Participant._meta.db_table)
    marks = ", ".join(["%s"] * len(participant_ids))
    sql = (
        f"SELECT {qn('id')}, r FROM (SELECT {qn('id')}, RANK() OVER (ORDER BY {_order_sql()}) AS r "  # noqa: S608 identifiers only
        f"FROM {table} WHERE {qn('quiz_id')} = %s AND {qn('best_score')} IS NOT NULL) ranked WHERE {qn('id')} IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [quiz.pk, *participant_ids])
        return {pk: int(rank) for pk, rank in cursor.fetchall()}


def ranked_participants(quiz: Quiz) -> QuerySet[Participant]:
    """The quiz's ranked participants in the viewer's subtree (the scoped manager), best first."""
    return Participant.objects.filter(quiz=quiz, best_score__isnull=False).select_related("unit").order_by(*RANK_ORDER)


def leaderboard(*, quiz_id: int, size: int) -> list[dict]:
    """The top participants (best attempts), names masked: a public page. Cached a few seconds."""
    key = f"quiz:board:{quiz_id}:{size}"
    rows = cache.get(key)
    if rows is None:
        fields = [f.lstrip("-") for f in RANK_ORDER]
        qs = (
            Participant.objects.filter(quiz_id=quiz_id, best_score__isnull=False)
            .order_by(*RANK_ORDER)
            .values("name", "unit__name", *fields)[:size]
        )
        rows, previous, rank = [], None, 0
        for i, row in enumerate(qs, start=1):
            current = tuple(row[f] for f in fields)
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


# ---- totals -----------------------------------------------------------------------------------

totals = Memory("totals", size=1000, ttl=LEADERBOARD_TTL)


def public_totals(*, quiz_id: int) -> dict:
    """Participants, attempts and ranked participants of a quiz, about LEADERBOARD_TTL old: from
    this process's memory, else the shared cache, else one aggregate query. Every full submit
    shows "共 N 人", so the common case is a dictionary lookup, not a round trip to Redis.

    The count reads every participant of the quiz (a million in a large quiz), so it is never run
    by many at once: in a process, one thread refreshes while the others use the copy they have;
    across processes, the one that takes the lease in the shared cache counts while the others use
    the last count a little longer (the shared entry outlives its freshness for that)."""
    return totals.get(quiz_id, functools.partial(_shared_totals, quiz_id))


def _shared_totals(quiz_id: int) -> dict:
    key = f"quiz:totals:{quiz_id}"
    shared = cache.get(key)  # (fresh until, totals)
    if shared is None or shared[0] <= time.time():
        lease = key + ":lease"
        if shared is None or cache.add(lease, 1, LEADERBOARD_TTL * 5):
            shared = (time.time() + LEADERBOARD_TTL, _count_totals(quiz_id))
            cache.set(key, shared, LEADERBOARD_TTL * 20)
            cache.delete(lease)
    return shared[1]


def _count_totals(quiz_id: int) -> dict:
    totals = Participant.objects.filter(quiz_id=quiz_id).aggregate(
        participants=Count("id"),
        attempts=Sum("attempts_count"),
        ranked=Count("id", filter=Q(best_score__isnull=False)),
    )
    totals["attempts"] = totals["attempts"] or 0
    return totals
