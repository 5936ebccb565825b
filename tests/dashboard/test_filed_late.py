"""逾期报送: a plan first filed after the deadline is marked on the matrix, the board, the issuer page
and their exports — one rule, ``CampaignTargetQuerySet.filed_late_q``."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from jinguo.campaigns.models import Campaign, CampaignTarget, Plan
from tests.excel import export_rows
from tests.factories import make_campaign, make_plan


def xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    return [tuple(r) for r in export_rows(response.content)]


@pytest.fixture
def late(tree, users):
    """七星关区 filed a day after the deadline; 大方县 filed on time; 办公室 filed late but was
    returned (not filed now: overdue, not late)."""
    deadline = timezone.now() - dt.timedelta(days=2)
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang, tree.office])
    Campaign.objects.filter(pk=campaign.pk).update(plan_deadline=deadline)
    sent = {
        tree.qxg: (Plan.Status.SUBMITTED, deadline + dt.timedelta(days=1)),
        tree.dafang: (Plan.Status.APPROVED, deadline - dt.timedelta(hours=1)),
        tree.office: (Plan.Status.RETURNED, deadline + dt.timedelta(hours=1)),
    }
    for org, (status, first) in sent.items():
        plan = make_plan(CampaignTarget.objects.get(campaign=campaign, org=org), status=status)
        Plan.objects.filter(pk=plan.pk).update(first_submitted_at=first)
    campaign.refresh_from_db()
    return SimpleNamespace(campaign=campaign)


def test_filed_late_is_annotated_next_to_the_plan_state(tree, late):
    rows = CampaignTarget.objects.filter(campaign=late.campaign).with_plan_state(now=timezone.now())
    assert sorted((t.org.name, t.is_overdue, t.is_filed_late) for t in rows) == [
        ("七星关区妇联", False, True),
        ("办公室", True, False),
        ("大方县妇联", False, False),
    ]
    assert [t.org for t in CampaignTarget.objects.filter(campaign=late.campaign).filed_late()] == [tree.qxg]


def test_filed_late_is_marked_on_the_matrix_and_its_export(tree, users, client_for, late):
    client = client_for(users.city_admin)

    response = client.get(reverse("dashboard:matrix", args=[late.campaign.pk]))

    html = response.content.decode()
    row = lambda org: html.split(f'data-testid="row-{org.pk}"')[1].split("</tr>")[0]  # noqa: E731
    assert "逾期报送" in row(tree.qxg)
    assert "逾期报送" not in row(tree.dafang)
    assert "逾期报送" not in row(tree.office)
    assert response.context["stats"].filed_late == 1
    filtered = client.get(reverse("dashboard:matrix", args=[late.campaign.pk]), {"overdue": "late"})
    assert [t.org for t in filtered.context["targets"]] == [tree.qxg]
    exported = xlsx(client.get(reverse("dashboard:matrix_export", args=[late.campaign.pk])))
    name, mark = exported[0].index("单位"), exported[0].index("是否逾期")
    assert {r[name]: r[mark] for r in exported[1:]} == {
        "七星关区妇联": "逾期报送",
        "大方县妇联": None,
        "办公室": "逾期",
    }


def test_filed_late_is_counted_on_the_board_its_records_and_exports(tree, users, client_for, late):
    client = client_for(users.city_admin)
    params = {"campaign": late.campaign.pk}

    response = client.get(reverse("dashboard:board"), params)

    rows = {r.key: r for r in response.context["board"].rows}
    assert [(k, r.plans_late) for k, r in rows.items()] == [
        ("own", 0), (str(tree.qxg.pk), 1), (str(tree.dafang.pk), 0), (str(tree.office.pk), 0),
    ]  # fmt: skip
    assert response.context["board"].total.plans_late == 1
    assert f"unit={tree.qxg.pk}&kind=plans_late" in response.content.decode()
    exported = xlsx(client.get(reverse("dashboard:board_export"), params))
    column = exported[0].index("逾期报送方案")
    assert {r[0]: r[column] for r in exported[1:]}["七星关区妇联"] == 1
    assert exported[-1][column] == 1
    records = client.get(reverse("dashboard:records"), params | {"kind": "plans_late"})
    assert [t.org for t in records.context["page"].object_list] == [tree.qxg]
    assert "逾期报送" in records.content.decode()
    records_xlsx = xlsx(client.get(reverse("dashboard:records_export"), params | {"kind": "plans_late"}))
    assert records_xlsx[1:] == [("七星关区妇联", late.campaign.title, None, "已报送", "逾期报送")]


def test_filed_late_is_marked_on_the_issuer_page(tree, users, client_for, late):
    html = client_for(users.city_admin).get(reverse("campaigns:detail", args=[late.campaign.pk])).content.decode()

    assert html.count('data-testid="filed-late">逾期报送</span>') == 1
    assert "其中逾期报送 1" in html
