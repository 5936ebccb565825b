"""Summary permissions, named resource:action, granted by roles (registered by ``SummariesConfig.ready``).

Liaisons and administrators draft, edit and file their own unit's summary (``has_perm_here``);
reviewers and administrators review the summaries filed with their unit (``has_perm`` at ``to_org``).
"""

from __future__ import annotations

from jinguo.accounts.models import User

SUMMARY_WRITE = "summaries.summaries:write"
SUMMARY_REVIEW = "summaries.summaries:review"

ROLE_PERMISSIONS: dict[str, set[str]] = {
    User.Role.ADMIN: {SUMMARY_WRITE, SUMMARY_REVIEW},
    User.Role.REVIEWER: {SUMMARY_REVIEW},
    User.Role.LIAISON: {SUMMARY_WRITE},
}
