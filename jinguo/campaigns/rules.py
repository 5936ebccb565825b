"""Campaign permissions, named resource:action, granted by roles (checked by
``jinguo.accounts.rules.has_perm``, which reads this table once ``CampaignsConfig.ready`` registers it).

Issuing campaigns is for administrators; reviewers review the plans filed with their unit; liaisons
sign receipts and file plans for their own unit (``has_perm_here``), as administrators may.
"""

from __future__ import annotations

from jinguo.accounts.models import User

CAMPAIGN_WRITE = "campaigns.campaigns:write"
PLAN_REVIEW = "campaigns.plans:review"
PLAN_WRITE = "campaigns.plans:write"
RECEIPT_SIGN = "campaigns.receipts:sign"

ROLE_PERMISSIONS: dict[str, set[str]] = {
    User.Role.ADMIN: {CAMPAIGN_WRITE, PLAN_REVIEW, PLAN_WRITE, RECEIPT_SIGN},
    User.Role.REVIEWER: {PLAN_REVIEW},
    User.Role.LIAISON: {PLAN_WRITE, RECEIPT_SIGN},
}
