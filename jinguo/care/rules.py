"""Care registry permissions (checked by ``jinguo.accounts.rules.has_perm`` once ``CareConfig.ready``
registers this table).

- 关爱工作者 (``User.Role.CARE``) reads and writes the registry of their unit's subtree.
- Every other role sees counts only (``COUNTS_READ``): cells under ``SMALL_CELL`` people are shown
  as "<5" to them, so a village's figure cannot single a person out.
- A **care admin** is a 管理员 who also holds 关爱工作者 (``is_care_admin``): they export, read a
  person's access log and the unusual-reading page, arrange transfers between units, and at the
  city (or above) keep the category list and see what will be purged. Needing both roles keeps
  the registry out of an ordinary admin's hands and the admin's powers out of a caseworker's.
"""

from __future__ import annotations

from jinguo.accounts.models import User
from jinguo.accounts.rules import has_perm
from jinguo.orgs.models import Org

REGISTRY_READ = "care.people:read"
REGISTRY_WRITE = "care.people:write"
COUNTS_READ = "care.counts:read"
# Held by admins; it counts only together with REGISTRY_READ (see is_care_admin).
CARE_ADMINISTER = "care.registry:administer"

ROLE_PERMISSIONS: dict[str, set[str]] = {
    User.Role.ADMIN: {COUNTS_READ, CARE_ADMINISTER},
    User.Role.REVIEWER: {COUNTS_READ},
    User.Role.LIAISON: {COUNTS_READ},
    User.Role.CARE: {COUNTS_READ, REGISTRY_READ, REGISTRY_WRITE},
}

SMALL_CELL = 5
CITY_OR_ABOVE = {Org.Kind.NATIONAL, Org.Kind.PROVINCE, Org.Kind.CITY}


def is_care_admin(user: User, *, at: Org) -> bool:
    """A 管理员 holding 关爱工作者 too, at ``at`` or above it."""
    return has_perm(user, REGISTRY_READ, at=at) and has_perm(user, CARE_ADMINISTER, at=at)


def may_export(user: User, *, at: Org) -> bool:
    """Exports are the care admin's: a whole list leaves the system, so it takes the stronger role."""
    return is_care_admin(user, at=at)


def is_city_care_admin(user: User) -> bool:
    """Keeps the category list and sees the retention forecast: a care admin of a city or above."""
    org = user.org
    return org is not None and org.kind in CITY_OR_ABOVE and is_care_admin(user, at=org)


def sees_small_cells(user: User, *, at: Org) -> bool:
    """Exact small counts only for the care role; everyone else reads "<5"."""
    return has_perm(user, REGISTRY_READ, at=at)
