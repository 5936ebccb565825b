import pytest
from django.db import IntegrityError, transaction

from jinguo.contests.models import (
    Assignment,
    Category,
    Contest,
    Entry,
    EntryVersion,
    Judge,
    Quota,
    Recommendation,
    Round,
    Score,
)
from jinguo.lib.scoping import scope
from tests.contests.conftest import make_entry


def test_every_unit_below_the_owner_sees_the_contest_and_its_categories(tree, contest):
    for unit in (tree.city, tree.qxg, tree.dafang_town):
        with scope(org=unit):
            assert list(Contest.objects.all()) == [contest]
            assert [c.name for c in Category.objects.all()] == ["散文", "诗歌"]


def test_a_sibling_county_cannot_see_anothers_entries(tree, contest):
    qxg_entry = make_entry(contest, org=tree.qxg_town, author_name="李娟", author_phone="13900000001")
    dafang_entry = make_entry(contest, org=tree.dafang, author_name="张敏", author_phone="13900000002")
    with scope(org=tree.dafang):
        assert list(Entry.objects.all()) == [dafang_entry]
        assert list(EntryVersion.objects.all()) == [dafang_entry.current_version]
        assert [q.org for q in Quota.objects.all()] == [tree.dafang]
    with scope(org=tree.qxg):
        assert list(Entry.objects.all()) == [qxg_entry]
        assert not Entry.objects.filter(pk=dafang_entry.pk).exists()
    with scope(org=tree.qxg_town):
        assert list(Entry.objects.all()) == [qxg_entry]
    with scope(org=tree.city):
        assert list(Entry.objects.all()) == [qxg_entry, dafang_entry]


def test_a_county_contest_is_invisible_to_its_sibling_and_its_entries_to_the_city_only_through_the_tree(tree, users):
    from tests.contests.conftest import make_contest

    county_contest = make_contest(tree.qxg, by=users.qxg_admin)
    Category.objects.create(contest=county_contest, name="散文")
    entry = make_entry(county_contest, org=tree.qxg_town)
    with scope(org=tree.dafang):
        assert list(Contest.objects.all()) == []
        assert list(Entry.objects.all()) == []
    with scope(org=tree.city):
        assert list(Entry.objects.all()) == [entry]


def test_judging_rows_are_the_organisers_only(tree, users, contest):
    entry = make_entry(contest, org=tree.qxg)
    round_ = Round.objects.create(contest=contest, number=1, name="初评")
    judge = Judge.objects.create(contest=contest, user=users.city_reviewer, name="评委甲", org=tree.city)
    assignment = Assignment.objects.create(round=round_, entry=entry, judge=judge)
    score = Score.objects.create(assignment=assignment, points={}, total=80)
    recommendation = Recommendation.objects.create(entry=entry, org=tree.qxg)
    with scope(org=tree.city):
        assert list(Judge.objects.all()) == [judge]
        assert list(Score.objects.all()) == [score]
    with scope(org=tree.qxg):
        assert list(Round.objects.all()) == [round_]  # the contest's rounds are no secret
        assert list(Judge.objects.all()) == []
        assert list(Assignment.objects.all()) == []
        assert list(Score.objects.all()) == []
        assert list(Recommendation.objects.all()) == [recommendation]
    with scope(org=tree.qxg_town):
        assert list(Recommendation.objects.all()) == []


def test_one_active_entry_per_author_per_category(tree, contest):
    first = make_entry(contest, org=tree.qxg, author_name="王芳", author_phone="13800138000")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_entry(contest, org=tree.qxg, author_name="王芳", author_phone="13800138000")
    first.status = Entry.Status.WITHDRAWN
    first.save()
    again = make_entry(contest, org=tree.qxg, author_name="王芳", author_phone="13800138000")
    poem = make_entry(
        contest,
        org=tree.qxg,
        category=contest.categories.get(name="诗歌"),
        author_name="王芳",
        author_phone="13800138000",
    )
    assert [again.number, poem.number] == [2, 3]


def test_contest_files_have_no_url_and_live_outside_media(tree, contest, settings):
    from pathlib import Path

    from django.core.files.base import ContentFile

    version = make_entry(contest, org=tree.qxg).current_version
    version.file.save("王芳-征文.txt", ContentFile("正文".encode()), save=True)
    assert "王芳" not in version.file.name
    assert Path(version.file.path).is_relative_to(Path(settings.VAR_DIR) / "private")
    assert not Path(version.file.path).is_relative_to(Path(settings.MEDIA_ROOT))
    with pytest.raises(ValueError):
        version.file.url  # noqa: B018 - the property raises
    with version.file.open("rb") as f:
        assert f.read() == "正文".encode()


def test_recommending_is_for_ones_own_unit_and_submitting_for_ones_subtree(tree, users):
    from jinguo.contests.rules import may_recommend, may_submit_for

    assert may_recommend(users.qxg_admin, tree.qxg)
    assert not may_recommend(users.qxg_liaison, tree.qxg)
    assert not may_recommend(users.city_admin, tree.qxg)
    assert may_submit_for(users.qxg_liaison, tree.qxg_town)
    assert not may_submit_for(users.qxg_liaison, tree.dafang_town)
    assert not may_submit_for(users.city_reviewer, tree.city)
