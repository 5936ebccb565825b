"""A worker is warm before a synchronised start: live quizzes loaded at boot, one load per process
when a burst's first requests arrive together, an older copy served while one thread refreshes."""

from __future__ import annotations

import datetime as dt
import runpy
import threading
import time
from concurrent import futures
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from jinguo.quiz import memory, paper, ranking, taking
from jinguo.quiz.models import Attempt, Participant, ScoreBucket
from tests.quiz.conftest import make_quiz, post_json

ROOT = Path(__file__).resolve().parents[2]


def test_warm_loads_live_quizzes_only(tree, bank, quiz, django_assert_num_queries):
    """Published and open, or opening within a day: warmed. Closed, unpublished or next week: not."""
    now = timezone.now()
    make_quiz(tree.city, bank, slug="soon", opens_at=now + dt.timedelta(hours=3))
    make_quiz(
        tree.city, bank, slug="nextweek", opens_at=now + dt.timedelta(days=7), closes_at=now + dt.timedelta(days=8)
    )
    make_quiz(tree.city, bank, slug="over", opens_at=now - dt.timedelta(days=3), closes_at=now - dt.timedelta(days=1))
    make_quiz(tree.city, bank, slug="draft", is_published=False)

    assert sorted(memory.warm()) == ["fnqy2022", "soon"]

    snap = memory.quiz_by_slug("fnqy2022")
    loaded = memory.bank_for(snap)
    # Everything a start and a submit need is in memory: no query, the papers' pieces serialised.
    with django_assert_num_queries(0):
        assert memory.quiz_by_slug("soon") is not None
        assert memory.unit_info(tree.qxg_town.pk, under=snap.owner_path)[1] == "七星关区市西街道妇联"
        drawn = paper.draw_paper(snap.rules, loaded)
    assert all(-qid in loaded.json_parts and qid in loaded.json_parts for qid, _ in drawn)
    assert "nextweek" not in memory.quizzes.entries and "over" not in memory.quizzes.entries


def test_the_quiz_page_warms_its_quiz(client, quiz, tree, django_assert_num_queries):
    """Participants open the page before the start: the worker that shows it loads the quiz."""
    assert client.get("/quiz/p/fnqy2022/").status_code == 200
    snap = memory.quiz_by_slug("fnqy2022")
    with django_assert_num_queries(0):
        memory.bank_for(snap)
        memory.unit_info(tree.dafang_town.pk, under=snap.owner_path)


def test_a_bank_is_loaded_once_when_threads_ask_together(monkeypatch):
    calls = []

    def slow_load(bank_id):
        calls.append(bank_id)
        time.sleep(0.05)
        return paper.BankData(questions={})

    monkeypatch.setattr(paper, "load_bank", slow_load)
    barrier = threading.Barrier(8)

    def ask():
        barrier.wait()
        return memory.bank_data(7, 3)

    with futures.ThreadPoolExecutor(8) as pool:
        banks = list(pool.map(lambda _: ask(), range(8)))
    assert calls == [7]
    assert all(b is banks[0] for b in banks)


def test_a_due_copy_is_served_while_another_thread_refreshes(tree, quiz, django_assert_num_queries):
    """The settings and the unit tree: when due, the thread that finds the refresh taken answers
    from its copy (no query, no wait); when no one refreshes, it refreshes itself."""
    snap = memory.quiz_by_slug("fnqy2022")
    memory.unit_info(tree.qxg_town.pk, under=snap.owner_path)
    memory.quizzes.entries["fnqy2022"] = (0.0, snap)  # due
    memory.subtrees.entries[snap.owner_path] = (0.0, memory.subtrees.entries[snap.owner_path][1])
    held = [memory.flight(("quiz", "fnqy2022")), memory.flight(("units", snap.owner_path))]
    for lock in held:
        lock.acquire()
    try:
        with django_assert_num_queries(0):
            assert memory.quiz_by_slug("fnqy2022") is snap
            assert memory.unit_info(tree.qxg_town.pk, under=snap.owner_path)[1] == "七星关区市西街道妇联"
    finally:
        for lock in held:
            lock.release()
    with django_assert_num_queries(2):  # no one refreshing: this thread reloads both
        assert memory.quiz_by_slug("fnqy2022") is not snap
        assert memory.unit_info(tree.qxg_town.pk, under=snap.owner_path)[1] == "七星关区市西街道妇联"
    with django_assert_num_queries(0):
        memory.quiz_by_slug("fnqy2022")
        memory.unit_info(tree.dafang_town.pk, under=snap.owner_path)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans PostgreSQL's statements")
