"""Benchmarks of the public quiz (issue 4, section 5). Not a test: it measures, checks the counts it
measures, and writes its figures into docs/benchmarks.md between its own markers.

Run: ``make bench-quiz`` or ``.venv/bin/python bench/quiz/run.py [--only load,rank,units]
[--users 3000] [--rank-rows 1000000] [--no-write]``. About 10 minutes on 2 cores.

1. load  — the production configuration on this machine: gunicorn (deploy/gunicorn.conf.py) on
   127.0.0.1, PostgreSQL (scratch database ``jinguo_h_load``, created, migrated, dropped), Redis for
   the shared rate limits. Bijie's demo tree, the starter bank and a live 20-question quiz. Phases,
   each a headless locust run from ONE process that shares the 2 cores with the server:
   a. burst: N participants (distinct phones, units of the Bijie tree) all start within 10 s; each
      gets its paper in the start response and submits at once with ``"full": true`` and
      ``"paper_kept": true``, as quiz.js does: score, rank and the review come back in that one
      response. Then a capacity burst: more participants in the same 10 s than the machine serves.
   b. submit only, saturated: attempts started beforehand are handed in (as quiz.js does) by 16
      concurrent clients for 8 s.
   c. the benchmark-only one-row insert view (bench/quiz/site.py, bench.quiz.settings), saturated, same concurrency
      and duration; b and c alternate ``--pairs`` times (default 5: on this shared machine one
      8-s phase runs 20-40 % faster or slower than the next), the median pair reported.
   ``--phases burst,capacity,submit,insert`` picks some (the doc needs all four).
   Then the database is counted: attempts created = started, submitted = completed, no duplicates.
2. rank  — 1,000,000 ranked participants in one quiz (bulk inserts) on PostgreSQL and SQLite:
   median time of ``ranking.rank_of`` for random participants, checked against a window RANK().
3. units — bench/run.py's 50,000-unit tree, 200,000 participants spread over its villages: the
   per-unit participation page for the province organiser (test client, median).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import runpy
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run as tree_bench  # noqa: E402 bench/run.py: its tree generator, machine info and doc writer

WORK = Path(os.environ.get("BENCH_QUIZ_WORK_DIR", "/tmp/jinguo_h_bench"))  # noqa: S108 scratch data
# bench/run.py's generator writes its 50,000-unit CSV here; set at import, so that the step
# subprocesses (``--step units``) read the file the parent wrote.
tree_bench.WORK = WORK
tree_bench.CSV_PATH = WORK / "orgs-50k.csv"
PG_BASE = os.environ.get("BENCH_PG_BASE", "postgres://postgres@127.0.0.1:5432/")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- BEGIN GENERATED: bench/quiz -->", "<!-- END GENERATED: bench/quiz -->"
BIN = Path(sys.executable).parent
SECRET = "jinguo-bench-secret-not-for-production"  # noqa: S105 scratch server only
CONCURRENCY = 16
# The two saturated phases (submit only, the insert view) run equally long, their clients all
# spawned at once: their ratio compares the same stretch of steady work.
SATURATED = "8s"
TOKENS_PER_PAIR = 11_000  # more than a submit-only phase hands in (~1,200/s)
SETTINGS = "bench.quiz.settings"  # Jinguo's, with the insert view (bench/quiz/site.py)
TARGETS = {"attempts_per_s": 300, "p99_ms": 300, "ratio": 0.5, "rank_ms": 10, "units_ms": 300}


def _django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ["JINGUO_VAR_DIR"] = str(WORK / "var")
    os.environ["SECRET_KEY"] = SECRET  # the tokens prestarted here must be valid on the server
    import django

    django.setup()


def _pct(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 1)


# --- steps, each in its own process ---------------------------------------------------------------


def step_seed_load(args) -> dict:
    """Bijie's tree, the starter bank, a live public quiz of 20 questions; the insert view's table."""
    from django.core.management import call_command
    from django.db import transaction

    from jinguo.demo import people, tree
    from jinguo.lib.scoping import scopes_disabled
    from jinguo.orgs.models import Org
    from jinguo.quiz.demo import load_demo_quiz
    from jinguo.quiz.models import Quiz

    call_command("migrate", verbosity=0, interactive=False)
    with scopes_disabled(), transaction.atomic():
        city = tree.load_tree()
        people.load_users()
        quiz = load_demo_quiz(attempts=0)
        Quiz.objects.filter(pk=quiz.pk).update(max_attempts=3, max_attempts_per_day=3)
        units = list(
            Org.objects.filter(city.subtree_q(), kind__in=["county", "township"], is_active=True).values_list(
                "pk", flat=True
            )
        )
    from bench.quiz import site

    site.create_table()
    return {"slug": quiz.slug, "quiz": quiz.pk, "units": units, "questions": quiz.question_count}


def step_prestart(args) -> dict:
    """Attempts started through the service (as the start view would), for the submit-only phase.

    Each started at a moment of the 12 minutes before (participants take minutes to answer; the
    time limit is 20): their times used, and so their ranking-histogram buckets, spread as real
    ones do. Started all now, the 16 concurrent submits of a moment would all update the same
    ~15 histogram rows and wait on each other's row locks, which no real quiz does."""
    from django.utils import timezone

    from jinguo.lib.scoping import scopes_disabled
    from jinguo.quiz import memory, taking

    config = json.loads(Path(args.config).read_text())
    out = []
    rng = random.Random(4)
    now = timezone.now()
    with scopes_disabled():
        snap = memory.quiz_by_slug(config["slug"])
        for i in range(args.pairs * TOKENS_PER_PAIR):
            started = taking.start_attempt(
                snap,
                phone=f"1{config['phone_prefix_submit']}{i:07d}",
                name="预开",
                unit_id=config["units"][i % len(config["units"])],
                now=now - dt.timedelta(seconds=rng.uniform(60, 720)),
            )
            out.append([started.attempt.pk, started.token, len(started.attempt.paper)])
    Path(config["tokens"]).write_text(json.dumps(out))
    return {"prestarted": len(out)}


