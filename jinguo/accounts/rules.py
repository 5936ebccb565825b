"""Permissions: named resource:action, granted by roles, bounded by the user's subtree.

One check for the whole product, ``has_perm(user, perm, at=unit)``. Each app names its permissions
(constants in its own ``rules.py``), grants them to roles in that module's ``ROLE_PERMISSIONS``, and
registers the table from its ``AppConfig.ready()``; views, services and selectors import the
constants, never re-type the strings. Accounts is a low app: it imports no higher app's rules, the
higher apps come to it. Asking about a permission nobody registered raises ``UnknownPermission``,
so a typo fails loudly instead of quietly denying.

Orgs sits below accounts and cannot name the roles, so it only names its permission
(``jinguo.orgs.rules``) and accounts grants it here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set

from jinguo.accounts.models import User
from jinguo.orgs.rules import UNIT_WRITE

USER_WRITE = "accounts.users:write"

ROLE_PERMISSIONS: dict[str, set[str]] = {
    User.Role.ADMIN: {UNIT_WRITE, USER_WRITE},
    User.Role.REVIEWER: set(),
    User.Role.LIAISON: set(),
    User.Role.CARE: set(),
}

PERMISSION_RE = re.compile(r"^[a-z]+\.[a-z_]+:[a-z_]+$")

# permission -> the roles that hold it; filled by ``register_permissions`` as the apps get ready.
_ROLES_WITH: dict[str, frozenset[str]] = {}


class UnknownPermission(LookupError):
    """A permission no app registered (a typo, or an app whose table was never registered)."""


def register_permissions(table: Mapping[str, Set[str]]) -> None:
    """Add an app's role → permissions table to the one the check reads. Registering again is harmless."""
    for role, perms in table.items():
        if role not in User.Role.values:
            raise ValueError(f"unknown role {role!r} in a permission table")
        for perm in perms:
            if not PERMISSION_RE.match(perm):
                raise ValueError(f"permission {perm!r} is not named app.resource:action")
            _ROLES_WITH[perm] = _ROLES_WITH.get(perm, frozenset()) | {str(role)}


def registered_permissions() -> dict[str, frozenset[str]]:
    """Every registered permission with the roles that hold it (for tests and documentation)."""
    return dict(_ROLES_WITH)


def roles_with(perm: str) -> frozenset[str]:
    try:
        return _ROLES_WITH[perm]
    except KeyError:
        raise UnknownPermission(perm) from None


def holds_perm(user: User, perm: str) -> bool:
    """Does one of ``user``'s roles carry ``perm``, whatever the unit? For choosing recipients among
    a unit's users and for what a menu offers; a check on something owned by a unit is ``has_perm``."""
    roles = roles_with(perm)
    if not user.is_authenticated or not user.is_active or user.org_id is None:
        return False
    return not roles.isdisjoint(user.roles)


def has_perm(user: User, perm: str, *, at) -> bool:
    """May ``user`` do ``perm`` on something owned by unit ``at`` (their unit or one below)? No query.

    Never for an anonymous or inactive user, a user without a unit, or no unit at all (``at=None``).
    """
    roles = roles_with(perm)
    if at is None or not user.is_authenticated or not user.is_active or user.org is None:
        return False
    return at.is_within(user.org) and not roles.isdisjoint(user.roles)


def has_perm_here(user: User, perm: str, *, at) -> bool:
    """As ``has_perm``, but only for the user's own unit (signing and filing act for one unit)."""
    roles = roles_with(perm)
    if at is None or not user.is_authenticated or not user.is_active or user.org_id != at.pk:
        return False
    return not roles.isdisjoint(user.roles)
