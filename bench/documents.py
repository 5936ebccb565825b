"""Benchmark of the 公文 renderers (jinguo/lib/gongwen.py): .docx and PDF.

Run: ``.venv/bin/python bench/documents.py [--runs 5] [--no-write]``.

Renders the demo notice (the Bijie 2023 notice with its attached plan, data/notice-2023-2.txt,
parsed as the documents app parses a campaign's text) and a printable matrix of 500 rows (the
print limit; landscape, header repeated on every page), each as .docx and PDF. The first PDF of a
process loads the fonts: it is reported apart. No database is touched. The figures go into the
``bench/documents`` section of docs/benchmarks.md.

For other documents (the summaries): ``from bench.documents import time_document`` and call
``time_document(doc, runs=5)`` with any ``gongwen.Document``; it returns the same figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinguo.settings")

import django  # noqa: E402

django.setup()

from jinguo.documents.builders import MATRIX_HEADER, MATRIX_PRINT_LIMIT, kind_addressees, parse_text  # noqa: E402
from jinguo.lib import gongwen  # noqa: E402
from jinguo.lib.gongwen import Document, Para, Table  # noqa: E402
from jinguo.orgs.models import Org  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- BEGIN GENERATED: bench/documents -->", "<!-- END GENERATED: bench/documents -->"
NOTICE = ROOT / "data" / "notice-2023-2.txt"
TARGETS_S = {"notice_docx": 3.0, "notice_pdf": 10.0}  # issue 15 §3's budgets for a document


def _median_s(fn, runs: int) -> tuple[float, float, object]:
    """Median wall-clock and process CPU seconds (CPU time stays honest on a busy machine)."""
    wall, cpu, result = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu), result


def _pages(pdf: bytes) -> int:
    """Pages, as poppler's pdfinfo counts them (WeasyPrint compresses its page objects)."""
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def time_document(doc: Document, *, runs: int = 5) -> dict:
    """Median seconds to render ``doc`` as .docx and as PDF (fonts already loaded), and sizes."""
    gongwen.render_pdf(Document(title="预热", body=[]))  # the process's first PDF loads the fonts
    docx_s, docx_cpu_s, docx = _median_s(lambda: gongwen.render_docx(doc), runs)
    pdf_s, pdf_cpu_s, pdf = _median_s(lambda: gongwen.render_pdf(doc), runs)
    return {
        "docx_s": docx_s,
        "pdf_s": pdf_s,
        "docx_cpu_s": docx_cpu_s,
        "pdf_cpu_s": pdf_cpu_s,
        "docx_kib": len(docx) / 1024,
        "pdf_kib": len(pdf) / 1024,
        "pdf_pages": _pages(pdf),
    }


def demo_notice() -> Document:
    """The demo campaign's notice as the documents app prints it, built without a database."""
    paragraphs = NOTICE.read_text(encoding="utf-8").split("\n\n")
    parsed = parse_text("\n\n".join(p for p in paragraphs[3:] if p.strip()))
    city = SimpleNamespace(kind=Org.Kind.CITY)
    kinds = [Org.Kind.COUNTY, Org.Kind.COMMITTEE, Org.Kind.GROUP, Org.Kind.DEPARTMENT]
    return Document(
        title="关于开展2023年“巾帼心向党 奋进新征程”“三八”国际妇女节系列活动方案的通知",
        body=parsed.blocks,
        issuer="毕节市妇女联合会",
        number="毕妇发〔2023〕2号",
        addressees=kind_addressees(city, kinds),
        attachments=parsed.attachment_notes,
        signature="毕节市妇女联合会",
        date=dt.date(2023, 2, 20),
    )


def big_matrix(rows: int = MATRIX_PRINT_LIMIT) -> Document:
    table = [
        [str(n), f"某某县某某镇{n}妇联", "乡镇（街道）妇联", "某某县妇联", "已签收", "02-21 09:30"]
        + ["已备案", "02-25 16:00", "逾期报送" if n % 7 == 0 else ""]
        for n in range(1, rows + 1)
    ]
    return Document(
        title="督导矩阵",
        body=[Para("活动：基准测试"), Table(header=[MATRIX_HEADER], rows=table)],
        landscape=True,
    )


def measure(runs: int) -> dict:
    notice = demo_notice()
    start = time.perf_counter()
    gongwen.render_pdf(notice)
    first_pdf_s = time.perf_counter() - start
    return {
        "first_pdf_s": first_pdf_s,
        "notice": time_document(notice, runs=runs),
        "matrix": time_document(big_matrix(), runs=max(1, runs // 2)),
    }


def _row(label: str, figures: dict, docx_target: str = "", pdf_target: str = "") -> list[str]:
    return [
        f"| {label} .docx | {figures['docx_s'] * 1000:.0f} ms | {figures['docx_cpu_s'] * 1000:.0f} ms "
        f"| {figures['docx_kib']:.0f} KiB | {docx_target} |",
        f"| {label} PDF | {figures['pdf_s'] * 1000:.0f} ms | {figures['pdf_cpu_s'] * 1000:.0f} ms "
        f"| {figures['pdf_kib']:.0f} KiB, {figures['pdf_pages']} 页 | {pdf_target} |",
    ]


def report(result: dict, runs: int) -> str:
    notice, matrix = result["notice"], result["matrix"]
    ok_docx = "✅ 达标" if notice["docx_s"] < TARGETS_S["notice_docx"] else "❌ 未达标"
    ok_pdf = "✅ 达标" if notice["pdf_s"] < TARGETS_S["notice_pdf"] else "❌ 未达标"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"- 日期 / Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} +0000",
        f"- 机器 / Machine: nproc={os.cpu_count()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average at the end {load} "
        "(other work on the machine inflates wall-clock times; CPU time is this process's own)",
        f"- 命令 / Command: `.venv/bin/python bench/documents.py --runs {runs}` (median; fonts already loaded)",
        "- 数据 / Data: the demo notice (红头, 主送, 附件说明, 落款 and the attached 方案: 6 pages) and a printable "
        f"matrix of {MATRIX_PRINT_LIMIT:,} rows (landscape, header repeated on every page)",
        "",
        "| 文档 / Document | 时间 / Wall | 本进程 CPU | 大小 / Size | 目标 / Target |",
        "|---|---|---|---|---|",
        *_row("通知（演示）", notice, f"< 3 s {ok_docx}", f"< 10 s {ok_pdf}"),
        f"| 　进程内第一份 PDF（加载字体） | {result['first_pdf_s'] * 1000:.0f} ms |  |  |  |",
        *_row(f"督导矩阵 {MATRIX_PRINT_LIMIT:,} 行", matrix),
    ]
    return "\n".join(lines)


def write(section: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    block = f"{BEGIN}\n\n{section}\n\n{END}"
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n## 公文 / Documents (issue 15 §2)\n\n{block}\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    section = report(measure(args.runs), args.runs)
    print(section)
    if not args.no_write:
        write(section)


if __name__ == "__main__":
    main()
