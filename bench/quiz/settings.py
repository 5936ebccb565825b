"""Jinguo's settings with the benchmark's site (bench/quiz/site.py): DJANGO_SETTINGS_MODULE for
the server and the steps of bench/quiz/run.py."""

from jinguo.settings import *  # noqa: F403 the production settings, two names changed
from jinguo.settings import MIDDLEWARE

ROOT_URLCONF = "bench.quiz.site"
MIDDLEWARE = [
    "bench.quiz.site.BenchApiMiddleware" if m == "jinguo.quiz.middleware.PublicApiMiddleware" else m for m in MIDDLEWARE
]
