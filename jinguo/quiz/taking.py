"""Taking a quiz: the attempt's token, start, save, submit and close.

The hot path of a synchronised start: no session, the quiz and its bank from memory (``memory``),
as few round trips as it can. Attempt limits are enforced by the database: one conditional UPDATE
reserves the next attempt number on the participant row, and a unique (participant, number) backs
it up. Closing an attempt, by its submit or at its deadline, is ``_close``: grade in memory, then
``ranking.finish``.

The public quiz has no signed-in viewer: its views run these with scoping disabled (``public``),
as do the commands and the demo.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.utils import timezone

from jinguo.lib.db import prepared_cursor
from jinguo.lib.phones import MOBILE_RE, normalize_phone
from jinguo.quiz import memory, paper, ranking
from jinguo.quiz.memory import QuizSnapshot
from jinguo.quiz.models import Attempt, Participant
from jinguo.quiz.services import QuizError

TOKEN_SALT = "jinguo.quiz.attempt"  # noqa: S105 a namespace for signatures, not a secret


# ---- the token --------------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class AttemptToken:
    attempt_id: int
    participant_id: int
    quiz_id: int
    started_ms: int
    deadline_ms: int
    paper: list

    @property
    def started_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.started_ms / 1000, tz=dt.UTC)

    @property
    def deadline(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.deadline_ms / 1000, tz=dt.UTC)


def _ms(value: dt.datetime) -> int:
    return int(value.timestamp() * 1000)


def sign_token(attempt: Attempt) -> str:
    """The attempt's credential: signed, and carrying the drawn paper so that a submit is graded
    without reading the attempt back."""
    payload = {
        "a": attempt.pk,
        "p": attempt.participant_id,
        "q": attempt.quiz_id,
        "s": _ms(attempt.started_at),
        "d": _ms(attempt.deadline),
        "x": attempt.paper,
    }
    return signing.dumps(payload, salt=TOKEN_SALT, compress=True, serializer=_TokenJSON)


class _TokenJSON:
    """Django's signing serializer, with orjson: the same compact JSON bytes (the payload is ints
    and lists of ints), so tokens signed before and after read alike; parsing the drawn paper
    back was the largest part of reading a token."""

    def dumps(self, obj) -> bytes:
        return orjson.dumps(obj)

    def loads(self, data: bytes):
        return orjson.loads(data)


@functools.lru_cache(maxsize=4)
def _signer(key: str, fallback_keys: tuple) -> signing.TimestampSigner:
    return signing.TimestampSigner(key=key, salt=TOKEN_SALT, fallback_keys=list(fallback_keys))


def read_token(token: str, *, attempt_id: int) -> AttemptToken:
    """The token's payload, its signature checked (what ``signing.loads`` does, with one signer
    per secret key instead of a new one for every submit)."""
    signer = _signer(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))
    try:
        data = signer.unsign_object(token or "", serializer=_TokenJSON)
    except signing.BadSignature as exc:
        raise QuizError("答题凭证无效，请重新进入答题页面", code="bad_token", status=403) from exc
    if data.get("a") != attempt_id:
        raise QuizError("答题凭证与答卷不符", code="bad_token", status=403)
    return AttemptToken(
        attempt_id=data["a"],
        participant_id=data["p"],
        quiz_id=data["q"],
        started_ms=data["s"],
        deadline_ms=data["d"],
        paper=data["x"],
    )


# ---- start ------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class Started:
    attempt: Attempt
    token: str
    bank: paper.BankData
    resumed: bool = False


def check_open(snap: QuizSnapshot, now: dt.datetime) -> None:
    if not snap.is_published:
        raise QuizError("该竞赛尚未发布", code="not_published", status=404)
    if now < snap.opens_at:
        local = timezone.localtime(snap.opens_at).strftime("%Y-%m-%d %H:%M")
        raise QuizError(f"竞赛尚未开始，开始时间：{local}", code="not_open", status=409)
    if now >= snap.closes_at:
        raise QuizError("竞赛已结束", code="closed", status=409)


def check_identity(snap: QuizSnapshot, *, phone: str, name: str, unit_id) -> tuple[str, str, int]:
    phone = normalize_phone(phone)
    if not MOBILE_RE.match(phone):
        raise QuizError("请填写正确的 11 位手机号", code="bad_phone")
    name = " ".join((name or "").split())
    if not name or len(name) > 20:
        raise QuizError("请填写姓名（不超过 20 个字）", code="bad_name")
    try:
        unit_id = int(unit_id)
    except (TypeError, ValueError):
        raise QuizError("请选择所在单位", code="bad_unit") from None
    info = memory.unit_info(unit_id, under=snap.owner_path)
    if info is None or not info[0].startswith(snap.owner_path) or not info[2]:
        raise QuizError("请从列表中选择所在单位", code="bad_unit")
    return phone, name, unit_id


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _reserve(snap: QuizSnapshot, key: str, today: dt.date, name: str, unit_id: int, device: str, verified: bool):
    """Take the next attempt number on the participant row, if the limits allow and the start is
    the participant's own (``verified``, or from their device, or they have none bound yet): then
    the name and unit are theirs to change, and the device is bound. (id, number) or None."""
    qn = connection.ops.quote_name
    per_day = snap.max_attempts_per_day or 2**31 - 1
    # Only quoted identifiers are interpolated; every value is a parameter.
    sql = (
        f"UPDATE {_table(Participant)} SET {qn('attempts_count')} = {qn('attempts_count')} + 1, "  # noqa: S608
        f"{qn('day_count')} = CASE WHEN {qn('day')} = %s THEN {qn('day_count')} + 1 ELSE 1 END, "
        f"{qn('day')} = %s, {qn('name')} = %s, {qn('unit_id')} = %s, "
        f"{qn('device_hash')} = COALESCE(NULLIF(%s, ''), {qn('device_hash')}) "
        f"WHERE {qn('quiz_id')} = %s AND {qn('key')} = %s AND {qn('attempts_count')} < %s "
        f"AND ({qn('day')} IS NULL OR {qn('day')} <> %s OR {qn('day_count')} < %s) "
        f"AND (%s OR {qn('device_hash')} = '' OR {qn('device_hash')} = %s) "
        f"RETURNING {qn('id')}, {qn('attempts_count')}"
    )
    today = connection.ops.adapt_datefield_value(today)
    params = [today, today, name, unit_id, device, snap.id, key, snap.max_attempts, today, per_day, verified, device]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


_PARTICIPANT_COLUMNS = ("quiz_id", "key", "phone", "name", "unit_id", "user_id", "attempts_count", "day", "day_count")
_PARTICIPANT_COLUMNS += ("created_at", "device_hash")


def _new_participant(snap: QuizSnapshot, key, today, name, phone, unit_id, user_id, now, device):
    """Register the person with their first attempt reserved: (id, 1), or None if already there.
    A concurrent insert of the same key waits for the first one and then does nothing."""
    qn = connection.ops.quote_name
    # Only quoted identifiers are interpolated; every value is a parameter.
    sql = (
        f"INSERT INTO {_table(Participant)} ({', '.join(qn(c) for c in _PARTICIPANT_COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(_PARTICIPANT_COLUMNS))}) "
        f"ON CONFLICT ({qn('quiz_id')}, {qn('key')}) DO NOTHING RETURNING {qn('id')}"
    )
    values = [snap.id, key, phone, name, unit_id, user_id, 1, connection.ops.adapt_datefield_value(today), 1]
    values += [connection.ops.adapt_datetimefield_value(now), device]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    return (row[0], 1) if row else None


@functools.cache
def _first_attempt_sql() -> str:
    qn = connection.ops.quote_name
    a_cols = ["quiz_id", "participant_id", "unit_id", "number", "status", "started_at", "deadline", "paper"]
    a_cols += ["answers", "tab_switches", "events", "ip"]
    # Only quoted identifiers are interpolated; every value is a parameter.
    return (
        f"WITH p AS (INSERT INTO {_table(Participant)} ({', '.join(qn(c) for c in _PARTICIPANT_COLUMNS)}) "  # noqa: S608
        f"VALUES (%s, %s, %s, %s, %s, %s, 1, %s, 1, %s, %s) "
        f"ON CONFLICT ({qn('quiz_id')}, {qn('key')}) DO NOTHING RETURNING {qn('id')}) "
        f"INSERT INTO {_table(Attempt)} ({', '.join(qn(c) for c in a_cols)}) "
        f"SELECT %s, p.{qn('id')}, %s, 1, %s, %s, %s, %s::jsonb, '{{}}'::jsonb, 0, '[]'::jsonb, %s::inet FROM p "
        f"RETURNING {qn('id')}, {qn('participant_id')}"
    )


def _first_attempt_pg(
    snap, key, today, name, phone, unit_id, user_id, now, deadline, drawn, ip, device
) -> Attempt | None:
    """A person's first attempt on PostgreSQL in ONE statement (autocommit, so no BEGIN/COMMIT):
    register the participant with attempt 1 reserved and open the attempt, or do nothing if the
    person is registered already (then the general path below reserves the next number)."""
    params = [snap.id, key, phone, name, unit_id, user_id, today, now, device]
    params += [snap.id, unit_id, Attempt.Status.OPEN, now, deadline, orjson.dumps(drawn).decode(), ip]
    with prepared_cursor() as cursor:
        cursor.execute(_first_attempt_sql(), params)
        row = cursor.fetchone()
    if row is None:
        return None
    return Attempt(
        pk=row[0],
        quiz_id=snap.id,
        participant_id=row[1],
        unit_id=unit_id,
        number=1,
        status=Attempt.Status.OPEN,
        started_at=now,
        deadline=deadline,
        paper=drawn,
        answers={},
        ip=ip,
    )


def start_attempt(
    snap: QuizSnapshot,
    *,
    phone: str,
    name: str,
    unit_id,
    user=None,
    device: str = "",
    verified: bool = False,
    ip: str | None = None,
    now=None,
) -> Started:
    """Open an attempt and draw its paper, or resume the participant's open one when the limit is
    reached. One statement on PostgreSQL for a person's first attempt; no question queries.
    No audit entry (a public burst of thousands per second); the attempt row is the record.

    A phone number is not an identity: a start for a participant already registered (which
    spends their attempt, renames them, or resumes their open attempt with its answers) must be
    theirs: ``verified`` (an SMS code, or the login of a staff quiz) or from the device they
    registered from (``device``: the hash of its key, ``public.device_hash``). Else "other_device"
    and nothing changes."""
    now = now or timezone.now()
    check_open(snap, now)
    if user is not None:
        key = f"user:{user.pk}"
        phone = normalize_phone(user.phone or "")
        verified = True
    else:
        phone, name, unit_id = check_identity(snap, phone=phone, name=name, unit_id=unit_id)
        key = phone
    bank = memory.bank_for(snap)
    today = timezone.localdate(now)
    deadline = min(now + dt.timedelta(minutes=snap.time_limit_minutes), snap.closes_at)
    user_id = getattr(user, "pk", None)
    if connection.vendor == "postgresql":
        drawn = paper.draw_paper(snap.rules, bank)
        attempt = _first_attempt_pg(snap, key, today, name, phone, unit_id, user_id, now, deadline, drawn, ip, device)
        if attempt is not None:
            return Started(attempt=attempt, token=sign_token(attempt), bank=bank)
    with transaction.atomic():
        # Most starts are a person's first: one INSERT that does nothing if the person exists
        # (then the conditional UPDATE), instead of UPDATE, SAVEPOINT, INSERT, RELEASE.
        reserved = _new_participant(snap, key, today, name, phone, unit_id, user_id, now, device)
        if reserved is None:
            reserved = _reserve(snap, key, today, name, unit_id, device, verified)
        if reserved is not None:
            attempt = Attempt.objects.create(
                quiz_id=snap.id,
                participant_id=reserved[0],
                unit_id=unit_id,
                number=reserved[1],
                started_at=now,
                deadline=deadline,
                paper=paper.draw_paper(snap.rules, bank),
                ip=ip,
            )
    if reserved is None:
        return _resume_or_refuse(snap, key=key, device=device, verified=verified, now=now)
    return Started(attempt=attempt, token=sign_token(attempt), bank=bank)


def _resume_or_refuse(snap: QuizSnapshot, *, key: str, device: str, verified: bool, now) -> Started:
    """No attempt was reserved: another person's number (refused before anything is shown), the
    participant's open attempt to resume, or a limit reached."""
    participant = Participant.objects.filter(quiz_id=snap.id, key=key).values_list(
        "pk", "device_hash", "attempts_count"
    )
    participant_id, bound, used = participant.get()
    if not verified and bound and bound != device:
        raise QuizError(
            "这个手机号已在另一部手机（或另一个浏览器）上参加本竞赛，请用原来的手机继续答题",
            code="other_device",
            status=403,
        )
    open_attempt = (
        Attempt.objects.filter(participant_id=participant_id, status=Attempt.Status.OPEN, deadline__gt=now)
        .order_by("-number")
        .first()
    )
    if open_attempt is not None:
        bank = memory.bank_for(snap)
        return Started(attempt=open_attempt, token=sign_token(open_attempt), bank=bank, resumed=True)
    if used >= snap.max_attempts:
        raise QuizError(f"每人最多答题 {snap.max_attempts} 次，您的次数已用完", code="limit_total", status=409)
    raise QuizError(
        f"每人每天最多答题 {snap.max_attempts_per_day} 次，今天的次数已用完，请明天再来", code="limit_day", status=409
    )


