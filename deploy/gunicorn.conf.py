"""Gunicorn for Jinguo on a small machine (2 cores, PostgreSQL and Redis on the same box).

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/0 SECRET_KEY=... \
        .venv/bin/gunicorn -c deploy/gunicorn.conf.py jinguo.wsgi

Why these numbers (measured by bench/quiz/run.py, figures in docs/benchmarks.md):
- Threaded workers (gthread), not sync: a sync worker closes the connection after every response
  and then lingers until the client has closed its side (gunicorn's graceful close), so a phone's
  start and submit cost two TCP connections and a worker that waits on each. gthread keeps the
  connection alive between the two, and its threads overlap the short waits on PostgreSQL and
  Redis. 3,000 participants starting within 10 s on 2 cores: p99 73 ms with gthread against
  1.1 s with 5 sync workers.
- Workers = 2 x cores = 4, 8 threads each. Threads per worker were what mattered: 4,500 starts
  within 10 s (more than the machine serves) completed at 239-324 attempts/s with 2 threads per
  worker (4 runs of 4 x 2), 313-387/s with 8 (2, 3 or 4 workers; 8 runs), and the CPU per attempt
  of both the workers and PostgreSQL fell (more requests in flight: PostgreSQL commits them in
  groups, a worker switches less). Runs on this shared machine vary by about 20 %. Each thread
  holds one PostgreSQL connection: 32 of max_connections 100.
- Persistent database connections, without a health check before each request (below): a
  thread serves one request at a time, so one kept-open connection per thread is a pool of the
  right size without psycopg_pool (Django's ``OPTIONS["pool"]`` would need the extra package and
  pays off with many threads per process). Kept for the worker's life (DB_CONN_MAX_AGE=none):
  with a limit, the threads a quiet evening left idle would all reconnect in the first second of
  the morning's synchronised start; workers are recycled (max_requests) anyway.
- Warm before serving (jinguo/warmup.py): the master imports every view and compiles the routes
  and the public quiz's templates before it forks (preload_app); each worker then loads the live
  quizzes, serves their page and unit list once to itself, and each thread opens its PostgreSQL
  and Redis connections and plans the quiz's hot statements (post_worker_init). A worker nobody
  has visited used to import the whole URLconf at its first request while a synchronised start
  queued behind it.
- backlog 2048: a synchronised start puts thousands of connections in the accept queue at once.
- timeout 30 s kills a stuck worker; graceful_timeout lets a submit in flight finish on reload.
- max_requests with jitter recycles workers now and then (bounded memory), not all at once.
Behind nginx (TLS, static files by WhiteNoise or nginx), bind to loopback only.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
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
os.environ.setdefault("DB_CONN_MAX_AGE", "none")
# No "SELECT 1" before each request's first query: that round trip was 15 % of a worker's time in
# the quiz burst (py-spy, bench/quiz). Django's default. After a PostgreSQL restart a worker's
# first request fails once (the phone's submit is retried; Django then drops the dead
# connection); set DB_CONN_HEALTH_CHECKS=1 to trade that for the round trip.
os.environ.setdefault("DB_CONN_HEALTH_CHECKS", "0")


def post_fork(server, worker):
    # With preload_app the master may have opened a database connection while importing; a
    # forked copy of it must not be shared between processes.
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()


def post_worker_init(worker):
    # Before the worker takes its first request (see the top of this file and jinguo/warmup.py).
    import threading
    from concurrent import futures

    from django.db import connections

    from jinguo import warmup

    try:
        slugs = warmup.warm_worker(getattr(worker, "wsgi", None))  # the app gunicorn loaded
        worker.log.info("warm-up: %s", ", ".join(slugs) or "no live quiz")
    except Exception:  # a warm-up must never keep a worker from serving
        worker.log.exception("warm-up failed; the first requests will load what they need")
    finally:
        for conn in connections.all(initialized_only=True):
            conn.close()
    tpool = getattr(worker, "tpool", None)  # gthread workers
    if tpool is None:
        return
    # One task per thread: the barrier holds each until all have started, so each runs on its own
    # thread and opens that thread's connections (kept, see DB_CONN_MAX_AGE).
    barrier = threading.Barrier(worker.cfg.threads)

    def warm_thread():
        barrier.wait(timeout=10)
        warmup.warm_thread()

    tasks = [tpool.submit(warm_thread) for _ in range(worker.cfg.threads)]
    done, _ = futures.wait(tasks, timeout=20)
    failed = [t.exception() for t in done if t.exception() is not None]
    if failed or len(done) < len(tasks):
        worker.log.warning(
            "connection warm-up incomplete (%d of %d): %s", len(done) - len(failed), len(tasks), failed[:1]
        )
