"""The benchmark's site: Jinguo's, plus a view that inserts one row into a scratch table through
the same server, middleware and database configuration as the quiz's submit: the floor against
which the submit's throughput is judged (bench/quiz/run.py). Used through ``bench.quiz.settings``;
nothing of it is in the app."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jinguo.quiz.middleware import PublicApiMiddleware
from jinguo.urls import urlpatterns as site_urlpatterns

TABLE = "jinguo_bench_insert"


def create_table() -> None:
    """Called by the benchmark after migrate (the table is no model: nothing in production uses it)."""
    pk = "BIGSERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id {pk}, created_at TIMESTAMP WITH TIME ZONE, payload TEXT)"
        )


@csrf_exempt
@never_cache
@require_POST
def insert_row(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (created_at, payload) VALUES (%s, %s)",  # noqa: S608 a constant table name
            [timezone.now(), request.body[:200].decode("utf-8", "replace")],
        )
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/insert", insert_row), *site_urlpatterns]


class BenchApiMiddleware(PublicApiMiddleware):
    """The quiz's session-free path, taken by the insert view too: the two compare like for like."""

    def routes(self) -> list:
        return [("/bench/", [path("insert", insert_row)]), *super().routes()]
