"""The big screen fits a 1920x1080 display with its QR code; the phone leaderboard keeps its headers
and names on one line."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jinguo.quiz.models import Participant
from tests.browser import PHONE
from tests.quiz.conftest import _fresh_caches, make_bank, make_quiz  # noqa: F401 - fresh process caches

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def busy_quiz(tree):
    quiz = make_quiz(tree.city, make_bank(tree.city), leaderboard_size=50)
    now = timezone.now()
    Participant.objects.bulk_create(
        Participant(
            quiz=quiz,
            key=f"k{i}",
            phone=f"1380013{i:04d}",
            name=f"欧阳娜{i}",
            unit=tree.qxg_town,
            attempts_count=1,
            best_score=100 - i,
            best_time_ms=60_000 + i,
            best_submitted_at=now - dt.timedelta(minutes=i),
        )  # fmt: skip
        for i in range(30)
    )
    return quiz


def test_big_screen_fits_1920_by_1080_and_shows_the_qr_code(busy_quiz, new_page):
    page = new_page({"width": 1920, "height": 1080})
    page.goto(f"/quiz/p/{busy_quiz.slug}/screen/")
    qr = page.get_by_test_id("screen-qr").locator("img")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert qr.bounding_box()["width"] >= 200
    assert page.get_by_test_id("screen-board").locator("tbody tr").count() == 14
    assert page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]") == [
        1920,
        1080,
    ]


def test_phone_leaderboard_keeps_headers_and_names_on_one_line(busy_quiz, new_page):
    page = new_page(PHONE)
    page.goto(f"/quiz/p/{busy_quiz.slug}/board/")
    board = page.get_by_test_id("leaderboard")
    line = board.locator("thead th").first.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    for cell in [*board.locator("thead th").all(), *board.locator("tbody tr td:nth-child(2)").all()]:
        assert cell.evaluate("el => el.getBoundingClientRect().height") < 2 * line + 12, cell.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
