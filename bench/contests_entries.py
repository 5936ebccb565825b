"""Benchmark: a contest of 2,000 essays — the organiser's entry list, a county's 推荐 page and the
entries export, on SQLite and PostgreSQL.

Run: ``.venv/bin/python bench/contests_entries.py [--db sqlite|postgres|all] [--runs 10] [--no-write]``.

A city with 10 counties of 20 townships each, a contest with 2,000 entries (~2,000 汉字 each, a
version each, every county's 推荐 half done), written with bulk inserts (the services are tested on
their own). Times are wall-clock medians through the Django test client (middleware, scoping,
templates). Scratch data: /tmp/jinguo_bench_contests (SQLite) and the PostgreSQL database
``jinguo_contests_bench`` (created and dropped; ``BENCH_CONTESTS_PG_URL`` overrides). Not a test:
the figures go to the contests section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("BENCH_WORK_DIR", "/tmp/jinguo_bench_contests"))  # noqa: S108 scratch data by design
DOC = ROOT / "docs" / "benchmarks.md"
PG_URL = os.environ.get("BENCH_CONTESTS_PG_URL", "postgres://postgres@127.0.0.1:5432/jinguo_contests_bench")
BEGIN, END = "<!-- BEGIN GENERATED: bench/contests_entries.py -->", "<!-- END GENERATED: bench/contests_entries.py -->"
ENTRIES, COUNTIES, TOWNSHIPS = 2000, 10, 20
TARGET_MS = 300.0


def _django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "jinguo.settings"
    os.environ.setdefault("JINGUO_VAR_DIR", str(WORK / "var"))
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed() -> None:
    import datetime as dt
    import random

    from django.core.management import call_command
    from django.utils import timezone

    from jinguo.accounts.models import User
    from jinguo.contests.demo import essay_text
    from jinguo.contests.documents import han_count
    from jinguo.contests.models import Category, Contest, Entry, EntryVersion, Quota, Recommendation
    from jinguo.lib.scoping import scopes_disabled
    from jinguo.orgs.models import Org
    from jinguo.orgs.services import create_org

    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(7)
    with scopes_disabled():
        city = create_org(name="毕节市妇联", kind=Org.Kind.CITY, parent=None, code="520500")
        counties, towns = [], []
        for c in range(COUNTIES):
            county = create_org(name=f"第{c + 1}县妇联", kind=Org.Kind.COUNTY, parent=city)
            counties.append(county)
            towns += [
                create_org(name=f"第{c + 1}县第{t + 1}镇妇联", kind=Org.Kind.TOWNSHIP, parent=county)
                for t in range(TOWNSHIPS)
            ]
        User.objects.create(username="city_admin", full_name="市管理员", org=city, is_org_admin=True)
        User.objects.create(username="county_admin", full_name="县管理员", org=counties[0], is_org_admin=True)
        now = timezone.now()
        contest = Contest.objects.create(
            owner=city, title="征文比赛", opens_at=now - dt.timedelta(days=5), closes_at=now + dt.timedelta(days=5),
            status=Contest.Status.OPEN, max_chars=3000,
        )  # fmt: skip
        cats = [Category.objects.create(contest=contest, name=n, order=i) for i, n in enumerate(["散文", "诗歌"])]
        Quota.objects.bulk_create(
            [Quota(contest=contest, org=c, max_entries=ENTRIES // COUNTIES // 2) for c in counties]
        )
        texts = [essay_text(rng, paragraphs=10) for _ in range(50)]
        entries = Entry.objects.bulk_create(
            [
                Entry(
                    contest=contest,
                    category=cats[i % 2],
                    number=i + 1,
                    code=f"ZW-{i + 1:04d}",
                    title=f"作品{i + 1}",
                    author_name=f"作者{i}",
                    author_phone=f"139{i:08d}",
                    author_org=towns[i % len(towns)],
                    declared_at=now,
                )  # fmt: skip
                for i in range(ENTRIES)
            ],
            batch_size=500,
        )
        versions = EntryVersion.objects.bulk_create(
            [
                EntryVersion(
                    entry=e,
                    number=1,
                    text=texts[i % 50],
                    char_count=han_count(texts[i % 50]),
                    redacted_text=texts[i % 50],
                )  # fmt: skip
                for i, e in enumerate(entries)
            ],
            batch_size=500,
        )
        for entry, version in zip(entries, versions, strict=True):
            entry.current_version = version
        Entry.objects.bulk_update(entries, ["current_version"], batch_size=500)
        decided = []
        for i, entry in enumerate(entries[: ENTRIES // 2]):
            county = next(c for c in counties if entry.author_org.is_within(c))
            decided.append(
                Recommendation(entry=entry, org=county, status=("recommended", "declined")[i % 2], reason="x")
            )
        Recommendation.objects.bulk_create(decided, batch_size=500)


def measure(runs: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from jinguo.accounts.models import User
    from jinguo.contests.models import Contest
    from jinguo.lib.scoping import scopes_disabled

    with scopes_disabled():
        contest = Contest.objects.get()
        city_admin, county_admin = User.objects.get(username="city_admin"), User.objects.get(username="county_admin")
    clients = {}
    for user in (city_admin, county_admin):
        client = Client()
        client.force_login(user, backend="jinguo.accounts.backends.ModelBackend")
        clients[user.username] = client

    def timed(who: str, url: str, n: int) -> dict:
        client = clients[who]
        for _ in range(2):
            client.get(url)
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - t)
            assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        return {"ms": round(statistics.median(samples) * 1000, 1), "queries": len(ctx.captured_queries),
                "kb": round(len(b"".join(response) if response.streaming else response.content) / 1024)}  # fmt: skip

    base = f"/contests/{contest.pk}"
    return {
        "list_first": timed("city_admin", f"{base}/entries/", runs),
        "list_last": timed("city_admin", f"{base}/entries/?page=last", runs),
        "list_filtered": timed("city_admin", f"{base}/entries/?category=&status=recommended&q=作者1", runs),
        "county_list": timed("county_admin", f"{base}/entries/", runs),
        "recommend": timed("county_admin", f"{base}/recommend/", runs),
        "recommendations": timed("city_admin", f"{base}/recommendations/", runs),
        "export": timed("city_admin", f"{base}/entries.xlsx", max(1, runs // 5)),
    }


def _pg_admin(sql: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql as pgsql

    cfg = dj_database_url.parse(PG_URL)
    conn = psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"],
                           password=cfg["PASSWORD"] or None, dbname="postgres")  # fmt: skip
    conn.autocommit = True
    with conn:
        conn.execute(pgsql.SQL(sql).format(pgsql.Identifier(cfg["NAME"])))


def run_db(db: str, runs: int) -> dict:
    if db == "sqlite":
        WORK.mkdir(parents=True, exist_ok=True)
        path = WORK / "bench.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        _pg_admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        _pg_admin("CREATE DATABASE {}")
        url = PG_URL
    try:
        cmd = [sys.executable, __file__, "--step", "all", "--db-url", url, "--runs", str(runs)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False, timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-4000:])
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        if db == "sqlite":
            (WORK / "bench.sqlite3").unlink(missing_ok=True)
        else:
            _pg_admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")


LABELS = [
    ("list_first", "主办方作品列表首页（2,000 件，每页 50）", True),
    ("list_last", "　作品列表末页", True),
    ("list_filtered", "　作品列表带筛选（已推荐 + 搜索）", True),
    ("county_list", "县级作品列表（本县 200 件）", True),
    ("recommend", "县级推荐页（本县 200 件，每页 30）", True),
    ("recommendations", "各单位推荐情况（10 个县）", True),
    ("export", "导出作品 Excel（2,000 行）", False),
]


def render(results: dict, runs: int) -> str:
    import datetime as dt

    dbs = list(results)
    lines = [
        f"- 日期 / Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} +0000; load average at the end {os.getloadavg()[0]:.1f}",
        f"- 命令 / Command: `bench/contests_entries.py --db {'all' if len(dbs) > 1 else dbs[0]} --runs {runs}` "
        f"(median of {runs} runs; the export of {max(1, runs // 5)})",
        f"- 数据 / Data: a city, {COUNTIES} counties × {TOWNSHIPS} townships, one contest of {ENTRIES:,} essays of "
        "~2,000 汉字, half of them decided by their county",
        "",
        "| 指标 / Metric | " + " | ".join(dbs) + " | 目标 / Target |",
        "|---|" + "---|" * len(dbs) + "---|",
    ]
    for key, label, targeted in LABELS:
        cells = []
        for db in dbs:
            r = results[db][key]
            ok = (" ✅" if r["ms"] < TARGET_MS else " ❌") if targeted else ""
            cells.append(f"{r['ms']} ms{ok} / {r['queries']} 次查询 / {r['kb']} KiB")
        lines.append(
            f"| {label} | " + " | ".join(cells) + f" | {'< 300 ms，查询次数不随行数增长' if targeted else ''} |"
        )
    return "\n".join(lines)


def write_doc(section: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    block = f"{BEGIN}\n\n{section}\n\n{END}"
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## 赛事作品列表 / Contest entries\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--step")
    parser.add_argument("--db-url")
    args = parser.parse_args()
    if args.step:
        _django(args.db_url)
        seed()
        print(json.dumps(measure(args.runs)))
        return
    results = {}
    for db in ["sqlite", "postgres"] if args.db == "all" else [args.db]:
        print(f"[{db}] seeding {ENTRIES} entries and measuring", flush=True)
        results[db] = run_db(db, args.runs)
    section = render(results, args.runs)
    print(section)
    if not args.no_write:
        write_doc(section)


if __name__ == "__main__":
    main()
