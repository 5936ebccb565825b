"""From plan to dashboard in a real browser: a planned event becomes a ledger entry with a photo,
an information report links it, the city adopts it, and the board and the ranking show it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from jinguo.activities.models import Activity, ActivityPhoto
from jinguo.activities.rollups import apply_activity_changes
from jinguo.campaigns.models import CampaignTarget, Plan
from jinguo.reports.models import Report
from tests.browser import PHONE, sign_in
from tests.factories import PASSWORD, make_campaign, make_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def small_jpeg() -> dict:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (190, 30, 60)).save(buf, "JPEG")
    return {"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}


def test_planned_event_to_ledger_to_adopted_report_shows_on_dashboard_and_ranking(tree, users, new_page):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang], title="三八维权周")
    plan = make_plan(CampaignTarget.objects.get(campaign=campaign, org=tree.qxg), status=Plan.Status.APPROVED)
    # 大方县 has its own entry: the 七星关区 row must not count it.
    dafang_entry = Activity.objects.create(
        org=tree.dafang, campaign=campaign, title="大方县宣讲", date="2023-03-06", place="镇政府",
        venue_type="community", participants_total=10, created_by=users.dafang_liaison,
    )  # fmt: skip
    apply_activity_changes([(dafang_entry, 1)])  # what the ledger services do in their transaction

    # 七星关区's liaison, on a phone: 记入台账 opens the ledger form pre-filled from the planned event;
    # nothing is recorded before 保存.
    liaison = new_page(PHONE)
    sign_in(liaison, "qxg_liaison", PASSWORD)
    liaison.goto(f"/campaigns/plans/{plan.pk}/")
    liaison.get_by_role("link", name="记入台账").click()
    liaison.get_by_test_id("from-plan").wait_for()
    assert liaison.input_value("#id_title") == "维权周宣讲"  # pre-filled from the plan
    assert liaison.input_value("#id_participants_total") == ""  # the expected 50 is only a hint
    assert Activity.objects.filter(org=tree.qxg).count() == 0
    liaison.fill("#id_participants_total", "80")
    liaison.fill("#id_participants_women", "65")
    liaison.get_by_role("button", name="保存").click()
    liaison.get_by_text("活动照片（0）").wait_for()
    liaison.set_input_files("input[name=photos]", small_jpeg())
    liaison.get_by_role("button", name="上传照片").click()
    liaison.get_by_text("活动照片（1）").wait_for()
    entry = Activity.objects.get(org=tree.qxg)
    assert (entry.planned_event_id, entry.participants_total, entry.campaign_id) == (
        plan.events.get().pk, 80, campaign.pk,
    )  # fmt: skip
    assert ActivityPhoto.objects.filter(activity=entry).count() == 1

    # She reports it, linking the entry.
    liaison.goto("/reports/new/")
    liaison.select_option("#id_kind", label="工作动态")
    liaison.select_option("#id_campaign", label="三八维权周（毕节市妇联）")
    liaison.fill("#id_title", "七星关区维权周宣讲进村")
    liaison.fill("#id_body", "3月5日，区妇联在村委会开展维权周宣讲，80人参加。")
    liaison.get_by_label("2023-03-05 维权周宣讲").check()
    liaison.get_by_role("button", name="保存并报送").click()
    liaison.get_by_text("信息已报送，等待毕节市妇联审核。").wait_for()
    assert list(Report.objects.get().activities.all()) == [entry]

    # The city reviewer adopts it.
    reviewer = new_page()
    sign_in(reviewer, "city_reviewer", PASSWORD)
    reviewer.goto("/reports/review/")
    reviewer.get_by_role("link", name="七星关区维权周宣讲进村").click()
    reviewer.get_by_role("link", name="采用", exact=True).click()
    reviewer.get_by_label("微信公众号").check()
    reviewer.get_by_role("button", name="采用", exact=True).click()
    reviewer.get_by_text("已采用：微信公众号").wait_for()

    # The board shows the event and the adopted report on 七星关区's row, the total counts both counties.
    reviewer.goto(f"/dashboard/?campaign={campaign.pk}")
    row = reviewer.get_by_test_id(f"board-row-{tree.qxg.pk}")
    assert row.get_by_test_id("events").inner_text() == "1"
    assert row.get_by_test_id("adopted").inner_text() == "1"
    assert row.get_by_test_id("people").inner_text() == "80（65）"
    assert reviewer.get_by_test_id("board-row-total").get_by_test_id("events").inner_text() == "2"
    reviewer.get_by_test_id("as-of").wait_for()
    # Every number leads to its records: the event count opens the entry.
    row.get_by_test_id("events").click()
    reviewer.get_by_role("link", name="维权周宣讲").click()
    reviewer.get_by_text("活动照片（1）").wait_for()

    # The ranking shows 七星关区 first with one adopted report.
    reviewer.goto(f"/reports/ranking/?campaign={campaign.pk}")
    first = reviewer.get_by_test_id("ranking-row").first
    assert "七星关区妇联" in first.inner_text()
    assert first.locator("td").nth(2).inner_text() == "1"

    # On a phone the board fits: the county liaison sees it without sibling rows.
    liaison.goto("/dashboard/")
    liaison.get_by_test_id("board").wait_for()
    assert "大方县" not in liaison.content()
    width = liaison.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
