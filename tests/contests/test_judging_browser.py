"""The whole journey in a real browser, under the site's CSP: the public submits an essay from a
phone, the county recommends it, the organiser sets up a round and a judge and assigns
automatically, the judge scores it blind on a phone, the organiser closes the round, confirms the
advancement, proposes and confirms the awards and publishes; the public results page names the
winner and her unit."""

import pytest

from jinguo.contests.models import Award, Category, Entry, Quota, Round, Score
from tests.browser import PHONE, sign_in
from tests.contests.conftest import make_contest
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch(page, errors):
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def test_public_essay_to_published_award(tree, users, new_page):
    contest = make_contest(tree.city, by=users.city_admin)
    Category.objects.create(contest=contest, name="散文", order=1)
    Quota.objects.create(contest=contest, org=tree.qxg, max_entries=1)
    errors: list[str] = []

    # The public, on a phone.
    public = watch(new_page(PHONE), errors)
    public.goto(f"/c/{contest.public_key}/")
    public.fill("#id_author_name", "王小芳")
    public.fill("#id_author_phone", "13700000001")
    public.fill("#unit-search", "市西")
    public.get_by_text("七星关区市西街道妇联").click()
    public.select_option("#id_category", label="散文")
    public.fill("#id_title", "我的母亲")
    public.fill("#id_text", "我是王小芳，家住七星关区。巾帼心向党，奋进新征程。")
    public.get_by_label("我已阅读并同意原创声明").check()
    public.get_by_role("button", name="提交作品").click()
    code = public.get_by_test_id("entry-code").inner_text()
    assert code == "ZW-0001"

    # The county recommends it, on a phone.
    county = watch(new_page(PHONE), errors)
    sign_in(county, "qxg_admin", PASSWORD)
    county.goto(f"/contests/{contest.pk}/recommend/")
    county.get_by_role("button", name="推荐", exact=True).click()
    county.get_by_test_id("quota-used").wait_for()

    # The organiser: a round, a judge from the city, automatic assignment, open.
    organiser = watch(new_page(), errors)
    sign_in(organiser, "city_admin", PASSWORD)
    organiser.goto(f"/contests/{contest.pk}/")
    organiser.get_by_role("link", name="评审", exact=True).click()
    organiser.get_by_role("link", name="新增轮次").click()
    organiser.fill("#id_judges_per_entry", "1")
    organiser.fill("#id_advance_value", "1")
    organiser.get_by_role("button", name="保存").click()
    organiser.get_by_role("link", name="添加评委").click()
    organiser.get_by_label("本系统工作人员（登录评审）").check()
    organiser.fill("#id_username", "city_reviewer")
    organiser.get_by_role("button", name="保存").click()
    organiser.get_by_test_id("judge-row").wait_for()
    organiser.get_by_test_id("round-row").click()
    organiser.get_by_test_id("assign").click()
    organiser.get_by_text("已自动分配 1 份评审任务。").wait_for()
    organiser.get_by_test_id("open-round").click()
    organiser.get_by_text("评审已开始").wait_for()

    # The judge scores it blind, on a phone.
    judge = watch(new_page(PHONE), errors)
    sign_in(judge, "city_reviewer", PASSWORD)
    judge.goto("/contests/judging/")
    judge.get_by_test_id("assignment").click()
    assert judge.get_by_test_id("entry-code").inner_text() == code
    text = judge.content()
    assert "王小芳" not in text and "13700000001" not in text and "市西街道" not in text
    assert "我是■■，家住■■。" in judge.get_by_test_id("entry-text").inner_text()
    judge.get_by_label("内容").fill("45")
    judge.get_by_label("结构").fill("22")
    judge.get_by_label("语言").fill("21.5")
    judge.fill("#comment", "真挚感人。")
    judge.get_by_test_id("submit-score").click()
    judge.get_by_text("评分已提交。").wait_for()
    assert judge.evaluate("document.documentElement.scrollWidth") <= 375
    assert Score.objects.get().status == Score.Status.SUBMITTED

    # The organiser closes, advances, awards and publishes.
    organiser.reload()
    organiser.get_by_test_id("close-round").click()
    organiser.get_by_text("本轮已结束").wait_for()
    assert organiser.get_by_label(f"{code} 晋级").is_checked()
    organiser.get_by_test_id("confirm-advance").click()
    organiser.get_by_text("晋级名单已确认。").wait_for()
    organiser.goto(f"/contests/{contest.pk}/results/")
    organiser.get_by_test_id("propose-awards").click()
    organiser.get_by_text("已按名额生成 1 个获奖建议").wait_for()
    organiser.get_by_test_id("confirm-awards").click()
    organiser.get_by_text("获奖名单已确认。").wait_for()
    organiser.get_by_test_id("publish").click()
    organiser.get_by_text("评选结果已公布。").wait_for()

    results = watch(new_page(PHONE), errors)
    results.goto(f"/contests/r/{contest.public_key}/")
    winner = results.get_by_test_id("winner").inner_text()
    assert "一等奖" in winner and "王小芳" in winner and "七星关区市西街道妇联" in winner
    assert "13700000001" not in results.content()
    assert Round.objects.get().status == Round.Status.CLOSED
    assert Award.objects.get().entry == Entry.objects.get()
    assert errors == []
