"""The public taking flow through its JSON API: start, save, submit, result."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from jinguo.quiz import memory, paper, ranking, services, taking
from jinguo.quiz.models import LETTERS, Attempt, Participant, Question
from tests.quiz import reference
from tests.quiz.conftest import correct_answers, make_quiz, post_json

BASE = "/quiz/p/fnqy2022/"


def start(client, tree, phone="13800138000", name="张丽", unit=None, **extra):
    return post_json(
        client, BASE + "start", {"phone": phone, "name": name, "unit": (unit or tree.qxg_town).pk}, **extra
    )


def test_start_returns_whole_paper_without_answers(client, tree, quiz):
    response = start(client, tree)
    assert response.status_code == 200
    data = response.json()
    assert len(data["paper"]) == 6
    assert data["max_score"] == 2 * 5 + 2 * 10 + 2 * 2
    text = json.dumps(data, ensure_ascii=False)
    for forbidden in (
        '"answer"',
        "解析",
        "explanation",
        "2022年10月30日修订",
        "反家庭暴力法第二条",
        "basis",
        "第十三届",
    ):
        assert forbidden not in text
    assert set(data["paper"][0]) == {"n", "kind", "kind_label", "stem", "options"}
    attempt = Attempt.objects.get()
    assert data["attempt"] == attempt.pk
    assert attempt.unit == tree.qxg_town
    assert attempt.deadline == attempt.started_at + dt.timedelta(minutes=20)
    assert [q["n"] for q in data["paper"]] == list(range(6))


def test_paper_option_shuffle_is_reconstructable(client, tree, quiz):
    data = start(client, tree).json()
    attempt = Attempt.objects.get(pk=data["attempt"])
    for shown, (qid, order) in zip(data["paper"], attempt.paper, strict=True):
        question = Question.objects.get(pk=qid)
        assert shown["stem"] == question.stem
        assert shown["options"] == [question.shown_options[i] for i in order]
        assert sorted(order) == list(range(len(question.shown_options)))


def test_judge_options_keep_their_order(tree, bank):
    data = memory.bank_data(bank.pk, bank.version)
    drawn = paper.draw_paper([{"kind": "judge", "count": 10}], data)
    assert all(order == [0, 1] for _, order in drawn)


def test_option_orders_are_uniform_over_all_permutations(tree, bank):
    """Each of the 24 orders of a four-option question is drawn, about equally often."""
    import random
    from collections import Counter

    data = memory.bank_data(bank.pk, bank.version)
    rng = random.Random(20230308)
    seen = Counter()
    for _ in range(2400):
        (qid, order), *_ = paper.draw_paper([{"kind": "single", "count": 1}], data, rng)
        if len(order) == 4:
            seen[tuple(order)] += 1
    assert len(seen) == 24
    total = sum(seen.values())
    assert all(0.5 < n / (total / 24) < 1.5 for n in seen.values()), seen


def test_draw_respects_rules_without_repeats(tree, bank):
    data = memory.bank_data(bank.pk, bank.version)
    rules = [{"kind": "single", "count": 10}, {"kind": "multi", "count": 3}]
    drawn = paper.draw_paper(rules, data)
    kinds = [data.questions[qid].kind for qid, _ in drawn]
    assert sorted(kinds) == ["multi"] * 3 + ["single"] * 10
    assert len({qid for qid, _ in drawn}) == 13


def test_submit_all_correct_scores_full_marks_and_rank_one(client, tree, quiz):
    data = start(client, tree).json()
    attempt = Attempt.objects.get(pk=data["attempt"])
    answers = correct_answers(data["paper"], attempt)
    response = post_json(client, BASE + f"attempts/{attempt.pk}/submit", {"token": data["token"], "answers": answers})
    assert response.status_code == 200
    lean = response.json()
    assert (lean["attempt"], lean["status"], lean["score"], lean["rank"]) == (attempt.pk, "submitted", 34, 1)
    assert "review" not in lean
    response = client.get(BASE + f"attempts/{attempt.pk}/result", HTTP_X_ATTEMPT_TOKEN=data["token"])
    result = response.json()
    assert (result["score"], result["max_score"], result["correct"], result["rank"]) == (34, 34, 6, 1)
    assert result["status"] == "submitted"
    assert result["time_used"] == lean["time_used"]
    assert all(item["correct"] for item in result["review"])
    assert result["review"][0]["explanation"]
    participant = Participant.objects.get()
    assert (participant.best_score, participant.best_attempt_id) == (34, attempt.pk)


def test_full_submit_answers_with_the_whole_result_as_the_result_endpoint_does(client, tree, quiz):
    """quiz.js submits with "full": the phone gets score, rank and the reviewed paper in one
    response, built from what was just graded; it must equal what the result endpoint reads back,
    on a fresh submit and on a repeated one (served from the stored attempt)."""
    earlier = start(client, tree, phone="13900139000").json()
    post_json(client, BASE + f"attempts/{earlier['attempt']}/submit", {"token": earlier["token"], "answers": {}})
    data = start(client, tree).json()
    attempt = Attempt.objects.get(pk=data["attempt"])
    answers = correct_answers(data["paper"], attempt)
    answers.pop("0")  # one unanswered: the review must show it as such
    url = BASE + f"attempts/{attempt.pk}/submit"
    first = post_json(client, url, {"token": data["token"], "answers": answers, "full": True}).json()
    again = post_json(client, url, {"token": data["token"], "answers": {}, "full": True}).json()
    stored = client.get(BASE + f"attempts/{attempt.pk}/result", HTTP_X_ATTEMPT_TOKEN=data["token"]).json()
    assert first == again == stored
    assert (first["status"], first["rank"], first["participants"], first["attempts_used"]) == ("submitted", 1, 2, 1)
    assert first["name"] == "张丽" and first["correct"] == 5 and first["total"] == 6
    assert first["review"][0]["given"] == "" and not first["review"][0]["correct"]
    assert all(item["correct"] for item in first["review"][1:])


def test_a_submit_with_the_paper_kept_leaves_out_stems_and_options(client, tree, quiz):
    """quiz.js holds the paper: the review it gets is the full one less the paper's text."""
    data = start(client, tree).json()
    url = BASE + f"attempts/{data['attempt']}/submit"
    lean = post_json(client, url, {"token": data["token"], "answers": {"1": "A"}, "full": True, "paper_kept": True})
    full = client.get(BASE + f"attempts/{data['attempt']}/result", HTTP_X_ATTEMPT_TOKEN=data["token"]).json()
    lean = lean.json()
    paper_keys = {"kind", "kind_label", "stem", "options"}
    assert [set(item) & paper_keys for item in lean["review"]] == [set()] * len(data["paper"])
    assert [
        item | {k: p[k] for k in paper_keys} for item, p in zip(lean["review"], data["paper"], strict=True)
    ] == full["review"]
    assert {k: v for k, v in lean.items() if k != "review"} == {k: v for k, v in full.items() if k != "review"}


