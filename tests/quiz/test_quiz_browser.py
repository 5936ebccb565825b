"""The public quiz on a phone (375 px), the way a participant takes it from a WeChat link."""

from __future__ import annotations

import pytest

from jinguo.quiz.models import Attempt, Participant
from tests.browser import PHONE
from tests.quiz.conftest import make_bank, make_quiz

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_take_quiz_on_a_phone_reload_keeps_answers_then_rank(tree, new_page):  # noqa: F811
    quiz = make_quiz(tree.city, make_bank(tree.city))
    page = new_page(PHONE)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/quiz/p/{quiz.slug}/")
    page.fill("#q-phone", "13812345678")
    page.fill("#q-name", "张丽")
    page.fill("#q-unit-search", "市西")
    page.get_by_test_id("unit-results").get_by_text("七星关区市西街道妇联").click()
    assert "七星关区妇联 / 七星关区市西街道妇联" in page.get_by_test_id("unit-chosen").inner_text()
    page.get_by_role("button", name="开始答题").click()
    page.wait_for_selector("[data-testid=question-5]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # Answer the first three questions with their first option, then reload mid-way.
    for n in range(3):
        page.get_by_test_id(f"question-{n}").locator("input").first.check()
    page.reload()
    page.wait_for_selector("[data-testid=question-5]")
    checked = [page.get_by_test_id(f"question-{n}").locator("input").first.is_checked() for n in range(6)]
    assert checked == [True, True, True, False, False, False]
    assert "已答 3 / 6 题" in page.inner_text("#progress")

    page.get_by_test_id("submit").click()
    page.wait_for_selector("[data-testid=result-rank]")
    assert "排名第 1 名（共 1 人）" in page.get_by_test_id("result-rank").inner_text()
    # The result opens at its score (the submit button was at the bottom), at once, not scrolling.
    two_frames = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(window.scrollY))))"
    assert page.evaluate(two_frames) == 0
    attempt = Attempt.objects.get()
    assert attempt.status == "submitted"
    assert sorted(attempt.answers) == ["0", "1", "2"]
    assert page.get_by_test_id("result-score").inner_text() == f"{attempt.score} 分"
    # The submit's review came without stems and options (the page held them): shown all the same.
    after_submit = page.inner_text("#quiz-result")
    assert "单选题" in after_submit and "判断题" in after_submit and "A. " in after_submit

    # A reload after the submit shows the result again (the whole review from the server), the same.
    page.reload()
    page.wait_for_selector("[data-testid=result-rank]")
    assert page.inner_text("#quiz-result") == after_submit
    assert Attempt.objects.count() == 1
    assert Participant.objects.get().attempts_count == 1


def _identify(page, phone="13812345678", name="张丽"):
    page.fill("#q-phone", phone)
    page.fill("#q-name", name)
    page.fill("#q-unit-search", "市西")
    page.get_by_test_id("unit-results").get_by_text("七星关区市西街道妇联").click()
    page.get_by_role("button", name="开始答题").click()


def test_a_number_resumes_on_its_own_phone_and_not_on_another(tree, new_page):
    """The page keeps a device key: the same phone, its page state lost, gets its open attempt and
    answers back by starting again; another phone typing the same number gets a refusal."""
    quiz = make_quiz(tree.city, make_bank(tree.city), max_attempts=1)
    mine = new_page(PHONE)
    mine.goto(f"/quiz/p/{quiz.slug}/")
    assert "请始终用同一部手机" in mine.inner_text("#quiz-intro")
    _identify(mine)
    mine.wait_for_selector("[data-testid=question-5]")
    mine.get_by_test_id("question-0").locator("input").first.check()
    mine.get_by_test_id("question-1").locator("input").first.check()
    mine.locator("#save-state", has_text="已自动保存").wait_for()
    device = mine.evaluate("localStorage.getItem('jinguo-quiz-device')")
    assert len(device) == 32

    # The page's state is lost (a cleared entry; the page writes it again as it leaves: clear it
    # from the leaderboard's page) but the phone, and its key, are the same.
    mine.goto(f"/quiz/p/{quiz.slug}/board/")
    mine.evaluate(f"localStorage.removeItem('jinguo-quiz:{quiz.slug}')")
    mine.goto(f"/quiz/p/{quiz.slug}/")
    _identify(mine)
    mine.wait_for_selector("[data-testid=question-5]")
    checked = [mine.get_by_test_id(f"question-{n}").locator("input").first.is_checked() for n in range(6)]
    assert checked == [True, True, False, False, False, False]
    assert mine.evaluate("localStorage.getItem('jinguo-quiz-device')") == device

    theirs = new_page(PHONE)  # another browser: no key of that phone
    theirs.goto(f"/quiz/p/{quiz.slug}/")
    _identify(theirs, name="冒名者")
    error = theirs.get_by_test_id("start-error")
    error.wait_for(state="visible")
    assert error.inner_text() == "这个手机号已在另一部手机（或另一个浏览器）上参加本竞赛，请用原来的手机继续答题"
    assert theirs.get_by_test_id("quiz-paper").is_hidden()

    participant = Participant.objects.get()
    assert (participant.name, participant.attempts_count) == ("张丽", 1)
    attempt = Attempt.objects.get()
    assert (attempt.status, sorted(attempt.answers)) == ("open", ["0", "1"])
