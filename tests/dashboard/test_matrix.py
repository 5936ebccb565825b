import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jinguo.campaigns.models import Campaign, CampaignTarget, Plan
from jinguo.orgs.models import Org
from tests.excel import export_rows as sheet_rows
from tests.factories import make_campaign, make_org, make_plan


def matrix_url(campaign, query: str = "") -> str:
    return reverse("dashboard:matrix", args=[campaign.pk]) + (f"?{query}" if query else "")


def export_url(campaign, query: str = "") -> str:
    return reverse("dashboard:matrix_export", args=[campaign.pk]) + (f"?{query}" if query else "")


def target(campaign, org) -> CampaignTarget:
    return CampaignTarget.objects.get(campaign=campaign, org=org)


def sign(campaign, org, user) -> None:
    CampaignTarget.objects.filter(campaign=campaign, org=org).update(signed_at=timezone.now(), signed_by=user)


def pass_deadline(campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(plan_deadline=timezone.now() - dt.timedelta(days=1))


def row_ids(response) -> list[int]:
    return [t.org_id for t in response.context["targets"]]


def export_rows(response) -> list[tuple]:
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return [tuple("" if v is None else v for v in row) for row in sheet_rows(response.content)]


@pytest.fixture
def campaign(tree, users):
    """The city's campaign to both counties and 七星关区's township."""
    return make_campaign(
        issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang, tree.qxg_town], title="三八维权周"
    )


# --- scope -------------------------------------------------------------------------------------


def test_matrix_sibling_county_gets_404_on_campaign_not_sent_to_it(tree, users, client_for):
    qxg_campaign = make_campaign(issuer=tree.qxg, by=users.qxg_admin, targets=[tree.qxg_town], title="七星关区方案")
    sign(qxg_campaign, tree.qxg_town, users.qxg_admin)
    assert CampaignTarget.objects.filter(campaign=qxg_campaign, org=tree.qxg_town).exists()

    client = client_for(users.dafang_admin)
    assert client.get(matrix_url(qxg_campaign)).status_code == 404
    assert client.get(export_url(qxg_campaign)).status_code == 404


def test_matrix_city_campaign_not_sent_to_dafang_is_404(tree, users, client_for):
    only_qxg = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg])
    client = client_for(users.dafang_liaison)
    assert client.get(matrix_url(only_qxg)).status_code == 404
    assert client.get(export_url(only_qxg)).status_code == 404


def test_matrix_target_county_sees_only_its_own_row(tree, users, client_for, campaign):
    sign(campaign, tree.qxg, users.qxg_liaison)
    make_plan(target(campaign, tree.qxg), status=Plan.Status.APPROVED)

    response = client_for(users.dafang_liaison).get(matrix_url(campaign))

    assert response.status_code == 200
    assert row_ids(response) == [tree.dafang.pk]
    body = response.content.decode()
    assert "大方县妇联" in body
    assert "七星关区" not in body
    assert response.context["whole"] is False
    assert response.context["stats"].total == 1
    assert response.context["stats"].approved == 0


def test_matrix_target_county_sees_its_targeted_township_too(tree, users, client_for, campaign):
    response = client_for(users.qxg_liaison).get(matrix_url(campaign))
    assert row_ids(response) == [tree.qxg.pk, tree.qxg_town.pk]
    assert "大方县妇联" not in response.content.decode().split('data-testid="stats"')[1]


def test_matrix_export_for_target_never_contains_sibling_rows(tree, users, client_for, campaign):
    response = client_for(users.dafang_liaison).get(export_url(campaign))
    rows = export_rows(response)
    assert [r[0] for r in rows] == ["单位", "大方县妇联"]


def test_matrix_issuer_sees_every_target(tree, users, client_for, campaign):
    response = client_for(users.city_reviewer).get(matrix_url(campaign))
    assert row_ids(response) == [tree.qxg.pk, tree.qxg_town.pk, tree.dafang.pk]
    assert response.context["whole"] is True


