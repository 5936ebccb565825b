"""Write, submit, revise, adopt and find a good practice, in a real browser, on a phone and a PC."""

import pytest

from jinguo.reports.models import Report, ReportAdoption
from tests.browser import PHONE, sign_in
from tests.factories import PASSWORD, make_campaign
from tests.reports.conftest import make_activity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_liaison_submits_on_a_phone_and_the_city_adopts_and_it_reaches_the_library(tree, users, new_page):
    make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang], title="三八维权周")
    make_activity(tree.qxg, users.qxg_liaison, title="维权周普法宣讲进社区")

    # 七星关区's liaison, on a phone, writes a good practice on the city's campaign and submits it.
    liaison = new_page(PHONE)
    sign_in(liaison, "qxg_liaison", PASSWORD)
    liaison.goto("/reports/")
    liaison.get_by_text("本单位还没有写过信息").wait_for()
    liaison.get_by_role("link", name="写信息").click()
    liaison.select_option("#id_kind", label="典型经验")
    liaison.select_option("#id_campaign", label="三八维权周（毕节市妇联）")
    liaison.fill("#id_title", "“巾帼家政”订单式培训促就业")
    liaison.get_by_role("button", name="保存并报送").click()
    liaison.get_by_text("请填写正文").wait_for()  # the form keeps the title
    assert liaison.input_value("#id_title") == "“巾帼家政”订单式培训促就业"
    liaison.fill("#id_body", "区妇联联合人社局开展家政培训，结业学员与家政企业签约。")
    liaison.get_by_label("2023-03-05 维权周普法宣讲进社区").check()
    liaison.get_by_role("button", name="保存并报送").click()
    liaison.get_by_text("信息已报送，等待毕节市妇联审核。").wait_for()

    # The city reviewer, on a PC: the bell counts it; she tightens the title, then adopts it.
    reviewer = new_page()
    sign_in(reviewer, "city_reviewer", PASSWORD)
    assert reviewer.get_by_test_id("unread-count").inner_text() == "1"
    reviewer.goto("/reports/review/")
    reviewer.get_by_role("link", name="“巾帼家政”订单式培训促就业").click()
    reviewer.get_by_role("link", name="修改文字").click()
    reviewer.fill("#id_title", "七星关区“巾帼家政”培训助妇女就业")
    reviewer.fill("#id_note", "标题加上单位名称")
    reviewer.get_by_role("button", name="保存修改").click()
    reviewer.get_by_text("修改记录", exact=True).wait_for()
    reviewer.get_by_role("link", name="采用", exact=True).click()
    reviewer.get_by_role("button", name="采用", exact=True).click()
    reviewer.get_by_text("请至少选择一个采用渠道").wait_for()
    reviewer.get_by_label("网站").check()
    reviewer.get_by_label("简报").check()
    reviewer.get_by_role("button", name="采用", exact=True).click()
    reviewer.get_by_text("已采用：网站").wait_for()

    report = Report.objects.get()
    assert (report.status, report.title) == (Report.Status.ADOPTED, "七星关区“巾帼家政”培训助妇女就业")
    assert sorted(ReportAdoption.objects.values_list("channel", flat=True)) == ["briefing", "website"]

    # Back on the phone: the liaison is told, and the practice is in the library.
    liaison.goto("/reports/library/?q=家政")
    assert liaison.get_by_test_id("library-row").count() == 1
    liaison.goto("/notifications/")
    liaison.get_by_text("信息已被毕节市妇联采用：七星关区“巾帼家政”培训助妇女就业").first.wait_for()
