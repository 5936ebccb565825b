"""The contests and care sections of a summary: their figures are the contest pages' and the
campaign board's care line for the same unit, a sibling county's never appear, care counts under 5
are masked, and a section with no data is left out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from jinguo.care import services as care_services
from jinguo.contests.judging import awards_of
from jinguo.contests.models import Award, Category, Contest, Entry
from jinguo.summaries import services
from jinguo.summaries.models import Paragraph, Section
from tests.care.conftest import register
from tests.contests.conftest import make_contest, make_entry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def sections_of(summary) -> dict[str, list[Paragraph]]:
    return {
        s.key: list(Paragraph.objects.filter(section=s).order_by("order"))
        for s in Section.objects.filter(summary=summary).order_by("order")
    }


def all_text(summary) -> str:
    return "".join(Paragraph.objects.filter(section__summary=summary).values_list("text", flat=True))


# ---------------------------------------------------------------------------------------------
# Contests


@pytest.fixture
def contest_world(tree, users, world):
    contest = make_contest(tree.city, by=users.city_admin, campaign=world.campaign, title="巾帼心向党征文比赛")
    prose = Category.objects.create(contest=contest, name="散文", order=1)
    e = {
        "qxg": make_entry(contest, org=tree.qxg, category=prose, title="七星关的春天", recommended=True,
                          author_name="王芳", author_phone="13800138001"),
        "town": make_entry(contest, org=tree.qxg_town, category=prose, title="市西街道的巾帼", recommended=True, author_phone="13800138002"),
        "town2": make_entry(contest, org=tree.qxg_town, category=prose, title="未获推荐的作品", author_phone="13800138003"),
        "gone": make_entry(contest, org=tree.qxg, category=prose, title="撤回的作品", status=Entry.Status.WITHDRAWN, author_phone="13800138004"),
        "dafang": make_entry(contest, org=tree.dafang, category=prose, title="大方县的作品", recommended=True,
                             author_phone="13900139009"),
    }  # fmt: skip
    now = timezone.now()
    for key, level in (("qxg", Award.Level.FIRST), ("town", Award.Level.THIRD), ("dafang", Award.Level.SECOND)):
        Award.objects.create(contest=contest, category=prose, entry=e[key], level=level, confirmed_at=now)
    Contest.objects.filter(pk=contest.pk).update(results_published_at=now, status=Contest.Status.FINISHED)
    # A contest of another campaign: never in this campaign's summary.
    other = make_contest(tree.city, by=users.city_admin, campaign=world.other, title="另一个比赛")
    make_entry(other, org=tree.qxg, category=Category.objects.create(contest=other, name="诗歌"), title="别的作品")
    contest.refresh_from_db()
    return contest, e


def test_contest_figures_are_the_contest_pages(tree, users, world, contest_world, client_for):
    contest, e = contest_world
    summary = services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)
    (paragraph,) = sections_of(summary)["contests"]
    # The entry list as 七星关区's liaison sees it (their subtree), under 已投稿 and 已推荐.
    client = client_for(users.qxg_liaison)
    page = {s: client.get(f"/contests/{contest.pk}/entries/?status={s}").context["page"].paginator.count
            for s in ("submitted", "recommended")}  # fmt: skip
    published = [a for a in awards_of(contest, published_only=True) if a.entry.author_org.is_within(tree.qxg)]
    assert paragraph.figures == {
        "contest": contest.title,
        "submitted": page["submitted"],
        "recommended": page["recommended"],
        "awarded": len(published),
        "award_first": 1,
        "award_third": 1,
        "awarded_entries": [
            [tree.qxg.display_name, "七星关的春天", "first"],
            [tree.qxg_town.display_name, "市西街道的巾帼", "third"],
        ],
    }
    assert (page["submitted"], page["recommended"], len(published)) == (3, 2, 2)
    assert paragraph.text == (
        f"参加“巾帼心向党征文比赛”，报送作品3件，获推荐2件。获奖2件：一等奖1件、三等奖1件。获奖作品："
        f"{tree.qxg.display_name}《七星关的春天》（一等奖）；{tree.qxg_town.display_name}《市西街道的巾帼》（三等奖）。"
    )
    assert paragraph.data_text == paragraph.text  # marked as data in the editor


def test_a_sibling_countys_contest_data_is_not_in_the_draft(tree, users, world, contest_world):
    summary = services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)
    text = all_text(summary)
    assert "大方" not in text and "二等奖" not in text
    assert "另一个比赛" not in text and "别的作品" not in text and "撤回的作品" not in text
    # Never a phone or an author's name.
    assert "138" not in text and "139" not in text and "王芳" not in text
    # 大方县's own draft has its entry and not 七星关区's.
    dafang = services.draft_summary(world.campaign, unit=tree.dafang, by=users.dafang_liaison)
    (paragraph,) = sections_of(dafang)["contests"]
    assert (paragraph.figures["submitted"], paragraph.figures["awarded"], paragraph.figures["award_second"]) == (
        1,
        1,
        1,
    )
    assert "七星关" not in all_text(dafang)


def test_the_city_counts_every_county(tree, users, world, contest_world):
    summary = services.draft_summary(world.campaign, unit=tree.city, by=users.city_admin)
    (paragraph,) = sections_of(summary)["contests"]
    assert (paragraph.figures["submitted"], paragraph.figures["recommended"], paragraph.figures["awarded"]) == (4, 3, 3)


def test_awards_are_left_out_until_the_results_are_published(tree, users, world, contest_world):
    contest, _ = contest_world
    Contest.objects.filter(pk=contest.pk).update(results_published_at=None, status=Contest.Status.JUDGING)
    summary = services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)
    (paragraph,) = sections_of(summary)["contests"]
    assert paragraph.figures == {"contest": contest.title, "submitted": 3, "recommended": 2}
    assert "奖" not in paragraph.text and "七星关的春天" not in paragraph.text


def test_no_contest_no_care_no_section(tree, users, world):
    summary = services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)
    keys = set(sections_of(summary))
    assert "contests" not in keys and "care" not in keys


# ---------------------------------------------------------------------------------------------
# Care


@pytest.fixture
def carers(tree):
    return {
        "qxg": UserFactory(username="qxg_carer", full_name="七星关关爱", org=tree.qxg, is_care_worker=True),
        "dafang": UserFactory(username="dafang_carer", full_name="大方关爱", org=tree.dafang, is_care_worker=True),
    }


def helped(carer, org, n: int, *, start: int, amount=100, given_on=dt.date(2023, 3, 6), campaign=None):
    for i in range(n):
        person = register(
            carer, org, name=f"帮扶对象{start + i}", birth_date=dt.date(1970, 1, 1) + dt.timedelta(days=start + i)
        )
        care_services.record_help(person, by=carer, given_on=given_on, kind="cash", given_by="妇联",
                                  amount=Decimal(amount), campaign=campaign)  # fmt: skip


def board_care(client, campaign, unit) -> dict:
    return client.get(f"/dashboard/?campaign={campaign.pk}&unit={unit.pk}").context["board"].total.care


def test_care_figures_are_the_boards_care_line(tree, users, world, carers, client_for):
    helped(carers["qxg"], tree.qxg_town, 6, start=1, amount=200)
    helped(carers["qxg"], tree.qxg, 1, start=10, amount=50, given_on=dt.date(2022, 5, 1), campaign=world.campaign)
    helped(carers["qxg"], tree.qxg, 1, start=20, given_on=dt.date(2022, 5, 1))  # outside the campaign
    helped(carers["dafang"], tree.dafang_town, 3, start=30, amount=999)
    summary = services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)
    (paragraph,) = sections_of(summary)["care"]
    shown = board_care(client_for(users.qxg_liaison), world.campaign, tree.qxg)
    assert shown == {"households": 7, "help": 7, "amount": Decimal(1250)}
    assert paragraph.figures == {
        "care_households": shown["households"],
        "care_help": shown["help"],
        "care_amount": "1250",
    }
    assert Decimal(paragraph.figures["care_amount"]) == shown["amount"]
    assert paragraph.text == "开展关心关爱走访，活动期间走访帮扶困难群众7户，帮扶7次，帮扶金额1250元。"
    assert paragraph.data_text == paragraph.text
    assert "帮扶对象" not in all_text(summary)  # no person's name
    assert "999" not in all_text(summary)  # nor 大方县's help


def test_care_counts_under_5_are_masked(tree, users, world, carers, client_for):
    helped(carers["qxg"], tree.qxg_town, 2, start=1, amount=300)
    helped(carers["dafang"], tree.dafang_town, 6, start=30)
    summary = services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)
    (paragraph,) = sections_of(summary)["care"]
    # The board as a reader without the care role sees it, and the summary (which travels up the
    # tree and is printed) always reads so, whoever drafts it.
    assert board_care(client_for(users.qxg_liaison), world.campaign, tree.qxg) == {
        "households": "<5", "help": "<5", "amount": "<5"
    }  # fmt: skip
    assert paragraph.figures == {"care_households": "<5", "care_help": "<5", "care_amount": "<5"}
    assert paragraph.text == "开展关心关爱走访，活动期间走访帮扶困难群众<5户，帮扶<5次，帮扶金额<5元。"
    assert "600" not in paragraph.text and "2户" not in paragraph.text
    # The care worker sees the exact figure on the board; the filed document stays masked.
    assert board_care(client_for(carers["qxg"]), world.campaign, tree.qxg)["households"] == 2
    dafang = services.draft_summary(world.campaign, unit=tree.dafang, by=users.dafang_liaison)
    assert sections_of(dafang)["care"][0].figures["care_households"] == 6
