"""A township caseworker on a phone: registers a person, reveals the phone with a reason, records
help and a follow-up — no sideways scrolling, nothing sensitive in the address bar or storage."""

from __future__ import annotations

import datetime as dt

import pytest

from jinguo.care.models import FollowUp, HelpRecord, Person
from jinguo.lib.idnumbers import make_id_number
from tests.browser import PHONE, sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NUMBER = make_id_number("52050219860704402")


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_caseworker_registers_helps_and_follows_up_on_a_phone(tree, new_page):
    UserFactory(username="town_care", org=tree.qxg_town, is_care_worker=True, full_name="市西关爱")
    page = new_page(PHONE)
    sign_in(page, "town_care", PASSWORD)
    page.goto("/care/new/")
    _no_sideways_scroll(page)
    page.fill("#id_name", "王某芳")
    page.fill("#id_id_number", NUMBER)
    page.fill("#id_phone", "13912341234")
    page.get_by_label("低收入妇女").check()
    page.fill("#id_followup_days", "30")
    page.fill("#id_consent_given_by", "王某芳")
    page.get_by_role("button", name="保存").click()
    person = Person.objects.get()
    assert page.url.endswith(f"/care/{person.pk}/")
    assert (person.birth_date, person.sex) == (dt.date(1986, 7, 4), "F")
    body = page.locator("body").inner_text()
    assert "139****1234" in body and "13912341234" not in body
    _no_sideways_scroll(page)

    page.locator("[data-testid=phone] details summary").click()
    page.locator("[data-testid=phone] input[name=reason]").fill("电话回访需要拨号")
    page.locator("[data-testid=phone] button").click()
    assert page.locator("[data-testid=revealed]").inner_text() == "13912341234"
    assert "13912341234" not in page.url and NUMBER not in page.url

    page.get_by_role("link", name="登记帮扶").click()
    page.fill("#id_given_on", "2023-03-06")
    page.select_option("#id_kind", "cash")
    page.fill("#id_amount", "500")
    page.fill("#id_given_by", "市西街道妇联")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("link", name="登记回访").click()
    page.fill("#id_note", "家中情况稳定")
    page.get_by_role("button", name="保存").click()
    assert HelpRecord.objects.get().amount == 500
    assert FollowUp.objects.get().note == "家中情况稳定"
    storage = page.evaluate("JSON.stringify([localStorage, sessionStorage, document.cookie])")
    assert NUMBER not in storage and "13912341234" not in storage and "王某芳" not in storage
