"""The attempt limit holds when the same person starts many times at once: the database decides."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from jinguo.lib.scoping import scopes_disabled
from jinguo.quiz import memory, services, taking
from jinguo.quiz.models import Attempt, Participant
from tests.quiz.conftest import make_bank, make_quiz

THREADS = 50

pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite's in-memory test database cannot take 50 concurrent writers"
)


def _start_all(snap, unit_id, phones) -> list:
    barrier = threading.Barrier(len(phones))
    outcomes: list = []
    lock = threading.Lock()

    def run(phone):
        try:
            barrier.wait()
            with scopes_disabled():  # as the public views run it (a new thread starts with no scope)
                started = taking.start_attempt(snap, phone=phone, name="张丽", unit_id=unit_id)
            result = ("started", started.attempt.pk, started.resumed)
        except services.QuizError as exc:
            result = ("refused", exc.code, None)
        except Exception as exc:  # noqa: BLE001 a crash must show up in the assertion, not kill the thread
            result = ("error", repr(exc), None)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(phone,)) for phone in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_starts_make_one_attempt(tree):
    bank = make_bank(tree.city)
    make_quiz(tree.city, bank, max_attempts=1, max_attempts_per_day=1)
    snap = memory.quiz_by_slug("fnqy2022")
    memory.bank_for(snap)
    memory.unit_info(tree.qxg_town.pk)
    outcomes = _start_all(snap, tree.qxg_town.pk, ["13800138000"] * THREADS)
    assert [o for o in outcomes if o[0] == "error"] == []
    assert Attempt.objects.count() == 1
    assert Participant.objects.get().attempts_count == 1
    attempt_id = Attempt.objects.get().pk
    # Everyone else either resumed that same attempt or was told the limit is reached.
    assert {o[1] for o in outcomes if o[0] == "started"} == {attempt_id}
    assert len([o for o in outcomes if o[0] == "started" and not o[2]]) == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_starts_respect_a_limit_of_three(tree):
    bank = make_bank(tree.city)
    make_quiz(tree.city, bank, max_attempts=3, max_attempts_per_day=0)
    snap = memory.quiz_by_slug("fnqy2022")
    outcomes = _start_all(snap, tree.qxg_town.pk, ["13800138000"] * 30)
    assert [o for o in outcomes if o[0] == "error"] == []
    assert sorted(Attempt.objects.values_list("number", flat=True)) == [1, 2, 3]
    assert Participant.objects.get().attempts_count == 3


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submits_count_once(tree):
    bank = make_bank(tree.city)
    make_quiz(tree.city, bank)
    snap = memory.quiz_by_slug("fnqy2022")
    started = taking.start_attempt(snap, phone="13800138000", name="张丽", unit_id=tree.qxg_town.pk)
    token = taking.read_token(started.token, attempt_id=started.attempt.pk)
    barrier = threading.Barrier(20)
    scores = []

    def run(i):
        barrier.wait()
        try:
            with scopes_disabled():  # as the public views run it (a new thread starts with no scope)
                outcome = taking.submit_attempt(snap, token, answers={"0": "ABCDE"[i % 4]})
            scores.append((outcome.score, outcome.submitted_at))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(scores)) == 1
    assert Attempt.objects.filter(status="submitted").count() == 1
