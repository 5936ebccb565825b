"""The live supervision board (/dashboard/): rows per child unit, totals, scope, drill-down, exports."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jinguo.activities.models import Activity, Need
from jinguo.activities.rollups import apply_activity_changes
from jinguo.campaigns.models import Campaign, CampaignTarget, Plan, VenueType
from jinguo.dashboard.selectors import RECORD_KINDS, BoardRow
from jinguo.orgs.models import Org
from jinguo.reports.models import Report
from tests.excel import export_rows as sheet_rows
from tests.factories import make_campaign, make_org, make_plan

BOARD = reverse("dashboard:board")
EXPORT = reverse("dashboard:board_export")
RECORDS = reverse("dashboard:records")
RECORDS_EXPORT = reverse("dashboard:records_export")


def activity(org, by, campaign, **fields) -> Activity:
    defaults = {
        "title": "维权周宣讲",
        "date": dt.date(2023, 3, 6),
        "place": "村委会",
        "venue_type": VenueType.VILLAGE,
        "format": Activity.Format.LECTURE,
        "participants_total": 40,
        "participants_women": 30,
        "created_by": by,
    }
    entry = Activity.objects.create(org=org, campaign=campaign, **(defaults | fields))
    apply_activity_changes([(entry, 1)])  # what the ledger services do in their transaction
    return entry


def report(org, by, campaign, status=Report.Status.SUBMITTED, title="维权周信息") -> Report:
    submitted = status != Report.Status.DRAFT
    return Report.objects.create(
        org=org,
        to_org=campaign.issuer,
        campaign=campaign,
        title=title,
        body="正文",
        status=status,
        submitted_at=timezone.now() if submitted else None,
        created_by=by,
    )


def need(act, by, org, status=Need.Status.REGISTERED, due=None) -> Need:
    return Need.objects.create(
        activity=act, org=org, category=Need.Category.EMPLOYMENT, description="就业岗位信息", status=status,
        due_date=due, created_by=by,
    )  # fmt: skip


def target(campaign, org) -> CampaignTarget:
    return CampaignTarget.objects.get(campaign=campaign, org=org)


def sign(campaign, org, user) -> None:
    CampaignTarget.objects.filter(campaign=campaign, org=org).update(signed_at=timezone.now(), signed_by=user)


@pytest.fixture
def data(tree, users):
    """A city campaign with data in the city itself, in both counties and in a 七星关区 village
    (a grandchild of the city); 七星关区 re-issued it to its township."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    village = make_org("七星关区市西街道一村妇联", Org.Kind.VILLAGE, tree.qxg_town)
    campaign = make_campaign(
        issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang, tree.qxg_town, tree.office]
    )
    reissue = make_campaign(issuer=tree.qxg, by=users.qxg_admin, targets=[tree.qxg_town], title="转发")
    Campaign.objects.filter(pk=reissue.pk).update(parent=campaign)
    other = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title="另一个活动")
    sign(campaign, tree.qxg, users.qxg_liaison)
    sign(campaign, tree.qxg_town, users.qxg_liaison)
    sign(reissue, tree.qxg_town, users.qxg_liaison)
    sign(campaign, tree.dafang, users.dafang_liaison)
    make_plan(target(campaign, tree.qxg), status=Plan.Status.APPROVED)
    make_plan(target(reissue, tree.qxg_town), status=Plan.Status.APPROVED)
    make_plan(target(campaign, tree.dafang), status=Plan.Status.RETURNED)
    Campaign.objects.filter(pk=campaign.pk).update(plan_deadline=timezone.now() - dt.timedelta(days=1))
    campaign.refresh_from_db()
    u = users
    acts = SimpleNamespace(
        city=activity(tree.city, u.city_admin, campaign, venue_type=VenueType.AGENCY, participants_total=100,
                      participants_women=80),
        qxg=activity(tree.qxg, u.qxg_liaison, campaign, participants_total=50, participants_women=45),
        village1=activity(village, u.qxg_liaison, reissue, venue_type=VenueType.SCHOOL, format=Activity.Format.QUIZ,
                          date=dt.date(2023, 3, 7), participants_total=30, participants_women=20),
        village2=activity(village, u.qxg_liaison, campaign, venue_type=VenueType.ONLINE, participants_total=200,
                          participants_women=150),
        dafang=activity(tree.dafang, u.dafang_liaison, campaign, venue_type=VenueType.COMMUNITY,
                        participants_total=60, participants_women=60),
        other=activity(tree.qxg, u.qxg_liaison, other, participants_total=999),
    )  # fmt: skip
    report(village, u.qxg_liaison, campaign, Report.Status.ADOPTED, title="七星关区村里的好做法")
    report(tree.qxg, u.qxg_liaison, campaign, Report.Status.SUBMITTED, title="七星关区动态")
    report(tree.dafang, u.dafang_liaison, campaign, Report.Status.ADOPTED, title="大方县动态")
    report(tree.dafang, u.dafang_liaison, campaign, Report.Status.DRAFT, title="大方县草稿")
    report(tree.city, u.city_admin, campaign, Report.Status.REJECTED, title="市本级信息")
    need(acts.village2, u.qxg_liaison, tree.qxg_town, due=yesterday)
    need(acts.qxg, u.qxg_liaison, tree.qxg, status=Need.Status.RESOLVED)
    need(acts.dafang, u.dafang_liaison, tree.dafang, status=Need.Status.RESOLVED)
    need(acts.other, u.qxg_liaison, tree.qxg, due=yesterday)  # another campaign: not counted
    return SimpleNamespace(campaign=campaign, reissue=reissue, other=other, village=village, acts=acts)


