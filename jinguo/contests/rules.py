"""Contest permissions, named resource:action, granted by roles (checked by
``jinguo.accounts.rules.has_perm`` once ``ContestsConfig.ready`` registers this table).

- ``CONTEST_WRITE`` at the contest's owner: organise it (set-up, quotas, disqualify, check redactions).
- ``ENTRY_WRITE`` at the author's unit: submit, replace and withdraw entries for an author of one's
  unit or of a unit below it.
- ``ENTRY_RECOMMEND`` at one's own unit: the 推荐 review of the entries of one's subtree.

Judging is not a role: it is membership of a contest (``models.Judge``), checked by the judging pages.
"""

from __future__ import annotations

from jinguo.accounts.models import User
from jinguo.accounts.rules import has_perm, has_perm_here

CONTEST_WRITE = "contests.contests:write"
ENTRY_WRITE = "contests.entries:write"
ENTRY_RECOMMEND = "contests.entries:recommend"

ROLE_PERMISSIONS: dict[str, set[str]] = {
    User.Role.ADMIN: {CONTEST_WRITE, ENTRY_WRITE, ENTRY_RECOMMEND},
    User.Role.REVIEWER: {ENTRY_RECOMMEND},
    User.Role.LIAISON: {ENTRY_WRITE},
}


def is_organiser(user, contest) -> bool:
    """The contest's own unit (or a unit above it) with the right to run it."""
    return has_perm(user, CONTEST_WRITE, at=contest.owner)


def may_submit_for(user, org) -> bool:
    """May ``user`` submit, replace or withdraw an entry of an author of ``org`` (their unit or below)?"""
    return has_perm(user, ENTRY_WRITE, at=org)


def may_recommend(user, org) -> bool:
    """May ``user`` take ``org``'s 推荐 decisions? Only for their own unit: a city does not recommend
    on a county's behalf."""
    return has_perm_here(user, ENTRY_RECOMMEND, at=org)