def test_matrix_issuer_department_not_targeted_gets_404(tree, users, client_for, campaign):
    from tests.factories import UserFactory

    office_user = UserFactory(username="office", org=tree.office, is_reviewer=True)
    assert client_for(office_user).get(matrix_url(campaign)).status_code == 404


def test_matrix_unit_above_issuer_sees_whole_county_campaign(tree, users, client_for):
    qxg_campaign = make_campaign(issuer=tree.qxg, by=users.qxg_admin, targets=[tree.qxg_town])
    response = client_for(users.city_admin).get(matrix_url(qxg_campaign))
    assert row_ids(response) == [tree.qxg_town.pk]


def test_matrix_whole_view_still_bounded_by_viewer_subtree(tree, users, client_for):
    # A target outside the issuer's subtree should never exist; if one did, it must not show.
    odd = make_campaign(issuer=tree.qxg, by=users.qxg_admin, targets=[tree.qxg_town, tree.dafang_town])
    assert CampaignTarget.objects.filter(campaign=odd, org=tree.dafang_town).exists()

    client = client_for(users.qxg_admin)
    assert row_ids(client.get(matrix_url(odd))) == [tree.qxg_town.pk]
    assert [r[0] for r in export_rows(client.get(export_url(odd)))] == ["单位", "七星关区市西街道妇联"]


def test_matrix_requires_login(tree, users, client, campaign):
    response = client.get(matrix_url(campaign))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- rates and overdue ---------------------------------------------------------------------------


def test_matrix_rates_count_over_frozen_targets(tree, users, client_for, campaign):
    extra = make_org("七星关区洪山街道妇联", Org.Kind.TOWNSHIP, tree.qxg)
    CampaignTarget.objects.create(campaign=campaign, org=extra)
    for org in (tree.qxg, tree.dafang, tree.qxg_town):
        sign(campaign, org, users.city_admin)
    make_plan(target(campaign, tree.qxg), status=Plan.Status.SUBMITTED)
    make_plan(target(campaign, tree.dafang), status=Plan.Status.APPROVED)
    make_plan(target(campaign, tree.qxg_town), status=Plan.Status.RETURNED)

    stats = client_for(users.city_admin).get(matrix_url(campaign)).context["stats"]

    assert (stats.total, stats.signed, stats.filed, stats.approved, stats.overdue) == (4, 3, 2, 1, 0)
    assert (stats.signed_rate, stats.filed_rate, stats.approved_rate) == (75.0, 50.0, 25.0)


def test_matrix_rates_stop_at_100_percent(tree, users, client_for, campaign):
    for org in (tree.qxg, tree.dafang, tree.qxg_town):
        sign(campaign, org, users.city_admin)
        make_plan(target(campaign, org), status=Plan.Status.APPROVED)
    response = client_for(users.city_admin).get(matrix_url(campaign))
    stats = response.context["stats"]
    assert (stats.signed_rate, stats.filed_rate, stats.approved_rate) == (100.0, 100.0, 100.0)
    assert 'data-testid="stat-signed-rate">100.0%<' in response.content.decode()


def test_matrix_rates_are_a_dash_without_targets(tree, users, client_for):
    empty = make_campaign(issuer=tree.city, by=users.city_admin, targets=[])
    response = client_for(users.city_admin).get(matrix_url(empty))
    stats = response.context["stats"]
    assert (stats.signed_rate, stats.filed_rate, stats.approved_rate) == (None, None, None)
    html = response.content.decode()
    assert 'data-testid="stat-signed-rate">—<' in html
    assert "0.0%" not in html
    assert "该活动没有下发到您可查看的单位" in html


