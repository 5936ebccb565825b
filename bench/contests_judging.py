"""Benchmark of contest judging at 2,000 entries and 40 judges.

Run: ``.venv/bin/python bench/contests_judging.py [--db sqlite|postgres|all] [--runs 10] [--no-write]``.

Builds, in a scratch database (SQLite file under /tmp/jinguo_bench_judging, or the PostgreSQL
database ``jinguo_bench_judging``, created and dropped here; ``BENCH_JUDGING_PG_URL`` overrides):
a city with 10 counties of 10 townships, an essay contest with 2,000 recommended entries of
~2,000 characters in two categories, 40 judges (30 staff judges spread over the counties, who may
not judge their own county's entries, and 10 external experts, 5 of them with a declared conflict),
and a round of three judges per entry. It measures:

- ``assign_round`` (the pure assignment plus reading entries and conflicts and writing 6,000
  assignments and the run's audit entry), target < 2 s, and the pure ``assign`` alone;
- the organiser's round page (progress of 40 judges, 2,000 entries aggregated, page 1 of 50) and a
  judge's list (150 assignments), with their query counts, target < 300 ms, constant queries;
- the score matrix export (6,000 submitted scores × 3 criteria), target < 5 s.

The figures go into the ``bench/contests_judging`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("BENCH_WORK_DIR", "/tmp/jinguo_bench_judging")  # noqa: S108 scratch data by design
os.environ["BENCH_PG_URL"] = os.environ.get(
    "BENCH_JUDGING_PG_URL", "postgres://postgres@127.0.0.1:5432/jinguo_bench_judging"
)
sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as base  # noqa: E402 - bench/run.py: machine info, scratch databases, quiet waiting

ROOT = base.ROOT
BEGIN, END = "<!-- BEGIN GENERATED: bench/contests_judging -->", "<!-- END GENERATED: bench/contests_judging -->"
ENTRIES, STAFF_JUDGES, EXTERNAL_JUDGES, PER_ENTRY = 2_000, 30, 10, 3
TARGETS = {"assign_s": 2.0, "round_ms": 300.0, "judge_ms": 300.0, "matrix_s": 5.0}


def _setup(db_url: str) -> None:
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
    base._django(db_url)


def step_build(args) -> dict:
    """Migrate and build the contest, its entries and judges (no assignments yet)."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from jinguo.accounts.models import User
    from jinguo.contests import judging
    from jinguo.contests.models import Category, Contest, Entry, EntryVersion, Round
    from jinguo.lib.scoping import scopes_disabled
    from jinguo.orgs.models import Org
    from jinguo.orgs.services import create_org

    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(2023)
    t0 = time.perf_counter()
    with scopes_disabled(), transaction.atomic():
        city = create_org(name="基准市妇联", kind=Org.Kind.CITY, parent=None)
        counties = [create_org(name=f"基准{i}县妇联", kind=Org.Kind.COUNTY, parent=city) for i in range(10)]
        towns = [
            create_org(name=f"基准{i}县{j}镇妇联", kind=Org.Kind.TOWNSHIP, parent=county)
            for i, county in enumerate(counties)
            for j in range(10)
        ]
        admin = User.objects.create(username="bench_admin", full_name="基准管理员", org=city, is_org_admin=True)
        now = timezone.now()
        contest = Contest.objects.create(
            owner=city,
            title="基准征文",
            opens_at=now - timezone.timedelta(days=30),
            closes_at=now - timezone.timedelta(days=1),
            status=Contest.Status.JUDGING,
            created_by=admin,
        )
        categories = [Category.objects.create(contest=contest, name=n, order=i) for i, n in enumerate(["散文", "诗歌"])]
        phrases = "巾帼心向党奋进新征程妇女能顶半边天家庭是第一个课堂乌蒙山下杜鹃花开"
        entries = Entry.objects.bulk_create(
            Entry(
                contest=contest,
                category=categories[i % 2],
                number=i + 1,
                code=f"ZW-{i + 1:04d}",
                title=f"作品{i + 1}",
                author_name=f"作者{i + 1}",
                author_phone=f"139{i:08d}",
                author_org=towns[rng.randrange(len(towns))],
                declared_at=now,
                recommended=True,
            )
            for i in range(ENTRIES)
        )
        versions = EntryVersion.objects.bulk_create(
            EntryVersion(
                entry=e,
                number=1,
                text=(text := "".join(rng.choice(phrases) for _ in range(2000))),
                char_count=len(text),
                redacted_text=text,
            )
            for e in entries
        )
        for e, v in zip(entries, versions, strict=True):
            e.current_version = v
        Entry.objects.bulk_update(entries, ["current_version"], batch_size=1000)
        round_ = judging.save_round(
            contest,
            by=admin,
            name="初评",
            judges_per_entry=PER_ENTRY,
            aggregation=Round.Aggregation.TRIMMED,
            names_visible=False,
            peer_scores=Round.PeerScores.NEVER,
            advance_rule=Round.AdvanceRule.TOP_N_PER_CATEGORY,
            advance_value=100,
            criteria=[("内容", 50), ("结构", 25), ("语言", 25)],
        )
        for i in range(STAFF_JUDGES):
            user = User.objects.create(
                username=f"bench_judge_{i}", full_name=f"评委{i}", org=counties[i % 10], is_reviewer=True
            )
            judging.save_judge(contest, by=admin, name="", user=user, rounds=[round_])
        for i in range(EXTERNAL_JUDGES):
            judging.save_judge(
                contest,
                by=admin,
                name=f"专家{i}",
                affiliation="作家协会",
                rounds=[round_],
                conflicts=[counties[i]] if i < 5 else [],
            )
    return {"build_s": round(time.perf_counter() - t0, 2), "round": round_.pk}


