"""A phone number is not an identity: a start for someone already registered must come from their
device or carry an SMS code, else it shows, spends and renames nothing."""

from __future__ import annotations

import hashlib

import pytest
from django.test import override_settings

from jinguo.lib.sms import MemoryBackend
from jinguo.quiz import memory, taking
from jinguo.quiz.models import Attempt, Participant, Quiz
from tests.quiz.conftest import make_quiz, post_json

BASE = "/quiz/p/fnqy2022/"
MINE = "a3f0c2d9e8b7a6f5e4d3c2b1a0f9e8d7"  # the device key quiz.js made on the owner's phone
THEIRS = "0123456789abcdef0123456789abcdef"  # another phone's


def start(client, tree, *, device=MINE, phone="13800138000", name="张丽", unit=None, **more):
    body = {"phone": phone, "name": name, "unit": (unit or tree.qxg_town).pk, **more}
    if device is not None:
        body["device"] = device
    return post_json(client, BASE + "start", body)


def test_the_device_key_is_kept_hashed(client, tree, quiz):
    assert start(client, tree).status_code == 200
    participant = Participant.objects.get()
    assert participant.device_hash == hashlib.sha256(MINE.encode()).hexdigest()
    assert MINE not in participant.device_hash


def test_another_device_cannot_resume_an_open_attempt_or_see_its_answers(client, tree, bank):
    make_quiz(tree.city, bank, max_attempts=1)
    first = start(client, tree).json()
    saved = post_json(
        client, BASE + f"attempts/{first['attempt']}/answers", {"token": first["token"], "answers": {"0": "A"}}
    )
    assert saved.json()["saved"] is True

    refused = start(client, tree, device=THEIRS, name="冒名者", unit=tree.dafang_town)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "这个手机号已在另一部手机（或另一个浏览器）上参加本竞赛，请用原来的手机继续答题",
        "code": "other_device",
    }
    assert start(client, tree, device=None).json()["code"] == "other_device"  # no key is no proof either

    again = start(client, tree).json()  # the owner's phone, its page state lost
    assert (again["attempt"], again["resumed"], again["answers"]) == (first["attempt"], True, {"0": "A"})
    participant = Participant.objects.get()
    assert (participant.name, participant.unit, participant.attempts_count) == ("张丽", tree.qxg_town, 1)


def test_a_start_from_another_device_neither_spends_an_attempt_nor_renames(client, tree, bank):
    make_quiz(tree.city, bank, max_attempts=3, max_attempts_per_day=3)
    first = start(client, tree).json()
    post_json(client, BASE + f"attempts/{first['attempt']}/submit", {"token": first["token"], "answers": {}})

    refused = start(client, tree, device=THEIRS, name="冒名者", unit=tree.dafang_town)
    assert (refused.status_code, refused.json()["code"]) == (403, "other_device")
    assert "token" not in refused.json()
    participant = Participant.objects.get()
    assert (participant.name, participant.unit, participant.attempts_count, participant.day_count) == (
        "张丽",
        tree.qxg_town,
        1,
        1,
    )
    assert Attempt.objects.count() == 1

    # The owner, on their phone, may take the next attempt and correct their unit.
    second = start(client, tree, unit=tree.qxg)
    assert (second.status_code, second.json()["number"]) == (200, 2)
    participant.refresh_from_db()
    assert (participant.unit, participant.attempts_count) == (tree.qxg, 2)


def test_after_the_last_attempt_another_device_learns_nothing_of_the_result(client, tree, bank):
    """The number's owner used their only attempt: another device gets no token (whose submit and
    result would show the owner's real name), not even the name in the refusal."""
    make_quiz(tree.city, bank, max_attempts=1)
    start(client, tree)
    refused = start(client, tree, device=THEIRS, name="冒名者")
    assert refused.json()["code"] == "other_device"
    assert "张丽" not in refused.content.decode()


def test_a_participant_bound_to_no_device_is_bound_by_their_next_start(client, tree, bank):
    """Participants registered before devices were kept (or by a client that sends no key) are not
    locked out: their next start binds its device, and from then on only that device may go on."""
    make_quiz(tree.city, bank, max_attempts=3, max_attempts_per_day=3)
    start(client, tree, device=None)
    assert Participant.objects.get().device_hash == ""
    assert start(client, tree).status_code == 200
    assert Participant.objects.get().device_hash == hashlib.sha256(MINE.encode()).hexdigest()
    assert start(client, tree, device=THEIRS).json()["code"] == "other_device"


def test_the_check_is_in_the_start_itself(tree, bank):
    """taking.start_attempt holds the rule, not only the view: an unverified start from another
    device is refused, a verified one (SMS code, login) goes on and binds the new device."""
    make_quiz(tree.city, bank, max_attempts=1)
    snap = memory.quiz_by_slug("fnqy2022")
    mine, theirs = "1" * 64, "2" * 64
    first = taking.start_attempt(snap, phone="13800138000", name="张丽", unit_id=tree.qxg_town.pk, device=mine)
    with pytest.raises(taking.QuizError) as refused:
        taking.start_attempt(snap, phone="13800138000", name="冒名者", unit_id=tree.qxg_town.pk, device=theirs)
    assert refused.value.code == "other_device"
    again = taking.start_attempt(
        snap, phone="13800138000", name="张丽", unit_id=tree.qxg_town.pk, device=theirs, verified=True
    )
    assert (again.attempt.pk, again.resumed) == (first.attempt.pk, True)