def test_grading_by_the_shown_order_agrees_with_mapping_back(tree, bank):
    """grade compares the given letters with the right ones as shown (memoised per order); that
    must agree with mapping the given letters back to the original options, for every order of a
    4-option multiple choice and every answer to it."""
    import itertools

    data = memory.bank_data(bank.pk, bank.version)
    q = next(q for q in data.questions.values() if q.kind == "multi")
    points = {"single": 5, "multi": 10, "judge": 2}
    answers = ["".join(c) for k in range(1, 5) for c in itertools.combinations("ABCD", k)]
    for order in itertools.permutations(range(4)):
        for given in answers:
            clean = paper.clean_answers({"0": given}, [[q.id, list(order)]])
            expected = 10 if reference.original_letters(given, list(order)) == q.answer else 0
            assert paper.grade([[q.id, list(order)]], clean, data, points).score == expected
    assert paper.clean_answers({"0": ["A"], "1": {"x": 1}, "2": "ca", "3": "AE"}, [[q.id, [0, 1, 2, 3]]] * 4) == {
        "2": "AC",
        "3": "A",
    }


def _grade_one(bank, kind, given_original: str):
    data = memory.bank_data(bank.pk, bank.version)
    qid = next(q.id for q in data.questions.values() if q.kind == kind)
    order = list(range(len(data.questions[qid].options)))[::-1]  # reversed: shown A is the last option
    shown = paper.shown_letters(given_original, order) if given_original else ""
    points = {"single": 5, "multi": 10, "judge": 2}
    return paper.grade([[qid, order]], {"0": shown} if shown else {}, data, points).score


