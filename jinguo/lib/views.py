"""Small helpers every app's views use: the viewer's unit, a page of a list, a number from a query."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


def require_viewer_org(request: HttpRequest):
    """The signed-in viewer's own unit (an ``orgs.Org``). An account without one (e.g. a bare
    superuser) sees no unit's pages: 403."""
    if request.user.org_id is None:
        raise PermissionDenied
    return request.user.org


def page_of(request: HttpRequest, items: QuerySet | Sequence, size: int) -> Page:
    """The page of ``items`` named by ``?page=`` (the first if it is not a number, the last if beyond)."""
    return Paginator(items, size).get_page(request.GET.get("page"))


def int_or_none(value: str | None) -> int | None:
    """A whole number written in ASCII digits (an id, a year, from a query string), else None."""
    return int(value) if value and value.isascii() and value.isdigit() else None