def test_matrix_overdue_after_deadline_for_missing_draft_and_returned_plans(tree, users, client_for, campaign):
    extra = make_org("七星关区洪山街道妇联", Org.Kind.TOWNSHIP, tree.qxg)
    fifth = make_org("大方县羊场镇妇联", Org.Kind.TOWNSHIP, tree.dafang)
    for org in (extra, fifth):
        CampaignTarget.objects.create(campaign=campaign, org=org)
    make_plan(target(campaign, tree.qxg), status=Plan.Status.SUBMITTED)
    make_plan(target(campaign, tree.dafang), status=Plan.Status.APPROVED)
    make_plan(target(campaign, tree.qxg_town), status=Plan.Status.RETURNED)
    make_plan(target(campaign, extra), status=Plan.Status.DRAFT)
    pass_deadline(campaign)

    response = client_for(users.city_admin).get(matrix_url(campaign))

    overdue = {t.org_id for t in response.context["targets"] if t.is_overdue}
    assert overdue == {tree.qxg_town.pk, extra.pk, fifth.pk}
    assert response.context["stats"].overdue == 3
    assert 'data-testid="stat-overdue">3<' in response.content.decode()


def test_matrix_nothing_overdue_before_deadline(tree, users, client_for, campaign):
    response = client_for(users.city_admin).get(matrix_url(campaign))
    assert [t.is_overdue for t in response.context["targets"]] == [False, False, False]
    assert response.context["stats"].overdue == 0


def test_matrix_shows_data_as_of_time(tree, users, client_for, campaign):
    response = client_for(users.city_admin).get(matrix_url(campaign))
    as_of = timezone.localtime(response.context["as_of"]).strftime("%H:%M")
    assert f"数据截至 {as_of}" in response.content.decode()


def test_matrix_shows_signer_and_plan_label(tree, users, client_for, campaign):
    sign(campaign, tree.dafang, users.dafang_liaison)
    make_plan(target(campaign, tree.dafang), status=Plan.Status.RETURNED)
    body = client_for(users.city_admin).get(matrix_url(campaign)).content.decode()
    row = body.split(f'data-testid="row-{tree.dafang.pk}"')[1].split("</tr>")[0]
    assert "已签收" in row
    assert "大方联络员" in row
    assert "退回修改" in row


# --- filters -------------------------------------------------------------------------------------


@pytest.fixture
def mixed(tree, users, campaign):
    sign(campaign, tree.qxg, users.qxg_liaison)
    make_plan(target(campaign, tree.qxg), status=Plan.Status.APPROVED)
    make_plan(target(campaign, tree.qxg_town), status=Plan.Status.RETURNED)
    pass_deadline(campaign)
    return campaign


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("signed=yes", ["qxg"]),
        ("signed=no", ["qxg_town", "dafang"]),
        ("plan=none", ["dafang"]),
        ("plan=returned", ["qxg_town"]),
        ("plan=approved", ["qxg"]),
        ("overdue=yes", ["qxg_town", "dafang"]),
        ("overdue=no", ["qxg"]),
        ("kind=township", ["qxg_town"]),
        ("kind=county", ["qxg", "dafang"]),
        ("q=大方", ["dafang"]),
        ("signed=no&kind=county", ["dafang"]),
    ],
)
def test_matrix_filters_rows(tree, users, client_for, mixed, query, expected):
    response = client_for(users.city_admin).get(matrix_url(mixed, query))
    assert row_ids(response) == [getattr(tree, name).pk for name in expected]
    # The counts on top stay those of every target, whatever the filter.
    assert response.context["stats"].total == 3


def test_matrix_filter_matching_nothing_shows_empty_state(tree, users, client_for, mixed):
    response = client_for(users.city_admin).get(matrix_url(mixed, "q=不存在的单位"))
    body = response.content.decode()
    assert row_ids(response) == []
    assert "没有符合筛选条件的单位" in body
    assert 'value="不存在的单位"' in body


