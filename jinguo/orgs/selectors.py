from __future__ import annotations

from django.db.models import QuerySet

from jinguo.orgs.models import Org


def orgs_visible_to(*, user) -> QuerySet[Org]:
    """The viewer's own unit and everything below it."""
    return Org.all_objects.filter(user.org.subtree_q())


def ancestors_of(org: Org) -> QuerySet[Org]:
    """From the root down to ``org`` itself (for breadcrumbs), in one query."""
    return Org.all_objects.filter(path__in=org.ancestor_paths()).order_by("depth")


def children_of(org: Org, *, active_only: bool = False) -> QuerySet[Org]:
    qs = Org.all_objects.filter(parent=org)
    return qs.filter(is_active=True) if active_only else qs