def step_count(args) -> dict:
    """What the database holds for the burst's phones: one participant and one attempt each."""
    from django.db.models import Count, Sum

    from jinguo.quiz.models import Attempt, Participant, ScoreBucket, ScoreMinute

    config = json.loads(Path(args.config).read_text())
    burst = Attempt.objects.filter(participant__key__startswith="1" + config["phone_prefix"])
    per_person = burst.values("participant_id").annotate(n=Count("id")).filter(n__gt=1).count()
    ranked = Participant.objects.filter(quiz_id=config["quiz"], best_score__isnull=False).count()
    in_buckets = ScoreBucket.objects.filter(quiz_id=config["quiz"]).aggregate(n=Sum("participants"))["n"] or 0
    in_minutes = ScoreMinute.objects.filter(quiz_id=config["quiz"]).aggregate(n=Sum("participants"))["n"] or 0
    inserted = 0
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM jinguo_bench_insert")
        inserted = cursor.fetchone()[0]
    return {
        "db_attempts": burst.count(),
        "db_submitted": burst.filter(status=Attempt.Status.SUBMITTED).count(),
        "db_participants": Participant.objects.filter(key__startswith="1" + config["phone_prefix"]).count(),
        "db_duplicates": per_person,
        "db_ranked": ranked,
        "db_in_buckets": in_buckets,
        "db_in_minutes": in_minutes,
        "db_inserted": inserted,
    }


def _histogram_agrees(c: dict) -> bool:
    """Buckets and per-minute sums both count each ranked participant once (an older
    results.json has no minutes)."""
    sums = [c["db_in_buckets"], c.get("db_in_minutes", c["db_ranked"])]
    return all(n == c["db_ranked"] for n in sums)


def _quiz_for_bulk():
    """A quiz of the first unit, made directly (the bulk steps need a quiz row, not a live paper)."""
    from django.utils import timezone

    from jinguo.orgs.models import Org
    from jinguo.quiz.models import QuestionBank, Quiz

    owner = Org.objects.order_by("depth", "path").first()
    bank = QuestionBank.objects.create(owner=owner, name="基准题库")
    now = timezone.now()
    return Quiz.objects.create(
        owner=owner,
        bank=bank,
        title="基准竞赛",
        slug=f"bench{random.randint(0, 10**9)}",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=1),
    )


