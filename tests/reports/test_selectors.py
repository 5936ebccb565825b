import datetime as dt

from django.utils import timezone

from jinguo.lib.scoping import scope
from jinguo.reports import selectors
from jinguo.reports.models import Report
from tests.factories import make_org
from tests.reports.conftest import adopted, draft, rejected, submitted


def _rows(rows) -> list[tuple]:
    return [(r.org.name, r.submitted, r.adopted, r.rejected, r.pending, r.rate) for r in rows]


def _ranked(rows) -> list[tuple]:
    return [(r.rank, r.org.name, r.adopted, r.rate) for r in rows]


def _set_submitted_year(report: Report, year: int) -> None:
    Report.objects.filter(pk=report.pk).update(submitted_at=timezone.make_aware(dt.datetime(year, 3, 8, 10)))


def _scenario(tree, users, town_users):
    """七星关区: 2 adopted of 3 (one adopted from its township), 大方县: 2 adopted of 2; drafts and
    the city's own reports do not count."""
    qxg_town, dafang_town = town_users["qxg_town"], town_users["dafang_town"]
    adopted(users.qxg_liaison, users.city_reviewer, channels=["website", "wechat"])
    rejected(users.qxg_liaison, users.city_reviewer)
    adopted(qxg_town, users.qxg_admin)  # reviewed by 七星关区, counted in its subtree
    draft(users.qxg_liaison)
    adopted(users.dafang_liaison, users.city_reviewer)
    adopted(dafang_town, users.dafang_admin)
    submitted(dafang_town)  # pending
    draft(dafang_town)


def test_ranking_rolls_up_subtrees_and_sorts_by_adopted_then_rate(tree, users, town_users):
    _scenario(tree, users, town_users)
    with scope(org=tree.city):
        rows = selectors.ranking(user=users.city_admin, parent=tree.city)
    # Both have 2 adopted; 大方县's pending report makes no rate (2 of 2 decided), 七星关区 2 of 3.
    assert _rows(rows) == [
        ("大方县妇联", 3, 2, 0, 1, 100.0),
        ("七星关区妇联", 3, 2, 1, 0, 66.7),
        ("办公室", 0, 0, 0, 0, None),
    ]
    assert [r.rank for r in rows] == [1, 2, 3]


def test_ranking_tied_units_share_a_rank(tree, users, town_users):
    _scenario(tree, users, town_users)
    # One more rejection for 大方县: both have 2 adopted of 3 decided — the same place, in tree order.
    rejected(town_users["dafang_town"], users.dafang_admin)
    with scope(org=tree.city):
        rows = selectors.ranking(user=users.city_admin, parent=tree.city)
    assert _ranked(rows) == [(1, "七星关区妇联", 2, 66.7), (1, "大方县妇联", 2, 66.7), (3, "办公室", 0, None)]


def test_ranking_a_unit_with_only_a_pending_report_ties_with_units_that_sent_nothing(tree, users, town_users):
    extra = make_org("百里杜鹃管理区妇联", parent=tree.city)
    submitted(users.dafang_liaison)  # pending: no rate yet
    rejected(users.qxg_liaison, users.city_reviewer)  # decided: 0 of 1
    with scope(org=tree.city):
        rows = selectors.ranking(user=users.city_admin, parent=tree.city)
    # Nobody has anything adopted: one shared place; the pending unit is not shown as 0.0 %.
    assert [(r.rank, r.org.name, r.pending, r.rate) for r in rows] == [
        (1, "七星关区妇联", 0, 0.0),
        (1, "大方县妇联", 1, None),
        (1, "办公室", 0, None),
        (1, extra.name, 0, None),
    ]


def test_ranking_puts_more_adopted_before_a_better_rate(tree, users, town_users):
    _scenario(tree, users, town_users)
    adopted(town_users["dafang_town"], users.dafang_admin)
    for _ in range(3):
        rejected(town_users["dafang_town"], users.dafang_admin)
    with scope(org=tree.city):
        rows = selectors.ranking(user=users.city_admin, parent=tree.city)
    assert _rows(rows)[:2] == [("大方县妇联", 7, 3, 3, 1, 50.0), ("七星关区妇联", 3, 2, 1, 0, 66.7)]


def test_ranking_drills_down_to_a_county(tree, users, town_users):
    _scenario(tree, users, town_users)
    with scope(org=tree.city):
        rows = selectors.ranking(user=users.city_admin, parent=tree.qxg)
    assert _rows(rows) == [("七星关区市西街道妇联", 1, 1, 0, 0, 100.0)]
    assert rows[0].has_children is False


def test_ranking_of_a_unit_outside_the_viewer_is_empty(tree, users, town_users):
    _scenario(tree, users, town_users)
    with scope(org=tree.dafang):
        assert selectors.ranking(user=users.dafang_admin, parent=tree.city) == []
        assert selectors.ranking(user=users.dafang_admin, parent=tree.qxg) == []
        assert _rows(selectors.ranking(user=users.dafang_admin, parent=tree.dafang)) == [
            ("大方县大方镇妇联", 2, 1, 0, 1, 100.0)
        ]


