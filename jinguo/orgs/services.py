from __future__ import annotations

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from jinguo.audit.services import log_action
from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import SEGMENT_WIDTH, Org
from jinguo.orgs.signals import org_moved


class OrgError(ValueError):
    """A change to the tree that cannot be made; the message is shown to the user."""


def segment(n: int) -> str:
    if n >= 10**SEGMENT_WIDTH:
        raise OrgError(f"同一上级下的单位数超过上限 {10**SEGMENT_WIDTH - 1}")
    return str(n).zfill(SEGMENT_WIDTH)


def _next_child_path(parent: Org | None) -> tuple[str, int]:
    """Reserve the next child path under ``parent`` (locks the parent row)."""
    if parent is None:
        with scopes_disabled():  # top-level units are numbered across the whole tree
            last = Org.objects.filter(parent__isnull=True).count()
        return segment(last + 1), 0
    locked = Org.objects.select_for_update().get(pk=parent.pk)
    locked.child_seq += 1
    Org.objects.filter(pk=locked.pk).update(child_seq=locked.child_seq)
    parent.child_seq = locked.child_seq
    return locked.path + segment(locked.child_seq), locked.depth + 1


def _code_taken(code: str, *, by_other_than: Org | None = None) -> bool:
    with scopes_disabled():  # a division code is unique across the whole tree, not only the viewer's subtree
        qs = Org.objects.filter(code=code)
        return qs.exclude(pk=by_other_than.pk).exists() if by_other_than else qs.exists()


def _ancestor_ids(org: Org) -> list[int]:
    with scopes_disabled():  # the units above ``org`` keep totals of it, beyond the mover's subtree
        return list(Org.objects.filter(path__in=org.ancestor_paths()).values_list("pk", flat=True))


def create_org(
    *, name: str, kind: str, parent: Org | None, code: str | None = None, short_name: str = "", by=None
) -> Org:
    """Create a unit under ``parent``. Writes the audit entry ``orgs.unit.created``."""
    name = name.strip()
    if not name:
        raise OrgError("单位名称不能为空")
    if kind not in Org.Kind.values:
        raise OrgError(f"单位类型“{kind}”无效")
    code = (code or "").strip() or None
    with transaction.atomic():
        if code and _code_taken(code):
            raise OrgError(f"区划代码 {code} 已被其他单位使用")
        path, depth = _next_child_path(parent)
        org = Org.objects.create(
            name=name, short_name=short_name.strip(), kind=kind, code=code, parent=parent, path=path, depth=depth
        )
        log_action(org, "orgs.unit.created", by=by, org=org, data={"name": name, "kind": kind, "code": code})
    return org


def move_org(org: Org, *, new_parent: Org, by=None) -> None:
    """Move ``org`` with its whole subtree under ``new_parent``; ids, and so history, stay.

    Rewrites the path of every unit of the subtree in one UPDATE, then sends ``org_moved`` (the
    ledger's running totals follow). Audit: ``orgs.unit.moved``.
    """
    if new_parent.is_within(org):
        raise OrgError("不能把单位移动到它自己或它的下级单位之下")
    if org.parent_id == new_parent.pk:
        return
    with transaction.atomic():
        old_path, old_parent = org.path, org.parent
        new_path, new_depth = _next_child_path(new_parent)
        depth_delta = new_depth - org.depth
        Org.objects.filter(org.subtree_q()).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + depth_delta,
        )
        Org.objects.filter(pk=org.pk).update(parent=new_parent)
        org.refresh_from_db()
        # Apps that keep figures per ancestor (the ledger's running totals) follow the subtree.
        org_moved.send(
            sender=Org,
            org=org,
            old_ancestors=_ancestor_ids(old_parent) if old_parent else [],
            new_ancestors=_ancestor_ids(new_parent),
        )
        log_action(
            org,
            "orgs.unit.moved",
            by=by,
            org=org,
            from_state=old_parent.name if old_parent else "",
            to_state=new_parent.name,
        )


def set_org_active(org: Org, *, active: bool, by=None) -> None:
    """Deactivate or reactivate a unit. Deactivating also deactivates its subtree."""
    if org.is_active == active:
        return
    with transaction.atomic():
        qs = Org.objects.filter(org.subtree_q()) if not active else Org.objects.filter(pk=org.pk)
        qs.update(is_active=active)
        org.is_active = active
        action = "orgs.unit.reactivated" if active else "orgs.unit.deactivated"
        log_action(org, action, by=by, org=org, from_state=str(not active), to_state=str(active))


def update_org(org: Org, *, by=None, name: str, short_name: str, kind: str, code: str | None) -> list[str]:
    """Change a unit's name, short name, kind or code. Returns the changed field names.

    Audit: ``orgs.unit.updated`` with the old and new values (only when something changed).
    """
    name, short_name, code = name.strip(), short_name.strip(), (code or "").strip() or None
    if not name:
        raise OrgError("单位名称不能为空")
    if kind not in Org.Kind.values:
        raise OrgError(f"单位类型“{kind}”无效")
    new = {"name": name, "short_name": short_name, "kind": kind, "code": code}
    changed = [f for f, v in new.items() if getattr(org, f) != v]
    if not changed:
        return []
    with transaction.atomic():
        if "code" in changed and code and _code_taken(code, by_other_than=org):
            raise OrgError(f"区划代码 {code} 已被其他单位使用")
        old = {f: getattr(org, f) for f in changed}
        for f in changed:
            setattr(org, f, new[f])
        org.save(update_fields=[*changed, "updated_at"])
        log_action(
            org,
            "orgs.unit.updated",
            by=by,
            org=org,
            from_state=old.get("name", ""),
            to_state=new["name"] if "name" in changed else "",
            data={f: [old[f], new[f]] for f in changed},
        )
    return changed
