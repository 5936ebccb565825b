from collections import Counter

import pytest
from django.test import Client

from jinguo.accounts.models import User
from jinguo.contests import judging
from jinguo.contests.demo_judging import DEMO_JUDGE_TOKEN, load_demo_judging
from jinguo.contests.models import Advancement, Assignment, Category, Contest, Judge, Round, Score
from jinguo.demo import people, tree
from jinguo.orgs.models import Org
from tests.contests.conftest import make_contest, make_entry


@pytest.fixture
def essay_contest(db):
    """The demo tree and users, and a judging-ready essay contest with recommended entries from
    every county (the entries helper's demo makes the real one)."""
    tree.load_tree()
    people.load_users()
    city = Org.objects.get(code="520500")
    contest = make_contest(city, by=User.objects.get(username="sj_admin"), status=Contest.Status.JUDGING)
    prose = Category.objects.create(contest=contest, name="散文", order=1)
    poetry = Category.objects.create(contest=contest, name="诗歌", order=2)
    counties = list(Org.objects.filter(parent=city, kind=Org.Kind.COUNTY).order_by("path")[:8])
    n = 0
    for county in counties:
        town = Org.objects.filter(parent=county).order_by("path").first() or county
        for i in range(4):
            n += 1
            make_entry(
                contest,
                org=town,
                category=poetry if i == 3 else prose,
                author_name=f"作者{n}",
                author_phone=f"139{n:08d}",
                recommended=True,
                text="征文正文" * 50,
            )
    return contest


def test_demo_judging_has_two_rounds_five_judges_and_scores_in_every_state(essay_contest):
    load_demo_judging(essay_contest)

    first, second = Round.objects.filter(contest=essay_contest).order_by("number")
    assert (first.status, second.status) == (Round.Status.CLOSED, Round.Status.OPEN)
    judges = list(Judge.objects.filter(contest=essay_contest))
    assert len(judges) == 5
    assert [j.name for j in judges if j.user_id is None] == ["赵文华"]
    assert judging.judge_for_token(DEMO_JUDGE_TOKEN).name == "赵文华"

    # 初评: all submitted, advancements confirmed with one change.
    assert not Score.objects.filter(assignment__round=first).exclude(status=Score.Status.SUBMITTED).exists()
    assert Advancement.objects.filter(round=first, confirmed_at__isnull=True).count() == 0
    advanced = Advancement.objects.filter(round=first, advanced=True).count()
    assert 0 < advanced < Advancement.objects.filter(round=first).count()

    # 复评: submitted, draft, untouched, unlocked, and an outlier flag.
    states = Counter(
        (getattr(a, "score", None) and a.score.status) or "none"
        for a in Assignment.objects.filter(round=second).select_related("score")
    )
    assert states[Score.Status.SUBMITTED] > 0 and states[Score.Status.DRAFT] > 0 and states["none"] > 0
    assert (
        Score.objects.filter(assignment__round=second, status=Score.Status.DRAFT).exclude(unlock_reason="").count() == 1
    )
    planted = Score.objects.get(assignment__round=second, comment="偏题。").assignment
    assert (planted.entry_id, planted.judge_id) in judging.outlier_flags(second)

    # The 七星关区 judge never has 七星关区's entries.
    qxg = Org.objects.get(name="七星关区妇联")
    mine = Assignment.objects.filter(judge__user__username="qxg_admin").select_related("entry__author_org")
    assert mine.exists()
    assert not [a for a in mine if a.entry.author_org.is_within(qxg)]


def test_demo_judging_pages_open_for_the_organiser_and_the_judges(essay_contest):
    load_demo_judging(essay_contest)
    second = Round.objects.get(contest=essay_contest, number=2)
    organiser = Client()
    organiser.force_login(User.objects.get(username="sj_admin"), backend="jinguo.accounts.backends.ModelBackend")
    for url in (
        f"/contests/{essay_contest.pk}/judging/",
        f"/contests/rounds/{second.pk}/",
        f"/contests/rounds/{second.pk - 1}/",
        f"/contests/{essay_contest.pk}/results/",
    ):
        assert organiser.get(url).status_code == 200, url
    assert Client().get(f"/contests/j/{DEMO_JUDGE_TOKEN}/").status_code == 200