def test_ranking_filters_by_year_and_campaign(tree, users, town_users, campaign):
    on_campaign = adopted(users.qxg_liaison, users.city_reviewer, campaign=campaign)
    old = adopted(users.dafang_liaison, users.city_reviewer)
    _set_submitted_year(old, 2021)
    with scope(org=tree.city):
        by_campaign = selectors.ranking(user=users.city_admin, parent=tree.city, campaign=campaign)
        in_2021 = selectors.ranking(user=users.city_admin, parent=tree.city, year=2021)
    assert _rows(by_campaign)[0] == ("七星关区妇联", 1, 1, 0, 0, 100.0)
    assert [r.submitted for r in by_campaign] == [1, 0, 0]
    assert _rows(in_2021)[0] == ("大方县妇联", 1, 1, 0, 0, 100.0)
    assert [r.submitted for r in in_2021] == [1, 0, 0]
    assert on_campaign.campaign == campaign


def test_report_counts_by_child_keeps_tree_order_and_shows_inactive_units_with_reports(tree, users, town_users):
    closed = make_org("已撤并单位", parent=tree.city)
    from tests.factories import UserFactory

    writer = UserFactory(org=closed, is_liaison=True)
    adopted(writer, users.city_reviewer)
    closed.is_active = False
    closed.save()
    empty_closed = make_org("空的撤并单位", parent=tree.city)
    empty_closed.is_active = False
    empty_closed.save()
    with scope(org=tree.city):
        rows = selectors.report_counts_by_child(user=users.city_admin, parent=tree.city)
        totals = selectors.report_totals(user=users.city_admin, org=tree.city)
    assert [r.org.name for r in rows] == ["七星关区妇联", "大方县妇联", "办公室", "已撤并单位"]
    assert [r.has_children for r in rows] == [True, True, False, False]
    assert (totals.submitted, totals.adopted, totals.rate) == (1, 1, 100.0)


def test_library_searches_adopted_practices_in_the_viewers_subtree(tree, users, town_users):
    practice = {"kind": Report.Kind.PRACTICE}
    a = adopted(users.qxg_liaison, users.city_reviewer, title="巾帼家政培训促就业", body="订单式培训", **practice)
    b = adopted(town_users["qxg_town"], users.qxg_admin, title="留守儿童关爱", body="家政 志愿者结对", **practice)
    adopted(users.qxg_liaison, users.city_reviewer, title="家政工作动态")  # news, not a practice
    submitted(users.qxg_liaison, title="家政经验待审核", **practice)  # not adopted
    rejected(users.qxg_liaison, users.city_reviewer, title="家政经验未采用", **practice)
    d = adopted(users.dafang_liaison, users.city_reviewer, title="大方家政经验", body="家政", **practice)
    _set_submitted_year(b, 2022)
    with scope(org=tree.city):
        assert set(selectors.practice_library(user=users.city_admin, q="家政")) == {a, b, d}
        assert list(selectors.practice_library(user=users.city_admin, q="家政 培训")) == [a]
        assert list(selectors.practice_library(user=users.city_admin, q="志愿者")) == [b]
        assert set(selectors.practice_library(user=users.city_admin, unit=tree.qxg)) == {a, b}
        assert list(selectors.practice_library(user=users.city_admin, year=2022)) == [b]
    with scope(org=tree.dafang):
        assert list(selectors.practice_library(user=users.dafang_admin, q="家政")) == [d]
    with scope(org=tree.qxg_town):
        assert list(selectors.practice_library(user=town_users["qxg_town"])) == [b]


def test_review_queue_is_what_was_sent_to_the_viewers_unit(tree, users, town_users, campaign):
    qxg = submitted(users.qxg_liaison, campaign=campaign)
    town = submitted(town_users["qxg_town"])  # to 七星关区, not the city
    draft(users.dafang_liaison)
    dafang = adopted(users.dafang_liaison, users.city_reviewer, kind=Report.Kind.SUGGESTION)
    with scope(org=tree.city):
        assert list(selectors.review_queue(user=users.city_reviewer)) == [qxg]
        assert list(selectors.review_queue(user=users.city_reviewer, status="")) == [qxg, dafang]
        assert list(selectors.review_queue(user=users.city_reviewer, status="", kind="suggestion")) == [dafang]
        assert list(selectors.review_queue(user=users.city_reviewer, status="", unit=tree.dafang)) == [dafang]
        assert list(selectors.review_queue(user=users.city_reviewer, status="", campaign_id=campaign.pk)) == [qxg]
    with scope(org=tree.qxg):
        assert list(selectors.review_queue(user=users.qxg_admin, status="")) == [town]
