"""jinguo.lib.db.prepared_cursor: the quiz's hot statements prepared once per PostgreSQL connection."""

from __future__ import annotations

import pytest
from django.db import DataError, connection

from jinguo.lib.db import prepared_cursor

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side prepared statements"),
    pytest.mark.django_db(transaction=True),
]

SQL = "SELECT %s::integer + 1 AS jinguo_probe"


def _prepared_here() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%jinguo_probe%"])
        return cursor.fetchone()[0]


def test_prepared_once_per_connection_and_again_after_a_reconnect():
    for n in range(3):
        with prepared_cursor() as cursor:
            cursor.execute(SQL, [n])
            assert cursor.fetchone()[0] == n + 1
    assert _prepared_here() == 1  # three runs, one statement prepared
    first = connection._jinguo_prepared_cursor[1]

    connection.close()  # a new connection: a new cursor, the statement prepared there again
    with prepared_cursor() as cursor:
        cursor.execute(SQL, [41])
        assert cursor.fetchone()[0] == 42
    assert connection._jinguo_prepared_cursor[1] is not first
    assert _prepared_here() == 1


def test_errors_are_djangos_and_the_cursor_goes_on():
    with pytest.raises(DataError), prepared_cursor() as cursor:
        cursor.execute("SELECT 1 / %s::integer AS jinguo_probe", [0])
    with prepared_cursor() as cursor:
        cursor.execute(SQL, [1])
        assert cursor.fetchone()[0] == 2
