"""Benchmarks at national scale: a 50,000-unit tree, a 2,790-target campaign, on SQLite and PostgreSQL.

Run: ``make bench`` or ``.venv/bin/python bench/run.py [--db sqlite|postgres|all] [--runs 20] [--no-write]``.

For each database it generates the tree as an import CSV (``code,name,parent_code,kind``), imports it
with ``jinguo.orgs.importing.import_orgs``, seeds a province campaign to every county and township
with receipts and plans in mixed states, and measures the matrix page, a subtree permission check
and a one-query subtree count. Every step runs in its own subprocess, so settings and connections
start clean. Scratch data lives in /tmp/jinguo_bench (SQLite) and in the PostgreSQL database
``jinguo_bench`` (created and dropped here; ``BENCH_PG_URL`` overrides). The figures are written
into the generated section of docs/benchmarks.md.

Not a test: it asserts correctness of what it measures, but a slow machine does not fail anything.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("BENCH_WORK_DIR", "/tmp/jinguo_bench"))  # noqa: S108 scratch data by design
CSV_PATH = WORK / "orgs-50k.csv"
DOC = ROOT / "docs" / "benchmarks.md"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/jinguo_bench")
BEGIN, END = "<!-- BEGIN GENERATED: bench/run.py -->", "<!-- END GENERATED: bench/run.py -->"

# The tree: 1 province → 9 cities → 90 counties → 2,700 townships → 47,200 villages = 50,000 units.
CITIES, COUNTIES_PER_CITY, TOWNSHIPS_PER_COUNTY, TOTAL_UNITS = 9, 10, 30, 50_000
TARGETS = {"import_s": 15.0, "matrix_ms": 300.0, "perm_us": 2000.0}
PROVINCE_ADMIN = "bench_province_admin"


# --- the generator -------------------------------------------------------------------------------


def tree_rows() -> list[tuple[str, str, str, str]]:
    """(code, name, parent_code, kind) rows with 12-digit statistical-style codes, parents first.

    Kinds are written as federations write them (省妇联, 区妇联, 街道妇联 …), not as our labels."""
    rows = [("520000000000", "黔中省妇联", "", "省妇联")]
    townships: list[str] = []
    for c in range(1, CITIES + 1):
        city = f"52{c:02d}00000000"
        rows.append((city, f"第{c}市妇联", rows[0][0], "市妇联"))
        for k in range(1, COUNTIES_PER_CITY + 1):
            county = f"52{c:02d}{k:02d}000000"
            rows.append((county, f"第{c}市第{k}县妇联", city, ("县妇联", "区妇联")[k % 2]))
            for t in range(1, TOWNSHIPS_PER_COUNTY + 1):
                township = f"52{c:02d}{k:02d}{t:03d}000"
                rows.append((township, f"第{c}{k:02d}县第{t}镇妇联", county, ("镇妇联", "街道妇联", "乡妇联")[t % 3]))
                townships.append(township)
    villages = TOTAL_UNITS - len(rows)
    per, extra = divmod(villages, len(townships))
    for i, township in enumerate(townships):
        for v in range(1, per + (1 if i < extra else 0) + 1):
            rows.append(
                (f"{township[:9]}{v:03d}", f"{township[4:9]}镇第{v}村妇联", township, ("村妇联", "社区妇联")[v % 2])
            )
    return rows


def write_tree_csv(path: Path) -> int:
    rows = tree_rows()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "name", "parent_code", "kind"])
        writer.writerows(rows)
    return len(rows)


# --- steps, each in its own process --------------------------------------------------------------


def _django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "jinguo.settings"
    os.environ.setdefault("JINGUO_VAR_DIR", str(WORK / "var"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _median_ms(samples_s: list[float]) -> float:
    return round(statistics.median(samples_s) * 1000, 1)


def wait_quiet(max_wait_s: float = 180) -> float:
    """Wait (bounded) until the machine is not busy with other work; return the 1-minute load then.

    Other processes on a 2-core machine can multiply wall-clock times; the report shows the load.
    """
    limit = (os.cpu_count() or 1) * 0.75
    deadline = time.monotonic() + max_wait_s
    while os.getloadavg()[0] > limit and time.monotonic() < deadline:
        time.sleep(5)
    return round(os.getloadavg()[0], 1)


def step_migrate(args) -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return {}


def step_import(args) -> dict:
    from jinguo.lib.excel import read_table
    from jinguo.lib.scoping import scopes_disabled
    from jinguo.orgs.importing import import_orgs
    from jinguo.orgs.models import Org

    data = CSV_PATH.read_bytes()
    load = wait_quiet()
    t0 = time.perf_counter()
    rows = read_table(data, CSV_PATH.name)
    t1 = time.perf_counter()
    with scopes_disabled():
        result = import_orgs(rows, dry_run=False)
    t2 = time.perf_counter()
    if not result.ok or not result.written:
        raise SystemExit(f"import failed: {result.errors[:5]}")
    units = Org.objects.count()
    if units != len(rows):
        raise SystemExit(f"imported {units} units, expected {len(rows)}")
    return {
        "units": units,
        "parse_s": round(t1 - t0, 2),
        "import_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
        "import_load": load,
    }


def step_seed(args) -> dict:
    """A province campaign to every county and township: receipts and plans in mixed states."""
    from django.db import connection
    from django.utils import timezone

    from jinguo.accounts.models import User
    from jinguo.campaigns.models import Campaign, CampaignTarget, Plan
    from jinguo.lib.scoping import scopes_disabled
    from jinguo.orgs.models import Org

    rng = random.Random(20230308)
    now = timezone.now()
    with scopes_disabled():
        province = Org.objects.get(kind="province")
        admin = User.objects.create_user(
            PROVINCE_ADMIN, password="bench-pw-2026", org=province, is_org_admin=True, full_name="省妇联管理员"
        )
        liaison = User.objects.create_user("bench_liaison", org=province, is_liaison=True, full_name="联络员")
        fields = {
            "theme": "巾帼心向党 奋进新征程",
            "starts_on": dt.date(2023, 2, 20),
            "ends_on": dt.date(2023, 3, 31),
            "plan_deadline": now - dt.timedelta(days=1),
            "status": Campaign.Status.PUBLISHED,
            "published_at": now - dt.timedelta(days=10),
            "published_by": admin,
            "created_by": admin,
        }
        campaign = Campaign.objects.create(issuer=province, title="三八国际妇女节系列活动", **fields)
        orgs = list(Org.objects.filter(kind__in=["county", "township"]).order_by("path"))
        targets = []
        for org in orgs:
            signed = rng.random() < 0.8
            targets.append(
                CampaignTarget(
                    campaign=campaign,
                    org=org,
                    signed_at=now - dt.timedelta(hours=rng.randint(1, 200)) if signed else None,
                    signed_by=liaison if signed else None,
                )
            )
        CampaignTarget.objects.bulk_create(targets, batch_size=1000)
        states = [None, Plan.Status.DRAFT, Plan.Status.SUBMITTED, Plan.Status.APPROVED, Plan.Status.RETURNED]
        weights = [20, 10, 30, 30, 10]
        plans = []
        for target in CampaignTarget.objects.filter(campaign=campaign):
            status = rng.choices(states, weights)[0]
            if status is not None:
                filed = status != Plan.Status.DRAFT
                plans.append(
                    Plan(
                        target=target,
                        status=status,
                        version=1 if filed else 0,
                        submitted_at=now - dt.timedelta(hours=rng.randint(1, 100)) if filed else None,
                    )
                )
        Plan.objects.bulk_create(plans, batch_size=1000)
        # A third of the counties re-issue the notice to their townships (drill-down links).
        for county in [o for o in orgs if o.kind == "county"][::3]:
            Campaign.objects.create(issuer=county, parent=campaign, title="转发：三八国际妇女节系列活动", **fields)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum / a nightly PRAGMA optimize would have done
    return {"campaign": campaign.pk, "targets": len(targets), "plans": len(plans)}


def step_matrix(args) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from jinguo.accounts.models import User
    from jinguo.campaigns.models import Campaign
    from jinguo.lib.scoping import scopes_disabled

    with scopes_disabled():
        campaign = Campaign.objects.get(parent__isnull=True, issuer__kind="province")
        targets = campaign.targets.count()
    client = Client()
    client.force_login(User.objects.get(username=PROVINCE_ADMIN), backend="jinguo.accounts.backends.ModelBackend")
    url = reverse("dashboard:matrix", args=[campaign.pk])
    export_url = reverse("dashboard:matrix_export", args=[campaign.pk])

    cpu: dict[str, float] = {}

    def timed(u: str, runs: int, warm: int = 2) -> tuple[float, int, int]:
        for _ in range(warm):
            client.get(u)  # warm: templates compiled, connection open
        samples, cpu_samples = [], []
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            response = client.get(u)
            samples.append(time.perf_counter() - t)
            cpu_samples.append(time.process_time() - c)
            assert response.status_code == 200, response.status_code
        cpu["min"], cpu["cpu"] = _median_ms([min(samples)]), _median_ms(cpu_samples)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(u)
        return _median_ms(samples), len(ctx.captured_queries), len(response.content)

    load = wait_quiet()
    page_ms, page_queries, page_bytes = timed(url, args.runs)
    page_min_ms, page_cpu_ms = cpu["min"], cpu["cpu"]
    last_ms, _, _ = timed(url + "?page=last", args.runs)
    filtered_ms, filtered_queries, _ = timed(url + "?overdue=yes&kind=township&q=镇", args.runs)
    # One timed export is enough for a figure of a few seconds (it took minutes before a3fc887).
    export_ms, export_queries, export_bytes = timed(export_url, 1, warm=0)
    return {
        "targets": targets,
        "matrix_ms": page_ms,
        "matrix_min_ms": page_min_ms,
        "matrix_cpu_ms": page_cpu_ms,
        "matrix_load": load,
        "matrix_queries": page_queries,
        "matrix_kb": round(page_bytes / 1024),
        "matrix_last_page_ms": last_ms,
        "matrix_filtered_ms": filtered_ms,
        "matrix_filtered_queries": filtered_queries,
        "export_ms": export_ms,
        "export_queries": export_queries,
        "export_kb": round(export_bytes / 1024),
    }


def step_perm(args) -> dict:
    from jinguo.accounts.models import User
    from jinguo.accounts.rules import has_perm
    from jinguo.campaigns.rules import PLAN_REVIEW
    from jinguo.lib.scoping import scope, scopes_disabled
    from jinguo.orgs.models import Org

    user = User.objects.select_related("org").get(username=PROVINCE_ADMIN)
    with scopes_disabled():
        village = Org.objects.filter(kind="village").order_by("-path").first()
        city = Org.objects.filter(kind="city").order_by("path").first()
    city_user = User(username="bench_city", org=city, is_org_admin=True, is_active=True)
    # Correctness first: allowed inside the subtree, refused outside it.
    assert has_perm(user, PLAN_REVIEW, at=village)
    assert not has_perm(city_user, PLAN_REVIEW, at=village)
    wait_quiet()

    samples = []
    for _ in range(20_000):
        t = time.perf_counter_ns()
        has_perm(user, PLAN_REVIEW, at=village)
        samples.append(time.perf_counter_ns() - t)
    loaded = []
    with scope(org=user.org):
        for _ in range(500):
            t = time.perf_counter_ns()
            unit = Org.objects.get(pk=village.pk)
            has_perm(user, PLAN_REVIEW, at=unit)
            loaded.append(time.perf_counter_ns() - t)
    return {
        "perm_us": round(statistics.median(samples) / 1000, 2),
        "perm_with_load_us": round(statistics.median(loaded) / 1000, 1),
        "village_depth": village.depth,
    }


def step_subtree(args) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jinguo.lib.scoping import scopes_disabled
    from jinguo.orgs.models import Org

    with scopes_disabled():
        province = Org.objects.get(kind="province")
        county = Org.objects.filter(kind="county").order_by("path").first()
    out = {}
    wait_quiet()
    for label, org in (("province", province), ("county", county)):
        qs = Org.objects.filter(org.subtree_q())
        qs.count()
        samples = []
        for _ in range(args.runs):
            t = time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                n = qs.count()
            samples.append(time.perf_counter() - t)
            assert len(ctx.captured_queries) == 1
        out[f"subtree_{label}_units"] = n
        out[f"subtree_{label}_ms"] = _median_ms(samples)
    return out


def step_info(args) -> dict:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = "PostgreSQL " + cursor.fetchone()[0].split()[0]
        else:
            cursor.execute("select sqlite_version()")
            version = "SQLite " + cursor.fetchone()[0]
    return {"server": version, "django": django.get_version()}


STEPS = {
    "info": step_info,
    "migrate": step_migrate,
    "import": step_import,
    "seed": step_seed,
    "matrix": step_matrix,
    "perm": step_perm,
    "subtree": step_subtree,
}


def run_step(step: str, db_url: str, runs: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--db-url", db_url, "--runs", str(runs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"step {step} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- databases -----------------------------------------------------------------------------------


def _pg_admin(sql: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql as pgsql

    cfg = dj_database_url.parse(PG_URL)
    conn = psycopg.connect(
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn:
        conn.execute(pgsql.SQL(sql).format(pgsql.Identifier(cfg["NAME"])))


def prepare(db: str) -> str:
    if db == "sqlite":
        path = WORK / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    _pg_admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")
    _pg_admin("CREATE DATABASE {}")
    return PG_URL


def cleanup(db: str) -> None:
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{WORK / 'bench.sqlite3'}{suffix}").unlink(missing_ok=True)
    else:
        _pg_admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")


def bench_database(db: str, runs: int) -> dict:
    print(f"[{db}] preparing database", flush=True)
    url = prepare(db)
    figures: dict = {}
    try:
        for step in ("info", "migrate", "import", "seed", "matrix", "perm", "subtree"):
            t = time.perf_counter()
            out = run_step(step, url, runs)
            figures.update(out)
            print(f"[{db}] {step:8s} {time.perf_counter() - t:6.1f} s  {out}", flush=True)
    finally:
        cleanup(db)
    return figures


# --- the report ----------------------------------------------------------------------------------


def machine() -> dict:
    mem_kb = 0
    model = platform.processor() or platform.machine()
    try:
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        mem_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        model = next(line for line in cpuinfo if line.startswith("model name")).split(":", 1)[1].strip()
    except (OSError, StopIteration):
        pass
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu": model,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def _ok(value: float, target: float) -> str:
    return "✅ 达标" if value < target else "❌ 未达标"


def render(results: dict, runs: int, command: str) -> str:
    m = machine()
    now = dt.datetime.now().astimezone()
    lines = [
        BEGIN,
        "",
        f"- 日期 / Date: {now:%Y-%m-%d %H:%M %z}",
        f"- 机器 / Machine: nproc={m['nproc']}, RAM {m['ram_gib']} GiB, {m['cpu']}, {m['os']}, Python {m['python']}; "
        f"load average at the end {m['load']} (other work on the machine inflates the times)",
        f"- 命令 / Command: `{command}` (median of {runs} runs unless noted)",
        "- 数据 / Data: 1 province → 9 cities → 90 counties → 2,700 townships → 47,200 villages = 50,000 units "
        "(CSV `code,name,parent_code,kind`); a province campaign to all 2,790 county and township units, "
        "~80 % signed, plans 20 % none / 10 % draft / 30 % submitted / 30 % approved / 10 % returned, deadline passed.",
        "",
    ]
    header = ["指标 / Metric", *[f"{db} ({r.get('server', db)})" for db, r in results.items()], "目标 / Target"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    def row(label: str, fmt, target: str = "") -> None:
        cells = []
        for r in results.values():
            try:
                cells.append(fmt(r))
            except (KeyError, TypeError):
                cells.append(r.get("error", "—") if "error" in r else "—")
        lines.append("| " + " | ".join([label, *cells, target]) + " |")

    row(
        "导入 50,000 个单位（读 CSV + import_orgs）",
        lambda r: f"{r['total_s']} s {_ok(r['total_s'], 15)}（负载 {r['import_load']}）",
        "< 15 s",
    )
    row("　其中读取 CSV (read_table)", lambda r: f"{r['parse_s']} s")
    row("　其中 import_orgs(dry_run=False)", lambda r: f"{r['import_s']} s")
    row(
        "督导矩阵首页（省管理员，2,790 行，每页 100）",
        lambda r: f"{r['matrix_ms']} ms {_ok(r['matrix_ms'], 300)}",
        "< 300 ms",
    )
    row(
        "　最快一次 / 本进程 CPU 中位数 / 开始时 1 分钟负载",
        lambda r: f"{r['matrix_min_ms']} ms / {r['matrix_cpu_ms']} ms / {r['matrix_load']}",
    )
    row("　矩阵页查询次数", lambda r: f"{r['matrix_queries']} 次", "常数")
    row("　矩阵页大小", lambda r: f"{r['matrix_kb']} KiB")
    row("　矩阵末页", lambda r: f"{r['matrix_last_page_ms']} ms")
    row(
        "　矩阵带筛选（逾期+类型+名称）",
        lambda r: f"{r['matrix_filtered_ms']} ms / {r['matrix_filtered_queries']} 次查询",
    )
    row(
        "　导出 Excel（全部 2,790 行，单次）",
        lambda r: f"{r['export_ms']} ms / {r['export_queries']} 次查询 / {r['export_kb']} KiB",
    )
    row(
        "权限检查 has_perm（村级单位，字符串比较）",
        lambda r: f"{r['perm_us']} µs {_ok(r['perm_us'], 2000)}",
        "< 2 ms",
    )
    row("　含按范围加载该村（Org.objects.get + has_perm）", lambda r: f"{r['perm_with_load_us']} µs")
    row("子树计数：全省 50,000（一次查询）", lambda r: f"{r['subtree_province_ms']} ms ({r['subtree_province_units']})")
    row("子树计数：一个县（一次查询）", lambda r: f"{r['subtree_county_ms']} ms ({r['subtree_county_units']})")
    lines += ["", END]
    return "\n".join(lines)


INTRO = """# 性能基准 / Benchmarks

