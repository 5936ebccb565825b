import datetime as dt

from jinguo.activities import selectors
from jinguo.activities.models import Activity
from jinguo.campaigns.models import VenueType
from jinguo.lib.scoping import scope
from jinguo.orgs.services import set_org_active
from tests.activities.conftest import make_activity
from tests.factories import make_campaign


def _seed(tree, users, campaign):
    by = users.qxg_liaison
    make_activity(
        tree.qxg_town,
        by,
        venue_type=VenueType.VILLAGE,
        participants_total=50,
        participants_women=30,
        law_women_rights=True,
        speaker_type=Activity.SpeakerType.VOLUNTEER,
        campaign=campaign,
    )
    make_activity(
        tree.qxg_town,
        by,
        venue_type=VenueType.SCHOOL,
        participants_total=200,
        participants_women=90,
        participants_minors=150,
        law_minors=True,
        law_women_rights=True,
        speaker_type=Activity.SpeakerType.MODEL,
        campaign=campaign,
    )
    make_activity(
        tree.qxg,
        by,
        venue_type=VenueType.COMMUNITY,
        participants_total=80,
        participants_women=60,
        law_domestic_violence=True,
        speaker_type=Activity.SpeakerType.LEADER,
        campaign=campaign,
    )
    make_activity(
        tree.dafang,
        users.dafang_liaison,
        venue_type=VenueType.ENTERPRISE,
        participants_total=30,
        participants_women=25,
        campaign=campaign,
    )
    other = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title="别的活动")
    make_activity(tree.qxg, by, venue_type=VenueType.VILLAGE, participants_total=999, campaign=other)


def test_coverage_numbers_exact_for_city(tree, users, campaign):
    _seed(tree, users, campaign)
    with scope(org=tree.city):
        data = selectors.coverage(tree.city, campaign)
    rows = {r.org.name: r for r in data.rows}
    assert list(rows) == ["七星关区妇联", "大方县妇联", "办公室"]
    qxg = rows["七星关区妇联"]
    assert (qxg.events, qxg.people, qxg.women) == (3, 330, 180)
    assert qxg.venues["village"] == {"events": 1, "people": 50, "women": 30}
    assert qxg.venues["school"] == {"events": 1, "people": 200, "women": 90}
    assert qxg.venues["community"] == {"events": 1, "people": 80, "women": 60}
    assert qxg.venues["enterprise"] == {"events": 0, "people": 0, "women": 0}
    assert qxg.laws["law_women_rights"] == {"events": 2, "people": 250}
    assert qxg.laws["law_minors"] == {"events": 1, "people": 200}
    assert qxg.speakers["leader"] == {"events": 1, "people": 80}
    assert qxg.key_venues_reached == 3
    assert (rows["大方县妇联"].events, rows["大方县妇联"].venues["enterprise"]["people"]) == (1, 30)
    assert (rows["办公室"].events, rows["办公室"].has_children) == (0, False)
    assert (data.total.events, data.total.people, data.total.women) == (4, 360, 205)


def test_coverage_drill_down_has_own_row(tree, users, campaign):
    _seed(tree, users, campaign)
    with scope(org=tree.qxg):
        data = selectors.coverage(tree.qxg, campaign)
    assert [(r.org, r.own, r.events, r.people) for r in data.rows] == [
        (tree.qxg, True, 1, 80),
        (tree.qxg_town, False, 2, 250),
    ]
    assert data.total.people == 330


def test_coverage_keeps_a_deactivated_unit_with_events_so_rows_add_up_to_the_total(tree, users, campaign):
    _seed(tree, users, campaign)
    set_org_active(tree.dafang, active=False)
    with scope(org=tree.city):
        data = selectors.coverage(tree.city, campaign)
    assert [(r.org.name, r.events) for r in data.rows] == [("七星关区妇联", 3), ("大方县妇联", 1), ("办公室", 0)]
    assert data.total.events == sum(r.events for r in data.rows) == 4


def test_coverage_all_campaigns_and_totals(tree, users, campaign):
    _seed(tree, users, campaign)
    with scope(org=tree.qxg):
        assert selectors.coverage(tree.qxg).total.events == 4
        totals = selectors.ledger_totals(tree.qxg, campaign)
    assert totals == {"events": 3, "participants": 330, "women": 180, "minors": 150, "online_reach": 0, "units": 2}


def test_activities_in_never_widens_without_scope(tree, users, campaign):
    _seed(tree, users, campaign)
    # the tests run with scoping disabled: the explicit subtree filter still holds
    assert sorted(a.org.name for a in selectors.activities_in(tree.dafang, campaign)) == ["大方县妇联"]
    assert selectors.activities_in(tree.dafang_town).count() == 0


def test_ledger_selector_ignores_org_filter_outside_subtree(tree, users, campaign):
    _seed(tree, users, campaign)
    with scope(org=tree.dafang):
        qs = selectors.ledger(user=users.dafang_liaison, filters=selectors.LedgerFilter(org=tree.qxg))
        assert [a.org for a in qs] == [tree.dafang]


def test_need_counts_date_sensitive(tree, users):
    from tests.activities.conftest import make_need

    talk = make_activity(tree.qxg, users.qxg_liaison, format=Activity.Format.SYMPOSIUM)
    make_need(talk, users.qxg_liaison, due_date=dt.date(2023, 5, 1))
    with scope(org=tree.qxg):
        assert selectors.need_counts(tree.qxg, today=dt.date(2023, 5, 1))["overdue"] == 0
        assert selectors.need_counts(tree.qxg, today=dt.date(2023, 5, 2))["overdue"] == 1
