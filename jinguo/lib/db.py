"""Server-side prepared statements for the few hot statements of a public burst (the quiz).

Django's PostgreSQL cursors bind parameters on the client: every statement is sent as text with
its values inlined, then parsed and planned by PostgreSQL each time. For the quiz's start (one
statement of two CTEs), its submit (a function call) and rank lookups, planning cost more than
running (0.37 ms against 0.08 ms for the submit when it was a statement of eight CTEs).
``prepared_cursor`` gives those statements a server-binding psycopg cursor on the same
connection: psycopg prepares a statement the first time it runs on a connection
(``prepare_threshold`` 0 in settings) and reuses the plan after.
Django's own cursors stay client-binding (they never prepare), so the rest of the site is as it
was. Off with ``DB_PREPARED_STATEMENTS=0`` (behind a pooler in transaction mode without
prepared-statement support) and on SQLite, where the ordinary cursor is returned.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def prepared_cursor() -> Iterator:
    # One lookup of this thread's connection (each attribute read through django.db.connection
    # is a lookup in asgiref's thread-and-task local: a few µs apiece on the submit's path).
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
        with db.cursor() as cursor:
            yield cursor
        return
    # What Django's cursor() does first: health check, (re)connection.
    db.close_if_health_check_failed()
    db.ensure_connection()
    pg = db.connection
    # One server-binding cursor per connection, kept with it (a cursor is reusable; creating one
    # and its Django twin for every statement was ~5 % of a submit's Python).
    kept = getattr(db, "_jinguo_prepared_cursor", None)
    if kept is None or kept[0] is not pg or kept[1].closed:
        import psycopg

        kept = (pg, psycopg.Cursor(pg))  # server-side binding
        db._jinguo_prepared_cursor = kept
    # Wrapped like Django's cursors (thread check, database errors become django.db errors,
    # queries are logged under DEBUG and seen by execute wrappers and query-count assertions).
    yield db._prepare_cursor(kept[1])
