"""The one place that decides which org-owned rows a query may see.

Every model owned by an org declares, once, how its rows hang off the org tree:

    objects = ScopedManager(org="plan__target__org")

That manager is the model's only manager. Inside a scope it returns the rows of that subtree;
with no scope active it raises ``ScopeError``: a forgotten filter fails closed, never leaks.
Requests run inside the signed-in user's scope (``ScopeMiddleware``). Every deliberate read
across subtrees (the public quiz, commands, imports, rollups, notifications) is written as

    with scopes_disabled():  # <one line: why this read may cross subtrees>

so ``grep -rn scopes_disabled jinguo/`` lists every bypass. Django's base manager (used for
related lookups such as ``plan.target``) stays plain: it follows a row the caller already holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models
from django.db.models import Exists, OuterRef, Q

# A path is made of fixed-width digit segments; no path contains this character, and it sorts
# after every digit in every collation, so [path, path + END) is exactly the subtree.
PATH_END = "Z"
# Each tree level adds one fixed-width segment of digits to the path: 99,999 children per unit.
SEGMENT_WIDTH = 5


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


def ancestor_paths(path: str) -> list[str]:
    """The paths of the org at ``path`` and of every org above it."""
    return [path[:i] for i in range(SEGMENT_WIDTH, len(path) + 1, SEGMENT_WIDTH)]


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


def _crosses_many(model: type[models.Model], lookup: str) -> bool:
    """Whether following ``lookup`` from ``model`` can reach several rows (a reverse or m2m step)."""
    for name in lookup.split("__"):
        field = model._meta.get_field(name)
        if field.one_to_many or field.many_to_many:
            return True
        model = field.related_model
    return False


def _lookup_q(model: type[models.Model], lookup: str, path: str, *, shared_down: bool) -> Q:
    field = "" if lookup == "self" else lookup
    q = subtree_q(path, field)
    if shared_down:
        prefix = f"{field}__" if field else ""
        q |= Q(**{f"{prefix}path__in": ancestor_paths(path)})
    if not field or not _crosses_many(model, field):
        return q
    first, _, rest = field.partition("__")
    relation = model._meta.get_field(first)
    if relation.one_to_many and rest:
        # A reverse foreign key: an EXISTS on the related rows, so a row is never returned twice.
        related = relation.related_model
        inner = _lookup_q(related, rest, path, shared_down=shared_down)
        return Q(Exists(related._base_manager.filter(inner, **{relation.field.name: OuterRef("pk")})))
    return Q(pk__in=model._base_manager.filter(q).values("pk"))


class ScopedManager(models.Manager):
    """The only manager of an org-owned model: filters to the active scope, raises without one.

    ``org``: the lookup (or lookups, any of which admits a row) from the model to the owning
    ``Org``; ``"self"`` for the org tree itself. A lookup through a reverse or many-to-many
    relation is matched with a subquery, so a row is never returned twice.
    ``via``: instead of ``org``, a foreign key whose row's scope this model shares.
    ``shared_down``: also visible to the units below the owning org (a quiz its units take).
    """

    def __init__(self, *, org: str | tuple[str, ...] = (), via: str = "", shared_down: bool = False):
        super().__init__()
        self.org_lookups = (org,) if isinstance(org, str) else tuple(org)
        self.via = via
        self.shared_down = shared_down
        if self.org_lookups and via:
            raise TypeError("ScopedManager takes one of org= or via=, not both")
        if shared_down and len(self.org_lookups) != 1:
            raise TypeError("shared_down needs exactly one org lookup")

    @property
    def is_declared(self) -> bool:
        return bool(self.org_lookups or self.via)

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        if self.is_declared:
            cls.scope_q = classmethod(lambda model, path: model._default_manager.scope_q(path))

    def scope_q(self, path: str) -> Q:
        """The rows of this model that the subtree rooted at ``path`` may see."""
        model = self.model
        if not self.is_declared:
            # A related manager (``bank.questions``): Django builds it as a subclass of this one
            # with no arguments, so it asks the model, whose scope_q the declared manager set.
            return model.scope_q(path)
        if self.via:
            parent = model._meta.get_field(self.via).related_model
            return Q(**{f"{self.via}__in": parent._base_manager.filter(parent.scope_q(path)).values("pk")})
        q = Q()
        for lookup in self.org_lookups:
            q |= _lookup_q(model, lookup, path, shared_down=self.shared_down)
        return q

    def visible_to(self, user) -> models.QuerySet:
        """The rows ``user``'s unit may see, never more than the active scope allows.

        Selectors that take the viewer start here, so that they stay right when called outside the
        viewer's request (a command, a test, an export task)."""
        qs = self.get_queryset()
        active = _current.get()
        if active is not None and active.path == user.org.path:
            return qs
        return qs.filter(self.scope_q(user.org.path))

    def none(self) -> models.QuerySet:
        # An empty queryset reads nothing (forms declare one at import time, before any scope).
        return super().get_queryset().none()

    def get_queryset(self) -> models.QuerySet:
        active = _current.get()
        if active is None:
            raise ScopeError(f"{self.model.__name__} was queried with no scope active")
        qs = super().get_queryset()
        if active.path is None:
            return qs
        return qs.filter(self.scope_q(active.path))


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
