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
from django.urls import URLResolver, include, path, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern

from jinguo.quiz import public_urls

_ANONYMOUS = AnonymousUser()


class PublicApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.resolver: URLResolver | None = None

    def urlpatterns(self) -> list:
        """The session-free API, under the quiz app's prefix in the site's URLconf ("quiz/")."""
        return [path(reverse("quiz:list").lstrip("/"), include(public_urls.api_urlpatterns))]

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return self.get_response(request)
        if self.resolver is None:  # at the first request: the URLconf is loaded by then
            self.resolver = URLResolver(RegexPattern(r"^/"), self.urlpatterns())
        try:
            match = self.resolver.resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        request.user = _ANONYMOUS
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
