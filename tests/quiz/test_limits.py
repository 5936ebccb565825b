"""The public quiz's limits: SMS codes only where they are used and within daily caps; rate limits
per real client behind our proxy, kept where filling the cache cannot reset them; /units limited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from jinguo.lib.sms import MemoryBackend
from jinguo.quiz import limits
from jinguo.quiz.models import Attempt, Quiz
from tests.quiz.conftest import make_quiz, post_json

BASE = "/quiz/p/fnqy2022/"


def start(client, tree, phone="13800138000", **extra):
    body = {"phone": phone, "name": "张丽", "unit": tree.qxg_town.pk}
    return post_json(client, BASE + "start", body, **extra)


def ask_code(client, phone="13800138000", **extra):
    return post_json(client, BASE + "code", {"phone": phone}, **extra)


@pytest.fixture
def outbox(settings):
    settings.SMS_BACKEND = "jinguo.lib.sms.MemoryBackend"
    MemoryBackend.outbox.clear()
    yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


@pytest.fixture
def one_minute(monkeypatch):
    """The windows' clock held still: a test's requests all fall in one minute, however slowly
    they run (a window that turns over mid-test would start the counts again)."""
    now = limits.clock() // 86_400 * 86_400 + 3600.0  # 09:00 in Beijing
    monkeypatch.setattr(limits, "clock", lambda: now)


# ---- SMS codes ------------------------------------------------------------------------------


def test_no_code_is_sent_for_a_quiz_that_does_not_use_codes(client, tree, bank, outbox):
    make_quiz(tree.city, bank, identity_check=Quiz.IdentityCheck.DEVICE, awards_prizes=True)
    codes = [ask_code(client, phone=f"138001380{i:02d}") for i in range(30)]
    assert {(r.status_code, r.json()["code"]) for r in codes} == {(404, "no_code")}
    assert outbox == []


@pytest.mark.parametrize(
    ("opens", "closes", "code"),
    [
        (dt.timedelta(hours=1), dt.timedelta(days=1), "not_open"),
        (-dt.timedelta(days=2), -dt.timedelta(days=1), "closed"),
    ],
)
def test_no_code_is_sent_for_a_quiz_that_is_not_open(client, tree, bank, outbox, opens, closes, code):
    now = timezone.now()
    make_quiz(tree.city, bank, identity_check=Quiz.IdentityCheck.SMS, opens_at=now + opens, closes_at=now + closes)
    response = ask_code(client)
    assert (response.status_code, response.json()["code"]) == (409, code)
    assert outbox == []


def test_no_code_is_sent_for_an_unpublished_quiz(client, tree, bank, outbox):
    make_quiz(tree.city, bank, identity_check=Quiz.IdentityCheck.SMS, is_published=False)
    assert ask_code(client).status_code == 404
    assert outbox == []


@override_settings(QUIZ_SMS_PER_IP_PER_DAY=3)
def test_codes_per_address_are_capped_per_day(client, tree, bank, outbox, one_minute):
    make_quiz(tree.city, bank, identity_check=Quiz.IdentityCheck.SMS)
    answers = [ask_code(client, phone=f"138001380{i:02d}").json() for i in range(5)]
    refusal = {"error": "您所在的网络今天获取验证码的次数已达上限，请明天再试", "code": "sms_limit"}
    assert answers == [{"sent": True}] * 3 + [refusal] * 2
    assert len(outbox) == 3
    assert ask_code(client, phone="13900139000", REMOTE_ADDR="10.0.0.2").json() == {"sent": True}


@override_settings(QUIZ_SMS_PER_DAY=2, QUIZ_SMS_PER_IP_PER_DAY=1)
def test_codes_in_all_are_capped_per_day_and_refused_asks_do_not_use_the_cap(client, tree, bank, outbox, one_minute):
    make_quiz(tree.city, bank, identity_check=Quiz.IdentityCheck.SMS)
    assert ask_code(client, phone="13800138001").json() == {"sent": True}
    for i in range(5):  # over this address's cap: not counted in the day's total
        assert ask_code(client, phone=f"138001381{i:02d}").json()["code"] == "sms_limit"
    assert ask_code(client, phone="13800138002", REMOTE_ADDR="10.0.0.2").json() == {"sent": True}
    last = ask_code(client, phone="13800138003", REMOTE_ADDR="10.0.0.3").json()
    assert last == {"error": "今天的短信验证码已发完，请联系主办单位", "code": "sms_limit"}
    assert [phone for phone, _ in outbox] == ["13800138001", "13800138002"]


def test_one_code_a_minute_and_five_a_day_per_number(client, tree, bank, outbox, monkeypatch):
    make_quiz(tree.city, bank, identity_check=Quiz.IdentityCheck.SMS)
    now = [limits.clock() // 86_400 * 86_400 + 3600.0]  # 09:00 in Beijing

    monkeypatch.setattr(limits, "clock", lambda: now[0])
    assert ask_code(client).json() == {"sent": True}
    assert ask_code(client, REMOTE_ADDR="10.0.0.2").json()["error"] == "验证码已发送，请一分钟后再试"
    for _ in range(4):
        now[0] += 60
        assert ask_code(client).json() == {"sent": True}
    now[0] += 60
    assert ask_code(client).json()["error"] == "该手机号今天获取验证码的次数已达上限，请明天再试"
    assert len(outbox) == 5
    now[0] += 86_400
    assert ask_code(client).json() == {"sent": True}


# ---- rate limits ----------------------------------------------------------------------------


@override_settings(QUIZ_RATE_PER_IP=2, TRUSTED_PROXIES=["10.0.0.1"])
def test_behind_our_proxy_each_client_has_its_own_count(client, tree, bank, one_minute):
    make_quiz(tree.city, bank, max_attempts=10, max_attempts_per_day=0)
    via_proxy = {"REMOTE_ADDR": "10.0.0.1"}
    first = [start(client, tree, phone=f"1380013800{i}", HTTP_X_FORWARDED_FOR="1.1.1.1", **via_proxy) for i in range(3)]
    assert [r.status_code for r in first] == [200, 200, 429]
    assert start(client, tree, phone="13800138009", HTTP_X_FORWARDED_FOR="2.2.2.2", **via_proxy).status_code == 200
    assert sorted({a.ip for a in Attempt.objects.all()}) == ["1.1.1.1", "2.2.2.2"]
    # From anywhere else the header is the client's own word: counted by the real address.
    spoofed = [
        start(client, tree, phone=f"1390013900{i}", REMOTE_ADDR="3.3.3.3", HTTP_X_FORWARDED_FOR=f"9.9.9.{i}")
        for i in range(3)
    ]
    assert [r.status_code for r in spoofed] == [200, 200, 429]


@override_settings(QUIZ_RATE_PER_IP=2)
def test_an_ipv6_client_is_counted_by_its_slash_64(client, tree, bank, one_minute):
    make_quiz(tree.city, bank, max_attempts=10, max_attempts_per_day=0)
    codes = [
        start(client, tree, phone=f"1380013800{i}", REMOTE_ADDR=f"2001:db8:1:2::{i + 1:x}").status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]
    assert start(client, tree, phone="13800138009", REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


@override_settings(QUIZ_RATE_PER_IP=2)
def test_filling_the_cache_does_not_reset_the_counts(client, tree, quiz, one_minute):
    assert [start(client, tree, phone=f"1380013800{i}").status_code for i in range(2)] == [200, 200]
    # 400 distinct searches (each one cached), from other addresses: the local-memory cache (300
    # entries) culls, and counters kept in it were among what it dropped.
    for i in range(400):
        assert client.get(BASE + "units", {"q": f"镇{i}"}, REMOTE_ADDR=f"10.1.{i // 200}.{i % 200}").status_code == 200
    assert start(client, tree, phone="13800138002").status_code == 429


@override_settings(QUIZ_RATE_UNITS_PER_IP=3)
def test_unit_searches_are_limited_per_address(client, tree, quiz, one_minute):
    codes = [client.get(BASE + "units", {"q": f"镇{i}"}).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get(BASE + "units", {"q": "镇"}).json()["code"] == "rate_limited"
    assert client.get(BASE + "units", {"q": "镇"}, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_the_counter_table_is_bounded_and_forgets_no_live_count():
    table = limits.CounterTable(size=3)
    assert table.hit(["a", "b", "c"], window=60, slot=1) == [1, 1, 1]
    assert table.hit(["d", "a"], window=60, slot=1) == [limits.FULL, 2]  # full: a new bucket is over
    assert table.hit(["x"], window=86_400, slot=7) == [limits.FULL]  # every window shares the bound
    assert table.hit(["d", "a"], window=60, slot=2) == [1, 1]  # the next minute: the last one's dropped
    assert table.held == 2


def test_a_daily_window_is_the_sites_day(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    midnight = dt.datetime(2026, 3, 8, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()
    assert limits._slot(limits.DAY, midnight - 1) + 1 == limits._slot(limits.DAY, midnight)
    assert limits._slot(limits.DAY, midnight) == limits._slot(limits.DAY, midnight + 86_399)
