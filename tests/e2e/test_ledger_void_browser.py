"""In a real browser: a likely duplicate is saved only once confirmed, a liaison voids it on her
phone with a reason, the city admin restores it; the pages fit a phone's width."""

from __future__ import annotations

import datetime as dt

import pytest

from jinguo.activities.models import Activity
from tests.browser import DESKTOP, PHONE, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page, viewport) -> None:
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_duplicate_confirmed_then_voided_then_restored(tree, users, new_page, viewport, tmp_path_factory):
    shots = tmp_path_factory.getbasetemp() / "shots"
    shots.mkdir(exist_ok=True)
    name = "phone" if viewport is PHONE else "desktop"
    Activity.objects.create(
        org=tree.qxg, title="反家暴宣讲进社区", date=dt.date(2023, 3, 7), place="某社区", venue_type="community",
        participants_total=45, created_by=users.qxg_liaison,
    )  # fmt: skip
    liaison = new_page(viewport)
    sign_in(liaison, "qxg_liaison", PASSWORD)
    liaison.goto("/activities/new/")
    liaison.fill("#id_title", "反家暴宣讲进社区")
    liaison.fill("#id_date", "2023-03-07")
    liaison.fill("#id_place", "某社区")
    liaison.select_option("#id_venue_type", "community")
    liaison.fill("#id_participants_total", "45")
    liaison.get_by_role("button", name="保存").click()
    liaison.get_by_test_id("duplicates").wait_for()
    _fits(liaison, viewport)
    liaison.screenshot(path=str(shots / f"duplicate-{name}.png"), full_page=True)
    assert Activity.objects.count() == 1
    liaison.get_by_label("仍要保存（确认这是另一场活动）").check()
    liaison.get_by_role("button", name="保存").click()
    liaison.get_by_text("已记入台账。可以继续上传照片。").wait_for()
    assert Activity.objects.count() == 2

    liaison.locator("summary", has_text="作废").first.click()
    liaison.get_by_label("作废这条台账的原因（必填）").fill("与 3 月 7 日那条重复")
    liaison.get_by_role("button", name="确认作废").click()
    liaison.get_by_text("已作废，不再计入任何统计。").wait_for()
    _fits(liaison, viewport)
    liaison.screenshot(path=str(shots / f"voided-{name}.png"), full_page=True)
    assert Activity.objects.filter(voided_at__isnull=False).count() == 1

    liaison.goto("/activities/?voided=all")
    _fits(liaison, viewport)
    liaison.screenshot(path=str(shots / f"ledger-{name}.png"), full_page=True)

    admin = new_page(viewport)
    sign_in(admin, "city_admin", PASSWORD)
    admin.goto(f"/activities/{Activity.objects.get(voided_at__isnull=False).pk}/")
    admin.get_by_role("button", name="恢复").click()
    admin.get_by_text("已恢复，重新计入统计。").wait_for()
    assert Activity.objects.filter(voided_at__isnull=False).count() == 0