def rows_by_key(response) -> dict[str, BoardRow]:
    board = response.context["board"]
    return {r.key: r for r in board.rows}


def values(r: BoardRow) -> dict:
    return {name: getattr(r, name) for name in BoardRow.COUNTERS} | {"venues": dict(r.venues)}


def export_rows(response) -> list[tuple]:
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return [tuple(row) for row in sheet_rows(response.content)]


# --- numbers ------------------------------------------------------------------------------------


def test_board_city_rows_count_each_child_subtree_and_the_unit_itself(tree, users, client_for, data):
    response = client_for(users.city_admin).get(BOARD, {"campaign": data.campaign.pk})

    assert response.status_code == 200
    rows = rows_by_key(response)
    assert list(rows) == ["own", str(tree.qxg.pk), str(tree.dafang.pk), str(tree.office.pk)]
    qxg = rows[str(tree.qxg.pk)]
    # Receipts of the city's notice: qxg and qxg_town; with the re-issue's (含转发) also qxg_town's
    # second one. The township filed its plan on the re-issue only, so its receipt of the city's
    # notice is overdue.
    assert (qxg.targets, qxg.signed, qxg.approved, qxg.plans_overdue) == (2, 2, 1, 1)
    assert (qxg.family_targets, qxg.family_signed, qxg.family_approved, qxg.family_plans_overdue) == (3, 3, 2, 1)
    assert (qxg.events, qxg.participants, qxg.women) == (3, 280, 215)
    assert qxg.venues == {"village": 1, "community": 0, "enterprise": 0, "school": 1, "agency": 0, "online": 1}
    assert (qxg.reports_submitted, qxg.reports_adopted) == (2, 1)
    assert (qxg.needs_raised, qxg.needs_resolved, qxg.needs_overdue, qxg.overdue) == (2, 1, 1, 2)
    dafang = rows[str(tree.dafang.pk)]
    assert (dafang.targets, dafang.signed, dafang.approved, dafang.plans_overdue) == (1, 1, 0, 1)
    assert (dafang.events, dafang.reports_submitted, dafang.reports_adopted, dafang.overdue) == (1, 1, 1, 1)
    office = rows[str(tree.office.pk)]
    assert (office.targets, office.plans_overdue, office.events) == (1, 1, 0)
    own = rows["own"]
    assert (own.targets, own.events, own.participants, own.reports_submitted, own.reports_adopted) == (0, 1, 100, 1, 0)
    assert own.venues["agency"] == 1


