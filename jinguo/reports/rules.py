"""Report permissions, named resource:action, granted by roles (checked by
``jinguo.accounts.rules.has_perm`` once ``ReportsConfig.ready`` registers this table).

Liaisons and administrators write their own unit's reports (``has_perm_here``); reviewers and
administrators review the reports sent to their unit.
"""

from __future__ import annotations

from jinguo.accounts.models import User

REPORT_WRITE = "reports.reports:write"
REPORT_REVIEW = "reports.reports:review"

ROLE_PERMISSIONS: dict[str, set[str]] = {
    User.Role.ADMIN: {REPORT_WRITE, REPORT_REVIEW},
    User.Role.REVIEWER: {REPORT_REVIEW},
    User.Role.LIAISON: {REPORT_WRITE},
}