@pytest.mark.parametrize(
    ("kind", "given", "score"),
    [
        ("single", "B", 5),
        ("single", "C", 0),
        ("single", "", 0),
        ("multi", "ABD", 10),
        ("multi", "AB", 0),  # all or nothing: a missing option scores nothing
        ("multi", "ABCD", 0),  # an extra option scores nothing
        ("judge", "A", 2),
        ("judge", "B", 0),
    ],
)
def test_grading_every_type(tree, bank, kind, given, score):
    assert _grade_one(bank, kind, given) == score


def test_resubmit_is_idempotent(client, tree, quiz):
    data = start(client, tree).json()
    attempt = Attempt.objects.get(pk=data["attempt"])
    answers = correct_answers(data["paper"], attempt)
    url = BASE + f"attempts/{attempt.pk}/submit"
    first = post_json(client, url, {"token": data["token"], "answers": {}}).json()
    second = post_json(client, url, {"token": data["token"], "answers": answers}).json()
    assert first["score"] == second["score"] == 0
    assert first["submitted_at"] == second["submitted_at"]
    assert Attempt.objects.filter(status="submitted").count() == 1
    assert Participant.objects.get().attempts_count == 1


def test_submit_needs_a_valid_token(client, tree, quiz):
    data = start(client, tree).json()
    other = start(client, tree, phone="13900139000").json()
    url = BASE + f"attempts/{data['attempt']}/submit"
    assert post_json(client, url, {"token": data["token"] + "x", "answers": {}}).status_code == 403
    assert post_json(client, url, {"token": other["token"], "answers": {}}).status_code == 403
    assert Attempt.objects.filter(status="open").count() == 2


def test_api_refuses_form_posts(client, tree, quiz):
    response = client.post(BASE + "start", {"phone": "13800138000", "name": "张丽", "unit": tree.qxg_town.pk})
    assert response.status_code == 415
    assert Attempt.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"token": "x", "events": [NaN]}', b'{"token": "x", "events": [Infinity]}', b"\xff\xfe", b"[1]"],
)
def test_api_refuses_malformed_json_and_keeps_the_attempt_open(client, tree, quiz, body):
    """Not JSON, JSON with NaN or Infinity (which PostgreSQL's jsonb cannot hold), not UTF-8, not
    an object: a 400 with a Chinese message, and the attempt stays open for a proper submit."""
    data = start(client, tree).json()
    url = BASE + f"attempts/{data['attempt']}/submit"
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": "请求格式错误", "code": "bad_request"}
    assert Attempt.objects.get(pk=data["attempt"]).status == "open"
    assert post_json(client, url, {"token": data["token"], "answers": {}}).json()["status"] == "submitted"


def test_save_answers_keeps_them_for_a_late_submit(client, tree, quiz):
    data = start(client, tree).json()
    attempt = Attempt.objects.get(pk=data["attempt"])
    answers = correct_answers(data["paper"], attempt)
    saved = post_json(
        client,
        BASE + f"attempts/{attempt.pk}/answers",
        {"token": data["token"], "answers": answers, "tab_switches": 2, "events": [12.5, 40]},
    )
    assert saved.json()["saved"] is True
    attempt.refresh_from_db()
    assert (attempt.answers, attempt.tab_switches, attempt.events) == (answers, 2, [12.5, 40.0])
    # The phone comes back an hour later and sends different answers: the saved ones count.
    token = taking.read_token(data["token"], attempt_id=attempt.pk)
    snap = memory.quiz_by_slug("fnqy2022")
    outcome = taking.submit_attempt(snap, token, answers={}, now=attempt.deadline + dt.timedelta(hours=1))
    assert (outcome.status, outcome.score, outcome.time_used_ms) == ("closed", 34, 20 * 60 * 1000)


