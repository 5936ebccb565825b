"""What a worker process keeps in memory for the public quiz, and the one way it loads it.

A quiz's settings (a few seconds), its question bank (as long as its version is current) and its
organiser's unit tree (a few minutes) are held per process, so that a start or a submit makes no
query for them. Every copy is a ``Memory``: fresh for its time to live, and loaded by ONE thread
of the process at a time (a burst's first requests reach a worker's threads together: the others
wait for that load or, if they hold an older copy, go on with it).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinguo.lib.scoping import scopes_disabled, subtree_q
from jinguo.quiz import paper
from jinguo.quiz.models import Quiz, full_marks, rule_kinds

SNAPSHOT_TTL = 5.0  # seconds a worker trusts its copy of a quiz's settings
UNIT_TTL = 300.0
MAX_CACHED_BANKS = 32
MAX_SUBTREE_UNITS = 100_000
MAX_CACHED_UNITS = 200_000

_lock = threading.Lock()
_flights: dict[tuple, threading.Lock] = {}  # what a thread of this process is loading right now
_memories: list[Memory] = []


def flight(key: tuple) -> threading.Lock:
    """The lock of one load: held by the thread that runs it."""
    with _lock:
        if len(_flights) > 10_000:  # links to quizzes that do not exist are keys too: bounded
            _flights.clear()  # (a lock still held stays with its holder; at worst a load runs twice)
        return _flights.setdefault(key, threading.Lock())


class Memory:
    """One kind of copy held by this process: up to ``size`` entries (all dropped when full), each
    fresh for ``ttl`` seconds after its load."""

    def __init__(self, name: str, *, size: int, ttl: float = math.inf):
        self.name = name
        self.size = size
        self.ttl = ttl
        self.entries: dict[Hashable, tuple[float, Any]] = {}  # key -> (fresh until, value)
        _memories.append(self)

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The fresh copy; else ``load()`` run by one thread while the others wait for it, or,
        holding a due copy, answer from that meanwhile."""
        hit = self.entries.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        lock = flight((self.name, key))
        if not lock.acquire(blocking=hit is None):
            return hit[1]
        try:
            again = self.entries.get(key)
            if again is not None and again[0] > time.monotonic():  # loaded while this thread waited
                return again[1]
            with (
                scopes_disabled()
            ):  # a process-wide copy serves every caller: loaded whole, never in one viewer's scope
                value = load()
            self.put(key, value)
            return value
        finally:
            lock.release()

    def put(self, key: Hashable, value: Any) -> None:
        with _lock:
            if len(self.entries) >= self.size and key not in self.entries:
                self.entries.clear()
            self.entries[key] = (time.monotonic() + self.ttl, value)

    def drop(self, which: Callable[[Hashable], bool]) -> None:
        with _lock:
            for key in [k for k in self.entries if which(k)]:
                del self.entries[key]


def clear() -> None:
    """Forget every copy of this process (tests)."""
    for memory in _memories:
        memory.entries.clear()


# ---- quizzes --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
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
    uses_sms_code: bool  # models.uses_sms_code, decided when the copy is made

    @property
    def question_count(self) -> int:
        return sum(int(r.get("count", 0)) for r in self.rules)

    @property
    def max_score(self) -> int:
        return full_marks(rule_kinds(self.rules), self.points)


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
        points=quiz.points,
        time_limit_minutes=quiz.time_limit_minutes,
        max_attempts=quiz.max_attempts,
        max_attempts_per_day=quiz.max_attempts_per_day,
        leaderboard_size=quiz.leaderboard_size,
        uses_sms_code=quiz.uses_sms_code,
    )


def _load_snapshot(**lookup) -> QuizSnapshot | None:
    quiz = Quiz.objects.select_related("owner", "bank").filter(**lookup).first()
    return _snapshot_of(quiz) if quiz is not None else None


quizzes = Memory("quiz", size=10_000, ttl=SNAPSHOT_TTL)


