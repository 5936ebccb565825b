"""Organiser pages: scope (404 outside the subtree, 403 without the right), masking, exports, queries."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jinguo.orgs.services import set_org_active
from jinguo.quiz import memory, taking
from jinguo.quiz.models import Question, QuestionBank, Quiz, UnitTarget
from tests.factories import UserFactory, make_org
from tests.quiz.conftest import RULES, make_bank, make_quiz


def take(snap, phone, name, unit, answers=None):
    started = taking.start_attempt(snap, phone=phone, name=name, unit_id=unit.pk)
    token = taking.read_token(started.token, attempt_id=started.attempt.pk)
    return taking.submit_attempt(snap, token, answers=answers or {})


@pytest.fixture
def taken(tree, quiz):
    snap = memory.quiz_by_slug(quiz.slug)
    take(snap, "13800138001", "七星关甲", tree.qxg_town)
    take(snap, "13800138002", "七星关乙", tree.qxg)
    take(snap, "13900139001", "大方丙", tree.dafang_town)
    return quiz


@pytest.fixture
def qxg_quiz(tree):
    """A quiz of 七星关区 with its own bank: what 大方县 must not see."""
    bank = make_bank(tree.qxg, name="七星关区题库")
    return make_quiz(tree.qxg, bank, slug="qxg2023", title="七星关区竞赛")


ORGANISER_URLS = [
    "/quiz/{pk}/",
    "/quiz/{pk}/results/",
    "/quiz/{pk}/results.xlsx",
    "/quiz/{pk}/units/",
    "/quiz/{pk}/units.xlsx",
    "/quiz/{pk}/qr.png",
    "/quiz/{pk}/qr.svg",
    "/quiz/{pk}/edit/",
]


@pytest.mark.parametrize("url", ORGANISER_URLS)
def test_sibling_county_gets_404_on_a_quiz(client_for, users, qxg_quiz, url):
    assert Quiz.objects.filter(pk=qxg_quiz.pk).exists()
    assert client_for(users.dafang_admin).get(url.format(pk=qxg_quiz.pk)).status_code == 404
    assert client_for(users.qxg_admin).get(url.format(pk=qxg_quiz.pk)).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/quiz/banks/{pk}/",
        "/quiz/banks/{pk}/edit/",
        "/quiz/banks/{pk}/export.xlsx",
        "/quiz/banks/{pk}/questions/new/",
        "/quiz/banks/{pk}/import/",
    ],
)
def test_sibling_county_gets_404_on_a_bank(client_for, users, qxg_quiz, url):
    bank = qxg_quiz.bank
    assert client_for(users.dafang_admin).get(url.format(pk=bank.pk)).status_code == 404
    assert client_for(users.qxg_admin).get(url.format(pk=bank.pk)).status_code == 200


def test_sibling_county_gets_404_on_a_question(client_for, users, qxg_quiz):
    question = Question.objects.filter(bank=qxg_quiz.bank).first()
    assert client_for(users.dafang_admin).get(f"/quiz/questions/{question.pk}/edit/").status_code == 404
    assert client_for(users.dafang_admin).post(f"/quiz/questions/{question.pk}/deactivate/").status_code == 404
    question.refresh_from_db()
    assert question.is_active is True


def test_sibling_county_gets_404_on_targets_and_publish(client_for, users, qxg_quiz):
    assert client_for(users.dafang_admin).post(f"/quiz/{qxg_quiz.pk}/targets/", {}).status_code == 404
    assert client_for(users.dafang_admin).post(f"/quiz/{qxg_quiz.pk}/unpublish/").status_code == 404
    qxg_quiz.refresh_from_db()
    assert qxg_quiz.is_published is True


def test_county_sees_the_city_quiz_but_cannot_manage_it(client_for, users, quiz):
    client = client_for(users.qxg_admin)
    assert client.get(f"/quiz/{quiz.pk}/").status_code == 200
    assert client.get(f"/quiz/{quiz.pk}/edit/").status_code == 403
    assert client.post(f"/quiz/{quiz.pk}/unpublish/").status_code == 403
    assert client.post(f"/quiz/{quiz.pk}/targets/", {"unit": users.qxg_admin.org_id}).status_code == 403


def test_county_results_show_only_its_subtree_with_masked_phones(client_for, users, taken):
    response = client_for(users.qxg_admin).get(f"/quiz/{taken.pk}/results/")
    body = response.content.decode()
    assert sorted(p.name for _, p, _, _ in response.context["rows"]) == ["七星关乙", "七星关甲"]
    assert "大方丙" not in body
    assert "138****8001" in body
    assert "13800138001" not in body


def test_city_organiser_sees_all_results_with_phones(client_for, users, taken):
    response = client_for(users.city_admin).get(f"/quiz/{taken.pk}/results/")
    rows = response.context["rows"]
    assert sorted(p.name for _, p, _, _ in rows) == ["七星关乙", "七星关甲", "大方丙"]
    assert "13900139001" in response.content.decode()


def _sheet(response, title):
    """The sheet from its header on; the caption rows above it are asserted on their own."""
    wb = load_workbook(io.BytesIO(response.content))
    rows = [list(r) for r in wb[title].iter_rows(values_only=True)]
    return rows[next(i for i, r in enumerate(rows) if sum(v is not None for v in r) >= 2) :]


def test_results_export_has_its_caption_and_real_times(client_for, users, taken):
    wb = load_workbook(io.BytesIO(client_for(users.qxg_admin).get(f"/quiz/{taken.pk}/results.xlsx").content))
    sheet = wb["成绩排名"]
    assert sheet["A1"].value == f"知识竞赛成绩 · {taken.title}"
    assert sheet["A2"].value.endswith("导出人：七星关管理员（七星关区妇联）")
    rows = _sheet(client_for(users.qxg_admin).get(f"/quiz/{taken.pk}/results.xlsx"), "成绩排名")
    assert rows[0][6] == "交卷时间" and all(isinstance(r[6], dt.datetime) for r in rows[1:])


def test_results_export_masks_phones_for_a_county(client_for, users, taken):
    rows = _sheet(client_for(users.qxg_admin).get(f"/quiz/{taken.pk}/results.xlsx"), "成绩排名")
    assert sorted(r[1] for r in rows[1:]) == ["七星关乙", "七星关甲"]
    assert sorted(r[2] for r in rows[1:]) == ["138****8001", "138****8002"]
    attempts = _sheet(client_for(users.qxg_admin).get(f"/quiz/{taken.pk}/results.xlsx"), "全部答卷")
    assert len(attempts) == 3


def test_results_export_shows_phones_to_the_organiser(client_for, users, taken):
    rows = _sheet(client_for(users.city_admin).get(f"/quiz/{taken.pk}/results.xlsx"), "成绩排名")
    assert sorted(r[2] for r in rows[1:]) == ["13800138001", "13800138002", "13900139001"]


def test_unit_table_counts_subtrees_and_drills_down(client_for, users, tree, taken):
    UnitTarget.objects.create(quiz=taken, unit=tree.qxg, members=4)
    response = client_for(users.city_admin).get(f"/quiz/{taken.pk}/units/")
    rows = {r.label: (r.participants, r.attempts, r.target) for r in response.context["rows"]}
    assert rows == {"七星关区妇联": (2, 2, 4), "大方县妇联": (1, 1, None), "办公室": (0, 0, None)}
    assert [r.rate for r in response.context["rows"]][0] == 50.0
    assert response.context["total"].participants == 3
    drill = client_for(users.city_admin).get(f"/quiz/{taken.pk}/units/", {"unit": tree.qxg.pk})
    assert {r.label: r.participants for r in drill.context["rows"]} == {
        "七星关区妇联（本级）": 1,
        "七星关区市西街道妇联": 1,
    }


def test_unit_table_lists_a_deactivated_unit_only_while_it_has_figures(client_for, users, tree, taken):
    set_org_active(tree.office, active=False)
    set_org_active(tree.dafang, active=False)
    response = client_for(users.city_admin).get(f"/quiz/{taken.pk}/units/")
    assert [r.label for r in response.context["rows"]] == ["七星关区妇联", "大方县妇联"]
    assert response.context["total"].participants == sum(r.participants for r in response.context["rows"]) == 3


def test_unit_table_of_a_county_starts_at_the_county(client_for, users, tree, taken):
    response = client_for(users.qxg_admin).get(f"/quiz/{taken.pk}/units/")
    assert response.context["root"] == tree.qxg
    assert client_for(users.qxg_admin).get(f"/quiz/{taken.pk}/units/", {"unit": tree.dafang.pk}).status_code == 404


def test_unit_table_export(client_for, users, taken):
    rows = _sheet(client_for(users.city_admin).get(f"/quiz/{taken.pk}/units.xlsx"), "参与情况")
    assert rows[0] == ["单位", "参与人数", "答卷数", "平均分（每人最好成绩）", "应参与人数", "参与率"]
    assert rows[-1][:3] == ["合计", 3, 3]


def test_organiser_sets_targets(client_for, users, tree, quiz):
    response = client_for(users.city_admin).post(
        f"/quiz/{quiz.pk}/targets/",
        {"unit": tree.city.pk, f"target_{tree.qxg.pk}": "120", f"target_{tree.dafang.pk}": ""},
    )
    assert response.status_code == 302
    assert list(UnitTarget.objects.values_list("unit__name", "members")) == [("七星关区妇联", 120)]


def test_unit_table_query_count_is_flat(client_for, users, tree, quiz, django_assert_max_num_queries):
    snap = memory.quiz_by_slug(quiz.slug)
    take(snap, "13800000001", "甲", tree.qxg_town)
    client = client_for(users.city_admin)
    with django_assert_max_num_queries(14):
        client.get(f"/quiz/{quiz.pk}/units/")
    for i in range(15):
        town = make_org(f"七星关区第{i}镇妇联", "township", tree.qxg)
        take(snap, f"1380000{i + 100:04d}", f"人{i}", town)
    with django_assert_max_num_queries(14):
        client.get(f"/quiz/{quiz.pk}/units/", {"unit": tree.qxg.pk})


@pytest.mark.parametrize("url", ["/quiz/{pk}/results/", "/quiz/", "/quiz/banks/", "/quiz/banks/{bank}/"])
def test_list_query_counts_are_flat(client_for, users, tree, quiz, django_assert_max_num_queries, url):
    snap = memory.quiz_by_slug(quiz.slug)
    client = client_for(users.city_admin)
    take(snap, "13800000001", "甲", tree.qxg_town)
    target = url.format(pk=quiz.pk, bank=quiz.bank_id)
    with django_assert_max_num_queries(14):
        assert client.get(target).status_code == 200
    for i in range(20):
        take(snap, f"1380000{i + 100:04d}", f"人{i}", tree.qxg_town)
        make_quiz(tree.city, quiz.bank, slug=f"extra{i}", title=f"竞赛{i}")
        QuestionBank.objects.create(owner=tree.city, name=f"题库{i}")
    with django_assert_max_num_queries(14):
        assert client.get(target).status_code == 200


def test_create_quiz_checks_the_bank_has_enough(client_for, users, tree, bank):
    data = {
        "title": "新竞赛",
        "bank": bank.pk,
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
        "rule_topic": ["women_rights", ""],
        "rule_kind": ["single", "judge"],
        "rule_difficulty": ["", ""],
        "rule_count": ["11", "5"],
    }
    client = client_for(users.city_admin)
    response = client.post("/quiz/new/", data)
    assert response.status_code == 200
    assert "“妇女权益保障法、单选、全部难度”要抽 11 题，题库中可用的只有 10 题" in response.content.decode()
    assert Quiz.objects.count() == 0
    assert 'value="11"' in response.content.decode()  # the form keeps what was typed
    data["rule_count"] = ["10", "5"]
    response = client.post("/quiz/new/", data)
    quiz = Quiz.objects.get()
    assert response.status_code == 302
    assert quiz.paper_rules == [
        {"topic": "women_rights", "kind": "single", "difficulty": "", "count": 10},
        {"topic": "", "kind": "judge", "difficulty": "", "count": 5},
    ]
    assert (quiz.is_published, quiz.owner) == (False, tree.city)


def test_liaison_cannot_create_quizzes_or_banks(client_for, users):
    assert client_for(users.qxg_liaison).get("/quiz/new/").status_code == 403
    assert client_for(users.qxg_liaison).get("/quiz/banks/new/").status_code == 403


def test_question_edit_keeps_what_was_typed_on_error(client_for, users, bank):
    question = Question.objects.filter(bank=bank, kind="single").first()
    data = {
        "kind": "single",
        "topic": "women_rights",
        "difficulty": "medium",
        "stem": "改过的题干",
        "option_a": "甲",
        "option_b": "乙",
        "answer": "C",
    }
    response = client_for(users.city_admin).post(f"/quiz/questions/{question.pk}/edit/", data)
    assert "答案“C”中的 C 不在选项中（只有 A–B）" in response.content.decode()
    assert "改过的题干" in response.content.decode()
    data["answer"] = "B"
    assert client_for(users.city_admin).post(f"/quiz/questions/{question.pk}/edit/", data).status_code == 302
    question.refresh_from_db()
    bank.refresh_from_db()
    assert (question.stem, question.options, question.answer, bank.version) == ("改过的题干", ["甲", "乙"], "B", 2)


def test_publish_and_qr_codes(client_for, users, tree, bank):
    quiz = make_quiz(tree.city, bank, is_published=False, paper_rules=RULES)
    client = client_for(users.city_admin)
    assert client.post(f"/quiz/{quiz.pk}/publish/").status_code == 302
    quiz.refresh_from_db()
    assert quiz.is_published
    png = client.get(f"/quiz/{quiz.pk}/qr.png?download=1")
    assert png["Content-Type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "attachment" in png["Content-Disposition"]
    svg = client.get(f"/quiz/{quiz.pk}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content


def test_import_views_preview_then_confirm(client_for, users, tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.quiz.test_importing import GOOD, _csv

    bank = QuestionBank.objects.create(owner=tree.city, name="空题库")
    client = client_for(users.city_admin)
    upload = SimpleUploadedFile("bank.csv", _csv(GOOD), content_type="text/csv")
    response = client.post(f"/quiz/banks/{bank.pk}/import/", {"file": upload})
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert "将导入 3 道试题" in preview.content.decode()
    assert Question.objects.count() == 0
    assert client.post(response["Location"]).status_code == 302
    assert Question.objects.filter(bank=bank).count() == 3
    assert client_for(users.dafang_admin).get(response["Location"]).status_code == 404


def test_import_upload_is_bound_to_its_bank(client_for, users, tree):
    """A kept upload previews only under the bank it was uploaded to, even for the same person."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.quiz.test_importing import GOOD, _csv

    first = QuestionBank.objects.create(owner=tree.city, name="题库一")
    second = QuestionBank.objects.create(owner=tree.city, name="题库二")
    client = client_for(users.city_admin)
    upload = SimpleUploadedFile("bank.csv", _csv(GOOD), content_type="text/csv")
    location = client.post(f"/quiz/banks/{first.pk}/import/", {"file": upload})["Location"]
    token = location.rstrip("/").rsplit("/", 1)[-1]
    assert client.get(location).status_code == 200
    other = location.replace(f"/banks/{first.pk}/", f"/banks/{second.pk}/")
    assert token in other and other != location
    assert client.get(other).status_code == 404
    assert client.post(other).status_code == 404
    assert Question.objects.count() == 0