def test_save_after_deadline_is_refused(client, tree, quiz):
    data = start(client, tree).json()
    attempt = Attempt.objects.get(pk=data["attempt"])
    token = taking.read_token(data["token"], attempt_id=attempt.pk)
    assert taking.save_answers(token, answers={"0": "A"}, now=attempt.deadline + dt.timedelta(seconds=1)) is False
    attempt.refresh_from_db()
    assert attempt.answers == {}


def test_deadline_is_the_window_close_when_earlier(client, tree, bank):
    closes = timezone.now() + dt.timedelta(minutes=5)
    make_quiz(tree.city, bank, closes_at=closes)
    data = start(client, tree).json()
    assert Attempt.objects.get().deadline == closes
    assert data["seconds_left"] <= 300


def test_closeattempts_closes_expired_attempts_with_saved_answers(client, tree, quiz, capsys):
    data = start(client, tree).json()
    start(client, tree, phone="13900139000")
    attempt = Attempt.objects.get(pk=data["attempt"])
    answers = correct_answers(data["paper"], attempt)
    Attempt.objects.filter(pk=attempt.pk).update(answers=answers, deadline=timezone.now() - dt.timedelta(minutes=1))
    call_command("closeattempts")
    assert "已收卷 1 份" in capsys.readouterr().out
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score) == ("closed", 34)
    assert Attempt.objects.filter(status="open").count() == 1
    assert Participant.objects.get(pk=attempt.participant_id).best_score == 34


def test_result_closes_an_expired_attempt_lazily(client, tree, quiz):
    data = start(client, tree).json()
    Attempt.objects.filter(pk=data["attempt"]).update(deadline=timezone.now() - dt.timedelta(minutes=5))
    response = client.get(BASE + f"attempts/{data['attempt']}/result", HTTP_X_ATTEMPT_TOKEN=data["token"])
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["score"]) == ("closed", 0)


def test_result_of_an_open_attempt_shows_no_answers(client, tree, quiz):
    data = start(client, tree).json()
    response = client.get(BASE + f"attempts/{data['attempt']}/result", HTTP_X_ATTEMPT_TOKEN=data["token"])
    assert response.status_code == 409
    assert "review" not in response.json()


def test_attempt_limit_total(client, tree, bank):
    make_quiz(tree.city, bank, max_attempts=2, max_attempts_per_day=0)
    first = start(client, tree).json()
    post_json(client, BASE + f"attempts/{first['attempt']}/submit", {"token": first["token"], "answers": {}})
    second = start(client, tree).json()
    post_json(client, BASE + f"attempts/{second['attempt']}/submit", {"token": second["token"], "answers": {}})
    third = start(client, tree)
    assert third.status_code == 409
    assert third.json() == {"error": "每人最多答题 2 次，您的次数已用完", "code": "limit_total"}
    assert Attempt.objects.count() == 2


def test_attempt_limit_per_day_resets_the_next_day(tree, bank):
    make_quiz(tree.city, bank, max_attempts=5, max_attempts_per_day=1)
    snap = memory.quiz_by_slug("fnqy2022")
    now = timezone.now()
    first = taking.start_attempt(snap, phone="13800138000", name="张丽", unit_id=tree.qxg_town.pk, now=now)
    token = taking.read_token(first.token, attempt_id=first.attempt.pk)
    taking.submit_attempt(snap, token, answers={}, now=now)
    with pytest.raises(services.QuizError) as refused:
        taking.start_attempt(snap, phone="13800138000", name="张丽", unit_id=tree.qxg_town.pk, now=now)
    assert refused.value.code == "limit_day"
    tomorrow = now + dt.timedelta(days=1)
    again = taking.start_attempt(snap, phone="13800138000", name="张丽", unit_id=tree.qxg_town.pk, now=tomorrow)
    assert again.attempt.number == 2