def quiz_by_slug(slug: str) -> QuizSnapshot | None:
    """The quiz behind a public link (None: no such quiz), at most SNAPSHOT_TTL old."""
    return quizzes.get(slug, functools.partial(_load_snapshot, slug=slug))


def quiz_by_id(quiz_id: int) -> QuizSnapshot:
    """A quiz's settings as they are now (no copy kept: for commands)."""
    with scopes_disabled():  # a command closing attempts of every quiz
        snap = _load_snapshot(pk=quiz_id)
    if snap is None:
        raise Quiz.DoesNotExist(quiz_id)
    return snap


def forget(slug: str) -> None:
    """Drop this worker's copy at once (other workers refresh within SNAPSHOT_TTL)."""
    quizzes.drop(lambda key: key == slug)


# ---- banks ----------------------------------------------------------------------------------

banks = Memory("bank", size=MAX_CACHED_BANKS)


def bank_data(bank_id: int, version: int) -> paper.BankData:
    """A bank's questions as of ``version``, loaded once per process."""
    return banks.get((bank_id, version), functools.partial(_load_bank, bank_id))


def _load_bank(bank_id: int) -> paper.BankData:
    banks.drop(lambda key: key[0] == bank_id)  # its older versions: no new paper draws from them
    return paper.load_bank(bank_id)


def bank_for(snap: QuizSnapshot) -> paper.BankData:
    return bank_data(snap.bank_id, snap.bank_version)


# ---- units ----------------------------------------------------------------------------------

# An organiser's path -> every unit of its subtree: a burst from thousands of villages costs each
# worker one query, not one per village.
subtrees = Memory("units", size=4, ttl=UNIT_TTL)
units = Memory("unit", size=MAX_CACHED_UNITS, ttl=UNIT_TTL)  # a unit outside those, or made since


def unit_info(unit_id: int, under: str = "") -> tuple[str, str, bool] | None:
    """(path, name, active) of a unit: participants name their unit on every start. ``under``: the
    path of the quiz's organiser, whose whole subtree is loaded at its first use."""
    if under:
        found = subtrees.get(under, functools.partial(_load_subtree, under)).get(unit_id)
        if found is not None:
            return found
    return units.get(unit_id, functools.partial(_load_unit, unit_id))


def _load_subtree(under: str) -> dict[int, tuple[str, str, bool]]:
    from jinguo.orgs.models import Org

    rows = Org.objects.filter(subtree_q(under)).values_list("pk", "path", "name", "is_active")
    return {pk: (path, name, active) for pk, path, name, active in rows[:MAX_SUBTREE_UNITS]}


def _load_unit(unit_id: int) -> tuple[str, str, bool] | None:
    from jinguo.orgs.models import Org

    row = Org.objects.filter(pk=unit_id).values_list("path", "name", "is_active").first()
    return tuple(row) if row else None


# ---- warming --------------------------------------------------------------------------------


def warm(now: datetime | None = None, limit: int = 20) -> list[str]:
    """Load what a burst's first participants would otherwise load in each worker, all at once:
    the settings, the bank with the papers' JSON pieces and the unit tree of every published quiz
    that is open or opens within a day. Called when a gunicorn worker starts (deploy/gunicorn.conf.py)
    and when the quiz's page is shown (cheap once loaded). Returns the slugs warmed."""
    from django.utils import timezone

    now = now or timezone.now()
    with scopes_disabled():  # every live quiz, whoever organises it
        live = Quiz.objects.filter(is_published=True, closes_at__gt=now, opens_at__lt=now + dt.timedelta(days=1))
        slugs = list(live.order_by("opens_at").values_list("slug", flat=True)[:limit])
    for slug in slugs:
        snap = quiz_by_slug(slug)
        if snap is not None:
            warm_quiz(snap)
    return slugs


def warm_quiz(snap: QuizSnapshot) -> None:
    bank_for(snap).warm(snap.rules)
    if snap.audience == Quiz.Audience.PUBLIC:
        unit_info(snap.owner_id, under=snap.owner_path)