def test_matrix_invalid_filter_is_ignored_with_message(tree, users, client_for, mixed):
    response = client_for(users.city_admin).get(matrix_url(mixed, "plan=bogus&signed=maybe"))
    assert row_ids(response) == [tree.qxg.pk, tree.qxg_town.pk, tree.dafang.pk]
    body = response.content.decode()
    assert "方案状态筛选条件无效，已忽略" in body
    assert "签收筛选条件无效，已忽略" in body


# --- drill-down ----------------------------------------------------------------------------------


def test_matrix_links_row_to_campaign_the_county_reissued(tree, users, client_for, campaign):
    child = make_campaign(issuer=tree.qxg, by=users.qxg_admin, targets=[tree.qxg_town], title="七星关区转发")
    Campaign.objects.filter(pk=child.pk).update(parent=campaign)
    draft = make_campaign(issuer=tree.dafang, by=users.dafang_admin, published=False, title="大方县草稿")
    Campaign.objects.filter(pk=draft.pk).update(parent=campaign)

    client = client_for(users.city_admin)
    response = client.get(matrix_url(campaign))

    by_org = {t.org_id: t.child_campaign_id for t in response.context["targets"]}
    assert by_org == {tree.qxg.pk: child.pk, tree.qxg_town.pk: None, tree.dafang.pk: None}
    body = response.content.decode()
    assert f'href="{matrix_url(child)}" data-testid="drill-{tree.qxg.pk}"' in body
    assert f'data-testid="drill-{tree.dafang.pk}"' not in body

    child_page = client.get(matrix_url(child))
    assert child_page.status_code == 200
    assert row_ids(child_page) == [tree.qxg_town.pk]
    assert matrix_url(campaign) in child_page.content.decode()


def test_matrix_draft_campaign_says_not_published(tree, users, client_for):
    draft = make_campaign(issuer=tree.city, by=users.city_admin, published=False)
    body = client_for(users.city_admin).get(matrix_url(draft)).content.decode()
    assert "该活动尚未发布" in body


# --- export --------------------------------------------------------------------------------------


def test_matrix_export_lists_rows_with_status(tree, users, client_for, mixed):
    response = client_for(users.city_admin).get(export_url(mixed))
    rows = export_rows(response)
    assert rows[0] == (
        "单位",
        "单位类型",
        "上级单位",
        "是否签收",
        "签收时间",
        "签收人",
        "方案状态",
        "报送时间",
        "是否逾期",
        "总结",  # the column summaries registers (jinguo/dashboard/columns.py)
    )
    assert [r[0] for r in rows[1:]] == ["七星关区妇联", "七星关区市西街道妇联", "大方县妇联"]
    assert [r[9] for r in rows[1:]] == ["未起草"] * 3
    qxg, town, dafang = rows[1:]
    assert qxg[1:4] == ("县级妇联", "毕节市妇联", "已签收")
    assert qxg[5:7] == ("七星关联络员", "已备案")
    assert qxg[8] == ""
    assert town[6] == "退回修改"
    assert town[8] == "逾期"
    assert dafang[3:9] == ("未签收", "", "", "未建方案", "", "逾期")
    assert "attachment;" in response["Content-Disposition"]


def test_matrix_export_applies_filters(tree, users, client_for, mixed):
    rows = export_rows(client_for(users.city_admin).get(export_url(mixed, "overdue=yes&kind=county")))
    assert [r[0] for r in rows] == ["单位", "大方县妇联"]


def test_matrix_export_neutralises_formula_unit_names(tree, users, client_for, campaign):
    evil_name = '=HYPERLINK("http://evil.example/","点我")'
    evil = make_org(evil_name, Org.Kind.TOWNSHIP, tree.dafang)
    CampaignTarget.objects.create(campaign=campaign, org=evil)

    response = client_for(users.city_admin).get(export_url(campaign))
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = [row[0] for row in ws.iter_rows(min_row=5)]  # below the caption (2 rows, a blank) and the header
    evil_cell = next(c for c in cells if "HYPERLINK" in str(c.value))
    assert evil_cell.value == "'" + evil_name
    assert evil_cell.data_type == "s"
    assert evil_cell.number_format == "@"
    assert not any(str(c.value).startswith("=") for row in ws.iter_rows() for c in row if c.value)