Figures written by `bench/run.py` (`make bench`). It is not a test: it builds a national-scale tree
on SQLite and PostgreSQL, measures, and rewrites the section between the markers below. Each
measurement runs in its own subprocess against a scratch database that is created and dropped.
Times are wall-clock medians through the Django test client (middleware, scoping, template
rendering included; no network, no browser).

"""


def write_doc(section: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else INTRO + BEGIN + "\n" + END + "\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="Jinguo benchmarks at 50,000 units")
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="print the figures, leave docs/benchmarks.md alone")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.step:
        _django(args.db_url)
        from jinguo.lib.scoping import scopes_disabled

        with scopes_disabled():  # a benchmark builds and reads a whole province; its requests set their own scope
            print(json.dumps(STEPS[args.step](args), ensure_ascii=False))
        return

    WORK.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    units = write_tree_csv(CSV_PATH)
    print(f"generated {units} units into {CSV_PATH} in {time.perf_counter() - t:.1f} s", flush=True)
    results = {}
    for db in ("sqlite", "postgres") if args.db == "all" else (args.db,):
        try:
            results[db] = bench_database(db, args.runs)
        except Exception as exc:  # one database down must not lose the other's figures
            print(f"[{db}] FAILED: {exc}", file=sys.stderr, flush=True)
            results[db] = {"error": f"失败：{str(exc).splitlines()[0][:80]}"}
    command = "bench/run.py " + " ".join(sys.argv[1:]) if len(sys.argv) > 1 else "make bench"
    section = render(results, args.runs, command)
    print(section)
    if not args.no_write:
        write_doc(section)
        print(f"written to {DOC.relative_to(ROOT)}")
    shutil.rmtree(WORK / "var", ignore_errors=True)


if __name__ == "__main__":
    main()
