"""The submit's "close the attempt and rank it" has one definition (ranking.FINISH): the PL/pgSQL
function installed by the migrations is compiled from it, and a change to it comes with a migration."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.db import connection

from jinguo.quiz import migrations as quiz_migrations
from jinguo.quiz import ranking


def _installers() -> list[tuple[str, str]]:
    """(migration name, SOURCE_SHA256) of every quiz migration that installs ranking's function."""
    out = []
    for info in sorted(pkgutil.iter_modules(quiz_migrations.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"jinguo.quiz.migrations.{info.name}")
        if hasattr(module, "SOURCE_SHA256"):
            out.append((info.name, module.SOURCE_SHA256))
    return out


def test_a_change_to_the_finish_steps_comes_with_a_migration():
    """The newest migration installing the function recorded the source as it is now: edit
    ranking.FINISH and this fails until a new migration (a copy of the last, with the new hash)
    installs it on the databases that have the old one."""
    installers = _installers()
    assert [name for name, _ in installers][:1] == ["0010_finish_function_from_ranking"]
    assert installers[-1][1] == ranking.finish_function_sha256()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PL/pgSQL function exists on PostgreSQL only")
def test_the_installed_function_is_the_source(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT prosrc, pg_get_function_identity_arguments(oid), pg_get_function_result(oid) "
            "FROM pg_proc WHERE proname = %s",
            [ranking.FUNCTION],
        )
        rows = cursor.fetchall()
    assert len(rows) == 1
    body, arguments, result = rows[0]
    assert body == ranking.finish_function_body()
    assert arguments == ", ".join(f"{name} {kind}" for name, kind in ranking.FINISH_PARAMS).replace(
        "timestamptz", "timestamp with time zone"
    )
    assert result.startswith("TABLE(o_score integer")
