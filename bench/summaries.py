"""Benchmark of the province-level campaign summary at national scale.

Run: ``.venv/bin/python bench/summaries.py [--db sqlite|postgres|all] [--runs 5] [--no-write]``.

Reuses bench/run.py's 50,000-unit tree, import and province campaign and bench/dashboard.py's
1,000,000 ledger entries, 50,000 reports and 20,000 needs (with the rollups rebuilt), then times,
for the province unit (its whole tree) and inside its scope as a request would be:

- the draft: every section's figures and text plus the appendix (``drafting.draft`` +
  ``drafting.appendix``, all reads) — and, once, the ``draft_summary`` service that also writes it;
- the .docx and the PDF of the drafted summary (``documents.summary_document`` rendered by
  ``jinguo.lib.gongwen``).

Scratch data lives in /tmp/jinguo_bench_summaries and the PostgreSQL database
``jinguo_bench_summaries`` (``BENCH_SUMMARIES_PG_URL`` overrides), created and dropped here. The
figures go into the ``bench/summaries`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("BENCH_WORK_DIR", "/tmp/jinguo_bench_summaries")  # noqa: S108 scratch data by design
os.environ["BENCH_DASHBOARD_PG_URL"] = os.environ.get(
    "BENCH_SUMMARIES_PG_URL", "postgres://postgres@127.0.0.1:5432/jinguo_bench_summaries"
)
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dashboard as ledger_bench  # noqa: E402 - bench/dashboard.py (and through it bench/run.py), configured above

base = ledger_bench.base
ROOT = base.ROOT
BEGIN, END = "<!-- BEGIN GENERATED: bench/summaries -->", "<!-- END GENERATED: bench/summaries -->"
TARGETS_S = {"draft": 2.0, "docx": 3.0, "pdf": 10.0}


def step_summary(args) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jinguo.accounts.models import User
    from jinguo.activities.models import ActivityBreakdownRollup
    from jinguo.campaigns.models import Campaign
    from jinguo.dashboard import selectors as dashboard
    from jinguo.lib import gongwen
    from jinguo.lib.scoping import scope
    from jinguo.orgs.models import Org
    from jinguo.summaries import documents, drafting, services

    campaign = Campaign.objects.get(parent__isnull=True, issuer__kind="province")
    province = Org.objects.get(kind="province")
    user = User.objects.select_related("org").get(username=base.PROVINCE_ADMIN)

    def timed(fn, runs: int) -> tuple[float, float, object]:
        result = fn()  # warm: first query plans, templates, fonts
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            result = fn()
            samples.append(time.perf_counter() - t)
        return round(sorted(samples)[len(samples) // 2], 3), round(min(samples), 3), result

    def draft_all():
        ctx, sections = drafting.draft(campaign, province)
        return ctx, sections, drafting.appendix(ctx)

    with scope(org=province):
        base.wait_quiet()
        draft_s, draft_min, (ctx, sections, table) = timed(draft_all, args.runs)
        with CaptureQueriesContext(connection) as queries:
            draft_all()
        # Correctness outside the timing: the lines add up to the board's events.
        lines = next(s for s in sections if s.key == "lines").paragraphs
        assert sum(p.figures["events"] for p in lines) == ctx.board.total.events
        # … and the breakdown read from its running total equals the raw ledger grouped on the spot
        # (what board_breakdown did before ActivityBreakdownRollup), timed once for the comparison.
        t = time.perf_counter()
        raw = _raw_breakdown(family=ctx.family, unit=province)
        raw_s = round(time.perf_counter() - t, 3)
        got = dashboard.board_breakdown(family=ctx.family, unit=province)
        assert sorted(map(_row_key, got)) == sorted(map(_row_key, raw)), "breakdown differs from the ledger"
        t = time.perf_counter()
        summary = services.draft_summary(campaign, unit=province, by=user)
        service_s = round(time.perf_counter() - t, 3)
        document = documents.summary_document(summary)
        docx_s, docx_min, docx = timed(lambda: gongwen.render_docx(documents.summary_document(summary)), args.runs)
        pdf_runs = max(1, min(args.runs, 3))
        pdf_s, pdf_min, pdf = timed(lambda: gongwen.render_pdf(documents.summary_document(summary)), pdf_runs)
    return {
        "draft_s": draft_s, "draft_min_s": draft_min, "draft_queries": len(queries.captured_queries),
        "service_s": service_s, "raw_breakdown_s": raw_s, "breakdown_groups": len(got),
        "breakdown_rows": ActivityBreakdownRollup.objects.count(), "events": ctx.board.total.events, "participants": ctx.board.total.participants,
        "sections": len(sections), "paragraphs": sum(len(s.paragraphs) for s in sections),
        "appendix_rows": len(table["rows"]), "blocks": len(document.body),
        "docx_s": docx_s, "docx_min_s": docx_min, "docx_kib": round(len(docx) / 1024),
        "pdf_s": pdf_s, "pdf_min_s": pdf_min, "pdf_kib": round(len(pdf) / 1024), "pdf_runs": pdf_runs,
    }  # fmt: skip


def _row_key(r: dict) -> tuple:
    return tuple(r[k] for k in ("line", "venue_type", "format", "speaker_type", "events", "participants", "women"))


def _raw_breakdown(*, family: list[int], unit) -> list[dict]:
    """The breakdown grouped from the raw ledger, lines merged by title (the reference)."""
    from django.db.models import Count, Sum

    from jinguo.campaigns.models import ActivityLine
    from jinguo.dashboard.selectors import board_activities

    rows = list(
        board_activities(family=family, unit=unit)
        .order_by()
        .values("line_id", "venue_type", "format", "speaker_type")
        .annotate(events=Count("pk"), participants=Sum("participants_total"), women=Sum("participants_women"))
    )
    titles = dict(ActivityLine.objects.filter(pk__in={r["line_id"] for r in rows}).values_list("pk", "title"))
    groups: dict[tuple, dict] = {}
    for r in rows:
        key = (titles.get(r["line_id"], ""), r["venue_type"], r["format"], r["speaker_type"])
        g = groups.setdefault(key, dict(zip(("line", "venue_type", "format", "speaker_type"), key, strict=True)))
        for name in ("events", "participants", "women"):
            g[name] = g.get(name, 0) + (r[name] or 0)
    return list(groups.values())


STEPS = {
    "info": base.step_info,
    "migrate": base.step_migrate,
    "import": base.step_import,
    "seed": base.step_seed,
    "ledger": ledger_bench.step_ledger,
    "summary": step_summary,
}


def run_step(step: str, db_url: str, runs: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--db-url", db_url, "--runs", str(runs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False, timeout=3600)  # noqa: S603
    if proc.returncode != 0:
        raise RuntimeError(f"step {step} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_database(db: str, runs: int, *, keep: bool = False, reuse: bool = False) -> dict:
    """``keep`` leaves the loaded database in place; ``reuse`` measures a database kept earlier."""
    url = (
        base.prepare(db)
        if not reuse
        else (base.PG_URL if db == "postgres" else f"sqlite:///{base.WORK / 'bench.sqlite3'}")
    )
    steps = ("info", "summary") if reuse else ("info", "migrate", "import", "seed", "ledger", "summary")
    figures: dict = {}
    try:
        for step in steps:
            t = time.perf_counter()
            out = run_step(step, url, runs)
            figures.update(out)
            print(f"[{db}] {step:8s} {time.perf_counter() - t:6.1f} s  {out}", flush=True)
    finally:
        if not keep:
            base.cleanup(db)
    return figures


def render(results: dict, runs: int, command: str) -> str:
    m = base.machine()
    now = dt.datetime.now().astimezone()
    lines = [
        BEGIN,
        "",
        "全省活动总结（`bench/summaries.py`）：起草、Word、PDF。",
        "",
        f"- 日期 / Date: {now:%Y-%m-%d %H:%M %z}",
        f"- 机器 / Machine: nproc={m['nproc']}, RAM {m['ram_gib']} GiB, {m['cpu']}, {m['os']}, Python {m['python']}; "
        f"load average at the end {m['load']}",
        f"- 命令 / Command: `{command}` (median of {runs} runs, PDF of at most 3; fastest run beside it)",
        "- 数据 / Data: bench/dashboard.py's data — the 50,000-unit tree, the province campaign with its re-issues, "
        f"{ledger_bench.ACTIVITIES:,} ledger entries, {ledger_bench.REPORTS:,} reports, {ledger_bench.NEEDS:,} needs; "
        "the summary is the province unit's (its whole tree), read inside its scope as a request would be.",
        "",
    ]
    header = ["指标 / Metric", *[f"{db} ({r.get('server', db)})" for db, r in results.items()], "目标 / Target"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    def row(label: str, fmt, target: str = "") -> None:
        cells = []
        for _db, r in results.items():
            try:
                cells.append(fmt(r))
            except (KeyError, TypeError):
                cells.append(r.get("error", "—"))
        lines.append("| " + " | ".join([label, *cells, target]) + " |")

    def timing(key: str):
        return lambda r: f"{r[key + '_s']} s（最快 {r[key + '_min_s']} s）{base._ok(r[key + '_s'], TARGETS_S[key])}"

    row("起草（全部数字和文字 + 附表，只读）", timing("draft"), "< 2 s")
    row("　查询次数", lambda r: f"{r['draft_queries']} 次")
    row("　draft_summary 服务（起草并保存，一次）", lambda r: f"{r['service_s']} s")
    row(
        "　按类别、场所、形式、宣讲人分组：读汇总表 / 直接分组台账（对照，一次）",
        lambda r: (
            f"汇总表 {r['breakdown_rows']:,} 行，{r['breakdown_groups']} 组；直接分组台账 {r['raw_breakdown_s']} s"
        ),
    )
    row(
        "　内容",
        lambda r: (
            f"{r['sections']} 部分 / {r['paragraphs']} 段 / 附表 {r['appendix_rows']} 行；"
            f"活动 {r['events']:,} 场次、{r['participants']:,} 人次"
        ),
    )
    row("Word（.docx）", lambda r: timing("docx")(r) + f"，{r['docx_kib']} KiB", "< 3 s")
    row("PDF", lambda r: timing("pdf")(r) + f"，{r['pdf_kib']} KiB", "< 10 s")
    lines += ["", *ANALYSIS, "", END]
    return "\n".join(lines)


# What the figures say; kept with the generator so that a re-run keeps it beside the numbers.
ANALYSIS = [
    "分析 / Analysis: every figure of the draft now comes from running totals. The per-activity-line and",
    "per-speaker-type figures (`dashboard.selectors.board_breakdown`) read `ActivityBreakdownRollup` (per campaign,",
    "unit, line, venue, format, speaker type; jinguo/activities/rollups.py keeps it through the same `_apply` /",
    "move / `_rebuild` list as the board's two totals, and migration activities 0006 builds it from the ledger)",
    "for the selected unit only, instead of grouping ~850,000 ledger rows: the province's draft went from 3.1 s",
    "(SQLite) / 0.70 s (PostgreSQL) to the figures above. The ledger grouped on the spot, timed once beside it,",
    "is the 'before'; the bench asserts outside the timing that both give the same groups. Caveat: this bench's",
    "ledger has no activity lines and no speaker types (bench/dashboard.py's generator; the province campaign",
    "has no lines), so the breakdown table has as many rows as `ActivityRollup`; a real ledger with lines and",
    "speakers has more rows per unit (at most lines x speakers times as many), read by the (org, campaign)",
    "index for one unit. The full rebuild (`rebuild_activity_rollups`, bench/dashboard.py's ledger step, a one-off)",
    "now writes three tables: 376 s on SQLite while the test suite ran beside it / 161 s on PostgreSQL",
    "(2026-12-06 18:45-18:59; 103 / 108 s for two tables before). The .docx and the PDF are far inside their targets.",
]


def write_doc(section: str) -> None:
    text = base.DOC.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## 活动总结 / Summaries\n\n" + section + "\n"
    base.DOC.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="Jinguo campaign summary benchmark at 50,000 units")
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print the figures, leave docs/benchmarks.md alone")
    parser.add_argument("--keep", action="store_true", help="keep the loaded scratch database for --reuse")
    parser.add_argument("--reuse", action="store_true", help="measure a database left by --keep (no reload)")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.step:
        base._django(args.db_url)
        from jinguo.lib.scoping import scopes_disabled

        with scopes_disabled():  # a benchmark loads a whole province; what it times sets its own scope
            print(json.dumps(STEPS[args.step](args), ensure_ascii=False))
        return

    base.WORK.mkdir(parents=True, exist_ok=True)
    base.write_tree_csv(base.CSV_PATH)
    results = {}
    for db in ("sqlite", "postgres") if args.db == "all" else (args.db,):
        try:
            results[db] = bench_database(db, args.runs, keep=args.keep, reuse=args.reuse)
        except Exception as exc:  # one database down must not lose the other's figures
            print(f"[{db}] FAILED: {exc}", file=sys.stderr, flush=True)
            results[db] = {"error": f"失败：{str(exc).splitlines()[0][:80]}"}
    command = "bench/summaries.py " + " ".join(sys.argv[1:])
    section = render(results, args.runs, command.strip())
    print(section)
    if not args.no_write:
        write_doc(section)
        print(f"written to {base.DOC.relative_to(ROOT)}")
    shutil.rmtree(base.WORK / "var", ignore_errors=True)


if __name__ == "__main__":
    main()
