"""The quiz's public JSON API skips the site's middleware stack when the request carries no session.

A participant's phone has no session cookie: the session, the user, the CSRF check (the API is
CSRF-exempt and JSON-only), messages, htmx and the scope (a scope follows a signed-in user) would
all be work for nothing on the hottest path of a synchronised start. Such a request goes straight
to its view, as an anonymous user. A request WITH a session cookie (a signed-in staff member
taking a staff-only quiz) takes the ordinary path, so it is treated exactly as before.

Installed right after WhiteNoise in settings.MIDDLEWARE: SecurityMiddleware still runs.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from jinguo.quiz import public

_ANONYMOUS = AnonymousUser()


class PublicApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.pattern = None

    def _compile(self) -> re.Pattern:
        prefix = reverse("quiz:take", kwargs={"slug": "s"})[: -len("s/")]  # "/quiz/p/"
        api = (
            rf"{re.escape(prefix)}(?P<slug>[-a-zA-Z0-9_]+)/"
            r"(?:(?P<plain>start|code|units)|attempts/(?P<attempt_id>[0-9]+)/(?P<attempt>answers|submit|result))"
        )
        bench = "|(?P<bench>/bench/insert)" if settings.JINGUO_BENCH_VIEWS else ""
        return re.compile(rf"(?:{api}){bench}\Z")

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            if self.pattern is None:
                self.pattern = self._compile()
            match = self.pattern.match(request.path_info)
            if match is not None:
                request.user = _ANONYMOUS
                return self._dispatch(request, match)
        return self.get_response(request)

    @staticmethod
    def _dispatch(request, match: re.Match):
        if match.groupdict().get("bench"):
            from jinguo.quiz import bench_views

            return bench_views.insert_row(request)
        slug = match["slug"]
        plain = match["plain"]
        if plain == "start":
            return public.start(request, slug=slug)
        if plain == "code":
            return public.send_code(request, slug=slug)
        if plain == "units":
            return public.units(request, slug=slug)
        view = {"answers": public.save, "submit": public.submit, "result": public.result}[match["attempt"]]
        return view(request, slug=slug, attempt_id=int(match["attempt_id"]))
