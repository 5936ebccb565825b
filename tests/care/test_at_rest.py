"""A raw dump of the database — the SQLite file (with its WAL) or a pg_dump — holds none of the
demo's ID numbers or phones in clear, nor its health notes. The demo is loaded in a separate
process into a fresh database, exactly as ``make demo`` does."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLEAR_VALUES = """
import json
from jinguo.lib.scoping import scopes_disabled
from jinguo.care.models import Person, HouseholdMember
with scopes_disabled():
    people = list(Person.objects.all())
    print(json.dumps({
        "ids": [p.id_number for p in people if p.id_number],
        "phones": [p.phone for p in people if p.phone],
        "texts": sorted({p.health for p in people if p.health} | {p.minor_situation for p in people if p.minor_situation}),
    }))
"""


def _run(args, env):
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _load_demo(env) -> dict:
    _run(["migrate", "-v0"], env)
    _run(["loaddemo"], env)
    values = json.loads(_run(["shell", "-c", CLEAR_VALUES], env).strip().splitlines()[-1])
    assert len(values["ids"]) >= 300 and len(values["phones"]) >= 300 and values["texts"]
    return values


def _present(value: str, blob: bytes) -> bool:
    """An ID number or phone as a value of its own: not a run of digits inside a longer one (the
    hex of a binary column, such as a copy-detection fingerprint, holds "17000000000" by chance)."""
    if value.isascii():
        return re.search(rb"(?<![0-9A-Za-z])" + re.escape(value.encode()) + rb"(?![0-9A-Za-z])", blob) is not None
    return value.encode() in blob


def _assert_absent(blob: bytes, values: dict, where: str) -> None:
    found = [v for kind in ("ids", "phones", "texts") for v in values[kind] if _present(v, blob)]
    assert found == [], f"{len(found)} clear values in {where}, e.g. {found[:3]}"


def test_the_sqlite_file_holds_no_clear_id_number_phone_or_health_note(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "JINGUO_VAR_DIR": str(tmp_path)}
    values = _load_demo(env)
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "care-keys.json"]
    assert any(p.name == "jinguo.sqlite3" for p in files)
    blob = b"".join(p.read_bytes() for p in files)  # the database, its WAL and whatever lies beside it
    _assert_absent(blob, values, "var/")
    # The check itself can fail: the clear values are in the process that decrypts them.
    assert values["ids"][0].encode() in json.dumps(values).encode()


def _postgres_ready() -> bool:
    ready = shutil.which("pg_isready")
    if ready is None or shutil.which("pg_dump") is None:
        return False
    probe = [ready, "-h", "127.0.0.1", "-p", "5432"]
    return subprocess.run(probe, capture_output=True).returncode == 0  # noqa: S603 - the machine's pg_isready


@pytest.mark.skipif(not _postgres_ready(), reason="PostgreSQL with pg_dump on 127.0.0.1:5432 is needed")
def test_a_pg_dump_holds_no_clear_id_number_phone_or_health_note(tmp_path):
    from jinguo.care import crypto

    name = f"jinguo_care_dump_{uuid.uuid4().hex[:8]}"
    keys = tmp_path / "care-keys.json"
    crypto.write_key_file(keys, {"current": "k1", "keys": {"k1": crypto.new_key_text()}, "hmac": crypto.new_key_text()})
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": url,
        "SECRET_KEY": "k" * 50,
        "CARE_KEYS_FILE": str(keys),
        "JINGUO_VAR_DIR": str(tmp_path / "var"),
    }
    psql = [shutil.which("psql"), "-h", "127.0.0.1", "-U", "postgres", "-q", "-c"]
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True, capture_output=True)  # noqa: S603
    try:
        values = _load_demo(env)
        dump = subprocess.run(  # noqa: S603 - the machine's pg_dump
            [shutil.which("pg_dump"), "-h", "127.0.0.1", "-U", "postgres", name],
            check=True,
            capture_output=True,
            timeout=300,
        ).stdout
        assert b"care_person" in dump and len(dump) > 100_000
        _assert_absent(dump, values, "pg_dump")
    finally:
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], capture_output=True)  # noqa: S603