def test_public_pages_answer_anonymous_visitors(client, tree, taken):
    for url in (
        f"/quiz/p/{taken.slug}/",
        f"/quiz/p/{taken.slug}/board/",
        f"/quiz/p/{taken.slug}/screen/",
        f"/quiz/p/{taken.slug}/screen/rows",
    ):
        assert client.get(url).status_code == 200, url
    board = client.get(f"/quiz/p/{taken.slug}/board/").content.decode()
    assert "七**甲" in board and "13800138001" not in board and "138****" not in board


def test_quiz_list_shows_city_quiz_to_a_county_but_not_sibling_quizzes(client_for, users, quiz, qxg_quiz):
    titles = [q.title for q in client_for(users.dafang_admin).get("/quiz/").context["page"].object_list]
    assert titles == [quiz.title]
    assert timezone.now()


def test_a_viewer_who_sees_phones_masked_cannot_search_by_phone(client_for, users, taken):
    """Searching by the start of a number told a masked viewer the number digit by digit."""
    url = f"/quiz/{taken.pk}/results/"

    def found(user, q):
        return sorted(p.name for _, p, _, _ in client_for(user).get(url, {"q": q}).context["rows"])

    for prefix in ("1", "138", "13800138001"):
        assert found(users.qxg_admin, prefix) == []
    assert found(users.qxg_admin, "七星关甲") == ["七星关甲"]
    assert found(users.qxg_admin, "市西") == ["七星关甲"]  # by unit
    assert 'placeholder="姓名或单位"' in client_for(users.qxg_admin).get(url).content.decode()
    assert found(users.city_admin, "13800138001") == ["七星关甲"]  # the organiser sees numbers whole


