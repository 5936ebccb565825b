"""Report permissions, named resource:action, granted by roles (checked by
``jinguo.accounts.rules.has_perm`` once ``ReportsConfig.ready`` registers this table).

Liaisons and administrators write their own unit's reports (``has_perm_here``); reviewers and
administrators review the reports sent to their unit.

Voiding (作废): a unit's writers void their own unit's reports while not adopted (``REPORT_WRITE``
here); an administrator of the reviewing unit (or above it) voids any of them (``REPORT_VOID`` at
``to_org``) and restores a voided one (``REPORT_RESTORE`` at ``to_org``).
"""

from __future__ import annotations

from jinguo.accounts.models import User

REPORT_WRITE = "reports.reports:write"
REPORT_REVIEW = "reports.reports:review"
REPORT_VOID = "reports.reports:void"
REPORT_RESTORE = "reports.reports:restore"

ROLE_PERMISSIONS: dict[str, set[str]] = {
    User.Role.ADMIN: {REPORT_WRITE, REPORT_REVIEW, REPORT_VOID, REPORT_RESTORE},
    User.Role.REVIEWER: {REPORT_REVIEW},
    User.Role.LIAISON: {REPORT_WRITE},
}
