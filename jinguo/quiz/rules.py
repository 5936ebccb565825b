"""Quiz permissions, named resource:action, granted by roles and bounded by the user's subtree
(the same shape as ``jinguo.accounts.rules``)."""

from __future__ import annotations

from jinguo.accounts.models import User

MANAGE = "quiz.quizzes:write"
BANKS = "quiz.banks:write"
RESULTS = "quiz.results:read"

ROLE_PERMISSIONS: dict[str, set[str]] = {
    User.Role.ADMIN: {MANAGE, BANKS, RESULTS},
    User.Role.REVIEWER: {RESULTS},
    User.Role.LIAISON: {RESULTS},
}


def has_quiz_perm(user, perm: str, *, at) -> bool:
    """May ``user`` do ``perm`` on something owned by unit ``at``? No query."""
    if not user.is_authenticated or not user.is_active or user.org is None:
        return False
    return at.is_within(user.org) and any(perm in ROLE_PERMISSIONS[r] for r in user.roles)


def is_organiser(user, quiz) -> bool:
    """The quiz's own unit (or a unit above it) with the right to manage it: sees phone numbers."""
    return has_quiz_perm(user, MANAGE, at=quiz.owner)
