"""Locust users for bench/quiz/run.py (run headless by it; not meant to be started by hand).

Three user classes, one per phase, chosen on the command line:
- ``Burst``: one virtual participant each, the N of them starting evenly over the window: start (the 20-question paper comes in the response),
  answer at random, submit with ``"full": true`` as quiz.js does (score, rank and the reviewed
  paper with the explanations come back in that one response), then stop.
  All N are spawned first (spawning costs the generator CPU it would otherwise take from the
  burst it measures); then each waits for its slot, t0 + i/N × 10 s, and opens its own
  connection at its first request, as a phone does.
- ``Submitter``: hands in attempts started beforehand (tokens from a file), closed loop, with
  ``"full": true`` as quiz.js does.
- ``Inserter``: the benchmark-only one-row insert view, closed loop.

Each phase writes its own figures (exact latencies per endpoint, first start, last completion,
what was refused and why) to JINGUO_BENCH_OUT when it stops.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

import gevent
import gevent.event
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

CONFIG = json.loads(Path(os.environ["JINGUO_BENCH_CONFIG"]).read_text())
OUT = Path(os.environ["JINGUO_BENCH_OUT"])
TOTAL = int(os.environ.get("JINGUO_BENCH_USERS", "0"))
SLUG = CONFIG["slug"]
UNITS = CONFIG["units"]
PREFIX = CONFIG["phone_prefix"]  # 3 digits: "1" + prefix + a 7-digit sequence = an 11-digit mobile number
OFFSET = int(os.environ.get("JINGUO_BENCH_OFFSET", "0"))  # each burst phase has its own phone numbers
WINDOW = float(os.environ.get("JINGUO_BENCH_WINDOW", "10"))  # seconds within which the N participants start

_seq = itertools.count()
_latency: dict[str, list[float]] = defaultdict(list)
_series: dict[str, list[tuple[float, float]]] = defaultdict(list)  # (sent at, ms): where the slow ones are
_errors: Counter = Counter()
_state = {"first": None, "last": None, "started": 0, "completed": 0, "finished": 0}
_tokens = None  # the submit-only phase's prestarted attempts, read at its first submit (_next_token)
_rng = random.Random(8)


def _post(client, name: str, url: str, body: dict, expect: tuple[bytes, ...] = (), absent: bytes = b"\0"):
    """POST JSON; the parsed answer, or None (counted as an error) if it is not a 200 with JSON.
    With ``expect``, the saturated phases' check: a 200 whose body holds each of those bytes and
    not ``absent``, without parsing it (True or None). Parsing the 8 KB review took the generator
    ~0.3 ms per submit (1.3 -> 1.0 ms of locust's CPU per submit, 2026-12-01) of the two cores it
    shares with the server it measures; the database is counted afterwards anyway (every submit
    recorded, none twice)."""
    t = time.perf_counter()
    with client.post(url, json=body, name=name, catch_response=True) as response:
        ms = (time.perf_counter() - t) * 1000
        _latency[name].append(ms)
        _series[name].append((round(time.time() - ms / 1000, 4), round(ms, 2)))
        if expect:
            content = response.content or b""
            ok = response.status_code == 200 and all(e in content for e in expect) and absent not in content
            data = True if ok else None
        else:
            try:
                data = response.json() if response.status_code == 200 else None
            except ValueError:
                data = None
        if data is None:
            _errors[f"{name} {response.status_code} {(response.text or '')[:80]}"] += 1
            response.failure(f"HTTP {response.status_code}")
        return data


def _answers(paper: list[dict]) -> dict:
    out = {}
    for q in paper:
        letters = "ABCDE"[: len(q["options"])]
        if q["kind"] == "multi":
            out[str(q["n"])] = "".join(sorted(_rng.sample(letters, _rng.randint(1, len(letters)))))
        else:
            out[str(q["n"])] = _rng.choice(letters)
    return out


_go = gevent.event.Event()


@events.spawning_complete.add_listener
def _spawned(user_count: int, **kwargs) -> None:
    _state["t0"] = time.time() + 0.5
    _go.set()


def _one_done(environment) -> None:
    _state["finished"] += 1
    if TOTAL and _state["finished"] >= TOTAL:
        gevent.spawn_later(0.2, environment.runner.quit)


class Burst(FastHttpUser):
    wait_time = constant(0)

    @task
    def take(self) -> None:
        i = next(_seq)
        if i >= TOTAL:  # locust replaces a stopped user; the burst has its N already
            gevent.sleep(600)
            raise StopUser()
        # Every participant is spawned before the first one starts (locust's spawning would
        # otherwise share the generator's CPU with the burst it measures); then each waits for its
        # own moment, so the N participants start evenly spread over the window, i / N of the way
        # through it. Each opens its own connection at its first request, as a phone does.
        _go.wait()
        delay = _state["t0"] + i * WINDOW / TOTAL - time.time()
        if delay > 0:
            gevent.sleep(delay)
        now = time.time()
        _state["first"] = _state["first"] or now
        start = _post(
            self.client,
            "start",
            f"/quiz/p/{SLUG}/start",
            {"phone": f"1{PREFIX}{i + OFFSET:07d}", "name": "测试" + str(i % 997), "unit": UNITS[i % len(UNITS)]},
        )
        if start is not None and len(start.get("paper", [])) == CONFIG["questions"]:
            _state["started"] += 1
            body = {"token": start["token"], "answers": _answers(start["paper"]), "tab_switches": 0, "events": []}
            body["full"] = body["paper_kept"] = True
            result = _post(self.client, "submit", f"/quiz/p/{SLUG}/attempts/{start['attempt']}/submit", body)
            if (
                result is not None
                and result.get("rank")
                and result.get("status") == "submitted"
                and len(result.get("review", ())) == CONFIG["questions"]
            ):
                _state["completed"] += 1
                _state["last"] = time.time()
            elif result is not None:
                _errors["submit without a rank or the reviewed paper"] += 1
        elif start is not None:
            _errors["start without the full paper"] += 1
        _one_done(self.environment)
        raise StopUser()


def _next_token() -> list:
    """The next prestarted attempt. Each submit-only phase hands in its own slice of them (from
    OFFSET on); the file is written after the bursts, so it is read only by a phase that uses it."""
    global _tokens
    if _tokens is None:
        _tokens = iter(json.loads(Path(CONFIG["tokens"]).read_text())[OFFSET:])
    return next(_tokens)


class Submitter(FastHttpUser):
    wait_time = constant(0)

    @task
    def submit(self) -> None:
        try:
            attempt_id, token, questions = _next_token()
        except StopIteration:
            raise StopUser() from None
        answers = {str(n): _rng.choice("AB") for n in range(questions)}
        now = time.time()
        _state["first"] = _state["first"] or now
        result = _post(
            self.client,
            "submit",
            f"/quiz/p/{SLUG}/attempts/{attempt_id}/submit",
            {"token": token, "answers": answers, "tab_switches": 0, "events": [], "full": True, "paper_kept": True},
            expect=(b'"status":"submitted"', b'"rank":', b'"review":['),
            absent=b'"rank":null',
        )
        if result is not None:
            _state["completed"] += 1
            _state["last"] = time.time()


class Inserter(FastHttpUser):
    wait_time = constant(0)

    @task
    def insert(self) -> None:
        now = time.time()
        _state["first"] = _state["first"] or now
        if _post(self.client, "insert", "/bench/insert", {"n": 1}, expect=(b'"ok": true',)) is not None:
            _state["completed"] += 1
            _state["last"] = time.time()


@events.quitting.add_listener
def _write(environment, **kwargs) -> None:
    OUT.write_text(json.dumps({"state": _state, "errors": dict(_errors), "latency_ms": _latency, "series": _series}))
