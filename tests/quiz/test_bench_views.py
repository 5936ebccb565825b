"""The benchmark's insert view lives in bench/ (its own URLconf and settings), not in the site."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import Resolver404, resolve

from bench.quiz import site


def test_the_site_has_no_bench_insert(client, db):
    with pytest.raises(Resolver404):
        resolve("/bench/insert")
    assert client.post("/bench/insert", "{}", content_type="application/json").status_code == 404


def test_the_bench_site_inserts_one_row_on_the_session_free_path(db, settings):
    """Through the bench's middleware, as the quiz's API is served: the floor the submit is measured against."""
    settings.ROOT_URLCONF = "bench.quiz.site"
    site.create_table()
    middleware = site.BenchApiMiddleware(lambda request: HttpResponse("the full stack", status=418))
    factory = RequestFactory()
    response = middleware(factory.post("/bench/insert", "{}", content_type="application/json"))
    assert (response.status_code, response.content) == (200, b'{"ok": true}')
    # Anything else that is not the quiz's API takes the site's stack.
    assert middleware(factory.get("/quiz/p/fnqy2022/")).status_code == 418
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {site.TABLE}")  # noqa: S608 a constant
        assert cursor.fetchone()[0] == 1