def step_assign(args) -> dict:
    from django.db.models import Count

    from jinguo.accounts.models import User
    from jinguo.contests import judging
    from jinguo.contests.assignment import assign
    from jinguo.contests.models import Assignment, Round
    from jinguo.lib.scoping import scopes_disabled

    with scopes_disabled():
        round_ = Round.objects.select_related("contest").get()
        admin = User.objects.get(username="bench_admin")
        judges = list(round_.judges.select_related("org").prefetch_related("conflicts"))
        entries = list(judging.round_entries(round_).values_list("pk", "author_org__path"))
    conflicts = judging.conflict_pairs(round_, judges, entries)
    pure = []
    for seed in range(args.runs):
        t = time.perf_counter()
        assign([e for e, _ in entries], [j.pk for j in judges], per_entry=PER_ENTRY, seed=seed, conflicts=conflicts)
        pure.append(time.perf_counter() - t)
    load = base.wait_quiet()
    t = time.perf_counter()
    added = judging.assign_round(round_, by=admin)
    assign_s = time.perf_counter() - t
    with scopes_disabled():
        loads = sorted(
            Assignment.objects.filter(round=round_)
            .values("judge_id")
            .annotate(n=Count("id"))
            .values_list("n", flat=True)
        )
    return {
        "assign_s": round(assign_s, 2),
        "assign_load": load,
        "pure_ms": base._median_ms(pure),
        "assignments": added,
        "conflict_pairs": len(conflicts),
        "load_min": loads[0],
        "load_max": loads[-1],
    }


