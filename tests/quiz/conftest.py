"""A bank of 30 questions (10 of each type) and a live public quiz of 毕节市妇联 drawing 6 of them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.utils import timezone

from jinguo.quiz import limits, memory, paper
from jinguo.quiz.models import Kind, Question, QuestionBank, Quiz, Topic

RULES = [
    {"topic": "", "kind": "single", "difficulty": "", "count": 2},
    {"topic": "", "kind": "multi", "difficulty": "", "count": 2},
    {"topic": "", "kind": "judge", "difficulty": "", "count": 2},
]


@pytest.fixture(autouse=True)
def _fresh_caches():
    memory.clear()
    cache.clear()
    limits.reset()
    yield
    memory.clear()
    cache.clear()
    limits.reset()


def make_bank(owner, *, name="妇女权益保障法题库", per_kind=10) -> QuestionBank:
    bank = QuestionBank.objects.create(owner=owner, name=name)
    questions = []
    for i in range(per_kind):
        questions.append(
            Question(
                bank=bank,
                kind=Kind.SINGLE,
                stem=f"单选题{i}：妇女权益保障法哪一年修订？",
                options=["2018年", "2022年", "2005年", "1992年"],
                answer="B",
                explanation="2022年10月30日修订。",
                source="《妇女权益保障法》",
                topic=Topic.WOMEN_RIGHTS,
                basis="第十三届全国人民代表大会常务委员会第三十七次会议修订",
            )
        )
        questions.append(
            Question(
                bank=bank,
                kind=Kind.MULTI,
                stem=f"多选题{i}：下列哪些属于家庭暴力？",
                options=["殴打", "捆绑", "正常批评", "经常性谩骂"],
                answer="ABD",
                explanation="见反家庭暴力法第二条。",
                source="《反家庭暴力法》第二条",
                topic=Topic.DOMESTIC_VIOLENCE,
            )
        )
        questions.append(
            Question(
                bank=bank,
                kind=Kind.JUDGE,
                stem=f"判断题{i}：父母应当承担家庭教育主体责任。",
                options=[],
                answer="A",
                explanation="家庭教育促进法第十四条。",
                source="《家庭教育促进法》第十四条",
                topic=Topic.FAMILY_EDUCATION,
            )
        )
    Question.objects.bulk_create(questions)
    return bank


def make_quiz(owner, bank, **overrides) -> Quiz:
    now = timezone.now()
    fields = {
        "owner": owner,
        "bank": bank,
        "title": "2022年妇女权益保障法知识竞赛",
        "slug": overrides.pop("slug", "fnqy2022"),
        "is_published": True,
        "opens_at": now - dt.timedelta(hours=1),
        "closes_at": now + dt.timedelta(days=7),
        "paper_rules": RULES,
        "points_single": 5,
        "points_multi": 10,
        "points_judge": 2,
        "time_limit_minutes": 20,
        "max_attempts": 3,
        "max_attempts_per_day": 3,
    }
    fields.update(overrides)
    return Quiz.objects.create(**fields)


@pytest.fixture
def bank(tree):
    return make_bank(tree.city)


@pytest.fixture
def quiz(tree, bank):
    return make_quiz(tree.city, bank)


def post_json(client, url, data, **extra):
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


def correct_answers(paper_json, attempt) -> dict:
    """The right letters for each position, as shown in this attempt's shuffled order."""
    out = {}
    for position, (qid, order) in enumerate(attempt.paper):
        q = Question.objects.get(pk=qid)
        out[str(position)] = paper.shown_letters(q.answer, order)
    return out
