"""The benchmark-only insert view exists only when JINGUO_BENCH_VIEWS is set."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.test import RequestFactory
from django.urls import Resolver404, resolve

from jinguo.quiz import bench_views


def test_bench_insert_url_is_absent_by_default(client, db):
    assert settings.JINGUO_BENCH_VIEWS is False
    try:
        resolve("/bench/insert")
        found = True
    except Resolver404:
        found = False
    assert found is False
    assert client.post("/bench/insert", "{}", content_type="application/json").status_code == 404


def test_bench_insert_view_inserts_one_row(db):
    bench_views.create_table()
    response = bench_views.insert_row(RequestFactory().post("/bench/insert", "{}", content_type="application/json"))
    assert response.status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {bench_views.TABLE}")  # noqa: S608 a constant
        assert cursor.fetchone()[0] == 1
