"""The one place that decides which org-owned rows a query may see.

Every model owned by an org uses ``ScopedManager`` as its default manager and says, in
``scope_q(path)``, how its rows hang off the org tree. A query made while no scope is active
raises ``ScopeError`` instead of returning everything: a forgotten filter fails closed.

Requests run inside the signed-in user's scope (``ScopeMiddleware``); management commands,
tasks and tests name theirs explicitly with ``scope(org=...)`` or ``scopes_disabled()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models
from django.db.models import Q

# A path is made of fixed-width digit segments; no path contains this character, and it sorts
# after every digit in every collation, so [path, path + END) is exactly the subtree.
PATH_END = "Z"


class ScopeError(Exception):
    """An org-owned model was queried with no scope active."""


@dataclass(frozen=True)
class Scope:
    path: str | None  # None: scoping disabled (commands, tests' set-up)


_current: ContextVar[Scope | None] = ContextVar("jinguo_scope", default=None)


def subtree_q(path: str, field: str = "") -> Q:
    """Rows whose org (reached through ``field``) lies in the subtree rooted at ``path``."""
    prefix = f"{field}__" if field else ""
    return Q(**{f"{prefix}path__gte": path, f"{prefix}path__lt": path + PATH_END})


def current_scope() -> Scope | None:
    return _current.get()


@contextmanager
def scope(*, org) -> Iterator[None]:
    token = _current.set(Scope(path=org.path))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def scopes_disabled() -> Iterator[None]:
    token = _current.set(Scope(path=None))
    try:
        yield
    finally:
        _current.reset(token)


class ScopedManager(models.Manager):
    """Default manager of org-owned models: filters to the active scope, raises without one."""

    def get_queryset(self) -> models.QuerySet:
        active = _current.get()
        if active is None:
            raise ScopeError(f"{self.model.__name__} was queried with no scope active")
        qs = super().get_queryset()
        if active.path is None:
            return qs
        return qs.filter(self.model.scope_q(active.path))


class ScopeMiddleware:
    """Runs the whole view, template rendering included, inside the user's subtree."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.org_id:
            with scope(org=user.org):
                response = self.get_response(request)
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response.render()
                return response
        return self.get_response(request)
