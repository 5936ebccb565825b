"""Django's model backend, with its user look-ups made outside any scope.

A login and a session's user are read before the request has a scope: the user is what defines
it. Everything after that runs inside the user's subtree (``ScopeMiddleware``).
"""

from __future__ import annotations

from django.contrib.auth import backends

from jinguo.lib.scoping import scopes_disabled


class ModelBackend(backends.ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        with scopes_disabled():  # a login looks its user up before any scope exists
            return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        with scopes_disabled():  # the session's user is what the request's scope is made from
            return super().get_user(user_id)
