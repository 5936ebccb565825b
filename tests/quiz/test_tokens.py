"""The attempt token: refused when forged, damaged, signed with another key or for another attempt."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import override_settings

from jinguo.quiz import services, taking
from jinguo.quiz.models import Attempt
from tests.quiz.conftest import make_bank, make_quiz, post_json

BASE = "/quiz/p/fnqy2022/"


def _start(client, tree, phone="13800138000"):
    return post_json(client, BASE + "start", {"phone": phone, "name": "张丽", "unit": tree.qxg_town.pk}).json()


def _payload(token: str) -> dict:
    return signing.loads(token, salt=taking.TOKEN_SALT)


def test_the_token_carries_the_attempt_and_its_paper(client, tree, quiz):
    data = _start(client, tree)
    attempt = Attempt.objects.get(pk=data["attempt"])
    token = taking.read_token(data["token"], attempt_id=attempt.pk)
    assert (token.attempt_id, token.participant_id, token.quiz_id) == (attempt.pk, attempt.participant_id, quiz.pk)
    assert token.paper == attempt.paper
    assert token.deadline == attempt.deadline.replace(microsecond=attempt.deadline.microsecond // 1000 * 1000)


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # another signature
        lambda t: t[:10] + ("x" if t[10] != "x" else "y") + t[11:],  # a changed body
        lambda t: t + ":x",
        lambda t: t.replace(":", "", 1),
        lambda t: "",
        lambda t: "garbage",
    ],
)
def test_a_damaged_token_is_refused(client, tree, quiz, damage):
    data = _start(client, tree)
    url = BASE + f"attempts/{data['attempt']}/submit"
    response = post_json(client, url, {"token": damage(data["token"]), "answers": {}})
    assert (response.status_code, response.json()["code"]) == (403, "bad_token")
    assert Attempt.objects.get(pk=data["attempt"]).status == Attempt.Status.OPEN


def test_a_token_signed_with_another_key_or_for_another_attempt_is_refused(client, tree, quiz):
    mine = _start(client, tree)
    other = _start(client, tree, phone="13900139000")
    url = BASE + f"attempts/{mine['attempt']}/submit"
    payload = _payload(mine["token"])
    with override_settings(SECRET_KEY="a-forger-who-guessed-the-format-" + "f" * 40):
        forged = signing.dumps(payload, salt=taking.TOKEN_SALT, compress=True)
    for token in (forged, other["token"]):
        response = post_json(client, url, {"token": token, "answers": {}})
        assert (response.status_code, response.json()["code"]) == (403, "bad_token")
    assert Attempt.objects.get(pk=mine["attempt"]).status == Attempt.Status.OPEN


def test_tokens_signed_before_a_key_rotation_are_still_accepted(client, tree, quiz, settings):
    data = _start(client, tree)
    old_key = settings.SECRET_KEY
    with override_settings(SECRET_KEY="the-new-key-" + "z" * 40, SECRET_KEY_FALLBACKS=[old_key]):
        assert taking.read_token(data["token"], attempt_id=data["attempt"]).attempt_id == data["attempt"]
    with (
        override_settings(SECRET_KEY="the-new-key-" + "z" * 40, SECRET_KEY_FALLBACKS=[]),
        pytest.raises(services.QuizError),
    ):
        taking.read_token(data["token"], attempt_id=data["attempt"])


@pytest.mark.parametrize("endpoint", ["result", "answers", "submit"])
def test_an_attempt_asked_under_another_quizs_link_is_a_clean_404(client, tree, quiz, endpoint):
    """The attempt of quiz B under quiz A's link (its paper is of B's bank): 404, never a 500."""
    other = make_quiz(tree.city, make_bank(tree.city, name="另一个题库"), slug="other2023", title="另一个竞赛")
    data = post_json(
        client, f"/quiz/p/{other.slug}/start", {"phone": "13800138000", "name": "张丽", "unit": tree.qxg_town.pk}
    ).json()
    post_json(
        client, f"/quiz/p/{other.slug}/attempts/{data['attempt']}/submit", {"token": data["token"], "answers": {}}
    )
    url = BASE + f"attempts/{data['attempt']}/{endpoint}"
    if endpoint == "result":
        response = client.get(url, HTTP_X_ATTEMPT_TOKEN=data["token"])
    else:
        response = post_json(client, url, {"token": data["token"], "answers": {"0": "A"}})
    assert response.status_code == 404
    assert response.json() == {"error": "没有找到这份答卷", "code": "not_found"}
    attempt = Attempt.objects.get(pk=data["attempt"])
    assert (attempt.status, attempt.answers) == (Attempt.Status.SUBMITTED, {})


def test_an_unknown_quiz_link_answers_json_404(client, tree, quiz):
    response = client.get("/quiz/p/nosuchquiz/units")
    assert (response.status_code, response.json()) == (404, {"error": "没有找到", "code": "not_found"})