# ---- save -------------------------------------------------------------------------------------


def _events(raw) -> list:
    if not isinstance(raw, list):
        return []
    return [round(float(x), 1) for x in raw[:200] if isinstance(x, int | float)]


def _switches(raw) -> int:
    try:
        return max(0, min(int(raw), 100_000))
    except (TypeError, ValueError):
        return 0


def save_answers(token: AttemptToken, *, answers, tab_switches=0, events=None, now=None) -> bool:
    """Keep the answers so far (the phone saves now and then). One UPDATE; False once closed."""
    now = now or timezone.now()
    cleaned = paper.clean_answers(answers, token.paper)
    return bool(
        Attempt.objects.filter(pk=token.attempt_id, status=Attempt.Status.OPEN, deadline__gt=now).update(
            answers=cleaned, saved_at=now, tab_switches=_switches(tab_switches), events=_events(events)
        )
    )


# ---- submit and close -------------------------------------------------------------------------


@dataclass(kw_only=True)
class Outcome:
    attempt_id: int
    participant_id: int
    status: str
    score: int
    max_score: int
    correct: int
    time_used_ms: int
    submitted_at: dt.datetime
    # The participant's best after this attempt (what the rank is of); None: not known here.
    best: tuple[int, int, dt.datetime] | None = None
    # Set by a fresh close (not a repeated submit): the graded answers, the participant's name and
    # attempts used, so that the submit can answer with the whole result without reading it back.
    answers: dict | None = None
    name: str = ""
    attempts_used: int = 0
    rank: int | None = None  # of the participant's best, as it stands after this submit