def test_warm_connection_plans_the_hot_statements_and_writes_nothing(quiz, django_assert_num_queries):
    counts = (Attempt.objects.count(), Participant.objects.count(), ScoreBucket.objects.count())
    with django_assert_num_queries(3) as ctx:
        taking.warm_connection()
    # Two plans (EXPLAIN) and the submit's function called for no attempt (a server-bound statement:
    # Django logs no text for it).
    assert all(q["sql"].startswith("EXPLAIN ") for q in ctx.captured_queries[:2])
    assert (Attempt.objects.count(), Participant.objects.count(), ScoreBucket.objects.count()) == counts


def test_gunicorn_warms_each_thread_before_serving(monkeypatch, quiz):
    """post_worker_init: the live quizzes once, then every thread of the pool its own connection."""
    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    seen: list[int] = []
    warmed: list[list[str]] = []
    real_warm = memory.warm
    monkeypatch.setattr(memory, "warm", lambda: warmed.append(real_warm()) or warmed[-1])
    monkeypatch.setattr(taking, "warm_connection", lambda: seen.append(threading.get_ident()))

    class Log:
        def __init__(self):
            self.lines = []

        def info(self, *args):
            self.lines.append(("info", args))

        def warning(self, *args):
            self.lines.append(("warning", args))

        def exception(self, *args):
            self.lines.append(("exception", args))

    class Worker:
        cfg = type("Cfg", (), {"threads": 4})()
        log = Log()
        tpool = futures.ThreadPoolExecutor(4)

    conf["post_worker_init"](Worker)
    Worker.tpool.shutdown()
    assert warmed == [["fnqy2022"]]
    assert len(seen) == 4 and len(set(seen)) == 4
    assert [kind for kind, _ in Worker.log.lines] == ["info"]


def test_totals_are_counted_by_one_at_a_time(client, tree, quiz, django_assert_num_queries):
    """The count reads every participant: a thread that finds another counting in its process, or
    a process that finds another's lease in the shared cache, uses the count it has."""
    from django.core.cache import cache

    post_json(client, "/quiz/p/fnqy2022/start", {"phone": "13800138000", "name": "张丽", "unit": tree.qxg_town.pk})
    with django_assert_num_queries(1):
        assert ranking.public_totals(quiz_id=quiz.pk)["participants"] == 1
    post_json(client, "/quiz/p/fnqy2022/start", {"phone": "13900139000", "name": "王芳", "unit": tree.qxg_town.pk})

    # Due in this process while another thread counts: the old copy, no query.
    ranking.totals.entries[quiz.pk] = (0.0, ranking.totals.entries[quiz.pk][1])
    with memory.flight(("totals", quiz.pk)), django_assert_num_queries(0):
        assert ranking.public_totals(quiz_id=quiz.pk)["participants"] == 1
    # Due everywhere, another process holds the lease: the shared copy, no query.
    key = f"quiz:totals:{quiz.pk}"
    cache.set(key, (0.0, cache.get(key)[1]), 60)
    cache.add(key + ":lease", 1, 60)
    with django_assert_num_queries(0):
        assert ranking.public_totals(quiz_id=quiz.pk)["participants"] == 1
    # The lease gone: this one counts, and the new count is shared.
    cache.delete(key + ":lease")
    ranking.totals.entries.clear()
    with django_assert_num_queries(1):
        assert ranking.public_totals(quiz_id=quiz.pk)["participants"] == 2
    assert cache.get(key)[1]["participants"] == 2
