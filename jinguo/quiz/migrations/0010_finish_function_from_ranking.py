"""The submit's PL/pgSQL function, compiled from its one definition (jinguo.quiz.ranking.FINISH,
which the SQLite path runs step by step), replacing 0008's hand-written copy. Same statements, same
lock order; the rank expression is now the one rank_of uses.

A change to ranking.FINISH needs a new migration like this one, recording the new source's hash:
tests/quiz/test_finish.py fails until the newest such migration's SOURCE_SHA256 matches it, and
(PostgreSQL) until the installed function's body is the source.
"""

import importlib

from django.db import migrations

SOURCE_SHA256 = "7c188a72bb064caeab9dfc2bb14bb5b14bb21b1f959e0579e103ad244b374680"


def create(apps, schema_editor):
    from jinguo.quiz import ranking

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ranking.finish_function_sql())


def restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(importlib.import_module("jinguo.quiz.migrations.0008_finish_function").FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("quiz", "0009_one_scoped_manager")]

    operations = [migrations.RunPython(create, restore)]
