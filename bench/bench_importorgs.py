"""Benchmark: import a 50,000-unit tree with ``import_orgs`` (dry run, then for real).

Run: .venv/bin/python bench/bench_importorgs.py   (set DATABASE_URL for PostgreSQL)
It uses a throw-away database (the test database machinery), never the working one.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinguo.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import get_runner  # noqa: E402


def make_rows(total: int = 50_000) -> list[dict]:
    rows = [{"_row": 2, "code": "520500", "name": "毕节市妇联", "parent_code": "", "kind": "city"}]
    counties, townships = 50, 1000
    for c in range(counties):
        rows.append(
            {"_row": len(rows) + 2, "code": f"53{c:02d}00", "name": f"县{c}", "parent_code": "520500", "kind": "county"}
        )
    for t in range(townships):
        rows.append(
            {
                "_row": len(rows) + 2,
                "code": f"53{t % counties:02d}00{t:03d}",
                "name": f"乡镇{t}",
                "parent_code": f"53{t % counties:02d}00",
                "kind": "township",
            }
        )
    v = 0
    while len(rows) < total:
        t = v % townships
        rows.append(
            {
                "_row": len(rows) + 2,
                "code": f"53{t % counties:02d}00{t:03d}{v // townships:03d}",
                "name": f"村{v}",
                "parent_code": f"53{t % counties:02d}00{t:03d}",
                "kind": "village",
            }
        )
        v += 1
    return rows


def main() -> None:
    from jinguo.lib.scoping import scopes_disabled
    from jinguo.orgs.importing import import_orgs
    from jinguo.orgs.models import Org

    runner = get_runner(settings)(verbosity=0)
    old = runner.setup_databases()
    try:
        rows = make_rows()
        with scopes_disabled():
            t = time.perf_counter()
            dry = import_orgs(rows, dry_run=True)
            t_dry = time.perf_counter() - t
            t = time.perf_counter()
            real = import_orgs(rows, dry_run=False)
            t_real = time.perf_counter() - t
            t = time.perf_counter()
            again = import_orgs(rows, dry_run=True)
            t_again = time.perf_counter() - t
            assert not dry.errors and not real.errors and real.written, (dry.errors[:3], real.errors[:3])
            assert Org.all_objects.count() == len(rows)
            assert not again.created and not again.updated
        print(
            f"{connection.vendor}: {len(rows)} rows  dry run {t_dry:.2f} s  import {t_real:.2f} s  re-check {t_again:.2f} s"
        )
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    main()
