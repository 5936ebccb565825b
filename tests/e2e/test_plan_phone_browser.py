"""A filed plan on a phone: every planned event's 记入台账 is on screen, no sideways scrolling."""

from __future__ import annotations

import datetime as dt

import pytest

from jinguo.campaigns.models import CampaignTarget, PlannedEvent, VenueType
from tests.browser import DESKTOP, PHONE, sign_in
from tests.factories import PASSWORD, make_campaign, make_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def filed_plan(tree, users):
    campaign = make_campaign(
        issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title="关于开展2023年“三八”国际妇女节系列活动的通知"
    )
    plan = make_plan(CampaignTarget.objects.get(campaign=campaign, org=tree.qxg))
    PlannedEvent.objects.create(
        plan=plan,
        title="“巾帼心向党 奋进新征程”家庭教育促进法进校园普法宣讲暨亲子共读活动",
        date=dt.date(2023, 4, 3),
        place="七星关区第一中学报告厅（洪山街道办事处对面）",
        venue_type=VenueType.SCHOOL,
        expected_participants=300,
        outside_reason="学校开学后统一安排",
    )
    return plan


def test_plan_detail_record_buttons_on_screen_at_phone_width(filed_plan, new_page):
    page = new_page(PHONE)
    sign_in(page, "qxg_liaison", PASSWORD)
    page.goto(f"/campaigns/plans/{filed_plan.pk}/")
    buttons = page.locator("#planned-events").get_by_role("link", name="记入台账")
    assert buttons.count() == 2
    for i in range(2):
        box = buttons.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    table = page.locator("#planned-events").locator("xpath=..")  # its scroll container
    assert table.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.get_by_text("不在活动期间：学校开学后统一安排").is_visible()

    desktop = new_page(DESKTOP)
    sign_in(desktop, "qxg_liaison", PASSWORD)
    desktop.goto(f"/campaigns/plans/{filed_plan.pk}/")
    assert desktop.locator("#planned-events thead").is_visible()  # a plain table on a wide screen
