"""The hot path of the public quiz, kept free of per-request question queries.

A quiz's settings and its question bank are held in process memory: the settings for a few
seconds (one small query refreshes them), the bank for as long as its version is current. Drawing
a paper, hiding the answers and grading happen here, in memory.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import os
import random
import re
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from django.conf import settings

from jinguo.lib.scoping import subtree_q
from jinguo.quiz.models import JUDGE_OPTIONS, LETTERS, Kind, Question, Quiz

SNAPSHOT_TTL = 5.0  # seconds a worker trusts its copy of a quiz's settings
UNIT_TTL = 300.0
MAX_CACHED_BANKS = 32
MAX_CACHED_UNITS = 200_000

_lock = threading.Lock()
_subtrees: dict[str, float] = {}  # organiser path -> until when its whole subtree is in _units
_snapshots: dict[str, tuple[float, QuizSnapshot | None]] = {}
_banks: dict[tuple[int, int], BankData] = {}
_units: dict[int, tuple[float, tuple[str, str, bool] | None]] = {}
_flights: dict[tuple, threading.Lock] = {}  # what a thread of this process is loading right now


def flight(key: tuple) -> threading.Lock:
    """The lock of one load (a bank, a quiz's settings, a subtree): a burst's first requests reach
    a worker's threads together, and one of them loads while the others wait for it or, if they
    hold an older copy, go on with that. Without it every thread runs the same load at once."""
    with _lock:
        if len(_flights) > 10_000:  # links to quizzes that do not exist are keys too: bounded
            _flights.clear()  # (a lock still held stays with its holder; at worst a load runs twice)
        return _flights.setdefault(key, threading.Lock())


@dataclass(frozen=True)
class CachedQuestion:
    id: int
    kind: str
    stem: str
    options: tuple[str, ...]
    answer: str
    explanation: str
    source: str
    basis: str
    topic: str
    difficulty: str
    is_active: bool


@dataclass
class BankData:
    questions: dict[int, CachedQuestion]
    # (topic, kind, difficulty) -> ids of active questions
    pools: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    # question id -> its JSON for the phone, serialised once per bank version: the part before
    # the options and each option (the options are shuffled per attempt)
    json_parts: dict[int, tuple[bytes, tuple[bytes, ...]]] = field(default_factory=dict)
    # (topic, kind, difficulty) of a rule -> the ids it draws from, computed once per bank version
    matches: dict[tuple[str, str, str], tuple[int, ...]] = field(default_factory=dict)
    # (question id, option order) -> the right letters as shown in that order, and the review's
    # JSON of the options and of the right answer: a question has at most 5! orders
    shown: dict[tuple[int, tuple[int, ...]], tuple[str, bytes, bytes]] = field(default_factory=dict)

    def parts(self, qid: int) -> tuple[bytes, tuple[bytes, ...]]:
        hit = self.json_parts.get(qid)
        if hit is None:
            q = self.questions[qid]
            head = _dumps({"kind": q.kind, "kind_label": str(Kind(q.kind).label), "stem": q.stem})[1:-1]
            hit = self.json_parts[qid] = (head, tuple(_dumps(o) for o in q.options))
        return hit

    def in_order(self, qid: int, order) -> tuple[str, bytes, bytes]:
        """(right letters as shown, options JSON in that order, right answer JSON) of a question."""
        key = (qid, tuple(order))
        hit = self.shown.get(key)
        if hit is None:
            q = self.questions[qid]
            right = shown_letters(q.answer, order)
            options = b",".join(self.parts(qid)[1][i] for i in order)
            # A 判断 answer is shown as its option's text; letters (A-E) need no escaping.
            text = _JUDGE_JSON[LETTERS.index(right)] if q.kind == Kind.JUDGE and right else b'"%s"' % right.encode()
            hit = self.shown[key] = (right, options, text)
        return hit

    def tail(self, qid: int) -> bytes:
        """The explanation, source and basis of a question as JSON members, for the review."""
        hit = self.json_parts.get(-qid)
        if hit is None:
            q = self.questions[qid]
            hit = self.json_parts[-qid] = _dumps({"explanation": q.explanation, "source": q.source, "basis": q.basis})[
                1:-1
            ]
        return hit

    def matching(self, rule: dict) -> tuple[int, ...]:
        key = (rule.get("topic") or "", rule.get("kind") or "", rule.get("difficulty") or "")
        hit = self.matches.get(key)
        if hit is None:
            hit = self.matches[key] = tuple(self._matching(rule))
        return hit

    def _matching(self, rule: dict) -> list[int]:
        out: list[int] = []
        for (topic, kind, difficulty), ids in self.pools.items():
            if rule.get("topic") and rule["topic"] != topic:
                continue
            if rule.get("kind") and rule["kind"] != kind:
                continue
            if rule.get("difficulty") and rule["difficulty"] != difficulty:
                continue
            out.extend(ids)
        return out


@dataclass(frozen=True)
class QuizSnapshot:
    id: int
    slug: str
    version: int
    bank_id: int
    bank_version: int
    owner_id: int
    owner_path: str
    owner_name: str
    title: str
    description: str
    is_published: bool
    opens_at: datetime
    closes_at: datetime
    audience: str
    rules: tuple
    points: dict
    time_limit_minutes: int
    max_attempts: int
    max_attempts_per_day: int
    leaderboard_size: int
    require_sms_code: bool

    @property
    def question_count(self) -> int:
        return sum(int(r.get("count", 0)) for r in self.rules)

    @property
    def max_score(self) -> int:
        return sum(int(r.get("count", 0)) * self.points[r["kind"]] for r in self.rules)


def _snapshot_of(quiz: Quiz) -> QuizSnapshot:
    return QuizSnapshot(
        id=quiz.pk,
        slug=quiz.slug,
        version=quiz.version,
        bank_id=quiz.bank_id,
        bank_version=quiz.bank.version,
        owner_id=quiz.owner_id,
        owner_path=quiz.owner.path,
        owner_name=quiz.owner.name,
        title=quiz.title,
        description=quiz.description,
        is_published=quiz.is_published,
        opens_at=quiz.opens_at,
        closes_at=quiz.closes_at,
        audience=quiz.audience,
        rules=tuple(dict(r) for r in quiz.paper_rules),
        points={Kind.SINGLE: quiz.points_single, Kind.MULTI: quiz.points_multi, Kind.JUDGE: quiz.points_judge},
        time_limit_minutes=quiz.time_limit_minutes,
        max_attempts=quiz.max_attempts,
        max_attempts_per_day=quiz.max_attempts_per_day,
        leaderboard_size=quiz.leaderboard_size,
        require_sms_code=quiz.require_sms_code,
    )


def quiz_by_slug(slug: str) -> QuizSnapshot | None:
    """The quiz behind a public link, from memory when fresh (one query otherwise). When the copy
    is due, one thread refreshes it; the others use the copy they have meanwhile."""
    now = time.monotonic()
    hit = _snapshots.get(slug)
    if hit is not None and hit[0] > now:
        return hit[1]
    lock = flight(("quiz", slug))
    if not lock.acquire(blocking=hit is None):
        return hit[1]
    try:
        again = _snapshots.get(slug)
        if again is not None and again[0] > time.monotonic():  # loaded while this thread waited
            return again[1]
        quiz = Quiz.all_objects.select_related("owner", "bank").filter(slug=slug).first()
        snap = _snapshot_of(quiz) if quiz is not None else None
        with _lock:
            if len(_snapshots) > 10_000:
                _snapshots.clear()
            _snapshots[slug] = (time.monotonic() + SNAPSHOT_TTL, snap)
        return snap
    finally:
        lock.release()


def quiz_by_id(quiz_id: int) -> QuizSnapshot:
    quiz = Quiz.all_objects.select_related("owner", "bank").get(pk=quiz_id)
    return _snapshot_of(quiz)


def forget(slug: str) -> None:
    """Drop this worker's copy at once (other workers refresh within SNAPSHOT_TTL)."""
    with _lock:
        _snapshots.pop(slug, None)


def bank_data(bank_id: int, version: int) -> BankData:
    """A bank's questions as of ``version``, loaded once per process (one thread loads, the others
    wait for it)."""
    key = (bank_id, version)
    data = _banks.get(key)
    if data is not None:
        return data
    with flight(("bank", key)):
        data = _banks.get(key)
        if data is None:
            data = _load_bank(bank_id)
            with _lock:
                for old in [k for k in _banks if k[0] == bank_id]:
                    del _banks[old]
                if len(_banks) >= MAX_CACHED_BANKS:
                    _banks.clear()
                _banks[key] = data
        return data


def _load_bank(bank_id: int) -> BankData:
    questions: dict[int, CachedQuestion] = {}
    pools: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for q in Question.all_objects.filter(bank_id=bank_id).order_by("id"):
        cq = CachedQuestion(
            id=q.pk,
            kind=q.kind,
            stem=q.stem,
            options=tuple(q.shown_options),
            answer=q.answer,
            explanation=q.explanation,
            source=q.source,
            basis=q.basis,
            topic=q.topic,
            difficulty=q.difficulty,
            is_active=q.is_active,
        )
        questions[q.pk] = cq
        if q.is_active:
            pools[(q.topic, q.kind, q.difficulty)].append(q.pk)
    return BankData(questions=questions, pools=dict(pools))


def bank_for(snap: QuizSnapshot) -> BankData:
    return bank_data(snap.bank_id, snap.bank_version)


def unit_info(unit_id: int, under: str = "") -> tuple[str, str, bool] | None:
    """(path, name, active) of a unit, cached: participants name their unit on every start. The
    first miss for a quiz's subtree (``under``: its organiser's path) loads the whole subtree in
    one query, so that a burst from thousands of villages costs each worker one query, not one
    per village; a unit made after that is looked up on its own. When the subtree is due for a
    reload, one thread reloads it and the others answer from the copy they have."""
    from jinguo.orgs.models import Org

    now = time.monotonic()
    hit = _units.get(unit_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    loaded = _subtrees.get(under)
    if under and (loaded is None or loaded <= now):
        lock = flight(("units", under))
        if lock.acquire(blocking=hit is None):
            try:
                if _subtrees.get(under, 0.0) <= time.monotonic():  # not reloaded while this thread waited
                    _load_subtree(under)
            finally:
                lock.release()
        else:
            return hit[1]
        hit = _units.get(unit_id)
        if hit is not None and hit[0] > now:
            return hit[1]
    row = Org.all_objects.filter(pk=unit_id).values_list("path", "name", "is_active").first()
    with _lock:
        if len(_units) > MAX_CACHED_UNITS:
            _units.clear()
            _subtrees.clear()
        _units[unit_id] = (now + UNIT_TTL, tuple(row) if row else None)
    return tuple(row) if row else None


def _load_subtree(under: str) -> None:
    from jinguo.orgs.models import Org

    rows = Org.all_objects.filter(subtree_q(under)).values_list("pk", "path", "name", "is_active")
    rows = list(rows[: MAX_CACHED_UNITS // 2])
    with _lock:
        if len(_units) + len(rows) > MAX_CACHED_UNITS:
            _units.clear()
            _subtrees.clear()
        expires = time.monotonic() + UNIT_TTL
        _units.update((pk, (expires, (path, name, active))) for pk, path, name, active in rows)
        _subtrees[under] = expires


def warm(now: datetime | None = None, limit: int = 20) -> list[str]:
    """Load what a burst's first participants would otherwise load in each worker, all at once:
    the settings, the bank with the papers' JSON pieces and the unit tree of every published quiz
    that is open or opens within a day. Called when a gunicorn worker starts (deploy/gunicorn.conf.py)
    and when the quiz's page is shown (cheap once loaded). Returns the slugs warmed."""
    from django.utils import timezone

    now = now or timezone.now()
    live = Quiz.all_objects.filter(is_published=True, closes_at__gt=now, opens_at__lt=now + dt.timedelta(days=1))
    slugs = list(live.order_by("opens_at").values_list("slug", flat=True)[:limit])
    for slug in slugs:
        snap = quiz_by_slug(slug)
        if snap is not None:
            warm_quiz(snap)
    return slugs


def warm_quiz(snap: QuizSnapshot) -> None:
    bank = bank_for(snap)
    for rule in snap.rules:
        for qid in bank.matching(rule):
            bank.parts(qid)
            bank.tail(qid)
    if snap.audience == Quiz.Audience.PUBLIC:
        unit_info(snap.owner_id, under=snap.owner_path)


def clear_caches() -> None:
    from jinguo.quiz import selectors

    with _lock:
        _snapshots.clear()
        _banks.clear()
        _units.clear()
        _subtrees.clear()
        selectors._totals.clear()


# ---- rules, drawing, grading ----------------------------------------------------------------


def _specificity(rule: dict) -> int:
    return -sum(1 for k in ("topic", "kind", "difficulty") if rule.get(k))


def ordered_rules(rules) -> list[dict]:
    """The most specific rules draw first, so that a general rule cannot use up their questions."""
    return sorted((dict(r) for r in rules), key=_specificity)


def _overlaps(a: dict, b: dict) -> bool:
    return all(not a.get(k) or not b.get(k) or a[k] == b[k] for k in ("topic", "kind", "difficulty"))


def check_rules(rules, bank: BankData) -> list[str]:
    """Chinese messages for rules the bank cannot always satisfy (empty: every draw will work)."""
    from jinguo.quiz.models import Difficulty, Topic

    errors = []
    done: list[dict] = []
    for rule in ordered_rules(rules):
        count = int(rule.get("count", 0))
        available = len(bank.matching(rule))
        taken = sum(int(r["count"]) for r in done if _overlaps(r, rule))
        if count > available - taken:
            label = "、".join(
                str(part)
                for part in [
                    Topic(rule["topic"]).label if rule.get("topic") else "全部主题",
                    Kind(rule["kind"]).label if rule.get("kind") else "全部题型",
                    Difficulty(rule["difficulty"]).label if rule.get("difficulty") else "全部难度",
                ]
            )
            errors.append(f"“{label}”要抽 {count} 题，题库中可用的只有 {max(0, available - taken)} 题")
        done.append(rule)
    return errors


_rng = random.Random(secrets.randbits(128))
# A forked worker must not draw the same papers as its siblings: reseed from the OS in the child.
os.register_at_fork(after_in_child=lambda: _rng.seed(secrets.randbits(128)))


def draw_paper(rules, bank: BankData, rng: random.Random | None = None) -> list[list]:
    """A random paper: [[question id, option order], ...]; the option order is shuffled per attempt
    (a 判断 question keeps 正确 before 错误). The default generator is seeded from the OS per
    process (SystemRandom reads /dev/urandom for every number: ~0.5 ms a paper)."""
    rng = rng or _rng
    used: set[int] = set()
    paper: list[list] = []
    for rule in ordered_rules(rules):
        pool = bank.matching(rule)
        if used:
            pool = [qid for qid in pool if qid not in used]
        picked = rng.sample(pool, min(int(rule.get("count", 0)), len(pool)))
        used.update(picked)
        for qid in picked:
            q = bank.questions[qid]
            n = len(q.options)
            # One of the n! orders, uniformly: one random number instead of a shuffle's n - 1.
            order = list(range(n)) if q.kind == Kind.JUDGE else list(rng.choice(_orders(n)))
            paper.append([qid, order])
    rng.shuffle(paper)
    return paper


@functools.cache
def _orders(n: int) -> tuple[tuple[int, ...], ...]:
    return tuple(itertools.permutations(range(n)))


def public_paper(paper, bank: BankData) -> list[dict]:
    """What the participant's phone receives: stems and shuffled options, never answers."""
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


def _dumps(value) -> bytes:
    """Compact JSON as UTF-8 bytes (orjson: what json.dumps with ensure_ascii=False and no spaces
    gives, several times faster; the start and the submit each serialise their answer with it)."""
    return orjson.dumps(value)


def public_paper_json(paper, bank: BankData) -> bytes:
    """``public_paper`` as JSON bytes, joined from pieces serialised once per bank version."""
    items = []
    for position, (qid, order) in enumerate(paper):
        head, options = bank.parts(qid)
        items.append(b'{"n":%d,%s,"options":[%s]}' % (position, head, b",".join(options[i] for i in order)))
    return b"[" + b",".join(items) + b"]"


def review_json(paper, answers: dict[str, str], bank: BankData, points: dict, *, with_paper: bool = True) -> bytes:
    """``review`` as JSON bytes, from pieces serialised once per bank version. Without the paper
    (``with_paper=False``: the phone that just submitted holds the stems and options), each item
    has only its position, the answers, the points and the explanation."""
    items = []
    for position, (qid, order) in enumerate(paper):
        q = bank.questions[qid]
        right, options, text = bank.in_order(qid, order)
        given = answers.get(_POSITIONS[position] if position < len(_POSITIONS) else str(position), "")
        if not isinstance(given, str) or not _CLEAN_LETTERS.fullmatch(given):  # stored answers are clean
            given = normalize_letters(given)  # A-E only: safe inside the quotes below
        ok = bool(given) and given == right
        paper_part = b'%s,"options":[%s],' % (bank.parts(qid)[0], options) if with_paper else b""
        items.append(
            b'{"n":%d,%s"given":"%s","answer":"%s","answer_text":%s,"correct":%s,"points":%d,%s}'
            % (
                position,
                paper_part,
                given.encode(),
                right.encode(),
                text,
                b"true" if ok else b"false",
                points[q.kind] if ok else 0,
                bank.tail(qid),
            )
        )
    return b"[" + b",".join(items) + b"]"


_POSITIONS = tuple(str(i) for i in range(200))  # answer keys: "0", "1", ...


LETTER_RE = re.compile(r"[^A-E]")
_CLEAN_LETTERS = re.compile(r"A?B?C?D?E?")  # what normalize_letters returns: each letter once, in order
_JUDGE_JSON = tuple(json.dumps(text, ensure_ascii=False).encode() for text in JUDGE_OPTIONS)


def normalize_letters(value) -> str:
    """ "a、c d" -> "AC": upper case, separators dropped, each letter once, in order."""
    if not isinstance(value, str):
        return ""
    letters = set(LETTER_RE.sub("", value.upper()))
    return "".join(sorted(letters))


def clean_answers(raw, paper) -> dict[str, str]:
    """Answers as the phone sends them ({"3": "AC"}), limited to the paper's positions and options."""
    if not isinstance(raw, dict):
        return {}
    out = {}
    for key, value in raw.items():
        try:
            position = int(key)
        except (TypeError, ValueError):
            continue
        if not 0 <= position < len(paper):
            continue
        n = len(paper[position][1])
        if isinstance(value, str) and value in _VALID_ANSWERS[n]:  # what quiz.js sends: already clean
            out[str(position)] = value
            continue
        letters = "".join(c for c in normalize_letters(value) if LETTERS.index(c) < n)
        if letters:
            out[str(position)] = letters
    return out


# For n options: every non-empty set of letters, each once and in order ("A", "AC", "ABD", ...).
_VALID_ANSWERS = tuple(
    frozenset("".join(c) for k in range(1, n + 1) for c in itertools.combinations(LETTERS[:n], k)) for n in range(6)
)


def original_letters(shown: str, order: list[int]) -> str:
    return "".join(sorted(LETTERS[order[LETTERS.index(c)]] for c in shown if LETTERS.index(c) < len(order)))


def shown_letters(original: str, order: list[int]) -> str:
    return "".join(LETTERS[i] for i, idx in enumerate(order) if LETTERS[idx] in original)


@dataclass(frozen=True)
class Grade:
    score: int
    correct: int
    max_score: int


def grade(paper, answers: dict[str, str], bank: BankData, points: dict) -> Grade:
    """All or nothing per question, multiple choice included. ``answers`` as ``clean_answers``
    returns them (each letter once, in order), so the given letters equal the right ones as
    shown exactly when they name the right options."""
    score = correct = max_score = 0
    for position, (qid, order) in enumerate(paper):
        worth = points[bank.questions[qid].kind]
        max_score += worth
        given = answers.get(_POSITIONS[position] if position < len(_POSITIONS) else str(position))
        if given and given == bank.in_order(qid, order)[0]:
            score += worth
            correct += 1
    return Grade(score=score, correct=correct, max_score=max_score)


def review(paper, answers: dict[str, str], bank: BankData, points: dict) -> list[dict]:
    """The paper with answers and explanations, for after the submit."""
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


def grace_seconds() -> int:
    return getattr(settings, "QUIZ_SUBMIT_GRACE_SECONDS", 15)