QXG_QUIZ_URLS = [*ORGANISER_URLS[:-1], "/quiz/{pk}/units/?unit={town}"]


@pytest.mark.parametrize("url", QXG_QUIZ_URLS)
def test_a_township_gets_404_on_its_countys_unpublished_quiz(client_for, users, tree, url):
    bank = make_bank(tree.qxg, name="七星关区题库")
    draft = make_quiz(tree.qxg, bank, slug="qxgdraft", title="七星关区竞赛（草稿）", is_published=False)
    town = client_for(UserFactory(username="qxg_town_admin", org=tree.qxg_town, is_org_admin=True))
    target = url.format(pk=draft.pk, town=tree.qxg_town.pk)
    assert town.get(target).status_code == 404
    assert client_for(users.qxg_admin).get(target).status_code == 200  # its organisers see their draft
    assert client_for(users.city_admin).get(target).status_code == 200  # and so do the units above
    draft.is_published = True
    draft.save()
    assert town.get(target).status_code == 200  # published: its units take part and see their results


def test_a_township_does_not_list_its_countys_unpublished_quiz(client_for, tree):
    bank = make_bank(tree.qxg, name="七星关区题库")
    make_quiz(tree.qxg, bank, slug="qxgdraft", title="七星关区竞赛（草稿）", is_published=False)
    live = make_quiz(tree.qxg, bank, slug="qxglive", title="七星关区竞赛")
    mine = make_quiz(tree.qxg_town, bank, slug="towndraft", title="市西街道竞赛（草稿）", is_published=False)
    town = client_for(UserFactory(username="qxg_town_admin", org=tree.qxg_town, is_org_admin=True))
    response = town.get("/quiz/")
    assert sorted(q.pk for q in response.context["page"].object_list) == sorted([live.pk, mine.pk])
    assert "七星关区竞赛（草稿）" not in response.content.decode()