def grace() -> dt.timedelta:
    """How long after its deadline an attempt still takes its submit (the network's delay)."""
    return dt.timedelta(seconds=settings.QUIZ_SUBMIT_GRACE_SECONDS)


def _close(
    snap: QuizSnapshot, *, attempt_id: int, participant_id: int, drawn, answers: dict, started_at, deadline, at,
    status: str, tab_switches: int | None = None, events: list | None = None,
) -> Outcome | None:  # fmt: skip
    """THE close of an attempt (its submit, or its deadline passed): grade in memory, then
    ``ranking.finish``. None if the attempt was closed already."""
    result = paper.grade(drawn, answers, memory.bank_for(snap), snap.points)
    finished_at = min(at, deadline)
    time_used = max(0, int((finished_at - started_at).total_seconds() * 1000))
    done = ranking.finish(
        attempt_id=attempt_id, status=status, answers=answers, score=result.score, correct=result.correct,
        time_used_ms=time_used, at=finished_at, tab_switches=tab_switches, events=events,
    )  # fmt: skip
    if done is None:
        return None
    return Outcome(
        attempt_id=attempt_id,
        participant_id=participant_id,
        status=status,
        score=result.score,
        max_score=result.max_score,
        correct=result.correct,
        time_used_ms=time_used,
        submitted_at=finished_at,
        best=done.best,
        answers=answers,
        name=done.name,
        attempts_used=done.attempts_used,
        rank=done.rank,
    )