def _code(client, phone="13800138000", **extra) -> str:
    assert post_json(client, BASE + "code", {"phone": phone}, **extra).json() == {"sent": True}
    return MemoryBackend.outbox[-1][1].split("验证码是 ")[1][:6]


@override_settings(SMS_BACKEND="jinguo.lib.sms.MemoryBackend")
def test_an_sms_code_lets_the_owner_go_on_from_another_phone(client, tree, bank):
    MemoryBackend.outbox.clear()
    make_quiz(tree.city, bank, max_attempts=1, identity_check=Quiz.IdentityCheck.SMS)
    code = _code(client)
    first = start(client, tree, code=code).json()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert start(client, tree, device=THEIRS).json()["code"] == "bad_code"
    assert start(client, tree, device=THEIRS, code=wrong).json()["code"] == "bad_code"
    again = start(client, tree, device=THEIRS, code=code).json()
    assert (again["attempt"], again["resumed"], again["answers"]) == (first["attempt"], True, {})


@pytest.mark.parametrize(
    ("awards_prizes", "identity_check", "uses_code"),
    [
        (True, Quiz.IdentityCheck.DEFAULT, True),
        (False, Quiz.IdentityCheck.DEFAULT, False),
        (True, Quiz.IdentityCheck.DEVICE, False),
        (False, Quiz.IdentityCheck.SMS, True),
    ],
)
def test_a_prize_quiz_asks_for_sms_codes_by_default(client, tree, bank, awards_prizes, identity_check, uses_code):
    quiz = make_quiz(tree.city, bank, awards_prizes=awards_prizes, identity_check=identity_check)
    assert quiz.uses_sms_code is uses_code
    assert memory.quiz_by_slug(quiz.slug).uses_sms_code is uses_code
    response = start(client, tree)
    assert response.status_code == (400 if uses_code else 200)
    page = client.get(BASE).content.decode()
    assert ('id="q-code"' in page) is uses_code


def test_a_staff_quiz_never_asks_for_codes(tree, bank):
    quiz = make_quiz(tree.city, bank, audience=Quiz.Audience.STAFF, awards_prizes=True)
    assert quiz.uses_sms_code is False


QUIZ_FORM = {
    "title": "有奖竞赛",
    "opens_at": "2026-03-08T08:30",
    "closes_at": "2026-03-15T20:00",
    "audience": "public",
    "points_single": 5,
    "points_multi": 5,
    "points_judge": 5,
    "time_limit_minutes": 20,
    "max_attempts": 3,
    "max_attempts_per_day": 1,
    "leaderboard_size": 50,
    "rule_topic": [""],
    "rule_kind": ["single"],
    "rule_difficulty": [""],
    "rule_count": ["5"],
}


def test_the_quiz_form_says_what_each_check_protects_and_prizes_mean_codes(client_for, users, bank):
    client = client_for(users.city_admin)
    page = client.get("/quiz/new/").content.decode()
    for text in (
        "设有奖品（按名次或成绩发奖）",
        "默认：设有奖品的用短信验证码，不设奖品的用本机验证",
        "能防止：别人输入他的手机号接着答他的卷、看他的答案和姓名、用掉他的答题次数、改他在排行榜上的姓名和单位。",
        "不能防止：别人抢先用他的手机号报名。",
        "能防止：别人冒用他的手机号报名、答题、领奖",
        'value="default" checked',
    ):
        assert text in page
    response = client.post("/quiz/new/", {**QUIZ_FORM, "bank": bank.pk, "awards_prizes": "on"})
    assert response.status_code == 302
    quiz = Quiz.objects.get()
    assert (quiz.awards_prizes, quiz.identity_check, quiz.uses_sms_code) == (True, "default", True)
    assert "身份核验：短信验证码 · 设有奖品" in client.get(f"/quiz/{quiz.pk}/").content.decode()
    edit = client.post(
        f"/quiz/{quiz.pk}/edit/", {**QUIZ_FORM, "bank": bank.pk, "awards_prizes": "on", "identity_check": "device"}
    )
    assert edit.status_code == 302
    quiz.refresh_from_db()
    assert (quiz.identity_check, quiz.uses_sms_code) == ("device", False)
    assert 'value="device" checked' in client.get(f"/quiz/{quiz.pk}/edit/").content.decode()
    assert "身份核验：本机验证 · 设有奖品" in client.get(f"/quiz/{quiz.pk}/").content.decode()


@override_settings(SMS_BACKEND="jinguo.lib.sms.MemoryBackend")
@pytest.mark.parametrize(("wrong_tries", "then_right_works"), [(4, True), (5, False)])
def test_an_sms_code_is_void_after_five_wrong_tries(client, tree, bank, wrong_tries, then_right_works):
    MemoryBackend.outbox.clear()
    make_quiz(tree.city, bank, max_attempts=1, identity_check=Quiz.IdentityCheck.SMS)
    code = _code(client)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [start(client, tree, device=THEIRS, code=wrong).json()["error"] for _ in range(wrong_tries)]
    assert answers[-1] == ("验证码错误次数过多，已失效，请重新获取" if wrong_tries == 5 else "短信验证码不正确或已过期")
    assert ("attempt" in start(client, tree, device=THEIRS, code=code).json()) is then_right_works