def test_board_totals_equal_the_sum_of_the_rows(tree, users, client_for, data):
    for user, unit in ((users.city_admin, tree.city), (users.qxg_admin, tree.qxg), (users.city_admin, tree.qxg_town)):
        response = client_for(user).get(BOARD, {"campaign": data.campaign.pk, "unit": unit.pk})
        board = response.context["board"]
        expected = BoardRow(org=None)
        for r in board.rows:
            expected.add(r)
        assert values(board.total) == values(expected)
    city = client_for(users.city_admin).get(BOARD, {"campaign": data.campaign.pk}).context["board"].total
    assert (city.targets, city.signed, city.approved, city.events, city.participants) == (4, 3, 1, 5, 440)
    assert (city.family_targets, city.family_signed, city.family_approved) == (5, 4, 2)
    assert (city.reports_submitted, city.reports_adopted, city.needs_raised, city.overdue) == (4, 2, 3, 4)


def test_board_rates_use_frozen_receipts_and_stay_within_100(tree, users, client_for, data):
    response = client_for(users.city_admin).get(BOARD, {"campaign": data.campaign.pk})
    rows = rows_by_key(response)
    qxg = rows[str(tree.qxg.pk)]
    assert (qxg.signed_rate, qxg.approved_rate, qxg.family_signed_rate, qxg.family_approved_rate) == (
        100.0, 50.0, 100.0, 66.7,
    )  # fmt: skip
    assert (rows[str(tree.dafang.pk)].signed_rate, rows[str(tree.dafang.pk)].approved_rate) == (100.0, 0.0)
    assert (rows["own"].signed_rate, rows["own"].approved_rate) == (None, None)  # no receipts: no rate
    total = response.context["board"].total
    assert (total.signed_rate, total.approved_rate) == (75.0, 25.0)
    assert (total.family_signed_rate, total.family_approved_rate) == (80.0, 40.0)
    rates = [rate for r in response.context["board"].rows for rate in (r.signed_rate, r.approved_rate)]
    assert all(0 <= rate <= 100 for rate in rates if rate is not None)
    assert "同一单位收到两份通知计两次" in response.content.decode()


def test_board_drill_down_to_a_township_shows_its_village(tree, users, client_for, data):
    response = client_for(users.qxg_admin).get(BOARD, {"campaign": data.campaign.pk, "unit": tree.qxg_town.pk})

    rows = rows_by_key(response)
    assert list(rows) == ["own", str(data.village.pk)]
    assert (rows["own"].targets, rows["own"].signed, rows["own"].needs_raised) == (1, 1, 1)
    assert (rows["own"].family_targets, rows["own"].family_signed) == (2, 2)
    assert (rows[str(data.village.pk)].events, rows[str(data.village.pk)].reports_adopted) == (2, 1)
    assert [o.pk for o in response.context["breadcrumbs"]] == [tree.qxg.pk, tree.qxg_town.pk]


def test_board_breadcrumbs_never_go_above_the_viewers_unit(tree, users, client_for, data):
    response = client_for(users.qxg_admin).get(BOARD, {"campaign": data.campaign.pk})

    assert [o.pk for o in response.context["breadcrumbs"]] == [tree.qxg.pk]
    assert f"unit={tree.city.pk}" not in response.content.decode()


def test_board_defaults_to_latest_campaign_the_unit_received(tree, users, client_for, data):
    newer_not_mine = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg_town], title="只给街道")
    Campaign.objects.filter(pk=newer_not_mine.pk).update(published_at=timezone.now() + dt.timedelta(hours=1))

    response = client_for(users.dafang_liaison).get(BOARD)

    assert response.context["campaign"] == data.campaign
    assert response.context["unit"] == tree.dafang
    city = client_for(users.city_admin).get(BOARD)
    assert city.context["campaign"] == newer_not_mine


def test_board_without_any_campaign_shows_what_to_do(tree, users, client_for):
    response = client_for(users.dafang_liaison).get(BOARD)

    assert response.status_code == 200
    assert response.context["campaign"] is None
    assert "还没有可以督导的活动" in response.content.decode()


def test_board_page_shows_as_of_time_charts_data_and_menu_entry(tree, users, client_for, data):
    response = client_for(users.city_admin).get(BOARD, {"campaign": data.campaign.pk})
    html = response.content.decode()

    assert "数据截至" in html
    assert 'id="board-data"' in html
    assert "vendor/echarts/echarts.min.js" in html
    assert "jinguo/dashboard.js" in html
    assert "督导看板" in html
    charts = response.context["charts"]
    assert charts["days"] == ["2023-03-06", "2023-03-07"]
    assert charts["day_events"] == [4, 1]
    assert sum(v["value"] for v in charts["venues"]) == 5


