"""Signing in and out, lockout, password change and idle sessions, all through the real forms."""

import datetime as dt

from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD

LOGIN = "/accounts/login/"


def post_login(client: Client, username: str, password: str, *, address: str = "127.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_login_page_renders_in_chinese(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="h5 mb-3">登录</h1>' in html
    assert "忘记密码请联系本单位或上级单位管理员重置" in html


def test_login_succeeds_and_redirects_home(client, users):
    response = post_login(client, "qxg_liaison", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["user"] == users.qxg_liaison


def test_login_with_wrong_password_shows_chinese_error_and_keeps_username(client, users):
    response = post_login(client, "qxg_liaison", "wrong-password")
    assert response.status_code == 200
    html = response.content.decode()
    assert "用户名或密码错误。在同一设备上连续输错 5 次，账号将在该设备上被锁定 15 分钟。" in html
    assert 'value="qxg_liaison"' in html
    assert "_auth_user_id" not in client.session


def test_login_of_deactivated_user_fails(client, users):
    users.qxg_liaison.is_active = False
    users.qxg_liaison.save()
    response = post_login(client, "qxg_liaison", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_locks_username_after_five_failures(client, users):
    for _ in range(4):
        assert post_login(client, "qxg_liaison", "wrong").status_code == 200
    locked = post_login(client, "qxg_liaison", "wrong")
    assert locked.status_code == 429
    assert "账号已临时锁定" in locked.content.decode()
    assert "已被锁定 15 分钟" in locked.content.decode()
    # Even the right password is refused while locked.
    again = post_login(client, "qxg_liaison", PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_leaves_other_users_of_the_same_address_alone(client, users):
    for _ in range(5):
        post_login(client, "qxg_liaison", "wrong")
    response = post_login(client, "dafang_liaison", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(users.dafang_liaison.pk)


def test_a_stranger_elsewhere_cannot_lock_the_city_admin_out(users):
    attacker, admin = Client(), Client()
    for _ in range(6):
        post_login(attacker, "city_admin", "guess", address="203.0.113.9")
    assert post_login(attacker, "city_admin", PASSWORD, address="203.0.113.9").status_code == 429
    response = post_login(admin, "city_admin", PASSWORD, address="10.52.0.7")
    assert response.status_code == 302
    assert admin.session["_auth_user_id"] == str(users.city_admin.pk)


def test_many_addresses_together_hit_the_slower_per_user_limit(client, users, settings):
    settings.LOGIN_USER_FAILURE_LIMIT = 8
    for i in range(8):  # four failures each from two addresses: neither is locked by itself
        post_login(client, "qxg_liaison", "guess", address=f"198.51.100.{i // 4 + 1}")
    response = post_login(client, "qxg_liaison", PASSWORD, address="192.0.2.50")
    assert response.status_code == 200
    assert "已暂停登录" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_counts_the_client_behind_a_trusted_proxy(client, users, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for _ in range(5):
        client.post(LOGIN, {"username": "qxg_liaison", "password": "x"}, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert post_login(client, "qxg_liaison", PASSWORD).status_code == 302  # the proxy itself is not locked


def test_lockout_ends_after_fifteen_minutes(client, users):
    from axes.models import AccessAttempt

    for _ in range(5):
        post_login(client, "qxg_liaison", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert post_login(client, "qxg_liaison", PASSWORD).status_code == 302


def test_logout_requires_post(users, client_for):
    client = client_for(users.qxg_liaison)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert client.get("/").status_code == 302


def test_password_change_wrong_old_password_in_chinese(users, client_for):
    client = client_for(users.qxg_liaison)
    response = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password1": "Qx!long-enough-9", "new_password2": "Qx!long-enough-9"},
    )
    assert response.status_code == 200
    assert "你的旧密码不正确。请重新输入。" in response.content.decode()


def test_password_change_too_short_and_mismatch_in_chinese(users, client_for):
    client = client_for(users.qxg_liaison)
    short = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "a1", "new_password2": "a1"})
    html = short.content.decode()
    assert "密码长度太短。密码必须包含至少 8 个字符。" in html
    mismatch = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Qx!long-enough-9", "new_password2": "Qx!long-enough-8"},
    )
    assert "输入的两个密码不一致。" in mismatch.content.decode()


def test_password_change_succeeds_and_keeps_session(users, client_for):
    client = client_for(users.qxg_liaison)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Qx!long-enough-9", "new_password2": "Qx!long-enough-9"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "密码已修改。" in response.content.decode()
    users.qxg_liaison.refresh_from_db()
    assert users.qxg_liaison.check_password("Qx!long-enough-9")
    assert client.get("/").status_code == 200


def test_session_idle_past_cookie_age_is_logged_out(client, users, settings):
    assert post_login(client, "qxg_liaison", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    # Two idle hours pass: the session row expired SESSION_COOKIE_AGE after the last request.
    session = Session.objects.get(session_key=client.session.session_key)
    last_request = session.expire_date - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert abs((last_request - timezone.now()).total_seconds()) < 60
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/"


def test_session_activity_extends_expiry(client, users, settings):
    post_login(client, "qxg_liaison", PASSWORD)
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + dt.timedelta(minutes=5))
    assert client.get("/").status_code == 200
    remaining = Session.objects.get(pk=key).expire_date - timezone.now()
    assert remaining > dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
