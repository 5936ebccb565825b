from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import models

from jinguo.lib.scoping import scopes_disabled

BATCH = 1000


@dataclass(frozen=True)
class Logged:
    """One entry for ``log_actions``: an object and its owning unit, by id (a bulk write may hold
    no model instances), with what ``log_action`` takes per entry."""

    object_id: int
    org_id: int
    from_state: str = ""
    to_state: str = ""
    reason: str = ""
    data: dict = field(default_factory=dict)


def _entry(*, by, content_type: ContentType, action: str, item: Logged):
    from jinguo.audit.models import AuditEntry

    actor = by if by is not None and getattr(by, "is_authenticated", False) else None
    limit = AuditEntry._meta.get_field("from_state").max_length
    return AuditEntry(
        actor=actor,
        actor_name=(actor.display_name if actor else "系统"),
        org_id=item.org_id,
        action=action,
        content_type=content_type,
        object_id=item.object_id,
        from_state=item.from_state[:limit],
        to_state=item.to_state[:limit],
        reason=item.reason,
        data=item.data,
    )


def log_action(
    obj: models.Model,
    action: str,
    *,
    by,
    org,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict | None = None,
):
    """Write one audit entry. Call it inside the transaction that makes the change."""
    item = Logged(
        object_id=obj.pk, org_id=org.pk, from_state=from_state, to_state=to_state, reason=reason, data=data or {}
    )
    entry = _entry(by=by, content_type=_content_type(type(obj)), action=action, item=item)
    entry.save(force_insert=True)
    return entry


def log_actions(model: type[models.Model], action: str, items: Iterable[Logged], *, by) -> int:
    """Write one audit entry per item, for objects of ``model``, in batched INSERTs: the entries
    ``log_action`` would write one by one. Call it inside the transaction that makes the changes.
    Returns the number written."""
    from jinguo.audit.models import AuditEntry

    items = list(items)
    if not items:
        return 0
    content_type = _content_type(model)
    entries = [_entry(by=by, content_type=content_type, action=action, item=item) for item in items]
    with scopes_disabled():  # a write reads no rows; audit rows are written wherever the action happened
        AuditEntry.objects.bulk_create(entries, batch_size=BATCH)
    return len(entries)


def _content_type(model: type[models.Model]) -> ContentType:
    return ContentType.objects.get_for_model(model, for_concrete_model=False)
