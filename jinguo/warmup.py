"""What a server would otherwise do at its first requests, done before it takes one.

A synchronised start (the quiz at 8:38) often follows a restart or a deploy: nobody has opened a
page of the new workers yet. Measured on such a server (bench/quiz/run.py, the ``cold`` phase),
the first request of each worker imported the whole URLconf — every app's views, openpyxl and
numpy with them, ~0.4 s of CPU — then the Redis client library, while the burst's first thousand
participants queued behind it: a start's p99 was 1.7–2.8 s in the first two seconds against tens
of milliseconds after. Two steps remove that:

- ``load_code()`` runs where the application is loaded (``jinguo.wsgi``): with gunicorn's
  ``preload_app`` in the master, so every forked worker starts with the code, the compiled routes
  and templates in memory; with a server that loads the app in each worker, in each worker.
  It touches no database and opens no connection.
- ``warm_worker()`` runs in each worker before it serves (``post_worker_init`` in
  ``deploy/gunicorn.conf.py``): live quizzes into memory (``quiz.memory.warm``), then the live
  quizzes' page and unit list once through the real handler, which leaves whatever else a first
  visit would load (lazy imports, template fragments, per-process caches) already loaded.
  ``warm_thread()`` then runs on each of the worker's threads: its database connection opened
  and the hot statements planned, and a Redis connection made.

``tests/test_warmup.py`` checks, in a fresh interpreter, that after these steps a participant's
page, start and submit import nothing more: the first participant finds what a hundredth would.
"""

from __future__ import annotations

import importlib
import logging

logger = logging.getLogger(__name__)

# Templates the public quiz renders: loaded (and, with the cached loader, compiled) once.
PUBLIC_TEMPLATES = ("quiz/take.html", "quiz/board.html", "quiz/screen.html", "quiz/_screen_rows.html")


def load_code() -> None:
    """Import and compile what requests need, without touching the database or the network."""
    from django.conf import settings
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template
    from django.urls import get_resolver, reverse

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports every app's urls and views
    reverse("home")  # the root resolver's lookups
    reverse("quiz:list")  # the quiz namespace's, which the public API middleware reads
    for name in PUBLIC_TEMPLATES:
        try:
            get_template(name)
        except TemplateDoesNotExist:  # pragma: no cover - a renamed template must not stop a server
            logger.warning("warm-up: no template %s", name)
    for conf in settings.CACHES.values():
        if conf["BACKEND"].endswith("RedisCache"):
            importlib.import_module("redis")  # Django imports it at the cache's first use


def warm_worker(application=None) -> list[str]:
    """Per worker, with the database: live quizzes loaded and each one's page and unit list served
    once through the application's handler (read-only requests): the one gunicorn loaded
    (``worker.wsgi``), or a new one. Returns the quizzes' slugs."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    from jinguo.quiz import memory

    if application is None:
        application = WSGIHandler()
    slugs = memory.warm()
    # From a documentation address (TEST-NET-1): counted by no real client's rate limit.
    factory = RequestFactory(REMOTE_ADDR="192.0.2.1")
    for slug in slugs:
        for path in (f"/quiz/p/{slug}/", f"/quiz/p/{slug}/units"):
            response = application.get_response(factory.get(path))
            if response.status_code != 200:
                logger.warning("warm-up: %s answered %s", path, response.status_code)
    return slugs


def warm_thread() -> None:
    """On one of a worker's threads: its database connection (statements planned) and its Redis
    connection, so that a burst's first requests on this thread open neither."""
    from django.core.cache import caches

    from jinguo.quiz import limits, taking

    taking.warm_connection()
    client = limits._redis_client()
    if client is not None:
        # redis-py's pool hands each thread its own connection; a PING makes this thread's now.
        client.ping()
    # Django's cache handle is per thread, with a client (and, for Redis, a pool) of its own.
    caches["default"].get("warmup:thread")
