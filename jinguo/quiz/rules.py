"""Quiz permissions, named resource:action, granted by roles (checked by
``jinguo.accounts.rules.has_perm`` once ``QuizConfig.ready`` registers this table)."""

from __future__ import annotations

from jinguo.accounts.models import User
from jinguo.accounts.rules import has_perm

QUIZ_WRITE = "quiz.quizzes:write"
BANK_WRITE = "quiz.banks:write"
RESULT_READ = "quiz.results:read"

ROLE_PERMISSIONS: dict[str, set[str]] = {
    User.Role.ADMIN: {QUIZ_WRITE, BANK_WRITE, RESULT_READ},
    User.Role.REVIEWER: {RESULT_READ},
    User.Role.LIAISON: {RESULT_READ},
}


def is_organiser(user, quiz) -> bool:
    """The quiz's own unit (or a unit above it) with the right to manage it: sees phone numbers."""
    return has_perm(user, QUIZ_WRITE, at=quiz.owner)
