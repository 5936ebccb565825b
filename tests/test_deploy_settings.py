"""The production settings the README gives pass `check --deploy` with no issue, and pages carry a CSP."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_exports() -> dict[str, str]:
    """The variables the README's deployment section exports, as a shell would set them."""
    section = (ROOT / "README.md").read_text().split("## Deploying", 1)[1]
    env = {}
    for line in section.splitlines():
        if line.startswith("export "):
            for name, value in re.findall(r"(\w+)=(\S+)", line.split("#", 1)[0]):
                env[name] = value
    env["SECRET_KEY"] = secrets.token_urlsafe(50)  # the README generates one with $(...)
    return env


def _care_key_file(folder: Path) -> Path:
    from jinguo.care import crypto

    path = folder / "care-keys.json"
    crypto.write_key_file(path, {"current": "k1", "keys": {"k1": crypto.new_key_text()}, "hmac": crypto.new_key_text()})
    return path


def test_readme_production_settings_pass_check_deploy(tmp_path):
    env = _readme_exports()
    assert {"DATABASE_URL", "ALLOWED_HOSTS", "SECURE_COOKIES", "TRUSTED_PROXIES", "CARE_KEYS_FILE"} <= set(env)
    env["CARE_KEYS_FILE"] = str(_care_key_file(tmp_path))  # the README's path, made here
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_pages_carry_a_content_security_policy_without_inline_code(client, db):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
