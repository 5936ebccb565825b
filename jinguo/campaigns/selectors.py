from __future__ import annotations

from jinguo.campaigns.models import CampaignTarget, Plan


def home_summary(*, user) -> dict:
    """What the landing page shows: what waits for me and my unit."""
    if user.org is None:
        return {}
    unsigned = CampaignTarget.objects.filter(org=user.org, signed_at__isnull=True, campaign__status="published")
    to_review = Plan.objects.filter(status=Plan.Status.SUBMITTED, target__campaign__issuer=user.org)
    return {"unsigned_count": unsigned.count(), "to_review_count": to_review.count()}
