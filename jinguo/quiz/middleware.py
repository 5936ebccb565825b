"""The quiz's public JSON API skips the site's middleware stack when the request carries no session.

A participant's phone has no session cookie: the session, the user, the CSRF check (the API is
CSRF-exempt and JSON-only), messages, htmx and the scope (a scope follows a signed-in user) would
all be work for nothing on the hottest path of a synchronised start. Such a request goes straight
to its view, as an anonymous user. A request WITH a session cookie (a signed-in staff member
taking a staff-only quiz) takes the ordinary path, so it is treated exactly as before.

Which requests: those Django's resolver matches against ``public_urls.api_urlpatterns``, mounted
where the site's URLconf mounts the quiz app. Installed right after WhiteNoise in
settings.MIDDLEWARE: SecurityMiddleware still runs.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import ResolverMatch, URLPattern, reverse

from jinguo.quiz import public_urls

_ANONYMOUS = AnonymousUser()


class PublicApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._routes: list[tuple[str, list[URLPattern]]] | None = None

    def routes(self) -> list[tuple[str, list[URLPattern]]]:
        """(path prefix, URL patterns below it) served session-free: the quiz's API, under the quiz
        app's prefix in the site's URLconf ("/quiz/")."""
        return [(reverse("quiz:list"), public_urls.api_urlpatterns)]

    def resolve(self, path: str) -> ResolverMatch | None:
        # Django's resolver, pattern by pattern under a prefix: a few µs for the API's paths (the
        # site's whole URLconf, the same answer through include(), took ~20 µs a request).
        if self._routes is None:  # at the first request: the URLconf is loaded by then
            self._routes = self.routes()
        for prefix, patterns in self._routes:
            if path.startswith(prefix):
                rest = path[len(prefix) :]
                for pattern in patterns:
                    match = pattern.resolve(rest)
                    if match is not None:
                        return match
        return None

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            match = self.resolve(request.path_info)
            if match is not None:
                request.user = _ANONYMOUS
                request.resolver_match = match
                return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)
