from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr

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


# ---------------------------------------------------------------------------------------------
# The per-unit table of the board, the ledger's coverage, the report ranking and the quiz:
# 本级 (the unit's own records), one row per child unit holding its whole subtree, 合计.
#
#     figures = totals_by_branch(qs, root=unit, events=Count("pk"))   # one grouped query
#     rows = [Row(b, figures.get(b.path, {})) for b in branches(unit, figures)]  # one query
#     total = the sum of the rows (they add up to the subtree: a unit with figures is never left out)


@dataclass(frozen=True)
class Branch:
    """One row of the table below a unit: the unit itself (``own``, 本级) or one child unit with
    its subtree. ``path`` is the row's key in ``totals_by_branch``."""

    org: Org
    own: bool = False
    has_children: bool = False  # an active unit below the child: the row drills down

    @property
    def path(self) -> str:
        return self.org.path


def totals_by_branch(qs: QuerySet, *, root: Org, path_field: str = "org__path", **aggregates) -> dict[str, dict]:
    """``aggregates`` of ``qs`` (rows of ``root``'s subtree) per branch, in one grouped query: keyed
    by the path of the child unit whose subtree holds the row, or by ``root.path`` for the rows of
    ``root`` itself (a path shorter than a child's is cut to itself)."""
    width = len(root.path) + SEGMENT_WIDTH
    grouped = qs.annotate(branch=Substr(path_field, 1, width)).order_by().values("branch").annotate(**aggregates)
    return {row.pop("branch"): row for row in grouped}


def branches(root: Org, *figures: Iterable[str]) -> list[Branch]:
    """The rows of ``root``'s table: 本级 first, then its child units in tree order, the active ones
    and any inactive one that holds figures (its path among the keys of ``figures``), so that the
    rows add up to the subtree. One query."""
    held = {path for keys in figures for path in keys}
    active_below = Org.objects.filter(parent=OuterRef("pk"), is_active=True)
    children = (
        Org.objects.filter(parent=root)
        .filter(Q(is_active=True) | Q(path__in=held))
        .annotate(has_children=Exists(active_below))
        .order_by("path")
    )
    return [Branch(org=root, own=True), *(Branch(org=c, has_children=c.has_children) for c in children)]
