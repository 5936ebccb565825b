from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models


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
    from jinguo.audit.models import AuditEntry

    actor = by if by is not None and getattr(by, "is_authenticated", False) else None
    # Saved as an instance, not through the scoped manager: a write reads no rows, and an
    # action's audit row is written wherever it happened (a command, a public page).
    entry = AuditEntry(
        actor=actor,
        actor_name=(actor.display_name if actor else "系统"),
        org=org,
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=obj.pk,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )
    entry.save()
    return entry
