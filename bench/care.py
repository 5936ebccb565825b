"""Care registry at national scale: 200,000 people in the 50,000-unit tree, on SQLite and PostgreSQL.

Run: ``.venv/bin/python bench/care.py [--db sqlite|postgres|all] [--runs 20] [--no-write]``.

It builds the tree of ``bench/run.py`` (same generator and import), registers 200,000 synthetic
people in the villages (encrypted fields and keyed ID digests as the app writes them, in bulk),
100,000 help records, and measures through the Django test client: a county caseworker's list
page, a search by name and by exact ID number (counting the values decrypted), the dedup check
of a registration, the province aggregate page, and ``rotatecarekeys`` throughput. Every step runs
in its own process; scratch data in /tmp/jinguo_bench_care and the PostgreSQL database
``jinguo_bench_care`` (created and dropped). Figures go to the care section of docs/benchmarks.md.

Not a test: a slow machine fails nothing.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import json
import os
import random
import secrets
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as base  # noqa: E402 - bench/run.py: the tree generator, the process and database helpers

ROOT = base.ROOT
base.WORK = WORK = Path(os.environ.get("BENCH_WORK_DIR", "/tmp/jinguo_bench_care"))  # noqa: S108 scratch data
base.CSV_PATH = WORK / "orgs-50k.csv"
base.PG_URL = os.environ.get("BENCH_CARE_PG_URL", "postgres://postgres@127.0.0.1:5432/jinguo_bench_care")
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- BEGIN GENERATED: bench/care.py -->", "<!-- END GENERATED: bench/care.py -->"
PEOPLE, HELP = 200_000, 100_000
TARGETS = {"list_ms": 200.0, "search_ms": 200.0, "dedup_ms": 10.0, "aggregate_ms": 300.0}
COUNTY_WORKER, PROVINCE_ADMIN = "bench_county_care", "bench_province_care"
SURNAMES, GIVEN = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗龙安", "芳英兰秀梅霞燕琴敏丽娟红艳平萍玲"


def _django(db_url: str) -> None:
    os.environ["CARE_KEYS_FILE"] = str(WORK / "care-keys.json")
    os.environ.setdefault("SECRET_KEY", "bench-" + "k" * 50)
    base._django(db_url)


def _number(i: int) -> str:
    from jinguo.lib.idnumbers import make_id_number

    birth = dt.date(1950, 1, 1) + dt.timedelta(days=i % 20000)
    return make_id_number(f"52{i // 5000 % 90:04d}{birth:%Y%m%d}{i % 500 * 2:03d}")


def step_seed(args) -> dict:
    from django.db import connection, transaction

    from jinguo.accounts.models import User
    from jinguo.care import crypto
    from jinguo.care.counts import rebuild_care_counts
    from jinguo.care.models import Category, HelpRecord, Person
    from jinguo.orgs.models import Org

    rng = random.Random(2023)
    villages = list(Org.objects.filter(depth=4).values_list("pk", flat=True).order_by("path"))
    categories = list(Category.objects.all())
    province = Org.objects.get(kind="province")
    county = Org.objects.filter(kind="county").order_by("path").first()
    User.objects.create_user(COUNTY_WORKER, org=county, is_care_worker=True, full_name="县关爱工作者")
    User.objects.create_user(PROVINCE_ADMIN, org=province, is_care_worker=True, is_org_admin=True, full_name="省关爱")
    t0 = time.perf_counter()
    numbers: set[str] = set()
    batch: list[Person] = []
    through = Person.categories.through
    for i in range(PEOPLE):
        number = _number(i)
        if number in numbers:
            continue
        numbers.add(number)
        batch.append(
            Person(
                org_id=villages[i % len(villages)],
                name=rng.choice(SURNAMES) + "某" + rng.choice(GIVEN),
                id_number=number,
                id_digest=crypto.id_digest(number),
                birth_date=dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                sex="F",
                phone=f"170{i:08d}",
                needs="（基准数据）需要就业培训",
                next_followup_on=dt.date(2026, 1, 1) + dt.timedelta(days=i % 400),
            )
        )
        if len(batch) == 5000 or i == PEOPLE - 1:
            with transaction.atomic():
                made = Person.objects.bulk_create(batch)
                through.objects.bulk_create(
                    [through(person_id=p.pk, category_id=categories[p.pk % len(categories)].pk) for p in made]
                )
                helps = [
                    HelpRecord(
                        person_id=p.pk,
                        given_on=dt.date(2023, 3, 1 + p.pk % 28),
                        kind="cash",
                        amount=200 + p.pk % 5 * 100,
                        given_by="妇联",
                    )  # fmt: skip
                    for p in made[: len(made) * HELP // PEOPLE]
                ]
                HelpRecord.objects.bulk_create(helps)
            batch = []
    seed_s = round(time.perf_counter() - t0, 1)
    t1 = time.perf_counter()
    # The bulk load bypasses the services that keep the running totals: build them as the
    # migration does for existing rows (``manage.py rebuildcarecounts``).
    counts_rows = rebuild_care_counts()
    rebuild_s = round(time.perf_counter() - t1, 1)
    with connection.cursor() as cursor:
        # The planner had no statistics for the 500,000 rows just loaded and chose nested loops and
        # on-disk sorts for the province page (1.66 s); autovacuum analyses a load like this within
        # a minute in production (bench/run.py does the same after its own load).
        cursor.execute("ANALYZE")
    return {
        "people": Person.objects.count(),
        "help": HelpRecord.objects.count(),
        "seed_s": seed_s,
        "counts_rows": counts_rows,
        "rebuild_s": rebuild_s,
    }


def _client(username: str):
    from django.test import Client

    from jinguo.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username), backend="jinguo.accounts.backends.ModelBackend")
    return client


def _timed(call, runs: int, warm: int = 2) -> float:
    for _ in range(warm):
        call()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t)
    return base._median_ms(samples)


def step_pages(args) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jinguo.accounts.models import User
    from jinguo.care import crypto
    from jinguo.care.models import Person

    county = User.objects.get(username=COUNTY_WORKER).org
    in_county = Person.objects.filter(county.subtree_q("org"))
    target = in_county.order_by("pk")[len(in_county) // 2 :][:1].get()
    fragment = target.name[:1] + "某"
    calls = {"n": 0}
    real = crypto.decrypt

    def counting(*a, **k):
        calls["n"] += 1
        return real(*a, **k)

    crypto.decrypt = counting
    client = _client(COUNTY_WORKER)
    out = {"county_people": in_county.count()}
    base.wait_quiet()
    for label, call in (
        ("list", lambda: client.get("/care/")),
        ("list_last", lambda: client.get("/care/?page=last")),
        ("search_name", lambda: client.post("/care/", {"q": fragment})),
        ("search_id", lambda: client.post("/care/", {"q": target.id_number})),
    ):
        response = call()
        assert response.status_code == 200, (label, response.status_code)
        calls["n"] = 0
        with CaptureQueriesContext(connection) as ctx:
            response = call()
        out[f"{label}_decrypted"] = calls["n"]
        out[f"{label}_queries"] = len(ctx.captured_queries)
        out[f"{label}_ms"] = _timed(call, args.runs)
        if label == "search_id":
            assert f'href="/care/{target.pk}/"' in response.content.decode()
        if label == "search_name":
            out["search_name_hits"] = response.content.decode().count('data-testid="person-name"')
    province = _client(PROVINCE_ADMIN)
    out["aggregate_ms"] = _timed(lambda: province.get("/care/stats/"), args.runs)
    with CaptureQueriesContext(connection) as ctx:
        province.get("/care/stats/")
    out["aggregate_queries"] = len(ctx.captured_queries)
    return out


def step_dedup(args) -> dict:
    from jinguo.accounts.models import User
    from jinguo.care import services
    from jinguo.care.models import Person

    worker = User.objects.get(username=COUNTY_WORKER)
    existing = Person.objects.filter(worker.org.subtree_q("org")).order_by("pk").first()
    fresh = _number(PEOPLE + 123_457)
    samples_new, samples_hit = [], []
    base.wait_quiet()
    for _ in range(max(args.runs, 50)):
        t = time.perf_counter()
        services.check_duplicate(services.read_identity(fresh), by=worker)
        samples_new.append(time.perf_counter() - t)
        t = time.perf_counter()
        with contextlib.suppress(services.DuplicateInside):
            services.check_duplicate(services.read_identity(existing.id_number), by=worker)
        samples_hit.append(time.perf_counter() - t)
    return {"dedup_ms": base._median_ms(samples_new), "dedup_hit_ms": base._median_ms(samples_hit)}


def step_rotate(args) -> dict:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    base.wait_quiet()
    t = time.perf_counter()
    call_command("rotatecarekeys", "--new-key", stdout=out)
    seconds = time.perf_counter() - t
    values = int(out.getvalue().split("re-encrypted ")[1].split()[0])
    return {"rotate_values": values, "rotate_s": round(seconds, 1), "rotate_per_s": round(values / seconds)}


STEPS = {
    "info": base.step_info,
    "migrate": base.step_migrate,
    "import": base.step_import,
    "seed": step_seed,
    "pages": step_pages,
    "dedup": step_dedup,
    "rotate": step_rotate,
}


def run_step(step: str, db_url: str, runs: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--db-url", db_url, "--runs", str(runs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False, timeout=3600)  # noqa: S603
    if proc.returncode != 0:
        raise RuntimeError(f"step {step} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_database(db: str, runs: int) -> dict:
    url = base.prepare(db)
    keys = WORK / "care-keys.json"
    keys.unlink(missing_ok=True)
    fresh = [base64.b64encode(secrets.token_bytes(32)).decode() for _ in range(2)]
    keys.write_text(json.dumps({"current": "k1", "keys": {"k1": fresh[0]}, "hmac": fresh[1]}))
    keys.chmod(0o600)
    figures: dict = {}
    try:
        for step in ("info", "migrate", "import", "seed", "pages", "dedup", "rotate"):
            t = time.perf_counter()
            out = run_step(step, url, runs)
            figures.update(out)
            print(f"[{db}] {step:8s} {time.perf_counter() - t:6.1f} s  {out}", flush=True)
    finally:
        base.cleanup(db)
    return figures


def _ok(value: float, key: str) -> str:
    return "✅" if value < TARGETS[key] else "❌"


def render(results: dict, runs: int, command: str) -> str:
    m = base.machine()
    now = dt.datetime.now().astimezone()
    lines = [
        BEGIN,
        "",
        f"- 日期 / Date: {now:%Y-%m-%d %H:%M %z}; 机器 / Machine: nproc={m['nproc']}, {m['cpu']}, Python {m['python']}, load at the end {m['load']}",
        f"- 命令 / Command: `{command}` (median of {runs} runs; wall clock through the test client)",
        f"- 数据 / Data: the 50,000-unit tree of bench/run.py; {PEOPLE:,} people in its villages (ID number, phone and "
        f"needs encrypted, keyed ID digest), one category each, {HELP:,} help records; the county caseworker's subtree holds "
        "the people below one county.",
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
                cells.append(r.get("error", "—"))
        lines.append("| " + " | ".join([label, *cells, target]) + " |")

    row(
        "载入 20 万人（批量写入，含加密与摘要）",
        lambda r: f"{r['seed_s']} s ({r['people']:,} 人，{r['help']:,} 条帮扶)",
    )
    row(
        "　重算在册人数汇总（rebuildcarecounts，迁移同此）",
        lambda r: f"{r['rebuild_s']} s（{r['counts_rows']:,} 行）",
    )
    row(
        "县关爱工作者：名单首页（每页 20）",
        lambda r: (
            f"{r['list_ms']} ms {_ok(r['list_ms'], 'list_ms')} / 解密 {r['list_decrypted']} 个值 / {r['list_queries']} 次查询（县内 {r['county_people']:,} 人）"
        ),
        "< 200 ms",
    )
    row("　名单末页", lambda r: f"{r['list_last_ms']} ms / 解密 {r['list_last_decrypted']}")
    row(
        "按姓名查找（POST）",
        lambda r: (
            f"{r['search_name_ms']} ms {_ok(r['search_name_ms'], 'search_ms')} / {r['search_name_hits']} 条 / 解密 {r['search_name_decrypted']}"
        ),
        "< 200 ms",
    )
    row(
        "按完整身份证号查找（HMAC 摘要）",
        lambda r: f"{r['search_id_ms']} ms {_ok(r['search_id_ms'], 'search_ms')} / 解密 {r['search_id_decrypted']}",
        "< 200 ms",
    )
    row(
        "登记查重（新号码：校验 + HMAC + 唯一索引）",
        lambda r: f"{r['dedup_ms']} ms {_ok(r['dedup_ms'], 'dedup_ms')}",
        "< 10 ms",
    )
    row("　查重命中（本辖区，含写查阅记录）", lambda r: f"{r['dedup_hit_ms']} ms")
    row(
        "全省汇总页（省关爱管理员，20 万人）",
        lambda r: f"{r['aggregate_ms']} ms {_ok(r['aggregate_ms'], 'aggregate_ms')} / {r['aggregate_queries']} 次查询",
        "< 300 ms",
    )
    row(
        "密钥轮换 rotatecarekeys",
        lambda r: f"{r['rotate_values']:,} 个值 {r['rotate_s']} s = {r['rotate_per_s']:,} 个/秒",
    )
    lines += ["", END]
    return "\n".join(lines)


def write_doc(section: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = (
            text.rstrip()
            + "\n\n## 关爱名册 / Care registry\n\nWritten by `bench/care.py`; it rewrites only the section between its markers.\n\n"
            + section
            + "\n"
        )
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="Care registry benchmarks at 200,000 people")
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-write", action="store_true")
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
    base.write_tree_csv(base.CSV_PATH)
    results = {}
    for db in ("sqlite", "postgres") if args.db == "all" else (args.db,):
        try:
            results[db] = bench_database(db, args.runs)
        except Exception as exc:  # one database down must not lose the other's figures
            print(f"[{db}] FAILED: {exc}", file=sys.stderr, flush=True)
            results[db] = {"error": f"失败：{str(exc).splitlines()[0][:80]}"}
    command = "bench/care.py " + " ".join(sys.argv[1:]) if len(sys.argv) > 1 else "bench/care.py"
    section = render(results, args.runs, command)
    print(section)
    if not args.no_write:
        write_doc(section)


if __name__ == "__main__":
    main()
