"""A deployment refuses to serve on a key that is not its own (forged sessions and quiz tokens)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jinguo.accounts.checks import check_secret_key

ROOT = Path(__file__).resolve().parents[2]


def _ids(errors) -> list[str]:
    return [e.id for e in errors]


def test_the_old_built_in_key_is_an_error_anywhere(settings):
    settings.SECRET_KEY = "jinguo-local-demo-key-not-for-production"
    assert _ids(check_secret_key()) == ["jinguo.E001"]


def test_production_without_its_own_key_is_an_error(settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://jinguo@db.internal/jinguo")
    settings.DEBUG, settings.SECRET_KEY_FROM_ENV = False, False
    assert _ids(check_secret_key()) == ["jinguo.E002"]
    settings.SECRET_KEY_FROM_ENV = True
    assert check_secret_key() == []


def test_a_public_host_name_is_production_too(settings, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings.ALLOWED_HOSTS, settings.SECRET_KEY_FROM_ENV = ["jinguo.example.gov.cn"], False
    assert _ids(check_secret_key()) == ["jinguo.E002"]


def test_the_local_demo_runs_on_a_random_key(settings, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings.ALLOWED_HOSTS, settings.SECRET_KEY_FROM_ENV = ["127.0.0.1", "localhost"], False
    assert check_secret_key() == []


def _settings_in_a_fresh_process(env: dict) -> str:
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    clean = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "jinguo.settings", **env}
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed snippet
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_without_a_key_each_process_draws_its_own():
    first, second = _settings_in_a_fresh_process({}), _settings_in_a_fresh_process({})
    assert len(first) >= 50 and first != second


@pytest.mark.parametrize("key, served", [("", False), ("a-deployment-key-" + "k" * 40, True)])
def test_wsgi_refuses_to_serve_in_production_without_a_key(key, served, tmp_path):
    from tests.test_deploy_settings import _care_key_file

    care_keys = str(_care_key_file(tmp_path))  # the care registry's keys are checked too (tests/care)
    env = {"DATABASE_URL": "postgres://jinguo@127.0.0.1:1/none", "SECRET_KEY": key, "CARE_KEYS_FILE": care_keys}
    code = "import jinguo.wsgi; print('served')"
    clean = {"PATH": "/usr/bin:/bin", **env}
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed snippet
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert ("served" in result.stdout) is served
    if not served:
        assert "生产环境必须设置 SECRET_KEY" in result.stderr