def step_rank(args) -> dict:
    """1,000,000 ranked participants: scores 0..100 by 5, times 1..20 min, ties everywhere."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from jinguo.orgs.services import create_org
    from jinguo.quiz import ranking
    from jinguo.quiz.models import Participant
    from tests.quiz.reference import rebuild_score_buckets

    def rank(p):
        return ranking.rank_of(
            quiz_id=p.quiz_id, score=p.best_score, time_ms=p.best_time_ms, submitted_at=p.best_submitted_at
        )

    call_command("migrate", verbosity=0, interactive=False)
    unit = create_org(name="基准市妇联", kind="city", code="529900000000", parent=None)
    quiz = _quiz_for_bulk()
    n = args.rank_rows
    rng = random.Random(42)
    t0 = time.perf_counter()
    base = dt.datetime(2023, 3, 8, 8, 38, tzinfo=dt.UTC)
    table = Participant._meta.db_table
    cols = (
        "quiz_id, key, phone, name, unit_id, attempts_count, day_count, best_score, best_time_ms, best_submitted_at,"
        " created_at, device_hash"
    )
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * 12)})"  # noqa: S608

    def rows():
        for i in range(n):
            # Binomial-like scores (20 questions x 5 points) and whole-second-heavy times: many ties.
            score = 5 * sum(rng.random() < 0.7 for _ in range(20))
            time_ms = rng.randint(60, 1200) * 1000 + (0 if i % 3 else rng.randint(0, 999))
            at = base + dt.timedelta(seconds=i // 20)
            yield (quiz.pk, f"k{i}", f"139{i:08d}", "参赛者", unit.pk, 1, 1, score, time_ms, at, at, "")

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: a million rows in seconds, not minutes
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
        else:
            batch = []
            for row in rows():
                batch.append(row)
                if len(batch) == 10_000:
                    cursor.executemany(sql, batch)
                    batch = []
            cursor.executemany(sql, batch)
    load_s = time.perf_counter() - t0
    buckets = rebuild_score_buckets(quiz.pk)  # the rows were loaded in bulk, not submitted
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    sample = list(
        Participant.objects.filter(quiz=quiz).order_by("?")[:200]
        if connection.vendor == "postgresql"
        else Participant.objects.filter(quiz=quiz, pk__in=[rng.randint(1, n) for _ in range(400)])[:200]
    )
    truth = ranking.global_ranks(quiz, [p.pk for p in sample[:20]])
    wrong = [p.pk for p in sample[:20] if rank(p) != truth[p.pk]]
    assert not wrong, f"rank differs from RANK() for {wrong}"
    samples = []
    for p in sample:
        t = time.perf_counter()
        rank(p)
        samples.append(time.perf_counter() - t)
    # The old way, for comparison: a COUNT of everyone better (grows with the rank).
    worst = min(sample, key=lambda p: p.best_score)
    t = time.perf_counter()
    Participant.objects.filter(quiz=quiz, best_score__gt=worst.best_score).count()
    count_ms = (time.perf_counter() - t) * 1000
    # The public totals ("共 N 人"): one count of every participant, run by one process at a time.
    t = time.perf_counter()
    ranking._count_totals(quiz.pk)
    totals_ms = (time.perf_counter() - t) * 1000
    return {
        "totals_ms": round(totals_ms, 1),
        "rows": n,
        "load_s": round(load_s, 1),
        "buckets": buckets,
        "rank_median_ms": round(statistics.median(samples) * 1000, 2),
        "rank_p99_ms": _pct([s * 1000 for s in samples], 99),
        "rank_max_ms": round(max(samples) * 1000, 2),
        "old_count_ms": round(count_ms, 1),
        "checked": len(truth),
    }


def step_units(args) -> dict:
    """The per-unit table on bench/run.py's 50,000-unit tree with 200,000 participants in villages."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from jinguo.accounts.models import User
    from jinguo.lib.excel import read_table
    from jinguo.lib.scoping import scopes_disabled
    from jinguo.orgs.importing import import_orgs
    from jinguo.orgs.models import Org
    from jinguo.quiz.models import Participant, UnitTarget

    call_command("migrate", verbosity=0, interactive=False)
    rows = read_table(tree_bench.CSV_PATH.read_bytes(), tree_bench.CSV_PATH.name)
    with scopes_disabled():
        import_orgs(rows, dry_run=False)
        province = Org.objects.get(kind="province")
        admin = User.objects.create_user(
            "bench_quiz_admin", password="bench-pw-2026", org=province, is_org_admin=True, full_name="省妇联管理员"
        )
        quiz = _quiz_for_bulk()
        villages = list(Org.objects.filter(kind="village").values_list("pk", flat=True))
        counties = list(Org.objects.filter(kind="county").values_list("pk", flat=True))
        rng = random.Random(7)
        people = []
        for i in range(args.unit_rows):
            scored = rng.random() < 0.95
            people.append(
                Participant(
                    quiz=quiz,
                    key=f"139{i:08d}",
                    phone=f"139{i:08d}",
                    name="参赛者",
                    unit_id=rng.choice(villages),
                    attempts_count=rng.randint(1, 3),
                    best_score=rng.randrange(0, 101, 5) if scored else None,
                    best_time_ms=rng.randint(60_000, 1_200_000) if scored else None,
                )
            )
        with transaction.atomic():
            Participant.objects.bulk_create(people, batch_size=5000)
            UnitTarget.objects.bulk_create(
                [UnitTarget(quiz=quiz, unit_id=c, members=rng.randint(1000, 5000)) for c in counties]
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client()
    client.force_login(admin, backend="jinguo.accounts.backends.ModelBackend")
    url = reverse("quiz:units", args=[quiz.pk])
    out = {"units": Org.objects.count(), "participants": args.unit_rows}
    for label, suffix in (("province", ""), ("county", f"?unit={Org.objects.filter(kind='county').first().pk}")):
        for _ in range(2):
            assert client.get(url + suffix).status_code == 200
        samples = []
        for _ in range(args.runs):
            t = time.perf_counter()
            response = client.get(url + suffix)
            samples.append(time.perf_counter() - t)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            client.get(url + suffix)
        out[f"units_{label}_ms"] = round(statistics.median(samples) * 1000, 1)
        out[f"units_{label}_queries"] = len(ctx.captured_queries)
    return out


def step_info(args) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return {"server": "PostgreSQL " + cursor.fetchone()[0].split()[0]}
        cursor.execute("select sqlite_version()")
        return {"server": "SQLite " + cursor.fetchone()[0]}


def step_profile(args) -> dict:
    """Where a participant's CPU goes: start and the full submit (and the insert view) through
    Django's handler in one process (test client, production settings, this PostgreSQL), CPU
    time per request, and the functions that take the most of it (cProfile, own time)."""
    import cProfile
    import pstats

    from django.test import Client

    config = json.loads(Path(args.config).read_text())
    client = Client()
    slug, units = config["slug"], config["units"]
    cpu: dict[str, float] = {"start": 0.0, "submit": 0.0, "insert": 0.0}

    def timed(name, call):
        t = time.process_time()
        response = call()
        cpu[name] += time.process_time() - t
        assert response.status_code == 200, response.content[:200]
        return response

    def one(i):
        phone = f"1{config['phone_prefix']}9{i:06d}"
        start = timed(
            "start",
            lambda: client.post(
                f"/quiz/p/{slug}/start",
                {"phone": phone, "name": "剖析", "unit": units[i % len(units)]},
                content_type="application/json",
            ),
        ).json()
        answers = {str(q["n"]): "A" for q in start["paper"]}
        url = f"/quiz/p/{slug}/attempts/{start['attempt']}/"
        body = {"token": start["token"], "answers": answers, "tab_switches": 0, "events": [], "full": True}
        timed("submit", lambda: client.post(url + "submit", body, content_type="application/json"))
        timed("insert", lambda: client.post("/bench/insert", {"n": 1}, content_type="application/json"))

    for i in range(20):  # warm: bank, units, connections
        one(i)
    n = 300
    cpu = dict.fromkeys(cpu, 0.0)
    for i in range(20, 20 + n):  # CPU per request, without the profiler's overhead
        one(i)
    cpu_ms = {k: round(v * 1000 / n, 2) for k, v in cpu.items()}
    profile = cProfile.Profile()
    profile.enable()
    for i in range(20 + n, 20 + 2 * n):
        one(i)
    profile.disable()
    groups: dict[str, float] = {}
    for (filename, _line, _fn), row in pstats.Stats(profile).stats.items():
        parts = Path(filename).parts
        if "site-packages" in parts:
            group = parts[parts.index("site-packages") + 1]
        elif "jinguo" in parts:
            group = "jinguo/" + parts[-1]
        else:
            group = "python (stdlib, builtins)"
        groups[group] = groups.get(group, 0.0) + row[2]
    total = sum(groups.values())
    top = sorted(groups.items(), key=lambda kv: kv[1], reverse=True)[:8]
    return {"n": n, "cpu_ms": cpu_ms, "top": [[name, round(t / total * 100, 1)] for name, t in top]}


STEPS = {
    "profile": step_profile,
    "seed_load": step_seed_load,
    "prestart": step_prestart,
    "count": step_count,
    "rank": step_rank,
    "units": step_units,
    "info": step_info,
}


def run_step(step: str, db_url: str, args, timeout: int = 1800) -> dict:
    cmd = [sys.executable, __file__, "--step", step, "--db-url", db_url, "--runs", str(args.runs)]
    cmd += [
        "--users",
        str(args.users),
        "--pairs",
        str(args.pairs),
        "--rank-rows",
        str(args.rank_rows),
        "--unit-rows",
        str(args.unit_rows),
    ]
    cmd += ["--config", str(WORK / "config.json")]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"step {step} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- databases --------------------------------------------------------------------------------


def _pg_admin(name: str, sql: str) -> None:
    import psycopg
    from psycopg import sql as pgsql

    with psycopg.connect(PG_BASE + "postgres", autocommit=True) as conn:
        conn.execute(pgsql.SQL(sql).format(pgsql.Identifier(name)))


def fresh_db(kind: str, name: str) -> str:
    if kind == "sqlite":
        path = WORK / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    assert name.startswith("jinguo_h"), name
    _pg_admin(name, "DROP DATABASE IF EXISTS {} WITH (FORCE)")
    _pg_admin(name, "CREATE DATABASE {}")
    return PG_BASE + name


def drop_db(kind: str, name: str) -> None:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{WORK / name}.sqlite3{suffix}").unlink(missing_ok=True)
    else:
        _pg_admin(name, "DROP DATABASE IF EXISTS {} WITH (FORCE)")


# --- the load test -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _locust(
    user_class: str, host: str, users: int, rate: float, run_time: str, name: str, total: int = 0, offset: int = 0
) -> dict:
    out = WORK / f"{name}.json"
    out.unlink(missing_ok=True)
    env = dict(os.environ)
    env.update(JINGUO_BENCH_CONFIG=str(WORK / "config.json"), JINGUO_BENCH_OUT=str(out), JINGUO_BENCH_USERS=str(total))
    env.update(JINGUO_BENCH_OFFSET=str(offset))
    cmd = [str(BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless", "--host", host]
    cmd += ["-u", str(users), "-r", str(rate), "-t", run_time, "--stop-timeout", "30", "--only-summary"]
    cmd += ["--loglevel", "WARNING", "--exit-code-on-error", "0", user_class]
    t = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter() - t
    # The generator's own CPU (user + system), start-up included: it shares the 2 cores with the server.
    locust_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if not out.exists():
        raise RuntimeError(f"locust {name} wrote nothing:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    data = json.loads(out.read_text())
    state, lat = data["state"], data["latency_ms"]
    span = (state["last"] - state["first"]) if state["last"] and state["first"] else float("nan")
    result = {
        "completed": state["completed"],
        "started": state.get("started", 0),
        "span_s": round(span, 2),
        "per_s": round(state["completed"] / span, 1) if span and span == span else 0.0,
        "errors": data["errors"],
        "error_count": sum(data["errors"].values()),
        "wall_s": round(wall, 1),
        "locust_cpu_s": round(locust_cpu, 1),
    }
    for endpoint, samples in lat.items():
        result[endpoint] = {"n": len(samples), "p50": _pct(samples, 50), "p99": _pct(samples, 99)}
        series = data.get("series", {}).get(endpoint) or []
        if series:  # the first second of a burst (cold connections, caches) apart from the rest
            t0 = min(t for t, _ in series)
            result[endpoint]["p99_first_s"] = _pct([ms for t, ms in series if t - t0 < 1.0], 99)
            result[endpoint]["p99_first_2s"] = _pct([ms for t, ms in series if t - t0 < 2.0], 99)
            result[endpoint]["p99_after"] = _pct([ms for t, ms in series if t - t0 >= 1.0], 99)
    return result


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
        except (OSError, IndexError):
            pass
    return total


def _pids(name: str) -> list[int]:
    try:
        return [int(p) for p in subprocess.check_output(["pgrep", "-x", name]).split()]  # noqa: S607
    except subprocess.CalledProcessError:
        return []


def _cpu_split(worker_pids: list[int]) -> dict:
    """CPU seconds used so far by the server's processes, PostgreSQL's and Redis's, and the whole
    machine (busy time of all cores): a phase's difference says where the machine's time went."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    idle = int(fields[3]) + int(fields[4])
    busy = sum(int(f) for f in fields[:8]) - idle
    return {
        "server": _cpu_seconds(worker_pids),
        "postgres": _cpu_seconds(_pids("postgres")),
        "redis": _cpu_seconds(_pids("redis-server")),
        "machine": busy / os.sysconf("SC_CLK_TCK"),
    }


def _cpu_delta(before: dict, after: dict) -> dict:
    return {k: round(after[k] - before[k], 2) for k in before}


def _serve(url: str, args, visits: int):
    """Gunicorn with the deploy config on a free loopback port, answering; the quiz page (and its
    unit list) opened ``visits`` times first, as people open the link before the start."""
    config = json.loads((WORK / "config.json").read_text())
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        REDIS_URL=REDIS_URL,
        SECRET_KEY=SECRET,
        DJANGO_SETTINGS_MODULE=SETTINGS,  # the site with the insert view
        JINGUO_VAR_DIR=str(WORK / "var"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        # Every virtual participant comes from 127.0.0.1: the per-address limit would refuse
        # them all after 600 a minute. The per-phone limit stays on (one phone each).
        QUIZ_RATE_PER_IP="100000000",
    )
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    log = (WORK / "gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603 our own server, bounded by timeout
        ["timeout", "900", str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "jinguo.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(host + "/healthz", timeout=2).read()  # noqa: S310 loopback
            break
        except OSError:
            time.sleep(0.2)
    else:
        raise RuntimeError("gunicorn did not answer: " + (WORK / "gunicorn.log").read_text()[-2000:])
    for _ in range(visits):  # people open the link before the start (the page and its unit list)
        urllib.request.urlopen(host + f"/quiz/p/{config['slug']}/", timeout=5).read()  # noqa: S310
        urllib.request.urlopen(host + f"/quiz/p/{config['slug']}/units", timeout=5).read()  # noqa: S310
    worker_pids = [int(p) for p in subprocess.check_output(["pgrep", "-g", str(server.pid)]).split()]
    return server, host, worker_pids


def _stop(server) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def _phase(
    worker_pids: list[int], name: str, user_class: str, host: str, users: int, rate: float, run_time: str, **kw
) -> dict:
    """One locust run, with the CPU each part of the machine spent during it."""
    cpu0 = _cpu_split(worker_pids)
    out = _locust(user_class, host, users, rate, run_time, name, **kw)
    out["cpu"] = _cpu_delta(cpu0, _cpu_split(worker_pids))
    print(f"[load] {name} {out}", flush=True)
    return out


def bench_load(args) -> dict:
    name = "jinguo_h_load"
    url = fresh_db("postgres", name)
    server = None
    try:
        print("[load] seeding", flush=True)
        seed = run_step("seed_load", url, args)
        run_id = random.Random().randint(100, 999)
        config = {
            **seed,
            "phone_prefix": f"3{run_id % 100:02d}",
            "phone_prefix_submit": f"5{run_id % 100:02d}",
            "tokens": str(WORK / "tokens.json"),
        }
        (WORK / "config.json").write_text(json.dumps(config))
        figures: dict = {}
        phases = args.phases.split(",")
        if "cold" in phases:
            # A server nobody has visited (a restart or deploy just before the start): the same burst
            # with other phone numbers, straight after the workers came up, then that server is gone.
            server, host, worker_pids = _serve(url, args, visits=0)
            try:
                figures["load_before_cold"] = tree_bench.wait_quiet()
                print(f"[load] cold burst: {args.users} participants within 10 s, page never opened", flush=True)
                figures["cold"] = _phase(worker_pids, "cold", "Burst", host, args.users, args.users, "90s",
                                         total=args.users, offset=8_000_000)  # fmt: skip
            finally:
                _stop(server)
        server, host, worker_pids = _serve(url, args, visits=20)

        figures["load_before"] = tree_bench.wait_quiet()  # other engineers' tests share the machine
        print(f"[load] burst: {args.users} participants within 10 s (load {figures['load_before']})", flush=True)

        def phase(name: str, user_class: str, users: int, rate: float, run_time: str, **kw) -> dict:
            return _phase(worker_pids, name, user_class, host, users, rate, run_time, **kw)

        if "burst" in phases:
            n = args.users
            figures["burst"] = phase("burst", "Burst", n, n, "90s", total=n)
            figures["burst"]["server_cpu_s"] = round(figures["burst"]["cpu"]["server"], 1)
        if "capacity" in phases:
            # Capacity: more participants in the same 10 s than the machine can serve, so that the
            # completion rate is the server's, not the arrival rate (which caps it in the burst above).
            tree_bench.wait_quiet()
            n = args.capacity_users
            print(f"[load] capacity: {n} participants within 10 s", flush=True)
            figures["capacity"] = phase("capacity", "Burst", n, n, "90s", total=n, offset=5_000_000)
            figures["capacity"]["users"] = n
        if "submit" in phases and "insert" in phases:
            # After the bursts: 33,000 attempts written just before a burst left PostgreSQL busy
            # (autovacuum) in its first seconds.
            print("[load] prestarting attempts for the submit-only phases", flush=True)
            figures["prestart"] = run_step("prestart", url, args)
            # Vacuum what the set-up wrote, so that its debt is not paid inside the measured phases.
            import psycopg

            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM (ANALYZE) quiz_attempt, quiz_participant, quiz_scorebucket, quiz_scoreminute")
            # Throughput on this shared machine drifts by 10-20 % from minute to minute: the two
            # saturated phases alternate, pair after pair, and the ratio is the median pair's.
            pairs = []
            for k in range(args.pairs):
                tree_bench.wait_quiet()
                print(f"[load] submit only, saturated (pair {k + 1})", flush=True)
                sub = phase(f"submit{k}", "Submitter", CONCURRENCY, 1000, SATURATED, offset=k * TOKENS_PER_PAIR)
                tree_bench.wait_quiet()
                print(f"[load] one-row insert view, saturated (pair {k + 1})", flush=True)
                ins = phase(f"insert{k}", "Inserter", CONCURRENCY, 1000, SATURATED)
                pairs.append((sub["per_s"] / ins["per_s"] if ins["per_s"] else 0.0, sub, ins))
            median = sorted(pairs, key=lambda p: p[0])[len(pairs) // 2]
            figures["submit"], figures["insert"] = median[1], median[2]
            figures["pairs"] = [
                {"ratio": round(r, 3), "submit": sub["per_s"], "insert": ins["per_s"]} for r, sub, ins in pairs
            ]
        figures["counts"] = run_step("count", url, args)
        # The profile runs in its own process like the server would (same settings and Redis).
        os.environ.update(REDIS_URL=REDIS_URL, QUIZ_RATE_PER_IP="100000000")
        figures["profile"] = run_step("profile", url, args)
        figures["workers"] = len(worker_pids) - 2  # less the timeout wrapper and the master
        conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
        figures["worker_class"], figures["threads"] = conf["worker_class"], conf["threads"]
        figures["server"] = run_step("info", url, args)["server"]
        return figures
    finally:
        if server is not None:
            _stop(server)
        drop_db("postgres", name)


def bench_rank(args) -> dict:
    out = {}
    for kind in ("postgres", "sqlite"):
        name = "jinguo_h_rank"
        print(f"[rank] {kind}: {args.rank_rows:,} participants", flush=True)
        url = fresh_db(kind, name)
        try:
            out[kind] = {**run_step("info", url, args), **run_step("rank", url, args)}
        except Exception as exc:  # one database down must not lose the other's figures
            out[kind] = {"error": str(exc).splitlines()[0][:100]}
            print(f"[rank] {kind} FAILED: {exc}", file=sys.stderr, flush=True)
        finally:
            drop_db(kind, name)
        print(f"[rank] {kind} {out[kind]}", flush=True)
    return out


def bench_units(args) -> dict:
    tree_bench.write_tree_csv(tree_bench.CSV_PATH)
    out = {}
    for kind in ("postgres", "sqlite"):
        name = "jinguo_h_units"
        print(f"[units] {kind}: 50,000 units, {args.unit_rows:,} participants", flush=True)
        url = fresh_db(kind, name)
        try:
            out[kind] = {**run_step("info", url, args), **run_step("units", url, args)}
        except Exception as exc:
            out[kind] = {"error": str(exc).splitlines()[0][:100]}
            print(f"[units] {kind} FAILED: {exc}", file=sys.stderr, flush=True)
        finally:
            drop_db(kind, name)
        print(f"[units] {kind} {out[kind]}", flush=True)
    return out


# --- the report ------------------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def render(results: dict, args, command: str) -> str:
    m = tree_bench.machine()
    now = dt.datetime.now().astimezone()
    lines = [
        BEGIN,
        "",
        "### 知识竞赛 / Quiz (issue 4 §5)",
        "",
        f"- 日期 / Date: {now:%Y-%m-%d %H:%M %z}",
        f"- 机器 / Machine: nproc={m['nproc']}, RAM {m['ram_gib']} GiB, {m['cpu']}, {m['os']}, "
        f"Python {m['python']}; load average at the end {m['load']}",
        f"- 命令 / Command: `{command}`",
        "",
    ]
    names = {"load": "load test", "rank": "rank lookup", "units": "per-unit table"}
    merged = [p for p in names if p in results and p not in args.only.split(",")]
    if merged and args.merge:  # (--only none --merge FILE re-renders an earlier run's figures)
        lines += [
            "Not re-measured by this command, merged from earlier runs (`--merge`): "
            + "; ".join(f"{names[p]} (measured {results.get('measured_at', {}).get(p, 'earlier')})" for p in merged)
            + ".",
            "",
        ]
    load = results.get("load")
    if load:
        b, s, i, c = load["burst"], load["submit"], load["insert"], load["counts"]
        cap = load.get("capacity") or b
        ratio = s["per_s"] / i["per_s"] if i["per_s"] else 0.0
        p99 = max(b.get(e, {}).get("p99", 1e9) for e in ("start", "submit"))
        cold = load.get("cold")
        bursts = [x for x in (b, cap if cap is not b else None, cold) if x]
        started = sum(x["started"] for x in bursts)
        completed = sum(x["completed"] for x in bursts)
        lost = started - c["db_attempts"], completed - c["db_submitted"]
        errors = sum(x["error_count"] for x in bursts)
        lines += [
            f"**Load test** — gunicorn `deploy/gunicorn.conf.py` ({load['workers']} {load.get('worker_class', 'sync')} "
            f"workers × {load.get('threads', 1)} threads, keep-alive) on 127.0.0.1, "
            f"{load['server']} (scratch database `jinguo_h_load`), Redis cache (shared rate limits), "
            "Bijie demo tree, starter bank, a 20-question public quiz. Each virtual participant starts "
            '(the paper comes in the response) and submits with `"full": true`, as quiz.js does: score, rank '
            "and the reviewed paper with the explanations come back in that one response (without the stems and "
            'options the phone holds: `"paper_kept": true`). The participants of a burst are all spawned '
            "first, then start evenly spread over its 10 s (participant i at i/N of the window), each on a "
            "connection of its own. Before the bursts the quiz page is opened 20 times (people open the link "
            "before the start); the workers warm themselves when they start (post_worker_init). The two "
            "saturated phases (submit only, insert view) run the same 8 s each with all 16 clients from the first "
            "moment, alternating in pairs; the table shows the pair with the median ratio. Load from ONE "
            "locust process (FastHttpUser, geventhttpclient) on the same 2 cores as gunicorn, PostgreSQL and "
            "Redis: the generator takes CPU from the server (its own CPU is in the table), so these are lower "
            "bounds for a server on its own 2 cores. "
            f"1-minute load before the burst {load.get('load_before', '—')} (the script waits, bounded, "
            "for the machine to be quiet). "
            "All virtual participants share 127.0.0.1, so the per-address rate limit is raised for the run "
            "(the per-phone limit stays on).",
            "",
            "| 指标 / Metric | 结果 / Result | 目标 / Target |",
            "|---|---|---|",
        ]
        if cap is not b:
            per = {k: v * 1000 / max(1, cap["completed"]) for k, v in cap.get("cpu", {}).items()}
            lines += [
                f"| 容量：{cap['users']:,} 人在 10 s 内开始（超过机器能力），每人取卷（20 题）并交卷 | "
                f"{cap['completed']:,} 份完成，用时 {cap['span_s']} s | |",
                f"| 完成答卷速率 / completed attempts per second | {cap['per_s']} /s "
                f"{_mark(cap['per_s'] >= TARGETS['attempts_per_s'])} | ≥ 300 /s |",
                f"| 　此时每份答卷的机器时间 | gunicorn {per.get('server', 0):.2f} ms + PostgreSQL "
                f"{per.get('postgres', 0):.2f} ms + Redis {per.get('redis', 0):.2f} ms + locust "
                f"{cap.get('locust_cpu_s', 0) * 1000 / max(1, cap['completed']):.2f} ms；两核忙碌共 "
                f"{per.get('machine', 0):.2f} ms | |",
                f"| 　start / submit p50 | {cap.get('start', {}).get('p50')} ms / {cap.get('submit', {}).get('p50')}"
                " ms（排队：到达快于处理） | |",
            ]
        lines += [
            f"| 同步开考：{args.users:,} 人在 10 s 内开始（{args.users // 10}/s），每人取卷并交卷 | "
            f"{b['completed']:,} 份完成，用时 {b['span_s']} s（{b['per_s']} /s） | |",
            f"| start p50 / p99 | {b.get('start', {}).get('p50')} ms / {b.get('start', {}).get('p99')} ms | |",
            f"| submit（得分、名次与答题详情）p50 / p99 | {b.get('submit', {}).get('p50')} ms / "
            f"{b.get('submit', {}).get('p99')} ms | |",
            f"| p99（两个端点中较大者） | {p99} ms {_mark(p99 < TARGETS['p99_ms'])} | < 300 ms |",
            f"| 　其中第一秒 / 之后 p99（start） | {b.get('start', {}).get('p99_first_s', '—')} ms / "
            f"{b.get('start', {}).get('p99_after', '—')} ms | |",
        ]
        if cold:
            cs, ws = cold.get("start", {}), b.get("start", {})
            lines += [
                f"| 冷启动：服务器刚启动、无人打开过答题页（重启或部署后即开考），同样 {args.users:,} 人 | "
                f"{cold['completed']:,} 份完成；start p99 第一秒 {cs.get('p99_first_s', '—')} ms、前两秒 "
                f"{cs.get('p99_first_2s', '—')} ms、之后 {cs.get('p99_after', '—')} ms（页面先被打开 20 次的服务器："
                f"{ws.get('p99_first_s', '—')} / {ws.get('p99_first_2s', '—')} / {ws.get('p99_after', '—')} ms）；"
                f"submit p99 {cold.get('submit', {}).get('p99', '—')} ms | 与预热过的相同 |",
            ]
        lines += [
            f"| 错误 / errors（{len(bursts)} 次突发） | {errors} {_mark(errors == 0)} {b['errors'] or ''} | 0 |",
            f"| 服务器进程 CPU（{args.users:,} 人突发期间） | {b['server_cpu_s']} s of {b['span_s']} s × 2 cores"
            f"（{b['server_cpu_s'] * 1000 / max(1, b['completed']):.1f} ms per attempt） | |",
            f"| 负载生成器（locust）自身 CPU | {b.get('locust_cpu_s', '—')} s (burst), "
            f"{cap.get('locust_cpu_s', '—') if cap is not b else '—'} s (capacity), "
            f"{s.get('locust_cpu_s', '—')} s (submit only), {i.get('locust_cpu_s', '—')} s (insert) | |",
            f"| 数据库核对：答卷 = 开始，已交卷 = 完成，无重复（各次突发合计） | 答卷 {c['db_attempts']:,} / 开始 {started:,}；"
            f"已交卷 {c['db_submitted']:,} / 完成 {completed:,}；参赛人 {c['db_participants']:,}；"
            f"一人多卷 {c['db_duplicates']}；直方图 {c['db_in_buckets']:,} = 按分钟合计 "
            f"{c.get('db_in_minutes', c['db_in_buckets']):,} = 已排名 {c['db_ranked']:,} "
            f"{_mark(lost == (0, 0) and c['db_duplicates'] == 0 and _histogram_agrees(c))} | "
            "0 丢失，0 重复 |",
            f"| 仅交卷，饱和（{CONCURRENCY} 并发，预先开始的 {load['prestart']['prestarted']:,} 份，中位数那一对） | "
            f"{s['per_s']} /s, p50 {s.get('submit', {}).get('p50')} ms, p99 {s.get('submit', {}).get('p99')} ms, "
            f"errors {s['error_count']} | |",
            f"| 插入一行的视图，饱和（{CONCURRENCY} 并发，同一服务器配置） | {i['per_s']} /s, "
            f"p50 {i.get('insert', {}).get('p50')} ms, p99 {i.get('insert', {}).get('p99')} ms, "
            f"errors {i['error_count']}（表中 {c['db_inserted']:,} 行） | |",
            f"| 比值 交卷吞吐 / 插入视图吞吐（{len(load.get('pairs', [])) or 1} 对交替测量的中位数） | {ratio:.2f} "
            f"{_mark(ratio >= TARGETS['ratio'])}"
            + ("（各对：" + "、".join(f"{p['ratio']:.2f}" for p in load["pairs"]) + "）" if load.get("pairs") else "")
            + " | ≥ 0.5 |",
            "",
        ]
        prof = load.get("profile")
        if prof:
            ms = prof["cpu_ms"]
            lines += [
                f"**Where the CPU goes** (`--step profile`: {prof['n']} participants through Django's handler in "
                "one process, production settings, the same PostgreSQL and Redis; CPU time of that process per "
                f"request, test-client overhead included): start {ms['start']} ms, submit {ms['submit']} ms, "
                f"— {ms['start'] + ms['submit']:.1f} ms of Python per "
                f"participant, against {ms['insert']} ms for the one-row insert view. PostgreSQL, Redis and the "
                "load generator need the same two cores on top. Own time by package (cProfile, share of the "
                "profiled wall time; psycopg's share is mostly waiting for PostgreSQL):",
                "",
                *[f"- {share} % `{name}`" for name, share in prof["top"]],
                "",
            ]
    rank, units = results.get("rank"), results.get("units")

    if rank or units:
        dbs = list((rank or units).keys())
        header = ["指标 / Metric", *[f"{(rank or units)[db].get('server', db)}" for db in dbs], "目标 / Target"]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

        def row(source, label, fmt, target=""):
            cells = []
            for db in dbs:
                r = (source or {}).get(db, {})
                try:
                    cells.append(fmt(r))
                except (KeyError, TypeError):
                    cells.append(r.get("error", "—"))
            lines.append("| " + " | ".join([label, *cells, target]) + " |")

        if rank:
            row(
                rank,
                f"名次查询（{args.rank_rows:,} 名已排名参赛人中的一人，中位数）",
                lambda r: f"{r['rank_median_ms']} ms {_mark(r['rank_median_ms'] < TARGETS['rank_ms'])}",
                "< 10 ms",
            )
            row(rank, "　p99 / 最慢（200 次随机查询）", lambda r: f"{r['rank_p99_ms']} ms / {r['rank_max_ms']} ms")
            row(rank, "　直方图桶数（分数 × 秒）", lambda r: f"{r['buckets']:,}")
            row(rank, "　对照：旧算法 COUNT 更好者（最低分者）", lambda r: f"{r['old_count_ms']} ms")
            row(rank, "　批量写入 1,000,000 行", lambda r: f"{r['load_s']} s")
            row(
                rank,
                "　公开总数（共 N 人）：一次计数，每 3 s 由一个进程做",
                lambda r: f"{r['totals_ms']} ms" if "totals_ms" in r else "—",
            )
        if units:
            row(
                units,
                f"参与情况按单位（50,000 个单位，{args.unit_rows:,} 名参赛人，省级首页，中位数）",
                lambda r: (
                    f"{r['units_province_ms']} ms {_mark(r['units_province_ms'] < TARGETS['units_ms'])} / "
                    f"{r['units_province_queries']} 次查询"
                ),
                "< 300 ms",
            )
            row(
                units,
                "　下钻到一个县",
                lambda r: f"{r['units_county_ms']} ms / {r['units_county_queries']} 次查询",
            )
    lines += ["", END]
    return "\n".join(lines)


def write_doc(section: str, doc: Path = DOC) -> None:
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# 性能基准 / Benchmarks\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    doc.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="Quiz benchmarks: load test, rank lookup, per-unit table")
    parser.add_argument("--only", default="load,rank,units")
    parser.add_argument("--users", type=int, default=3000, help="participants in the burst (and prestarted)")
    parser.add_argument("--pairs", type=int, default=5, help="submit-only / insert phase pairs (median ratio)")
    parser.add_argument("--capacity-users", type=int, default=4500, help="participants in the capacity burst")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: the config's)")
    parser.add_argument("--rank-rows", type=int, default=1_000_000)
    parser.add_argument("--unit-rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--phases", default="cold,burst,capacity,submit,insert", help="load test phases to run")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--doc", default=str(DOC), help="the Markdown file to write the section into")
    parser.add_argument("--merge", help="results.json of an earlier run: figures for the parts not run now")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.step:
        _django(args.db_url)
        from jinguo.lib.scoping import scopes_disabled

        with scopes_disabled():
            print(json.dumps(STEPS[args.step](args), ensure_ascii=False))
        return

    WORK.mkdir(parents=True, exist_ok=True)
    results: dict = json.loads(Path(args.merge).read_text()) if args.merge else {}
    wanted = args.only.split(",")
    for part, fn in (("load", bench_load), ("rank", bench_rank), ("units", bench_units)):
        if part in wanted:
            results[part] = fn(args)
            results.setdefault("measured_at", {})[part] = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z")
    (WORK / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    argv = sys.argv[1:]
    if args.merge:  # a scratch path says nothing to the reader (and is this machine's)
        argv = [("<earlier results.json>" if a == args.merge else a) for a in argv]
    command = "bench/quiz/run.py " + " ".join(argv) if argv else "make bench-quiz"
    section = render(results, args, command)
    print(section)
    if not args.no_write:
        write_doc(section, Path(args.doc))
        print(f"written to {args.doc}")
    shutil.rmtree(WORK / "var", ignore_errors=True)


if __name__ == "__main__":
    main()
