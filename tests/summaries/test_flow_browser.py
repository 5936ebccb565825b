"""A county liaison drafts, edits and files the campaign summary on a phone; the city accepts it;
the matrix shows it — in a real browser, through htmx."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from jinguo.summaries.models import Paragraph, Summary
from tests.browser import PHONE, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_county_drafts_edits_and_files_its_summary_and_the_city_accepts_it(tree, users, world, new_page):
    liaison = new_page(PHONE)
    liaison.on("dialog", lambda dialog: dialog.accept())
    sign_in(liaison, "qxg_liaison", PASSWORD)
    liaison.goto("/summaries/")
    liaison.get_by_test_id(f"draft-{world.campaign.pk}").click()
    liaison.wait_for_selector("text=共开展各类活动4场次")
    summary = Summary.objects.get(campaign=world.campaign, org=tree.qxg)
    marked = Paragraph.objects.filter(section__summary=summary).exclude(data_text="").count()
    assert liaison.locator(".summary-para.is-data").count() == marked
    # No sideways scroll on a phone.
    assert liaison.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Rewrite the first paragraph: it is the person's now, no longer marked as data.
    first, second = Paragraph.objects.filter(section__summary=summary, section__key="overview").order_by("order")
    liaison.get_by_test_id(f"edit-{first.pk}").click()
    liaison.fill(f"#text-{first.pk}", "活动期间，我区共开展各类活动4场次，群众反响热烈。")
    liaison.locator(f"#para-{first.pk}").get_by_role("button", name="保存").click()
    liaison.wait_for_selector("text=群众反响热烈")
    # The swapped-in paragraph (retried: the text can show before htmx has settled the new element).
    expect(liaison.locator(f"#para-{first.pk}")).not_to_have_class(re.compile(r"\bis-data\b"))
    # Move it below the next one, add a paragraph of their own, delete one.
    liaison.get_by_test_id(f"down-{first.pk}").click()
    paragraphs = liaison.locator(f"#section-{first.section_id} .summary-para")
    expect(paragraphs.first).to_have_attribute("id", f"para-{second.pk}")
    expect(paragraphs.nth(1)).to_have_attribute("id", f"para-{first.pk}")
    next_section = summary.sections.get(key="next")
    liaison.fill(f"#new-{next_section.pk}", "下一步，我区将把维权宣讲与家庭教育指导结合起来。")
    liaison.get_by_test_id(f"add-{next_section.pk}").click()
    liaison.wait_for_selector("text=把维权宣讲与家庭教育指导结合起来")
    liaison.get_by_test_id(f"delete-{second.pk}").click()
    liaison.wait_for_selector(f"#para-{second.pk}", state="detached")
    assert list(
        Paragraph.objects.filter(section__key="overview", section__summary=summary).values_list("pk", flat=True)
    ) == [first.pk]

    # File it with the city.
    liaison.get_by_test_id("submit").click()
    liaison.wait_for_selector("text=等待审核")

    # The city's reviewer finds it in the queue and accepts it.
    reviewer = new_page()
    sign_in(reviewer, "city_reviewer", PASSWORD)
    reviewer.goto("/summaries/")
    reviewer.get_by_test_id("review-queue").get_by_role("link", name="七星关区妇联").click()
    reviewer.wait_for_selector("text=群众反响热烈")
    reviewer.get_by_test_id("accept").click()
    reviewer.wait_for_selector("text=已通过七星关区妇联的活动总结")

    # The matrix shows who filed.
    admin = new_page()
    sign_in(admin, "city_admin", PASSWORD)
    admin.goto(f"/dashboard/campaigns/{world.campaign.pk}/matrix/")
    assert admin.get_by_test_id(f"summary-{tree.qxg.pk}").inner_text() == "已通过"
    assert admin.get_by_test_id(f"summary-{tree.dafang.pk}").inner_text() == "未起草"
