"""Writes of the quiz app: banks and questions, quizzes, and the public taking flow.

The taking flow (``start_attempt``, ``save_answers``, ``submit_attempt``) is the hot path: it runs
without a session, reads the quiz and its bank from memory (``engine``), and makes as few round
trips as it can. Attempt limits are enforced by the database: one conditional UPDATE reserves the
next attempt number on the participant row, and a unique (participant, number) backs it up.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from jinguo.audit.services import log_action
from jinguo.lib.db import prepared_cursor
from jinguo.lib.phones import MOBILE_RE, normalize_phone
from jinguo.quiz import engine, selectors
from jinguo.quiz.engine import QuizSnapshot
from jinguo.quiz.models import (
    JUDGE_OPTIONS,
    LETTERS,
    Attempt,
    Kind,
    Participant,
    Question,
    QuestionBank,
    Quiz,
    ScoreBucket,
    ScoreMinute,
    UnitTarget,
)

TOKEN_SALT = "jinguo.quiz.attempt"  # noqa: S105 a namespace for signatures, not a secret
QUIZ_FIELDS = (
    "title",
    "description",
    "bank",
    "opens_at",
    "closes_at",
    "audience",
    "paper_rules",
    "points_single",
    "points_multi",
    "points_judge",
    "time_limit_minutes",
    "max_attempts",
    "max_attempts_per_day",
    "leaderboard_size",
    "require_sms_code",
)


class QuizError(Exception):
    """A refusal with a Chinese message for the participant or organiser."""

    def __init__(self, message: str, code: str = "invalid", status: int = 400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


# ---- questions ------------------------------------------------------------------------------

ANSWER_RE = re.compile(r"^[A-Ea-e、,，/；;\s]+$")
JUDGE_WORDS = {"正确": "A", "对": "A", "√": "A", "T": "A", "错误": "B", "错": "B", "×": "B", "F": "B"}


def parse_question(*, kind: str, stem: str, options: list[str], answer: str) -> tuple[str, list[str], str]:
    """Check one question; returns (stem, options, answer letters) or raises QuizError in Chinese."""
    stem = " ".join((stem or "").split())
    if not stem:
        raise QuizError("题干不能为空")
    if len(stem) > 1000:
        raise QuizError("题干不能超过 1000 个字")
    options = [(o or "").strip() for o in options]
    while options and not options[-1]:
        options.pop()
    answer = (answer or "").strip()
    if not answer:
        raise QuizError("缺少答案")
    if kind == Kind.JUDGE:
        if any(o and o not in JUDGE_OPTIONS for o in options):
            raise QuizError("判断题不需要填写选项（选项固定为“正确”“错误”）")
        letter = JUDGE_WORDS.get(answer.upper() if len(answer) == 1 else answer)
        if letter is None:
            raise QuizError(f"判断题的答案应为“正确”或“错误”，不能是“{answer}”")
        return stem, [], letter
    if kind not in (Kind.SINGLE, Kind.MULTI):
        raise QuizError("题型无效")
    if "" in options:
        gap = LETTERS[options.index("")]
        raise QuizError(f"选项{gap}为空：选项要从 A 开始连续填写")
    if len(options) < 2:
        raise QuizError("选择题至少要有 A、B 两个选项")
    if len(set(options)) != len(options):
        raise QuizError("选项内容有重复")
    if any(len(o) > 300 for o in options):
        raise QuizError("选项不能超过 300 个字")
    if ANSWER_RE.match(answer) is None:
        raise QuizError(f"答案“{answer}”无效，应填写选项字母，如 B 或 ACD")
    letters = engine.normalize_letters(answer)
    missing = [c for c in letters if LETTERS.index(c) >= len(options)]
    if missing:
        raise QuizError(f"答案“{answer}”中的 {''.join(missing)} 不在选项中（只有 A–{LETTERS[len(options) - 1]}）")
    if kind == Kind.SINGLE and len(letters) != 1:
        raise QuizError(f"单选题只能有一个答案，不能是“{answer}”")
    if kind == Kind.MULTI and len(letters) < 2:
        raise QuizError(f"多选题至少要有两个正确选项，不能只有“{answer}”")
    return stem, options, letters


def _bump_bank(bank: QuestionBank) -> None:
    QuestionBank.all_objects.filter(pk=bank.pk).update(version=F("version") + 1, updated_at=timezone.now())
    bank.refresh_from_db(fields=["version"])


def create_bank(*, owner, name: str, description: str = "", by) -> QuestionBank:
    """A new, empty bank. Audit: quiz.bank.created."""
    with transaction.atomic():
        bank = QuestionBank.all_objects.create(owner=owner, name=name, description=description, created_by=by)
        log_action(bank, "quiz.bank.created", by=by, org=owner)
    return bank


def update_bank(bank: QuestionBank, *, name: str, description: str, by) -> None:
    with transaction.atomic():
        bank.name, bank.description = name, description
        bank.save(update_fields=["name", "description", "updated_at"])
        log_action(bank, "quiz.bank.updated", by=by, org=bank.owner)


def save_question(bank: QuestionBank, *, by, question: Question | None = None, **fields) -> Question:
    """Create or edit a question (fields: kind, stem, options, answer, explanation, source, topic,
    difficulty, basis). Audit: quiz.question.created / quiz.question.updated."""
    stem, options, answer = parse_question(
        kind=fields["kind"], stem=fields["stem"], options=fields.get("options", []), answer=fields["answer"]
    )
    duplicate = Question.all_objects.filter(bank=bank, stem=stem)
    if question is not None:
        duplicate = duplicate.exclude(pk=question.pk)
    if duplicate.exists():
        raise QuizError("题库中已有相同题干的试题")
    with transaction.atomic():
        created = question is None
        question = question or Question(bank=bank)
        question.stem, question.options, question.answer = stem, options, answer
        for name in ("kind", "explanation", "source", "topic", "difficulty", "basis"):
            setattr(question, name, (fields.get(name) or "").strip() if name != "kind" else fields[name])
        question.save()
        _bump_bank(bank)
        log_action(question, "quiz.question.created" if created else "quiz.question.updated", by=by, org=bank.owner)
    return question


def set_question_active(question: Question, *, active: bool, by) -> None:
    """Questions are switched off, never deleted: papers already drawn refer to them."""
    with transaction.atomic():
        question.is_active = active
        question.save(update_fields=["is_active", "updated_at"])
        _bump_bank(question.bank)
        action = "quiz.question.reactivated" if active else "quiz.question.deactivated"
        log_action(question, action, by=by, org=question.bank.owner)


# ---- quizzes --------------------------------------------------------------------------------


def check_paper_rules(rules: list[dict], bank: QuestionBank) -> list[str]:
    if not rules or sum(int(r.get("count", 0)) for r in rules) == 0:
        return ["组卷规则至少要抽一道题"]
    return engine.check_rules(rules, engine.bank_data(bank.pk, bank.version))


def _clean_quiz_fields(fields: dict) -> dict:
    if fields["closes_at"] <= fields["opens_at"]:
        raise QuizError("结束时间必须晚于开始时间")
    errors = check_paper_rules(fields["paper_rules"], fields["bank"])
    if errors:
        raise QuizError("；".join(errors))
    return fields


def create_quiz(*, owner, by, **fields) -> Quiz:
    """A draft quiz of ``owner``. Audit: quiz.quiz.created."""
    fields = _clean_quiz_fields(fields)
    with transaction.atomic():
        quiz = Quiz.all_objects.create(owner=owner, created_by=by, slug=secrets.token_urlsafe(6), **fields)
        log_action(quiz, "quiz.quiz.created", by=by, org=owner)
    return quiz


def update_quiz(quiz: Quiz, *, by, **fields) -> None:
    """Papers already drawn keep their questions; new starts use the new settings at once.
    Audit: quiz.quiz.updated."""
    fields = _clean_quiz_fields(fields)
    with transaction.atomic():
        for name, value in fields.items():
            setattr(quiz, name, value)
        quiz.version = F("version") + 1
        quiz.save()
        quiz.refresh_from_db()
        log_action(quiz, "quiz.quiz.updated", by=by, org=quiz.owner)
    engine.forget(quiz.slug)


def set_quiz_published(quiz: Quiz, *, published: bool, by) -> None:
    """Open (or withdraw) the public link. Audit: quiz.quiz.published / quiz.quiz.unpublished."""
    if published:
        errors = check_paper_rules(quiz.paper_rules, quiz.bank)
        if errors:
            raise QuizError("题库不足，不能发布：" + "；".join(errors))
    with transaction.atomic():
        quiz.is_published = published
        quiz.version = F("version") + 1
        quiz.save(update_fields=["is_published", "version", "updated_at"])
        quiz.refresh_from_db()
        log_action(quiz, "quiz.quiz.published" if published else "quiz.quiz.unpublished", by=by, org=quiz.owner)
    engine.forget(quiz.slug)


def set_unit_targets(quiz: Quiz, *, targets: dict[int, int | None], by, at) -> None:
    """Target memberships per unit ({unit id: members or None to clear}). Audit: quiz.targets.updated
    on the unit ``at`` whose table was edited."""
    with transaction.atomic():
        for unit_id, members in targets.items():
            if members is None:
                UnitTarget.all_objects.filter(quiz=quiz, unit_id=unit_id).delete()
            else:
                UnitTarget.all_objects.update_or_create(quiz=quiz, unit_id=unit_id, defaults={"members": members})
        log_action(quiz, "quiz.targets.updated", by=by, org=at, data={str(k): v for k, v in targets.items()})


# ---- the taking flow ------------------------------------------------------------------------


@dataclass
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
    return AttemptToken(data["a"], data["p"], data["q"], data["s"], data["d"], data["x"])


@dataclass
class Started:
    attempt: Attempt
    token: str
    bank: engine.BankData
    resumed: bool = False

    @property
    def paper(self) -> list[dict]:
        """The paper as the phone sees it (the start view sends ``engine.public_paper_json``)."""
        return engine.public_paper(self.attempt.paper, self.bank)


def _check_open(snap: QuizSnapshot, now: dt.datetime) -> None:
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
    info = engine.unit_info(unit_id, under=snap.owner_path)
    if info is None or not info[0].startswith(snap.owner_path) or not info[2]:
        raise QuizError("请从列表中选择所在单位", code="bad_unit")
    return phone, name, unit_id


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _reserve(snap: QuizSnapshot, key: str, today: dt.date, name: str, phone: str, unit_id: int, user_id):
    """Take the next attempt number on the participant row, if the limits allow: (id, number) or None."""
    qn = connection.ops.quote_name
    per_day = snap.max_attempts_per_day or 2**31 - 1
    # Only quoted identifiers are interpolated; every value is a parameter.
    sql = (
        f"UPDATE {_table(Participant)} SET {qn('attempts_count')} = {qn('attempts_count')} + 1, "  # noqa: S608
        f"{qn('day_count')} = CASE WHEN {qn('day')} = %s THEN {qn('day_count')} + 1 ELSE 1 END, "
        f"{qn('day')} = %s, {qn('name')} = %s, {qn('unit_id')} = %s "
        f"WHERE {qn('quiz_id')} = %s AND {qn('key')} = %s AND {qn('attempts_count')} < %s "
        f"AND ({qn('day')} IS NULL OR {qn('day')} <> %s OR {qn('day_count')} < %s) "
        f"RETURNING {qn('id')}, {qn('attempts_count')}"
    )
    today = connection.ops.adapt_datefield_value(today)
    with connection.cursor() as cursor:
        cursor.execute(sql, [today, today, name, unit_id, snap.id, key, snap.max_attempts, today, per_day])
        return cursor.fetchone()


def _new_participant(snap: QuizSnapshot, key, today, name, phone, unit_id, user_id, now):
    """Register the person with their first attempt reserved: (id, 1), or None if already there.
    A concurrent insert of the same key waits for the first one and then does nothing."""
    qn = connection.ops.quote_name
    columns = ["quiz_id", "key", "phone", "name", "unit_id", "user_id", "attempts_count", "day", "day_count"]
    columns.append("created_at")
    # Only quoted identifiers are interpolated; every value is a parameter.
    sql = (
        f"INSERT INTO {_table(Participant)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({qn('quiz_id')}, {qn('key')}) DO NOTHING RETURNING {qn('id')}"
    )
    values = [snap.id, key, phone, name, unit_id, user_id, 1, connection.ops.adapt_datefield_value(today), 1]
    values.append(connection.ops.adapt_datetimefield_value(now))
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    return (row[0], 1) if row else None


@functools.cache
def _first_attempt_sql() -> str:
    qn = connection.ops.quote_name
    p_cols = [
        "quiz_id",
        "key",
        "phone",
        "name",
        "unit_id",
        "user_id",
        "attempts_count",
        "day",
        "day_count",
        "created_at",
    ]
    a_cols = ["quiz_id", "participant_id", "unit_id", "number", "status", "started_at", "deadline", "paper"]
    a_cols += ["answers", "tab_switches", "events", "ip"]
    # Only quoted identifiers are interpolated; every value is a parameter.
    return (
        f"WITH p AS (INSERT INTO {_table(Participant)} ({', '.join(qn(c) for c in p_cols)}) "  # noqa: S608
        f"VALUES (%s, %s, %s, %s, %s, %s, 1, %s, 1, %s) "
        f"ON CONFLICT ({qn('quiz_id')}, {qn('key')}) DO NOTHING RETURNING {qn('id')}) "
        f"INSERT INTO {_table(Attempt)} ({', '.join(qn(c) for c in a_cols)}) "
        f"SELECT %s, p.{qn('id')}, %s, 1, %s, %s, %s, %s::jsonb, '{{}}'::jsonb, 0, '[]'::jsonb, %s::inet FROM p "
        f"RETURNING {qn('id')}, {qn('participant_id')}"
    )


def _first_attempt_pg(snap, key, today, name, phone, unit_id, user_id, now, deadline, paper, ip) -> Attempt | None:
    """A person's first attempt on PostgreSQL in ONE statement (autocommit, so no BEGIN/COMMIT):
    register the participant with attempt 1 reserved and open the attempt, or do nothing if the
    person is registered already (then the general path below reserves the next number)."""
    sql = _first_attempt_sql()
    params = [snap.id, key, phone, name, unit_id, user_id, today, now]
    params += [snap.id, unit_id, Attempt.Status.OPEN, now, deadline, orjson.dumps(paper).decode(), ip]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
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
        paper=paper,
        answers={},
        ip=ip,
    )


def start_attempt(
    snap: QuizSnapshot, *, phone: str, name: str, unit_id, user=None, ip: str | None = None, now=None
) -> Started:
    """Open an attempt and draw its paper, or resume the participant's open one when the limit is
    reached. One conditional UPDATE and one INSERT in the common case; no question queries.
    No audit entry (a public burst of thousands per second); the attempt row is the record."""
    now = now or timezone.now()
    _check_open(snap, now)
    if user is not None:
        key = f"user:{user.pk}"
        phone = normalize_phone(user.phone or "")
    else:
        phone, name, unit_id = check_identity(snap, phone=phone, name=name, unit_id=unit_id)
        key = phone
    bank = engine.bank_for(snap)
    today = timezone.localdate(now)
    deadline = min(now + dt.timedelta(minutes=snap.time_limit_minutes), snap.closes_at)
    if connection.vendor == "postgresql":
        paper = engine.draw_paper(snap.rules, bank)
        attempt = _first_attempt_pg(
            snap, key, today, name, phone, unit_id, getattr(user, "pk", None), now, deadline, paper, ip
        )
        if attempt is not None:
            return Started(attempt=attempt, token=sign_token(attempt), bank=bank)
    with transaction.atomic():
        # Most starts are a person's first: one INSERT that does nothing if the person exists
        # (then the conditional UPDATE), instead of UPDATE, SAVEPOINT, INSERT, RELEASE.
        reserved = _new_participant(snap, key, today, name, phone, unit_id, getattr(user, "pk", None), now)
        if reserved is None:
            reserved = _reserve(snap, key, today, name, phone, unit_id, getattr(user, "pk", None))
        if reserved is not None:
            paper = engine.draw_paper(snap.rules, bank)
            attempt = Attempt.all_objects.create(
                quiz_id=snap.id,
                participant_id=reserved[0],
                unit_id=unit_id,
                number=reserved[1],
                started_at=now,
                deadline=deadline,
                paper=paper,
                ip=ip,
            )
    if reserved is None:
        return _resume_or_refuse(snap, key=key, now=now)
    return Started(attempt=attempt, token=sign_token(attempt), bank=bank)


def _resume_or_refuse(snap: QuizSnapshot, *, key: str, now) -> Started:
    open_attempt = (
        Attempt.all_objects.filter(quiz_id=snap.id, participant__key=key, status=Attempt.Status.OPEN, deadline__gt=now)
        .order_by("-number")
        .first()
    )
    if open_attempt is not None:
        bank = engine.bank_for(snap)
        return Started(
            attempt=open_attempt,
            token=sign_token(open_attempt),
            bank=bank,
            resumed=True,
        )
    participant = Participant.all_objects.filter(quiz_id=snap.id, key=key).first()
    if participant is not None and participant.attempts_count >= snap.max_attempts:
        raise QuizError(f"每人最多答题 {snap.max_attempts} 次，您的次数已用完", code="limit_total", status=409)
    raise QuizError(
        f"每人每天最多答题 {snap.max_attempts_per_day} 次，今天的次数已用完，请明天再来", code="limit_day", status=409
    )


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
    cleaned = engine.clean_answers(answers, token.paper)
    return bool(
        Attempt.all_objects.filter(pk=token.attempt_id, status=Attempt.Status.OPEN, deadline__gt=now).update(
            answers=cleaned, saved_at=now, tab_switches=_switches(tab_switches), events=_events(events)
        )
    )


@dataclass
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


def _finish(
    *,
    attempt_id: int,
    participant_id: int,
    quiz_id: int,
    paper,
    answers,
    started_at,
    deadline,
    at,
    status,
    bank,
    points,
    update: dict,
) -> Outcome | None:
    """Grade in memory and close the attempt with one conditional UPDATE; the participant's best
    moves only if this attempt beats it. None if the attempt was already closed."""
    result = engine.grade(paper, answers, bank, points)
    finished_at = min(at, deadline)
    time_used = max(0, int((finished_at - started_at).total_seconds() * 1000))
    close = _finish_pg if connection.vendor == "postgresql" else _finish_sqlite
    closed = close(
        attempt_id, participant_id, quiz_id, answers, at=finished_at, time_used=time_used, status=status,
        result=result, update=update,
    )  # fmt: skip
    if closed is None:
        return None
    best, name, used, rank = closed
    return Outcome(
        attempt_id,
        participant_id,
        status,
        result.score,
        result.max_score,
        result.correct,
        time_used,
        finished_at,
        best,
        answers,
        name,
        used,
        rank,
    )


def _finish_sqlite(attempt_id, participant_id, quiz_id, answers, *, at, time_used, status, result, update):
    """``_finish`` in a transaction of plain statements: (best, name, attempts used, rank) of the
    participant after it, or None if the attempt was already closed."""
    with transaction.atomic():
        done = Attempt.all_objects.filter(pk=attempt_id, status=Attempt.Status.OPEN).update(
            status=status,
            answers=answers,
            score=result.score,
            correct_count=result.correct,
            time_used_ms=time_used,
            submitted_at=at,
            **update,
        )
        if not done:
            return None
        # The participant row is locked first (after the attempt), then the buckets in key order:
        # every submit takes its locks in the same order, so concurrent submits cannot deadlock.
        old_score, old_time, old_at, name, used = (
            Participant.all_objects.select_for_update()
            .filter(pk=participant_id)
            .values_list("best_score", "best_time_ms", "best_submitted_at", "name", "attempts_count")
            .get()
        )
        best = (old_score, old_time, old_at)
        if old_score is None or old_score < result.score or (old_score == result.score and old_time > time_used):
            best = (result.score, time_used, at)
            Participant.all_objects.filter(pk=participant_id).update(
                best_attempt_id=attempt_id,
                best_score=result.score,
                best_time_ms=time_used,
                best_submitted_at=at,
            )
            _move_in_histogram(
                quiz_id, old=None if old_score is None else (old_score, old_time), new=(result.score, time_used)
            )
    rank = selectors.rank_of(quiz_id=quiz_id, score=best[0], time_ms=best[1], submitted_at=best[2])
    return best, name, used, rank


# The submit on PostgreSQL: a PL/pgSQL function (migration quiz 0008) taking the steps of
# _finish_sqlite, in the same lock order, in one round trip; only the case's own statements run.
_FINISH_PG = "SELECT * FROM jinguo_quiz_finish(%s, %s, %s::jsonb, %s, %s, %s, %s, %s::integer, %s::jsonb)"


def _finish_pg(attempt_id, participant_id, quiz_id, answers, *, at, time_used, status, result, update):
    """``_finish`` on PostgreSQL in ONE call (autocommit: atomic, no BEGIN/COMMIT): close the
    attempt if open; lock the participant; move their best and the histogram if this one beats
    it; the rank of their best. Same signature and answer as ``_finish_sqlite``; the function
    reads the participant and the quiz from the attempt row."""
    events = orjson.dumps(update["events"]).decode() if "events" in update else None  # closing keeps the saved
    params = [attempt_id, status, orjson.dumps(answers).decode(), result.score, result.correct, time_used, at]
    params += [update.get("tab_switches"), events]
    with prepared_cursor() as cursor:
        cursor.execute(_FINISH_PG, params)
        row = cursor.fetchone()
    if row is None:
        return None
    best = (result.score, time_used, at) if row[3] else (row[0], row[1], row[2])
    return best, row[4], row[5], row[6]


def warm_connection() -> None:
    """Plan the public burst's statements once on this thread's database connection (EXPLAIN, and
    the submit's function for no attempt: nothing is written). A new PostgreSQL connection's first start and submit cost
    ~2 ms more each while its server process loads the tables' catalogue entries; 32 threads
    doing that in the first second of a synchronised start was most of its p99 (bench/quiz).
    Called for each gunicorn thread before the worker takes requests (deploy/gunicorn.conf.py)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        sql = _first_attempt_sql()
        cursor.execute("EXPLAIN " + sql, [None] * sql.count("%s"))
        cursor.execute("EXPLAIN " + selectors.rank_of_sql(), [0, 0, 0, 0, 0, 0, timezone.now()])
    # The submit's function, for no attempt: compiled and its first statement planned, nothing written.
    with prepared_cursor() as cursor:
        cursor.execute(_FINISH_PG, [0, Attempt.Status.SUBMITTED, "{}", 0, 0, 0, timezone.now(), None, None])


def _bucket_key(score: int, time_ms: int) -> tuple[int, int]:
    return score, time_ms // 1000


def _move_in_histogram(quiz_id: int, *, old: tuple[int, int] | None, new: tuple[int, int]) -> None:
    """One participant's best moves from ``old`` (score, time ms) to ``new``: -1 and +1 on the
    ranking histogram, in bucket order, then on the per-minute sums, in key order (see the lock
    order in ``_finish``)."""
    qn = connection.ops.quote_name
    steps = [(_bucket_key(*new), 1)]
    if old is not None:
        if _bucket_key(*old) == _bucket_key(*new):
            return
        steps.append((_bucket_key(*old), -1))
    levels = (  # table, key column, key of (score, second)
        (_table(ScoreBucket), "second", lambda score, second: (score, second)),
        (_table(ScoreMinute), "minute", lambda score, second: (score, second // 60)),
    )
    with connection.cursor() as cursor:
        for table, column, key in levels:
            sums: dict[tuple, int] = {}
            for (score, second), delta in steps:
                sums[key(score, second)] = sums.get(key(score, second), 0) + delta
            key_columns = f"{qn('quiz_id')}, {qn('score')}, {qn(column)}"
            # Only quoted identifiers are interpolated; every value is a parameter.
            upsert = (
                f"INSERT INTO {table} ({key_columns}, {qn('participants')}) "  # noqa: S608
                f"VALUES (%s, %s, %s, %s) ON CONFLICT ({key_columns}) "
                f"DO UPDATE SET {qn('participants')} = {table}.{qn('participants')} + EXCLUDED.{qn('participants')}"
            )
            for k, delta in sorted(sums.items()):
                if delta:
                    cursor.execute(upsert, [quiz_id, *k, delta])


def rebuild_score_buckets(quiz_id: int) -> int:
    """Recount a quiz's ranking histogram and its per-minute sums from its participants' best
    attempts (after a bulk load or a repair; the submit keeps them current otherwise). Returns
    the number of buckets."""
    table, minutes = _table(ScoreBucket), _table(ScoreMinute)
    qn = connection.ops.quote_name
    with transaction.atomic():
        for model in (ScoreBucket, ScoreMinute):
            model.objects.filter(quiz_id=quiz_id).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({qn('quiz_id')}, {qn('score')}, {qn('second')}, {qn('participants')}) "  # noqa: S608
                f"SELECT {qn('quiz_id')}, {qn('best_score')}, {qn('best_time_ms')} / 1000, COUNT(*) "
                f"FROM {_table(Participant)} WHERE {qn('quiz_id')} = %s AND {qn('best_score')} IS NOT NULL "
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


def _stored_outcome(attempt: Attempt, bank, points) -> Outcome:
    max_score = sum(points[bank.questions[qid].kind] for qid, _ in attempt.paper)
    return Outcome(
        attempt.pk,
        attempt.participant_id,
        attempt.status,
        attempt.score or 0,
        max_score,
        attempt.correct_count or 0,
        attempt.time_used_ms or 0,
        attempt.submitted_at,
    )


def submit_attempt(snap: QuizSnapshot, token: AttemptToken, *, answers, tab_switches=0, events=None, now=None):
    """Hand in the paper. Idempotent: a repeated submit changes nothing and returns the first
    result. After the deadline (plus a short grace for the network) the answers saved by the
    deadline count, not the ones sent late."""
    now = now or timezone.now()
    if token.quiz_id != snap.id:
        raise QuizError("答题凭证与竞赛不符", code="bad_token", status=403)
    bank = engine.bank_for(snap)
    if now <= token.deadline + dt.timedelta(seconds=engine.grace_seconds()):
        outcome = _finish(
            attempt_id=token.attempt_id,
            participant_id=token.participant_id,
            quiz_id=snap.id,
            paper=token.paper,
            answers=engine.clean_answers(answers, token.paper),
            started_at=token.started_at,
            deadline=token.deadline,
            at=now,
            status=Attempt.Status.SUBMITTED,
            bank=bank,
            points=snap.points,
            update={"tab_switches": _switches(tab_switches), "events": _events(events)},
        )
        if outcome is not None:
            return outcome
    attempt = Attempt.all_objects.get(pk=token.attempt_id)
    if attempt.status == Attempt.Status.OPEN:
        outcome = close_attempt(attempt, snap=snap, now=now)
        if outcome is not None:
            return outcome
        attempt.refresh_from_db()
    return _stored_outcome(attempt, bank, snap.points)


def close_attempt(attempt: Attempt, *, snap: QuizSnapshot, now=None) -> Outcome | None:
    """Close an attempt whose deadline passed, grading what was saved by then. None if it was
    closed meanwhile or its time is not up."""
    now = now or timezone.now()
    if now <= attempt.deadline + dt.timedelta(seconds=engine.grace_seconds()):
        return None
    return _finish(
        attempt_id=attempt.pk,
        participant_id=attempt.participant_id,
        quiz_id=attempt.quiz_id,
        paper=attempt.paper,
        answers=engine.clean_answers(attempt.answers or {}, attempt.paper),  # as saved: clean, but graded only so
        started_at=attempt.started_at,
        deadline=attempt.deadline,
        at=attempt.deadline,
        status=Attempt.Status.CLOSED,
        bank=engine.bank_for(snap),
        points=snap.points,
        update={},
    )


def close_expired_attempts(*, now=None, batch: int = 500) -> int:
    """Close every open attempt past its deadline (the ``closeattempts`` command). Returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=engine.grace_seconds())
    closed = 0
    snaps: dict[int, QuizSnapshot] = {}
    while True:
        rows = list(Attempt.all_objects.filter(status=Attempt.Status.OPEN, deadline__lt=cutoff).order_by("id")[:batch])
        if not rows:
            return closed
        for attempt in rows:
            snap = snaps.get(attempt.quiz_id) or snaps.setdefault(attempt.quiz_id, engine.quiz_by_id(attempt.quiz_id))
            if close_attempt(attempt, snap=snap, now=now) is not None:
                closed += 1
