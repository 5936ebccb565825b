import pytest

from tests.browser import PHONE, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_shows_unit_and_menu_on_phone(tree, users, new_page):
    page = new_page(PHONE)
    sign_in(page, users.qxg_liaison.username, PASSWORD)
    page.click("button[aria-label=菜单]")
    assert page.locator("#sidebar").get_by_text("收到的通知").is_visible()


def test_wrong_password_keeps_username_and_says_why(tree, users, new_page):
    page = new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "qxg_liaison")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.locator(".alert-danger").inner_text()
    assert page.input_value("#id_username") == "qxg_liaison"
