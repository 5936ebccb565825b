"""Permissions, named resource:action, granted by roles and bounded by the user's subtree."""

from __future__ import annotations

from jinguo.accounts.models import User

ROLE_PERMISSIONS: dict[str, set[str]] = {
    User.Role.ADMIN: {
        "orgs.units:write",
        "accounts.users:write",
        "campaigns.campaigns:write",
        "campaigns.plans:review",
        "campaigns.receipts:sign",
        "campaigns.plans:write",
        "reports.reports:write",
        "reports.reports:review",
    },
    User.Role.REVIEWER: {"campaigns.plans:review", "reports.reports:review"},
    User.Role.LIAISON: {"campaigns.receipts:sign", "campaigns.plans:write", "reports.reports:write"},
}


def permissions_of(user: User) -> set[str]:
    perms: set[str] = set()
    for role in user.roles:
        perms |= ROLE_PERMISSIONS[role]
    return perms


def has_perm(user: User, perm: str, *, at) -> bool:
    """May ``user`` do ``perm`` on something owned by unit ``at``? A string check, no query."""
    if not user.is_authenticated or not user.is_active or user.org is None:
        return False
    return at.is_within(user.org) and perm in permissions_of(user)


def has_perm_here(user: User, perm: str, *, at) -> bool:
    """As ``has_perm``, but only for the user's own unit (signing and filing act for one unit)."""
    return user.is_authenticated and user.org_id == at.pk and perm in permissions_of(user)
