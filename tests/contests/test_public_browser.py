"""The public submits an essay from a phone, picking the unit from the tree; the county recommends it
on a phone; the organiser checks its redaction. In a real browser, under the site's CSP."""

import pytest

from jinguo.contests.models import Category, Entry, Quota
from tests.browser import PHONE, sign_in
from tests.contests.conftest import make_contest
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_public_essay_from_a_phone_is_recommended_by_its_county(tree, users, new_page):
    contest = make_contest(tree.city, by=users.city_admin)
    Category.objects.create(contest=contest, name="散文", order=1)
    Quota.objects.create(contest=contest, org=tree.qxg, max_entries=1)

    phone = new_page(PHONE)
    errors = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.goto(f"/c/{contest.public_key}/")
    phone.fill("#id_author_name", "王小芳")
    phone.fill("#id_author_phone", "13700000001")
    phone.fill("#unit-search", "市西")
    phone.get_by_text("七星关区市西街道妇联").click()
    assert phone.get_by_test_id("unit-chosen").inner_text() == "已选择：七星关区妇联 / 七星关区市西街道妇联"
    phone.select_option("#id_category", label="散文")
    phone.fill("#id_title", "我的母亲")
    phone.fill("#id_text", "我是王小芳，家住七星关区。巾帼心向党，奋进新征程。")
    assert phone.locator("[data-han-count-for]").inner_text() == "共 21 个汉字"
    phone.get_by_role("button", name="提交作品").click()
    phone.get_by_text("请阅读并勾选原创声明").wait_for()  # what she typed is still there
    assert phone.input_value("#id_title") == "我的母亲"
    phone.get_by_label("我已阅读并同意原创声明").check()
    phone.get_by_role("button", name="提交作品").click()
    assert phone.get_by_test_id("entry-code").inner_text() == "ZW-0001"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert errors == []

    county = new_page(PHONE)
    sign_in(county, "qxg_admin", PASSWORD)
    county.goto(f"/contests/{contest.pk}/recommend/")
    county.get_by_role("button", name="推荐", exact=True).click()
    assert county.get_by_test_id("quota-used").inner_text() == "已推荐 1 / 1"
    # The county's pages keep to a phone's width (tables included: nothing scrolls sideways).
    overflow = "Math.max(document.documentElement.scrollWidth - 375, ...[...document.querySelectorAll('.table-responsive')].map(e => e.scrollWidth - e.clientWidth), 0)"
    for url in (f"/contests/{contest.pk}/recommend/", f"/contests/{contest.pk}/entries/", f"/contests/{contest.pk}/"):
        county.goto(url)
        assert county.evaluate(overflow) == 0, url
    entry = Entry.objects.get()
    assert (entry.source, entry.author_org, entry.recommended) == (Entry.Source.PUBLIC, tree.qxg_town, True)
    assert entry.current_version.redacted_text == "我是■■，家住■■。巾帼心向党，奋进新征程。"
