"""A liaison on a phone finds the notice as Word and PDF on the receipt page, and the PDF opens."""

import pytest

from jinguo.campaigns.models import CampaignTarget
from tests.browser import PHONE, sign_in
from tests.factories import PASSWORD, make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_liaison_on_a_phone_downloads_the_notice_as_word_and_opens_the_pdf(tree, users, new_page):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title="三八维权周通知")
    target = CampaignTarget.objects.get(campaign=campaign, org=tree.qxg)

    page = new_page(PHONE)
    sign_in(page, "qxg_liaison", PASSWORD)
    page.goto(f"/campaigns/targets/{target.pk}/")
    word, pdf = page.get_by_test_id("doc-docx"), page.get_by_test_id("doc-pdf")
    assert word.is_visible() and pdf.is_visible()
    # Both buttons sit inside the phone's width (no sideways scroll to reach them).
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    with page.expect_download() as download:
        word.click()
    assert download.value.suggested_filename == "三八维权周通知.docx"

    # The PDF is served inline, in the signed-in session: what the phone's viewer is handed.
    response = page.request.get(pdf.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline;")
    assert response.body().startswith(b"%PDF-")
