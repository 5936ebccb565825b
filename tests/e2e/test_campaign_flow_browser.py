"""The foundation's main flow, in a real browser, the way the users take it."""

import datetime as dt

import pytest
from django.utils import timezone

from jinguo.campaigns.models import Plan, PlanVersion
from tests.browser import PHONE, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_publish_sign_file_return_resubmit_approve_shows_in_matrix(tree, users, new_page):
    deadline = timezone.localtime() + dt.timedelta(days=10)

    # The city admin writes the notice, sends it to all county-level units and publishes it.
    admin = new_page()
    admin.on("dialog", lambda dialog: dialog.accept())
    sign_in(admin, "city_admin", PASSWORD)
    admin.goto("/campaigns/new/")
    admin.fill("#id_title", "关于开展2023年“三八”国际妇女节系列活动方案的通知")
    admin.fill("#id_theme", "巾帼心向党 奋进新征程")
    admin.fill("#id_doc_number", "毕妇发〔2023〕2号")
    admin.fill("#id_starts_on", "2023-02-20")
    admin.fill("#id_ends_on", "2023-03-31")
    admin.fill("#id_plan_deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    admin.fill("#id_summary_deadline", (deadline + dt.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"))
    admin.locator("input[name=line_title]").first.fill("“三八”妇女维权周活动")
    admin.get_by_label("县级妇联").check()
    admin.get_by_role("button", name="保存草稿").click()
    admin.get_by_role("button", name="发布").click()
    admin.wait_for_selector("text=已发布")

    # A liaison of 七星关区, on a phone: the bell counts the new notice; she signs and files.
    liaison = new_page(PHONE)
    liaison.on("dialog", lambda dialog: dialog.accept())
    sign_in(liaison, "qxg_liaison", PASSWORD)
    assert liaison.get_by_test_id("unread-count").inner_text() == "1"
    liaison.goto("/campaigns/inbox/")
    liaison.get_by_text("关于开展2023年“三八”国际妇女节系列活动方案的通知").first.click()
    liaison.get_by_role("button", name="签收").click()
    liaison.wait_for_selector("text=已签收")
    liaison.get_by_role("link", name="填写活动方案").click()
    liaison.get_by_label("“三八”妇女维权周活动").check()
    liaison.fill("#id_person_in_charge", "刘洋")
    liaison.fill("#id_contact_phone", "1380013800")  # one digit short
    liaison.fill("#id_events-0-title", "维权周普法宣讲进农村")
    liaison.fill("#id_events-0-date", "2023-03-05")
    liaison.fill("#id_events-0-place", "七星关区某村委会")
    liaison.select_option("#id_events-0-venue_type", "village")
    liaison.fill("#id_events-0-expected_participants", "80")
    liaison.get_by_role("button", name="保存并报送").click()
    # The error is in Chinese and nothing typed is lost.
    assert liaison.locator(".invalid-feedback").first.is_visible()
    assert liaison.input_value("#id_events-0-place") == "七星关区某村委会"
    liaison.fill("#id_contact_phone", "13800138000")
    liaison.get_by_role("button", name="保存并报送").click()
    liaison.wait_for_selector("text=已报送")

    # The city reviewer returns it with a reason.
    reviewer = new_page()
    reviewer.on("dialog", lambda dialog: dialog.accept())
    sign_in(reviewer, "city_reviewer", PASSWORD)
    reviewer.goto("/campaigns/review/")
    reviewer.get_by_role("row").filter(has_text="七星关区妇联").get_by_role("link", name="查看").click()
    reviewer.locator("textarea[name=reason]").fill("请补充进学校的宣讲安排。")
    reviewer.get_by_role("button", name="退回").click()
    reviewer.wait_for_selector("text=退回原因")

    # The liaison sees why, fixes the plan and submits it again.
    liaison.goto("/notifications/")
    liaison.get_by_text("退回").first.click()
    liaison.wait_for_selector("text=请补充进学校的宣讲安排。")
    liaison.goto("/campaigns/inbox/")
    liaison.get_by_text("关于开展2023年“三八”国际妇女节系列活动方案的通知").first.click()
    liaison.get_by_role("link", name="修改方案").click()
    liaison.fill("#id_events-0-title", "维权周普法宣讲进农村、进学校")
    liaison.select_option("#id_events-0-venue_type", "school")
    liaison.fill("#id_change_note", "已把宣讲扩展到学校。")
    liaison.get_by_role("button", name="保存并报送").click()
    liaison.wait_for_selector("text=已报送")

    # The reviewer approves; the plan keeps both versions.
    reviewer.goto("/campaigns/review/")
    reviewer.get_by_role("row").filter(has_text="七星关区妇联").get_by_role("link", name="查看").click()
    assert reviewer.locator("#change-note").inner_text() == (
        "第 1 版退回原因：请补充进学校的宣讲安排。\n第 2 版修改说明：已把宣讲扩展到学校。"
    )
    reviewer.get_by_role("button", name="备案通过").click()
    reviewer.wait_for_selector("text=已备案")
    plan = Plan.objects.get(target__org=tree.qxg)
    assert plan.status == Plan.Status.APPROVED
    assert list(PlanVersion.objects.filter(plan=plan).values_list("number", "outcome")) == [
        (2, Plan.Status.APPROVED),
        (1, Plan.Status.RETURNED),
    ]

    # The supervision matrix shows 七星关区 filed and 大方县 not.
    admin.goto("/campaigns/issued/")
    admin.get_by_text("关于开展2023年“三八”国际妇女节系列活动方案的通知").first.click()
    admin.get_by_role("link", name="督导矩阵", exact=True).click()
    qxg_row = admin.get_by_test_id(f"row-{tree.qxg.pk}")
    assert "已签收" in qxg_row.inner_text()
    assert "已备案" in qxg_row.inner_text()
    dafang_row = admin.get_by_test_id(f"row-{tree.dafang.pk}")
    assert "未签收" in dafang_row.inner_text()
    admin.screenshot(path="test-results/matrix-desktop.png", full_page=True)
