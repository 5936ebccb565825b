"""Pages a liaison opens on a phone fit its width: nothing pushes the page sideways."""

from __future__ import annotations

import pytest

from tests.browser import PHONE, sign_in
from tests.factories import PASSWORD, make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TITLE = "关于开展2023年“巾帼心向党 奋进新征程”“三八”国际妇女节系列活动方案的通知"


@pytest.mark.parametrize(
    "url", ["/activities/coverage/", "/activities/", "/reports/", "/dashboard/", "/campaigns/inbox/"]
)
def test_page_fits_a_phone_with_a_long_campaign_title(tree, users, new_page, url):
    make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title=LONG_TITLE)
    page = new_page(PHONE)
    sign_in(page, "qxg_liaison", PASSWORD)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