def test_start_when_limit_reached_resumes_the_open_attempt(client, tree, bank):
    make_quiz(tree.city, bank, max_attempts=1)
    first = start(client, tree).json()
    again = start(client, tree).json()
    assert again["attempt"] == first["attempt"]
    assert again["resumed"] is True
    assert Attempt.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"phone": "1380013800", "name": "张丽"}, "bad_phone"),
        ({"phone": "13800138000", "name": ""}, "bad_name"),
        ({"phone": "13800138000", "name": "张丽", "unit": "abc"}, "bad_unit"),
    ],
)
def test_start_checks_identity(client, tree, quiz, payload, code):
    payload.setdefault("unit", tree.qxg_town.pk)
    response = post_json(client, BASE + "start", payload)
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert Attempt.objects.count() == 0


def test_start_refuses_a_unit_outside_the_quiz(client, tree, bank):
    make_quiz(tree.qxg, bank)
    response = start(client, tree, unit=tree.dafang_town)
    assert response.json()["code"] == "bad_unit"


def test_start_outside_the_window(client, tree, bank):
    make_quiz(tree.city, bank, opens_at=timezone.now() + dt.timedelta(hours=1))
    response = start(client, tree)
    assert (response.status_code, response.json()["code"]) == (409, "not_open")


def test_unpublished_quiz_does_not_exist_publicly(client, tree, bank):
    make_quiz(tree.city, bank, is_published=False)
    assert client.get(BASE).status_code == 404
    assert start(client, tree).status_code == 404