def step_score(args) -> dict:
    """Open the round and submit every score (bulk, as the judges would one by one)."""
    from django.db import transaction
    from django.utils import timezone

    from jinguo.accounts.models import User
    from jinguo.contests import judging
    from jinguo.contests.models import Assignment, Round, Score
    from jinguo.lib.scoping import scopes_disabled

    rng = random.Random(7)
    with scopes_disabled():
        round_ = Round.objects.get()
        judging.open_round(round_, by=User.objects.get(username="bench_admin"))
        criteria = judging.rubric(round_)
        now = timezone.now()
        scores = []
        for a in Assignment.objects.filter(round=round_).only("id"):
            points = {str(c.id): float(rng.randint(int(c.max_points * 0.5), int(c.max_points))) for c in criteria}
            scores.append(
                Score(
                    assignment=a,
                    points=points,
                    total=sum(points.values()),
                    status=Score.Status.SUBMITTED,
                    submitted_at=now,
                    comment="结构清楚，语言流畅。",
                )
            )
        with transaction.atomic():
            Score.objects.bulk_create(scores, batch_size=1000)
    return {"scores": len(scores)}


def step_pages(args) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from jinguo.accounts.models import User
    from jinguo.contests.models import Judge, Round
    from jinguo.lib.scoping import scopes_disabled

    with scopes_disabled():
        round_ = Round.objects.get()
        judge = Judge.objects.filter(user__isnull=False).order_by("id").first()
        judge_user = judge.user
        admin = User.objects.get(username="bench_admin")
    organiser = Client()
    organiser.force_login(admin, backend="jinguo.accounts.backends.ModelBackend")
    judge_client = Client()
    judge_client.force_login(judge_user, backend="jinguo.accounts.backends.ModelBackend")

    def timed(client, url: str, runs: int, warm: int = 2) -> tuple[float, int, int]:
        for _ in range(warm):
            client.get(url)
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - t)
            assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        return base._median_ms(samples), len(ctx.captured_queries), len(response.content)

    load = base.wait_quiet()
    round_ms, round_q, round_bytes = timed(organiser, f"/contests/rounds/{round_.pk}/", args.runs)
    last_ms, last_q, _ = timed(organiser, f"/contests/rounds/{round_.pk}/?page=last", args.runs)
    judge_ms, judge_q, judge_bytes = timed(judge_client, f"/contests/judging/{judge.pk}/", args.runs)
    matrix_ms, matrix_q, matrix_bytes = timed(organiser, f"/contests/rounds/{round_.pk}/matrix.xlsx", 1, warm=0)
    return {
        "pages_load": load,
        "round_ms": round_ms,
        "round_queries": round_q,
        "round_kb": round(round_bytes / 1024),
        "round_last_ms": last_ms,
        "round_last_queries": last_q,
        "judge_ms": judge_ms,
        "judge_queries": judge_q,
        "judge_kb": round(judge_bytes / 1024),
        "matrix_s": round(matrix_ms / 1000, 2),
        "matrix_queries": matrix_q,
        "matrix_kb": round(matrix_bytes / 1024),
    }


STEPS = {"build": step_build, "assign": step_assign, "score": step_score, "pages": step_pages}


