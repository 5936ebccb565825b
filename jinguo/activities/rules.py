"""Who may write the ledger and handle needs.

Kept here rather than in ``accounts.rules.ROLE_PERMISSIONS`` so this app composes its own rules
(STYLE.md): the people who file a unit's plan (liaisons) and its administrators log its events
and follow up the needs it is responsible for, for their unit and the units below it.
"""

from __future__ import annotations

from jinguo.accounts.models import User

ACTIVITY_WRITE = "activities.activities:write"
NEED_WRITE = "activities.needs:write"

ROLE_PERMISSIONS: dict[str, set[str]] = {
    User.Role.ADMIN: {ACTIVITY_WRITE, NEED_WRITE},
    User.Role.REVIEWER: set(),
    User.Role.LIAISON: {ACTIVITY_WRITE, NEED_WRITE},
}


def can(user, perm: str, *, at) -> bool:
    """May ``user`` do ``perm`` for unit ``at`` (its own unit or one below)? No query."""
    if not user.is_authenticated or not user.is_active or user.org is None or at is None:
        return False
    if not at.is_within(user.org):
        return False
    return any(perm in ROLE_PERMISSIONS.get(role, set()) for role in user.roles)