@override_settings(QUIZ_RATE_PER_PHONE=3)
def test_rate_limit_per_phone(client, tree, bank):
    make_quiz(tree.city, bank, max_attempts=10, max_attempts_per_day=0)
    codes = [start(client, tree).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert start(client, tree, phone="13900139000").status_code == 200


@override_settings(QUIZ_RATE_PER_IP=2)
def test_rate_limit_per_ip(client, tree, quiz):
    codes = [start(client, tree, phone=f"1380013800{i}").status_code for i in range(4)]
    assert codes == [200, 200, 429, 429]
    assert start(client, tree, phone="13800138009", REMOTE_ADDR="10.0.0.2").status_code == 200


@override_settings(SMS_BACKEND="jinguo.lib.sms.MemoryBackend")
def test_sms_code_is_required_when_the_quiz_asks(client, tree, bank):
    from jinguo.lib.sms import MemoryBackend

    MemoryBackend.outbox.clear()
    make_quiz(tree.city, bank, identity_check="sms")
    assert start(client, tree).json()["code"] == "bad_code"
    assert post_json(client, BASE + "code", {"phone": "13800138000"}).json() == {"sent": True}
    phone, text = MemoryBackend.outbox[-1]
    code = text.split("验证码是 ")[1][:6]
    assert phone == "13800138000"
    response = post_json(
        client, BASE + "start", {"phone": phone, "name": "张丽", "unit": tree.qxg_town.pk, "code": code}
    )
    assert response.status_code == 200


def test_units_picker_searches_below_the_organiser(client, tree, quiz):
    data = client.get(BASE + "units", {"q": "市西"}).json()
    assert [(u["name"], u["path"]) for u in data["units"]] == [("七星关区市西街道妇联", "七星关区妇联")]
    top = client.get(BASE + "units").json()
    assert [u["name"] for u in top["units"]] == ["七星关区妇联", "大方县妇联", "办公室"]


def test_staff_quiz_needs_a_signed_in_user_of_the_subtree(client, client_for, tree, users, bank):
    make_quiz(tree.qxg, bank, audience="staff")
    assert post_json(client, BASE + "start", {}).status_code == 403
    assert post_json(client_for(users.dafang_liaison), BASE + "start", {}).status_code == 403
    response = post_json(client_for(users.qxg_liaison), BASE + "start", {})
    assert response.status_code == 200
    participant = Participant.objects.get()
    assert (participant.key, participant.unit, participant.name) == (
        f"user:{users.qxg_liaison.pk}",
        tree.qxg,
        "七星关联络员",
    )


def test_letters_round_trip(tree, bank):
    order = [2, 0, 3, 1]
    for original in ("A", "BD", "ABCD"):
        assert reference.original_letters(paper.shown_letters(original, order), order) == original
    assert LETTERS[order[0]] == "C"


def test_public_paper_json_is_the_public_paper(tree, quiz):
    bank = memory.bank_data(quiz.bank_id, quiz.bank.version)
    drawn = paper.draw_paper(quiz.paper_rules, bank)
    assert json.loads(paper.public_paper_json(drawn, bank)) == reference.public_paper(drawn, bank)


def test_cookieless_api_request_skips_session_and_user(client, tree, quiz):
    response = start(client, tree)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "Cookie" not in response.get("Vary", "")  # no session was touched
    assert response.cookies == {}
    data = response.json()
    submitted = post_json(client, BASE + f"attempts/{data['attempt']}/submit", {"token": data["token"], "answers": {}})
    assert "Cookie" not in submitted.get("Vary", "")
    assert submitted.json()["status"] == "submitted"


def test_submit_full_returns_the_review_at_once(client, tree, quiz):
    data = start(client, tree).json()
    url = BASE + f"attempts/{data['attempt']}/submit"
    response = post_json(client, url, {"token": data["token"], "answers": {}, "full": True})
    assert len(response.json()["review"]) == len(data["paper"])


def test_closing_late_keeps_saved_tab_switches(client, tree, quiz):
    data = start(client, tree).json()
    url = BASE + f"attempts/{data['attempt']}/answers"
    post_json(client, url, {"token": data["token"], "answers": {"0": "A"}, "tab_switches": 4, "events": [1.5]})
    attempt = Attempt.objects.get(pk=data["attempt"])
    snap = memory.quiz_by_slug("fnqy2022")
    assert taking.close_attempt(attempt, snap=snap, now=attempt.deadline + dt.timedelta(hours=1)) is not None
    attempt.refresh_from_db()
    assert (attempt.status, attempt.tab_switches, attempt.events, attempt.answers) == ("closed", 4, [1.5], {"0": "A"})


def test_review_json_is_the_review(tree, quiz):
    bank = memory.bank_data(quiz.bank_id, quiz.bank.version)
    drawn = paper.draw_paper(quiz.paper_rules, bank)
    answers = {"0": "A", "1": "BC", "3": "B"}
    points = {"single": 5, "multi": 10, "judge": 2}
    assert json.loads(paper.review_json(drawn, answers, bank, points)) == reference.review(drawn, answers, bank, points)
    # Not as stored (unsorted, lower case, a quote, not a string): normalised, still valid JSON.
    messy = {"0": "ca", "1": 'A"},{"x":"', "2": 5, "3": "b、d"}
    review = json.loads(paper.review_json(drawn, messy, bank, points))
    assert [item["given"] for item in review[:4]] == ["AC", "A", "", "BD"]
    assert [item["answer"] for item in review] == [item["answer"] for item in reference.review(drawn, {}, bank, points)]


def test_unit_lookup_loads_the_organisers_subtree_once(tree, quiz, django_assert_num_queries):
    """A burst from many villages: the first start's unit lookup loads the quiz owner's subtree,
    later units in it cost no query; a unit made afterwards is looked up on its own."""
    from tests.factories import make_org

    under = tree.city.path
    with django_assert_num_queries(1):
        assert memory.unit_info(tree.qxg_town.pk, under=under)[1] == "七星关区市西街道妇联"
    with django_assert_num_queries(0):
        assert memory.unit_info(tree.dafang_town.pk, under=under)[1] == "大方县大方镇妇联"
        assert memory.unit_info(tree.qxg.pk, under=under)[0] == tree.qxg.path
    late = make_org("七星关区新村妇联", parent=tree.qxg)
    with django_assert_num_queries(1):
        assert memory.unit_info(late.pk, under=under)[1] == "七星关区新村妇联"
    with django_assert_num_queries(0):
        assert memory.unit_info(late.pk, under=under)[1] == "七星关区新村妇联"


def test_start_refuses_a_unit_outside_the_quiz_owners_subtree(client, tree, bank):
    """The organiser is a county: a unit of the sibling county is refused, though it exists."""
    make_quiz(tree.qxg, bank, slug="qxg2023")
    response = post_json(
        client, "/quiz/p/qxg2023/start", {"phone": "13800138000", "name": "张丽", "unit": tree.dafang_town.pk}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_unit"
    assert not Attempt.objects.exists()


def test_the_shown_total_is_never_below_the_rank(client, tree, quiz):
    """The public total is a few seconds old; a newcomer ranked last must not read 第 2 名（共 1 人）."""
    import time

    first = start(client, tree, phone="13900139000").json()
    attempt = Attempt.objects.get(pk=first["attempt"])
    post_json(
        client,
        BASE + f"attempts/{attempt.pk}/submit",
        {"token": first["token"], "answers": correct_answers(first["paper"], attempt)},
    )
    ranking.totals.entries[quiz.pk] = (time.monotonic() + 60, {"participants": 1, "attempts": 1, "ranked": 1})
    data = start(client, tree).json()
    result = post_json(
        client, BASE + f"attempts/{data['attempt']}/submit", {"token": data["token"], "answers": {}, "full": True}
    ).json()
    assert (result["rank"], result["participants"]) == (2, 2)


def test_max_score_is_one_figure_everywhere(client, tree, quiz):
    """The quiz's rules, its snapshot, the start's paper, the submit and the stored result."""
    snap = memory.quiz_by_slug("fnqy2022")
    data = start(client, tree).json()
    url = BASE + f"attempts/{data['attempt']}/"
    submitted = post_json(client, url + "submit", {"token": data["token"], "answers": {}, "full": True}).json()
    stored = client.get(url + "result", HTTP_X_ATTEMPT_TOKEN=data["token"]).json()
    assert [quiz.max_score, snap.max_score, data["max_score"], submitted["max_score"], stored["max_score"]] == [34] * 5


def test_the_public_pages_show_the_whole_quiz_to_a_signed_in_viewer(client_for, users, tree, quiz):
    """A liaison of 大方县 signed in: the leaderboard still counts 七星关区's participants (the public
    views run unscoped, not in the viewer's subtree)."""
    Participant.objects.create(
        quiz=quiz, key="13800000001", phone="13800000001", name="张丽", unit=tree.qxg_town, attempts_count=1,
        best_score=30, best_time_ms=60_000, best_submitted_at=timezone.now(),
    )  # fmt: skip
    reference.rebuild_score_buckets(quiz.pk)
    response = client_for(users.dafang_liaison).get(BASE + "board/")
    assert response.status_code == 200
    assert "张*" in response.content.decode()
    assert response.context["totals"] == {"participants": 1, "attempts": 1, "ranked": 1}


@pytest.mark.parametrize(("per_day", "expected"), [(1, [False]), (2, [True, False]), (0, [True, True, False])])
def test_retry_is_offered_only_while_an_attempt_is_left_today(client, tree, quiz, per_day, expected):
    quiz.max_attempts, quiz.max_attempts_per_day = 3, per_day
    quiz.save()
    offered = []
    for _ in expected:
        data = start(client, tree).json()
        url = BASE + f"attempts/{data['attempt']}/"
        result = post_json(client, url + "submit", {"token": data["token"], "answers": {}, "full": True}).json()
        stored = client.get(url + "result", HTTP_X_ATTEMPT_TOKEN=data["token"]).json()
        assert stored["may_retry"] == result["may_retry"]
        offered.append(result["may_retry"])
    assert offered == expected


def test_retry_is_offered_again_the_next_day(client, tree, quiz):
    quiz.max_attempts, quiz.max_attempts_per_day = 3, 1
    quiz.save()
    data = start(client, tree).json()
    url = BASE + f"attempts/{data['attempt']}/"
    assert (
        post_json(client, url + "submit", {"token": data["token"], "answers": {}, "full": True}).json()["may_retry"]
        is False
    )
    Participant.objects.update(day=timezone.localdate() - dt.timedelta(days=1))
    assert client.get(url + "result", HTTP_X_ATTEMPT_TOKEN=data["token"]).json()["may_retry"] is True
