"""Run by tests/test_warmup.py in fresh interpreters (not a test module itself).

``seed``: migrate a scratch SQLite database and publish a live public quiz in it.
``probe [--cold|--loaded-only]``: load the application as a server does (``jinguo.wsgi``, then the
worker and thread warm-up of jinguo/warmup.py; ``--loaded-only`` skips the worker's part, ``--cold``
loads a bare Django handler with no warm-up at all), then
take the quiz as the first participant — page, unit list, start, submit — and print, as JSON, the
modules those requests had to import and the status of each.
"""

from __future__ import annotations

import json
import os
import sys
from io import BytesIO

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinguo.settings")

SLUG = "warm2026"


def seed() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from jinguo.lib.scoping import scopes_disabled
    from jinguo.orgs.models import Org
    from tests.factories import make_org
    from tests.quiz.conftest import make_bank, make_quiz

    with scopes_disabled():  # set-up of a scratch database
        city = make_org("毕节市妇联", Org.Kind.CITY, code="520500")
        make_org("七星关区妇联", Org.Kind.COUNTY, city, code="520502")
        make_quiz(city, make_bank(city), slug=SLUG)


def _call(application, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
    raw = json.dumps(body).encode() if body is not None else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "203.0.113.7",
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(raw),
        "CONTENT_LENGTH": str(len(raw)),
        "CONTENT_TYPE": "application/json" if body is not None else "",
    }
    status = {}

    def start_response(s, headers, exc_info=None):
        status["code"] = int(s.split()[0])

    content = b"".join(application(environ, start_response))
    try:
        return status["code"], json.loads(content)
    except ValueError:
        return status["code"], None


def probe(mode: str) -> None:
    if mode == "--cold":
        from django.core.wsgi import get_wsgi_application

        application = get_wsgi_application()
    else:
        from jinguo import warmup
        from jinguo.wsgi import application

        if mode != "--loaded-only":
            warmup.warm_worker(application)
            warmup.warm_thread()
    before = set(sys.modules)
    statuses = {}
    statuses["page"], _ = _call(application, "GET", f"/quiz/p/{SLUG}/")
    statuses["units"], units = _call(application, "GET", f"/quiz/p/{SLUG}/units")
    unit = units["units"][0]["id"] if units and units.get("units") else None
    statuses["start"], started = _call(
        application,
        "POST",
        f"/quiz/p/{SLUG}/start",
        {"phone": f"138{os.getpid() % 100000000:08d}", "name": "测试", "unit": unit, "device": "d" * 32},
    )
    if started and "attempt" in started:
        statuses["submit"], _ = _call(
            application,
            "POST",
            f"/quiz/p/{SLUG}/attempts/{started['attempt']}/submit",
            {"token": started["token"], "answers": {}, "full": True, "paper_kept": True},
        )
    print(json.dumps({"statuses": statuses, "imported": sorted(set(sys.modules) - before)}))


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed()
    else:
        probe(sys.argv[2] if len(sys.argv) > 2 else "")
