"""The API documentation page works under the Content-Security-Policy and leads back into the app."""

from __future__ import annotations

import pytest

from tests.browser import PHONE, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_every_operation_under_the_csp(tree, users, new_page):
    page = new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, "qxg_liaison", PASSWORD)
    page.goto("/api/docs")
    page.wait_for_selector(".opblock-summary-path")
    page.wait_for_load_state("networkidle")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert sorted(p.replace("\u200b", "") for p in paths) == [
        "/api/campaigns",
        "/api/campaigns/{campaign_id}",
        "/api/campaigns/{campaign_id}/receipts",
        "/api/orgs",
        "/api/orgs/{org_id}",
        "/api/plans",
        "/api/plans/{plan_id}",
    ]
    assert page.title() == "API 文档 · 巾帼"
    assert page.locator(".api-docs-title").inner_text() == "巾帼 API 文档"
    assert problems == []
    page.get_by_role("link", name="← 返回巾帼").click()
    page.wait_for_url(lambda url: url.endswith("/"))
    assert page.locator("[data-testid=user-unit]").inner_text() == "七星关区妇联"


def test_api_docs_fit_a_phone(tree, users, new_page):
    page = new_page(PHONE)
    sign_in(page, "qxg_liaison", PASSWORD)
    page.goto("/api/docs")
    page.wait_for_selector(".opblock-summary-path")
    assert page.get_by_role("link", name="← 返回巾帼").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
