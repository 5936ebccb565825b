"""Who may write the ledger and handle needs (checked by ``jinguo.accounts.rules.has_perm`` once
``ActivitiesConfig.ready`` registers this table).

The people who file a unit's plan (liaisons) and its administrators log its events and follow up
the needs it is responsible for, for their unit and the units below it. They may also void (作废)
an entry, an attendee or a need with a reason; only an administrator may restore one.
"""

from __future__ import annotations

from jinguo.accounts.models import User

ACTIVITY_WRITE = "activities.activities:write"
NEED_WRITE = "activities.needs:write"
LEDGER_RESTORE = "activities.voided:restore"  # put a voided entry, attendee or need back into the counts

ROLE_PERMISSIONS: dict[str, set[str]] = {
    User.Role.ADMIN: {ACTIVITY_WRITE, NEED_WRITE, LEDGER_RESTORE},
    User.Role.REVIEWER: set(),
    User.Role.LIAISON: {ACTIVITY_WRITE, NEED_WRITE},
}
