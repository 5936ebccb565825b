from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from jinguo.notifications.models import Notification


def notify_users(*, users: Iterable, kind: str, title: str, url: str = "", body: str = "") -> int:
    """Create one in-app notification per user (one INSERT). Returns how many were sent."""
    rows = [Notification(recipient=u, kind=kind, title=title, url=url, body=body) for u in users]
    Notification.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
