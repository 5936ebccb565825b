"""403, 404 and 500 are Chinese pages in the app's layout, with a way back."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path

from jinguo.urls import urlpatterns as site_urls


def _denied(request):
    raise PermissionDenied


def _broken(request):
    raise RuntimeError("a bug")


urlpatterns = [path("test/denied/", _denied), path("test/broken/", _broken), *site_urls]


@pytest.fixture
def error_urls(settings):
    settings.ROOT_URLCONF = __name__


def test_404_for_a_signed_in_user_has_the_menu_and_a_way_back(tree, users, client_for):
    response = client_for(users.qxg_liaison).get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html and "返回首页" in html
    assert 'id="sidebar"' in html  # the app's layout, not a bare page
    assert "Not Found" not in html


def test_404_of_a_sibling_units_object_reads_the_same(tree, users, client_for):
    from tests.factories import make_campaign

    campaign = make_campaign(issuer=tree.dafang, by=users.dafang_admin, title="大方县的活动")
    response = client_for(users.qxg_liaison).get(f"/campaigns/{campaign.pk}/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode() and "大方县的活动" not in response.content.decode()


def test_403_is_chinese_in_the_layout(tree, users, client_for, error_urls):
    response = client_for(users.qxg_liaison).get("/test/denied/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "没有权限" in html and 'id="sidebar"' in html and "Forbidden" not in html


def test_500_is_chinese_with_a_way_back(tree, error_urls):
    client = Client(raise_request_exception=False)
    response = client.get("/test/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "系统出错了" in html and "返回首页" in html and 'name="viewport"' in html


def test_csrf_failure_is_chinese(tree, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users.qxg_liaison, backend="jinguo.accounts.backends.ModelBackend")
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_404_on_a_phone_fits_and_leads_home(new_page, live_server, tree, users):
    from tests.browser import PHONE, sign_in
    from tests.factories import PASSWORD

    page = new_page(PHONE)
    sign_in(page, "qxg_liaison", PASSWORD)
    page.goto("/campaigns/999999/")
    assert page.get_by_role("heading", name="页面不存在").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if shot := os.environ.get("JINGUO_SCREENSHOTS"):
        page.screenshot(path=f"{shot}/404-phone.png", full_page=True)
    page.get_by_role("link", name="返回首页").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_test_id("user-unit").count() == 1
