"""The pages work under the Content-Security-Policy: no violation, no script error, charts drawn."""

from __future__ import annotations

import pytest

from jinguo.activities.models import Activity
from jinguo.activities.rollups import apply_activity_changes
from jinguo.campaigns.models import CampaignTarget
from tests.browser import sign_in
from tests.factories import PASSWORD, make_campaign, make_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_main_pages_raise_no_csp_violation(tree, users, new_page):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang], title="三八维权周")
    plan = make_plan(CampaignTarget.objects.get(campaign=campaign, org=tree.qxg))
    entry = Activity.objects.create(
        org=tree.qxg, campaign=campaign, title="宣讲", date="2023-03-06", place="村委会",
        venue_type="village", participants_total=40, created_by=users.qxg_liaison,
    )  # fmt: skip
    apply_activity_changes([(entry, 1)])
    page = new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, "city_admin", PASSWORD)
    for url in ["/", f"/campaigns/{campaign.pk}/", f"/campaigns/plans/{plan.pk}/", "/activities/", "/reports/"]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    page.goto(f"/dashboard/?campaign={campaign.pk}")
    page.wait_for_load_state("networkidle")
    assert page.locator("canvas").count() >= 1  # ECharts drew under the policy
    assert problems == []
