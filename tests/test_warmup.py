"""A server nobody has visited is as ready as one that has (issue 12, §6: a restart or deploy just
before a synchronised start). In fresh interpreters, like a new gunicorn worker: after the
application's load and the worker's warm-up (jinguo/warmup.py), the first participant's page, unit
list, start and submit import nothing. Without them, the same requests import hundreds of modules
(the whole URLconf with openpyxl and numpy, the Redis client): the control run shows the probe sees it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("warmup_probe.py")


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A migrated SQLite database with a live public quiz, for the probes' own processes."""
    var = tmp_path_factory.mktemp("warm")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(JINGUO_VAR_DIR=str(var), SECRET_KEY="warm-up-probe-" + "k" * 40, DEBUG="0")
    subprocess.run([sys.executable, str(PROBE), "seed"], env=env, check=True, timeout=300)  # noqa: S603 - our own probe
    return env


def _probe(env: dict, *args: str) -> dict:
    out = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-W", "ignore", str(PROBE), "probe", *args],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("cache", ["local memory", "redis"])
def test_warmup_first_participant_imports_nothing(scratch, cache):
    env = dict(scratch)
    if cache == "redis":
        if not _redis_answers():
            pytest.skip("no Redis on 127.0.0.1:6379")
        env["REDIS_URL"] = "redis://127.0.0.1:6379/13"
    result = _probe(env)
    assert result["statuses"] == {"page": 200, "units": 200, "start": 200, "submit": 200}
    assert result["imported"] == []


def test_warmup_without_it_first_participant_imports_the_site(scratch):
    result = _probe(scratch, "--cold")
    assert result["statuses"]["start"] == 200
    assert len(result["imported"]) > 100
    assert {"jinguo.orgs.views", "openpyxl", "jinguo.quiz.views"} <= set(result["imported"])


def test_warmup_application_load_carries_the_code(scratch):
    """Loading the application (gunicorn's master, before it forks) already imports every view:
    what is left for each worker is small (context processors, a compiler or two)."""
    result = _probe(scratch, "--loaded-only")
    assert result["statuses"]["start"] == 200
    imported = set(result["imported"])
    assert not {"jinguo.orgs.views", "openpyxl", "jinguo.quiz.views"} & imported
    assert not any(name.startswith("jinguo.") and name.endswith(".views") for name in imported)
