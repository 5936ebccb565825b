"""The demo quiz: the starter bank, a live public quiz on the 2022 妇女权益保障法 issued by
毕节市妇联 (520500), and a few hundred attempts across Bijie's counties and townships, made through
the same services as the public API. Call ``load_demo_quiz()`` with scoping disabled."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.lib.excel import read_table
from jinguo.orgs.models import Org
from jinguo.quiz import memory, paper, services, taking
from jinguo.quiz.importing import import_questions
from jinguo.quiz.models import Kind, Question, QuestionBank, Quiz, Topic, UnitTarget

STARTER_BANK = Path(settings.BASE_DIR) / "data" / "questions" / "starter-bank.csv"
SLUG = "fnqy2022"
TITLE = "学习贯彻新修订《妇女权益保障法》网上知识竞赛"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林龙吴田蔡彭"
GIVEN = [
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "霞",
    "燕",
    "婷",
    "雪",
    "梅",
    "琴",
    "兰",
    "艳",
    "红",
    "玲",
    "英",
    "秀珍",
    "晓燕",
    "春梅",
    "桂兰",
]


def load_demo_quiz(*, attempts: int = 360, seed: int = 2023) -> Quiz | None:
    """Idempotent: returns the existing demo quiz if it is there. None without the city unit."""
    existing = Quiz.objects.filter(slug=SLUG).first()
    if existing is not None:
        return existing
    city = Org.objects.filter(code="520500").first()
    if city is None:
        return None
    admin = User.objects.filter(org=city, is_org_admin=True).order_by("pk").first()
    bank = _bank(city, admin)
    now = timezone.now()
    single = min(10, Question.objects.filter(bank=bank, topic=Topic.WOMEN_RIGHTS, kind=Kind.SINGLE).count())
    multi = min(5, Question.objects.filter(bank=bank, topic=Topic.WOMEN_RIGHTS, kind=Kind.MULTI).count())
    judge = min(5, Question.objects.filter(bank=bank, topic=Topic.WOMEN_RIGHTS, kind=Kind.JUDGE).count())
    rules = [
        {"topic": Topic.WOMEN_RIGHTS, "kind": k, "difficulty": "", "count": n}
        for k, n in ((Kind.SINGLE, single), (Kind.MULTI, multi), (Kind.JUDGE, judge))
        if n
    ]
    quiz = services.create_quiz(
        owner=city,
        by=admin,
        title=TITLE,
        description="2022年10月30日，十三届全国人大常委会第三十七次会议修订通过《中华人民共和国妇女权益保障法》，"
        "自2023年1月1日起施行。欢迎全市妇女群众和妇联干部参加答题，学法、懂法、用法。",
        bank=bank,
        opens_at=now - dt.timedelta(days=2),
        closes_at=now + dt.timedelta(days=12),
        audience=Quiz.Audience.PUBLIC,
        paper_rules=rules,
        points_single=5,
        points_multi=5,
        points_judge=5,
        time_limit_minutes=20,
        max_attempts=3,
        max_attempts_per_day=1,
        leaderboard_size=50,
        awards_prizes=False,
        identity_check=Quiz.IdentityCheck.DEFAULT,
    )
    Quiz.objects.filter(pk=quiz.pk).update(slug=SLUG)
    quiz.refresh_from_db()
    services.set_quiz_published(quiz, published=True, by=admin)
    _attempts(quiz, city, attempts, random.Random(seed), now)
    return quiz


def _bank(city: Org, admin) -> QuestionBank:
    bank = services.create_bank(
        owner=city,
        name="普法知识起步题库",
        description="依据2022年《妇女权益保障法》《反家庭暴力法》《家庭教育促进法》《未成年人保护法》《民法典》婚姻家庭编编写，每题注明出处与法条原文。",
        by=admin,
    )
    if STARTER_BANK.exists():
        rows = read_table(STARTER_BANK.read_bytes(), STARTER_BANK.name)
        result = import_questions(bank, rows, dry_run=False, by=admin)
        if not result.written:
            raise RuntimeError(f"起步题库导入失败：{result.errors[:5]}")
    else:  # a bank to demo with until the starter bank is written
        for i in range(20):
            services.save_question(
                bank,
                by=admin,
                kind=[Kind.SINGLE, Kind.MULTI, Kind.JUDGE][i % 3],
                stem=f"（示例题 {i + 1}）男女平等是国家的基本国策。",
                options=[] if i % 3 == 2 else ["基本国策", "阶段性目标", "倡导性要求"],
                answer="正确" if i % 3 == 2 else ("A" if i % 3 == 0 else "AB"),
                topic=Topic.WOMEN_RIGHTS,
                difficulty="easy",
                source="《妇女权益保障法》第二条",
            )
    return bank


def _attempts(quiz: Quiz, city: Org, count: int, rng: random.Random, now) -> None:
    counties = list(Org.objects.filter(parent=city, kind=Org.Kind.COUNTY).order_by("path"))
    townships = list(Org.objects.filter(parent__in=counties, is_active=True).order_by("path"))
    units = [u for u in townships + counties if u.is_active]
    if not units:
        return
    for county in counties:
        # Targets a little above the demo's turnout, so that rates look like a campaign mid-way.
        members = 240 if county.pk == counties[0].pk else rng.choice([50, 60, 80, 100])
        UnitTarget.objects.create(quiz=quiz, unit=county, members=members)
    memory.forget(quiz.slug)
    snap = memory.quiz_by_slug(quiz.slug)
    bank = memory.bank_for(snap)
    # Busier counties first: participation is uneven, as it is in real campaigns.
    weights = [3 if u.parent_id == counties[0].pk else 1 for u in units]
    for i in range(count):
        unit = rng.choices(units, weights=weights)[0]
        started_at = snap.opens_at + dt.timedelta(minutes=rng.randint(5, 2 * 24 * 60 - 60))
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        phone = f"139{rng.randint(0, 99_999_999):08d}"
        try:
            started = taking.start_attempt(snap, phone=phone, name=name, unit_id=unit.pk, now=started_at)
        except services.QuizError:
            continue
        skill = rng.uniform(0.55, 0.98)
        answers = {}
        for position, (qid, order) in enumerate(started.attempt.paper):
            right = paper.shown_letters(bank.questions[qid].answer, order)
            answers[str(position)] = right if rng.random() < skill else ("A" if right != "A" else "B")
        if i % 40 == 39:  # a few never hand in: closed at their deadline with nothing saved
            continue
        token = taking.read_token(started.token, attempt_id=started.attempt.pk)
        submitted = started_at + dt.timedelta(seconds=rng.randint(150, 19 * 60))
        taking.submit_attempt(snap, token, answers=answers, tab_switches=rng.choice([0, 0, 0, 1, 2]), now=submitted)
    taking.close_expired_attempts(now=now)