# --- traceability -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(RECORD_KINDS))
def test_board_records_page_lists_exactly_the_counted_records(tree, users, client_for, data, kind):
    client = client_for(users.city_admin)
    board = client.get(BOARD, {"campaign": data.campaign.pk})
    rows = rows_by_key(board)
    counters = {
        "targets": "targets", "signed": "signed", "approved": "approved", "plans_overdue": "plans_overdue",
        "plans_late": "plans_late",
        "events": "events", "reports": "reports_submitted", "reports_adopted": "reports_adopted",
        "needs": "needs_raised", "needs_resolved": "needs_resolved", "needs_overdue": "needs_overdue",
    }  # fmt: skip
    for key, row in [*rows.items(), ("total", board.context["board"].total)]:
        params = {"campaign": data.campaign.pk, "unit": tree.city.pk if key in ("own", "total") else key, "kind": kind}
        if key == "own":
            params["own"] = "1"
        listed = client.get(RECORDS, params)
        assert listed.status_code == 200
        expected = getattr(row, counters[kind]) if kind in counters else row.targets - row.signed
        assert listed.context["page"].paginator.count == expected, (kind, key)


def test_board_venue_cell_links_to_events_of_that_venue(tree, users, client_for, data):
    client = client_for(users.city_admin)
    response = client.get(
        RECORDS, {"campaign": data.campaign.pk, "unit": tree.qxg.pk, "kind": "events", "venue": "school"}
    )

    assert [a.pk for a in response.context["page"].object_list] == [data.acts.village1.pk]
    html = client.get(BOARD, {"campaign": data.campaign.pk}).content.decode()
    assert f"unit={tree.qxg.pk}&kind=events&venue=school" in html


def test_board_records_export_has_the_same_rows(tree, users, client_for, data):
    response = client_for(users.city_admin).get(
        RECORDS_EXPORT, {"campaign": data.campaign.pk, "unit": tree.qxg.pk, "kind": "events"}
    )
    rows = export_rows(response)
    assert rows[0] == ("日期", "活动名称", "举办单位", "场所类型", "活动形式", "参加人数", "其中妇女")
    assert sorted(r[2] for r in rows[1:]) == ["七星关区妇联", "七星关区市西街道一村妇联", "七星关区市西街道一村妇联"]


def test_board_export_rows_and_totals_match_the_page(tree, users, client_for, data):
    response = client_for(users.city_admin).get(EXPORT, {"campaign": data.campaign.pk})
    rows = export_rows(response)

    assert rows[0][:4] == ("单位", "下发单位数", "已签收", "签收率（%）")
    assert [r[0] for r in rows[1:]] == ["毕节市妇联（本级）", "七星关区妇联", "大方县妇联", "办公室", "合计"]
    body, total = rows[1:-1], rows[-1]
    for column in range(1, len(rows[0])):
        if "率" in rows[0][column]:
            continue
        assert total[column] == sum(r[column] for r in body), rows[0][column]
    assert total[rows[0].index("活动场次")] == 5


# --- scope --------------------------------------------------------------------------------------


def test_board_dafang_never_sees_qxg_data_in_rows_totals_or_exports(tree, users, client_for, data):
    assert Activity.objects.filter(org__path__startswith=tree.qxg.path).count() == 4  # the leaking data
    client = client_for(users.dafang_admin)

    response = client.get(BOARD, {"campaign": data.campaign.pk})

    assert response.context["unit"] == tree.dafang
    rows = rows_by_key(response)
    assert list(rows) == ["own", str(tree.dafang_town.pk)]
    total = response.context["board"].total
    assert (total.targets, total.events, total.participants, total.reports_submitted, total.needs_raised) == (
        1, 1, 60, 1, 1,
    )  # fmt: skip
    html = response.content.decode()
    assert "七星关" not in html
    exported = export_rows(client.get(EXPORT, {"campaign": data.campaign.pk}))
    assert "七星关" not in str(exported)
    assert exported[-1][0] == "合计" and exported[-1][exported[0].index("活动场次")] == 1
    for kind in RECORD_KINDS:
        listed = client.get(RECORDS, {"campaign": data.campaign.pk, "unit": tree.dafang.pk, "kind": kind})
        assert "七星关" not in listed.content.decode()
        assert "七星关" not in str(
            export_rows(
                client.get(RECORDS_EXPORT, {"campaign": data.campaign.pk, "unit": tree.dafang.pk, "kind": kind})
            )
        )