def run_step(step: str, db_url: str, runs: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--db-url", db_url, "--runs", str(runs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"step {step} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_database(db: str, runs: int) -> dict:
    base.WORK.mkdir(parents=True, exist_ok=True)
    url = base.prepare(db)
    results: dict = {}
    try:
        for step in STEPS:
            print(f"[{db}] {step}", flush=True)
            results.update(run_step(step, url, runs))
        results["version"] = run_step_version(url)
    finally:
        base.cleanup(db)
    return results


def run_step_version(url: str) -> str:
    code = (
        "import os,sys;sys.path.insert(0,'bench');import run as b;b._django(sys.argv[1]);"
        "from django.db import connection as c;"
        "print(('SQLite '+__import__('sqlite3').sqlite_version) if c.vendor=='sqlite' else "
        "'PostgreSQL %d.%d' % divmod(c.cursor().connection.info.server_version, 10000))"
    )
    env = dict(os.environ, SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-" + "x" * 40))
    proc = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, cwd=ROOT, env=env, check=False
    )
    return proc.stdout.strip().splitlines()[-1] if proc.returncode == 0 else "?"


def render(results: dict, runs: int, command: str) -> str:
    m = base.machine()
    dbs = list(results)
    lines = [
        BEGIN,
        "",
        f"- 日期 / Date: {time.strftime('%Y-%m-%d %H:%M %z')}",
        f"- 机器 / Machine: nproc={m['nproc']}, RAM {m['ram_gib']} GiB, {m['cpu']}, {m['os']}, Python {m['python']}; load average at the end {m['load']}",
        f"- 命令 / Command: `{command}` (median of {runs} runs unless noted)",
        f"- 数据 / Data: {ENTRIES:,} recommended essays of 2,000 characters in two categories, {STAFF_JUDGES} staff judges in 10 counties (never their own county) and {EXTERNAL_JUDGES} external experts (5 with a declared county conflict), {PER_ENTRY} judges per entry; every score submitted before the pages are measured.",
        "",
        "| 指标 / Metric | " + " | ".join(f"{db} ({results[db]['version']})" for db in dbs) + " | 目标 / Target |",
        "|---|" + "---|" * len(dbs) + "---|",
    ]

    def row(label: str, fmt, target: str = "") -> None:
        lines.append(f"| {label} | " + " | ".join(fmt(results[db]) for db in dbs) + f" | {target} |")

    row(
        "自动分配 assign_round（读取、分配、写入 6,000 条及审计记录）",
        lambda r: f"{r['assign_s']:.2f} s {base._ok(r['assign_s'], TARGETS['assign_s'])}（负载 {r['assign_load']}）",
        "< 2 s",
    )
    row("　其中纯分配 assign()（无数据库）", lambda r: f"{r['pure_ms']} ms")
    row(
        "　分配数 / 回避对数 / 评委负载最少–最多",
        lambda r: f"{r['assignments']:,} / {r['conflict_pairs']:,} / {r['load_min']}–{r['load_max']}",
    )
    row(
        "主办方轮次页（40 位评委进度，2,000 件作品汇总，第 1 页 50 行）",
        lambda r: (
            f"{r['round_ms']} ms {base._ok(r['round_ms'], TARGETS['round_ms'])} / {r['round_queries']} 次查询 / {r['round_kb']} KiB"
        ),
        "< 300 ms，常数查询",
    )
    row("　末页", lambda r: f"{r['round_last_ms']} ms / {r['round_last_queries']} 次查询")
    row(
        "评委的作品列表（150 件）",
        lambda r: (
            f"{r['judge_ms']} ms {base._ok(r['judge_ms'], TARGETS['judge_ms'])} / {r['judge_queries']} 次查询 / {r['judge_kb']} KiB"
        ),
        "< 300 ms，常数查询",
    )
    row(
        "评分明细导出（6,000 行 × 3 项，单次）",
        lambda r: (
            f"{r['matrix_s']:.2f} s {base._ok(r['matrix_s'], TARGETS['matrix_s'])} / {r['matrix_queries']} 次查询 / {r['matrix_kb']} KiB"
        ),
        "< 5 s",
    )
    lines += ["", END]
    return "\n".join(lines)


def write_doc(section: str) -> None:
    doc = base.DOC
    text = doc.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = (
            text.rstrip()
            + "\n\n## 赛事评审 / Contest judging\n\nWritten by `bench/contests_judging.py`; it rewrites only the section between its own markers.\n\n"
            + section
            + "\n"
        )
    doc.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--step", choices=list(STEPS))
    parser.add_argument("--db-url")
    args = parser.parse_args()
    if args.step:
        _setup(args.db_url)
        print(json.dumps(STEPS[args.step](args)))
        return
    dbs = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    results = {db: bench_database(db, args.runs) for db in dbs}
    command = "bench/contests_judging.py " + " ".join(sys.argv[1:])
    section = render(results, args.runs, command.strip())
    print(section)
    if not args.no_write:
        write_doc(section)


if __name__ == "__main__":
    main()
