"""What the menu offers: each role sees only the pages it can use (the same rules the views apply)."""

from __future__ import annotations

from jinguo.accounts.rules import USER_WRITE, holds_perm
from jinguo.campaigns.rules import CAMPAIGN_WRITE, PLAN_REVIEW
from jinguo.care.rules import COUNTS_READ, REGISTRY_READ
from jinguo.quiz.rules import BANK_WRITE
from jinguo.reports.rules import REPORT_REVIEW

# Menu entry -> the permission its page asks for (entries not listed are for every signed-in user).
MENU_PERMISSIONS = {
    "issued": CAMPAIGN_WRITE,
    "plan_review": PLAN_REVIEW,
    "report_review": REPORT_REVIEW,
    "banks": BANK_WRITE,
    "users": USER_WRITE,
    "care": REGISTRY_READ,
    "care_stats": COUNTS_READ,
}


def menu(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"menu_can": {entry: holds_perm(user, perm) for entry, perm in MENU_PERMISSIONS.items()}}