def test_board_dafang_gets_404_on_qxg_unit_and_qxg_campaign(tree, users, client_for, data):
    client = client_for(users.dafang_admin)
    for url in (BOARD, EXPORT):
        assert client.get(url, {"campaign": data.campaign.pk, "unit": tree.qxg.pk}).status_code == 404
        assert client.get(url, {"campaign": data.campaign.pk, "unit": data.village.pk}).status_code == 404
        assert client.get(url, {"campaign": data.reissue.pk}).status_code == 404
        assert client.get(url, {"campaign": data.other.pk}).status_code == 404
    for url in (RECORDS, RECORDS_EXPORT):
        params = {"campaign": data.campaign.pk, "unit": tree.qxg.pk, "kind": "events"}
        assert client.get(url, params).status_code == 404
        assert client.get(url, params | {"campaign": data.reissue.pk, "unit": tree.dafang.pk}).status_code == 404


def test_board_county_cannot_drill_above_itself(tree, users, client_for, data):
    client = client_for(users.qxg_admin)
    assert client.get(BOARD, {"campaign": data.campaign.pk, "unit": tree.city.pk}).status_code == 404


def test_board_draft_campaign_is_404(tree, users, client_for):
    draft = make_campaign(issuer=tree.city, by=users.city_admin, targets=[], published=False)
    assert client_for(users.city_admin).get(BOARD, {"campaign": draft.pk}).status_code == 404


def test_board_unknown_record_kind_is_404(tree, users, client_for, data):
    client = client_for(users.city_admin)
    assert client.get(RECORDS, {"campaign": data.campaign.pk, "kind": "passwords"}).status_code == 404


# --- query counts -------------------------------------------------------------------------------


def _fill_children(parent, n, campaign, user):
    for i in range(n):
        child = make_org(f"{parent.name}第{i}村", Org.Kind.VILLAGE, parent)
        CampaignTarget.objects.create(campaign=campaign, org=child, signed_at=timezone.now())
        act = activity(child, user, campaign)
        report(child, user, campaign)
        need(act, user, child)


@pytest.mark.parametrize("children", [1, 25])
def test_board_query_count_does_not_grow_with_children(
    tree, users, client_for, data, children, django_assert_max_num_queries
):
    _fill_children(tree.dafang_town, children, data.campaign, users.dafang_liaison)
    client = client_for(users.dafang_admin)
    params = {"campaign": data.campaign.pk, "unit": tree.dafang_town.pk}
    client.get(BOARD, params)  # warm the session

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(BOARD, params)
    assert len(response.context["board"].rows) == children + 1
    # The care line (help records during the campaign) is one grouped query more, whatever the rows.
    with django_assert_max_num_queries(19):
        client.get(BOARD, params)
    with django_assert_max_num_queries(17):
        client.get(EXPORT, params)
    with django_assert_max_num_queries(14):
        client.get(RECORDS, params | {"kind": "events"})
    assert len(ctx.captured_queries) <= 19


def test_board_query_count_is_the_same_for_one_and_many_children(tree, users, client_for, data):
    client = client_for(users.dafang_admin)
    params = {"campaign": data.campaign.pk, "unit": tree.dafang_town.pk}
    _fill_children(tree.dafang_town, 1, data.campaign, users.dafang_liaison)
    client.get(BOARD, params)
    with CaptureQueriesContext(connection) as one:
        client.get(BOARD, params)
    _fill_children(tree.dafang_town, 30, data.campaign, users.dafang_liaison)
    with CaptureQueriesContext(connection) as many:
        response = client.get(BOARD, params)
    assert len(response.context["board"].rows) == 32
    assert len(many.captured_queries) == len(one.captured_queries)


def test_board_defaults_to_the_notice_a_county_reissued(tree, users, client_for, data):
    Campaign.objects.filter(pk=data.reissue.pk).update(published_at=timezone.now() + dt.timedelta(hours=1))

    response = client_for(users.qxg_admin).get(BOARD)

    assert response.context["campaign"] == data.campaign
    assert response.context["reissues"] == 1
