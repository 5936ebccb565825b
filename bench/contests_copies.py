"""Benchmark of copy detection (issue 13 §4): 2,000 generated essays with 50 planted copies.

Run: ``.venv/bin/python bench/contests_copies.py [--essays 2000] [--copies 50] [--threshold 0.1] [--no-write]``
(about 5 minutes, most of it the brute-force reference). No database.

The essays come from ``bench/contests_essays.py`` (seeded: every run has the same texts): ~2,000
characters each, quoting one to three law articles and the year's phrases. 50 of them are planted
copies of others: 20 whole, 30 partial (30–70 % of the copy taken from the source), half of each
lightly edited (sentences reordered, one character in ~80 changed).

Measured: ``find_overlaps`` (fingerprints, then MinHash LSH candidates, then exact scores) against
the planted pairs — recall overall and by kind, precision — and against a brute-force comparison
of all pairs with the same exact score (is any pair above the threshold missed by LSH?), with the
times of both. The figures go into the ``bench/contests_copies.py`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.contests_essays import make_collection  # noqa: E402
from jinguo.contests import similarity  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- BEGIN GENERATED: bench/contests_copies.py -->", "<!-- END GENERATED: bench/contests_copies.py -->"


def brute_force(corpus: similarity.Corpus, threshold: float) -> tuple[dict[tuple[str, str], float], int]:
    """Every pair scored exactly with the same score as find_overlaps, no LSH."""
    common = similarity._common_hashes([corpus])
    texts = {key: similarity._Text.of(fp, common) for key, fp in corpus.prints.items()}
    keys = sorted(texts)
    found, pairs = {}, 0
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            pairs += 1
            score, shared = similarity.containment(texts[a], texts[b])
            if score >= threshold and shared >= similarity.MIN_SHARED:
                found[(a, b)] = score
    return found, pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--essays", type=int, default=2000)
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--threshold", type=float, default=similarity.DEFAULT_THRESHOLD)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    texts, plants = make_collection(essays=args.essays, copies=args.copies)
    chars = sum(len(t) for t in texts.values()) / len(texts)
    similarity.default_discount()  # read the laws once, outside the timings

    start, cpu = time.perf_counter(), time.process_time()
    corpus = similarity.Corpus()
    for key in sorted(texts):
        corpus.add(key, texts[key])
    fingerprint_s, fingerprint_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    results = corpus.overlaps(threshold=args.threshold)
    compare_s, compare_cpu = time.perf_counter() - start, time.process_time() - cpu
    candidates = sum(len([c for c in corpus.candidates(fp) if c > key]) for key, fp in corpus.prints.items())

    planted = {(p.source, p.copy): p for p in plants}
    found = {(a, b): s for a, b, s in results}
    hits = [p for pair, p in planted.items() if pair in found]
    false = sorted(((s, pair) for pair, s in found.items() if pair not in planted), reverse=True)

    def recall(kind: str | None = None, edited: bool | None = None) -> str:
        group = [p for p in plants if (kind is None or p.kind == kind) and (edited is None or p.edited == edited)]
        got = [p for p in group if p in hits]
        return f"{len(got) / len(group):.2f} ({len(got)}/{len(group)})"

    start, cpu = time.perf_counter(), time.process_time()
    brute, pairs = brute_force(corpus, args.threshold)
    brute_s, brute_cpu = time.perf_counter() - start, time.process_time() - cpu
    lsh_missed = sorted(set(brute) - set(found))
    scores = sorted(found[pair] for pair in planted if pair in found)

    precision = len(hits) / len(found) if found else 0.0
    rows = [
        ("文本 / Texts", f"{len(texts):,} essays, {chars:,.0f} characters on average, {len(plants)} planted copies"),
        ("阈值 / Threshold", f"{args.threshold}"),
        ("召回率 / Recall (all planted)", recall()),
        (
            "　整篇抄袭 / whole copies",
            f"{recall('whole')} — verbatim {recall('whole', False)}, edited {recall('whole', True)}",
        ),
        (
            "　部分抄袭 30–70 % / partial",
            f"{recall('partial')} — verbatim {recall('partial', False)}, edited {recall('partial', True)}",
        ),
        (
            "精确率 / Precision",
            f"{precision:.2f} ({len(hits)}/{len(found)}); highest unplanted pair: {false[0][0] if false else '—'}",
        ),
        (
            "命中分数 / Scores of the planted pairs",
            f"lowest {scores[0] if scores else '—'}, median {scores[len(scores) // 2] if scores else '—'}",
        ),
        ("LSH 候选对 / LSH candidate pairs", f"{candidates:,} of {pairs:,} ({candidates / pairs:.2%})"),
        (
            "LSH 漏掉的（暴力比对达到阈值的） / Pairs over the threshold LSH missed",
            f"{len(lsh_missed)} of {len(brute)}",
        ),
        ("耗时：指纹 / Time: fingerprints (wall / CPU)", f"{fingerprint_s:.1f} s / {fingerprint_cpu:.1f} s"),
        ("耗时：LSH 候选 + 精确评分 / Time: candidates + exact scores", f"{compare_s:.1f} s / {compare_cpu:.1f} s"),
        (
            "耗时：合计 find_overlaps / Time: find_overlaps in all",
            f"{fingerprint_s + compare_s:.1f} s / {fingerprint_cpu + compare_cpu:.1f} s",
        ),
        (
            "耗时：暴力两两比对 / Time: brute force, all pairs",
            f"{fingerprint_s + brute_s:.1f} s / {fingerprint_cpu + brute_cpu:.1f} s "
            f"(comparing alone {brute_s:.1f} s / {brute_cpu:.1f} s)",
        ),
    ]
    for name, value in rows:
        print(f"{name}: {value}")
    if false:
        print("unplanted pairs found:", false[:10])
    if lsh_missed:
        print("missed by LSH:", lsh_missed[:10])
    if not args.no_write:
        write(rows, args)


def write(rows: list[tuple[str, str]], args: argparse.Namespace) -> None:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    command = "bench/contests_copies.py" + (
        f" --threshold {args.threshold}" if args.threshold != similarity.DEFAULT_THRESHOLD else ""
    )
    lines = [
        BEGIN,
        "",
        f"- 日期 / Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- 机器 / Machine: nproc={os.cpu_count()}, Python {platform.python_version()}; load average at the end {load}",
        f"- 命令 / Command: `.venv/bin/python {command}`",
        "",
        "| 指标 / Metric | 结果 / Result |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in rows),
        "",
        END,
    ]
    doc = DOC.read_text(encoding="utf-8")
    block = "\n".join(lines)
    if BEGIN in doc:
        doc = doc[: doc.index(BEGIN)] + block + doc[doc.index(END) + len(END) :]
    else:
        doc = doc.rstrip("\n") + "\n\n## 征文查重 / Contest copy detection\n\n" + block + "\n"
    DOC.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    main()
