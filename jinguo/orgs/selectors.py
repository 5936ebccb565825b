from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import SEGMENT_WIDTH, Org


def orgs_visible_to(*, user) -> QuerySet[Org]:
    """The viewer's own unit and everything below it."""
    return Org.objects.filter(user.org.subtree_q())


def ancestors_of(org: Org) -> QuerySet[Org]:
    """From the root down to ``org`` itself (for breadcrumbs), in one query."""
    with scopes_disabled():  # breadcrumbs name the units above the viewer's own
        return Org.objects.filter(path__in=org.ancestor_paths()).order_by("depth")


def children_of(org: Org, *, active_only: bool = False) -> QuerySet[Org]:
    qs = Org.objects.filter(parent=org)
    return qs.filter(is_active=True) if active_only else qs


def with_child_counts(qs: QuerySet[Org]) -> QuerySet[Org]:
    return qs.annotate(child_count=Count("children"))


def search_orgs(*, user, q: str = "", kind: str = "", status: str = "") -> QuerySet[Org]:
    """Units of the viewer's subtree matching a name or code fragment, a kind and active state."""
    qs = orgs_visible_to(user=user)
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(code__startswith=q))
    if kind:
        qs = qs.filter(kind=kind)
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "inactive":
        qs = qs.filter(is_active=False)
    return qs.order_by("path")


def ancestors_by_path(orgs, *, user) -> dict[str, list[Org]]:
    """For each unit, its ancestors from the viewer's unit down to its parent, in one query."""
    top = user.org.path
    wanted = {p for org in orgs for p in org.ancestor_paths()[:-1] if p.startswith(top)}
    found = {o.path: o for o in Org.objects.filter(path__in=wanted).only("pk", "name", "path")}
    return {org.path: [found[p] for p in org.ancestor_paths()[:-1] if p in found] for org in orgs}


def export_rows(*, user):
    """Rows of the viewer's subtree for Excel: parents come before children; nothing above the viewer."""
    root = user.org
    names: dict[str, str] = {}
    codes: dict[str, str] = {}
    qs = orgs_visible_to(user=user).order_by("path")
    for path, code, name, short_name, kind, active in qs.values_list(
        "path", "code", "name", "short_name", "kind", "is_active"
    ).iterator(chunk_size=5000):
        parent_path = path[:-SEGMENT_WIDTH]
        if path == root.path:
            parent_code, parent_names = "", ""
        else:
            parent_code = codes.get(parent_path, "")
            parent_names = names[parent_path]
        names[path] = f"{parent_names}/{name}" if parent_names else name
        codes[path] = code or ""
        yield (
            code or "",
            name,
            short_name,
            str(Org.Kind(kind).label),
            parent_code,
            parent_names,
            "是" if active else "否",
        )