def submit_attempt(snap: QuizSnapshot, token: AttemptToken, *, answers, tab_switches=0, events=None, now=None):
    """Hand in the paper. Idempotent: a repeated submit changes nothing and returns the first
    result. After the deadline (plus a short grace for the network) the answers saved by the
    deadline count, not the ones sent late."""
    now = now or timezone.now()
    if token.quiz_id != snap.id:
        raise QuizError("答题凭证与竞赛不符", code="bad_token", status=403)
    if now <= token.deadline + grace():
        outcome = _close(
            snap,
            attempt_id=token.attempt_id,
            participant_id=token.participant_id,
            drawn=token.paper,
            answers=paper.clean_answers(answers, token.paper),
            started_at=token.started_at,
            deadline=token.deadline,
            at=now,
            status=Attempt.Status.SUBMITTED,
            tab_switches=_switches(tab_switches),
            events=_events(events),
        )
        if outcome is not None:
            return outcome
    attempt = Attempt.objects.get(pk=token.attempt_id)
    if attempt.status == Attempt.Status.OPEN:
        outcome = close_attempt(attempt, snap=snap, now=now)
        if outcome is not None:
            return outcome
        attempt.refresh_from_db()
    return _stored_outcome(snap, attempt)


def _stored_outcome(snap: QuizSnapshot, attempt: Attempt) -> Outcome:
    return Outcome(
        attempt_id=attempt.pk,
        participant_id=attempt.participant_id,
        status=attempt.status,
        score=attempt.score or 0,
        max_score=paper.max_score(attempt.paper, memory.bank_for(snap), snap.points),
        correct=attempt.correct_count or 0,
        time_used_ms=attempt.time_used_ms or 0,
        submitted_at=attempt.submitted_at,
    )


