"""Gunicorn for Jinguo on a small machine (2 cores, PostgreSQL and Redis on the same box).

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/0 SECRET_KEY=... \
        .venv/bin/gunicorn -c deploy/gunicorn.conf.py jinguo.wsgi

Why these numbers (measured by bench/quiz/run.py, figures in docs/benchmarks.md):
- Sync workers, not threads or async: a request of ours is CPU in Python (Django, JSON, grading)
  plus two or three short round trips to a local PostgreSQL. Python threads share one core under
  the GIL, so threads add only a little overlap of those waits; extra processes use both cores.
- Workers = 2 x cores + 1 = 5 on 2 cores: while one worker waits on PostgreSQL or Redis another
  runs, and PostgreSQL itself needs CPU on the same cores. More workers only queue on the CPU and
  raise the tail latency (and each holds one PostgreSQL connection: 5 << max_connections 100).
- Persistent database connections (DB_CONN_MAX_AGE, default 600 s here) with health checks: a
  sync worker serves one request at a time, so one kept-open connection per worker is a pool of
  the right size without psycopg_pool (Django's ``OPTIONS["pool"]`` would need the extra package
  and pays off with many threads per process, not with sync workers).
- backlog 2048: a synchronised start puts thousands of connections in the accept queue at once.
- timeout 30 s kills a stuck worker; graceful_timeout lets a submit in flight finish on reload.
- max_requests with jitter recycles workers now and then (bounded memory), not all at once.
Behind nginx (TLS, static files by WhiteNoise or nginx), bind to loopback only.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
backlog = int(os.environ.get("GUNICORN_BACKLOG", "2048"))
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Load the app once in the master: workers fork with Django imported (faster start, shared pages).
preload_app = True
# Access logs cost CPU per request; nginx keeps them in production.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
proc_name = "jinguo"

# Read by jinguo/settings.py when the app loads (after this file).
os.environ.setdefault("DB_CONN_MAX_AGE", "600")


def post_fork(server, worker):
    # With preload_app the master may have opened a database connection while importing; a
    # forked copy of it must not be shared between processes.
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()