# --- no N+1 --------------------------------------------------------------------------------------


def _campaign_with_targets(tree, users, count: int) -> Campaign:
    orgs = [make_org(f"测试镇{i:03d}妇联", Org.Kind.TOWNSHIP, tree.qxg) for i in range(count)]
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=orgs)
    for i, org in enumerate(orgs):
        t = target(campaign, org)
        if i % 2:
            sign(campaign, org, users.qxg_liaison)
        if i % 3:
            make_plan(t, status=[Plan.Status.SUBMITTED, Plan.Status.RETURNED][i % 2])
        child = make_campaign(issuer=org, by=users.qxg_admin, targets=[], lines=0) if i % 5 == 0 else None
        if child:
            Campaign.objects.filter(pk=child.pk).update(parent=campaign)
    pass_deadline(campaign)
    return campaign


@pytest.mark.parametrize("count", [1, 200])
def test_matrix_page_runs_constant_queries(tree, users, client_for, django_assert_max_num_queries, count):
    campaign = _campaign_with_targets(tree, users, count)
    client = client_for(users.city_admin)
    # session, user, user's unit, campaign, page count, page rows, the campaign's family, stats, unread badge,
    # session save (3)
    with django_assert_max_num_queries(12):
        response = client.get(matrix_url(campaign))
    assert len(response.context["targets"]) == min(count, 100)


def test_matrix_query_count_does_not_grow_with_rows(tree, users, client_for):
    small = _campaign_with_targets(tree, users, 1)
    big = _campaign_with_targets(tree, users, 150)
    client = client_for(users.city_admin)
    counts = []
    for campaign in (small, big, small, big):
        with CaptureQueriesContext(connection) as ctx:
            client.get(matrix_url(campaign) + "?overdue=yes")
        counts.append(len(ctx.captured_queries))
    assert counts[2] == counts[3]


@pytest.mark.parametrize("count", [1, 200])
def test_matrix_export_runs_constant_queries(tree, users, client_for, django_assert_max_num_queries, count):
    campaign = _campaign_with_targets(tree, users, count)
    client = client_for(users.city_admin)
    # session, user, user's unit, campaign, rows, session save (3)
    with django_assert_max_num_queries(8):
        response = client.get(export_url(campaign))
    assert len(export_rows(response)) == count + 1


def test_matrix_parent_link_only_for_viewers_of_the_whole(tree, users, client_for, campaign):
    from tests.factories import UserFactory

    child = make_campaign(issuer=tree.qxg, by=users.qxg_admin, targets=[tree.qxg_town], title="七星关区转发")
    Campaign.objects.filter(pk=child.pk).update(parent=campaign)
    town_user = UserFactory(username="town", org=tree.qxg_town, is_liaison=True)

    assert matrix_url(campaign) in client_for(users.qxg_admin).get(matrix_url(child)).content.decode()
    town_page = client_for(town_user).get(matrix_url(child))
    assert row_ids(town_page) == [tree.qxg_town.pk]
    assert matrix_url(campaign) not in town_page.content.decode()


def test_matrix_export_says_which_campaign_when_and_by_whom_and_writes_times_as_times(tree, users, client_for, mixed):
    import datetime as dt

    from tests.excel import caption_of

    response = client_for(users.city_admin).get(export_url(mixed))
    title, detail = caption_of(response.content)
    assert title == f"督导矩阵 · {mixed.title}"
    assert detail.startswith("导出时间：") and detail.endswith("导出人：市妇联管理员（毕节市妇联）")
    signed = [row[4] for row in export_rows(response)[1:] if row[3] == "已签收"]
    assert signed and all(isinstance(v, dt.datetime) for v in signed)