def close_attempt(attempt: Attempt, *, snap: QuizSnapshot, now=None) -> Outcome | None:
    """Close an attempt whose deadline passed, grading what was saved by then (and keeping the
    saved tab switches and events). None if it was closed meanwhile or its time is not up."""
    now = now or timezone.now()
    if now <= attempt.deadline + grace():
        return None
    return _close(
        snap,
        attempt_id=attempt.pk,
        participant_id=attempt.participant_id,
        drawn=attempt.paper,
        answers=paper.clean_answers(attempt.answers or {}, attempt.paper),  # as saved: clean, but graded only so
        started_at=attempt.started_at,
        deadline=attempt.deadline,
        at=attempt.deadline,
        status=Attempt.Status.CLOSED,
    )


def close_expired_attempts(*, now=None, batch: int = 500) -> int:
    """Close every open attempt past its deadline (the ``closeattempts`` command). Returns how many."""
    now = now or timezone.now()
    cutoff = now - grace()
    closed = 0
    snaps: dict[int, QuizSnapshot] = {}
    while True:
        rows = list(Attempt.objects.filter(status=Attempt.Status.OPEN, deadline__lt=cutoff).order_by("id")[:batch])
        if not rows:
            return closed
        for attempt in rows:
            snap = snaps.get(attempt.quiz_id) or snaps.setdefault(attempt.quiz_id, memory.quiz_by_id(attempt.quiz_id))
            if close_attempt(attempt, snap=snap, now=now) is not None:
                closed += 1


def warm_connection() -> None:
    """Plan the public burst's statements once on this thread's database connection (EXPLAIN, and
    the submit's function for no attempt: nothing is written). A new PostgreSQL connection's first
    start and submit cost ~2 ms more each while its server process loads the tables' catalogue
    entries; 32 threads doing that in the first second of a synchronised start was most of its p99
    (bench/quiz). Called for each gunicorn thread before the worker takes requests."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        sql = _first_attempt_sql()
        cursor.execute("EXPLAIN " + sql, [None] * sql.count("%s"))
        cursor.execute("EXPLAIN " + ranking.rank_of_sql(), [0, 0, 0, timezone.now()])
    # The submit's function, for no attempt: compiled and its first statement planned, nothing written.
    ranking.finish(
        attempt_id=0, status=Attempt.Status.SUBMITTED, answers={}, score=0, correct=0, time_used_ms=0,
        at=timezone.now(), tab_switches=None, events=None,
    )  # fmt: skip
