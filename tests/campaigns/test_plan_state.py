"""One definition of a target's plan state: every page, export and reminder reads the same rows.

A campaign goes to five units, one in each plan state; the deadline is moved from far ahead, to
within the reminders' warning window, to past. At each step every surface that shows "not filed"
or "overdue" must name exactly the same units.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from jinguo.campaigns import selectors as campaign_selectors
from jinguo.campaigns.models import Campaign, CampaignTarget, Plan, PlanState
from jinguo.dashboard import selectors as board_selectors
from jinguo.dashboard.reminders import collect_digests
from jinguo.lib.badges import BADGE_CLASSES
from jinguo.orgs.models import Org
from tests.excel import export_rows
from tests.factories import make_campaign, make_org, make_plan

STATES = {
    "甲县妇联": PlanState.NONE,
    "乙县妇联": PlanState.DRAFT,
    "丙县妇联": PlanState.SUBMITTED,
    "丁县妇联": PlanState.RETURNED,
    "戊县妇联": PlanState.APPROVED,
}
UNITS = list(STATES)
UNFILED = ["甲县妇联", "乙县妇联", "丁县妇联"]
LABELS = {
    PlanState.NONE: "未建方案",
    PlanState.DRAFT: "草稿",
    PlanState.SUBMITTED: "已报送",
    PlanState.RETURNED: "退回修改",
    PlanState.APPROVED: "已备案",
}


@pytest.fixture
def campaign(tree, users):
    units = [make_org(name, Org.Kind.COUNTY, tree.city) for name in UNITS]
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=units, title="三八维权周")
    # All signed: the reminders then speak only of plans.
    CampaignTarget.objects.filter(campaign=campaign).update(signed_at=timezone.now(), signed_by=users.city_admin)
    for target in CampaignTarget.objects.filter(campaign=campaign).select_related("org"):
        if STATES[target.org.name] != PlanState.NONE:
            make_plan(target, status=Plan.Status(STATES[target.org.name].value))
    return campaign


def _xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    return [tuple("" if v is None else v for v in row) for row in export_rows(response.content)]


def _surfaces(campaign: Campaign, *, users, client) -> dict:
    """What each surface says, as {surface: {unit name: (state or label, overdue)}} or a list of units."""
    matrix = client.get(reverse("dashboard:matrix", args=[campaign.pk]))
    assert matrix.status_code == 200
    matrix_export = _xlsx(client.get(reverse("dashboard:matrix_export", args=[campaign.pk])))
    header = matrix_export[0]
    name, state, late = header.index("单位"), header.index("方案状态"), header.index("是否逾期")
    now = timezone.now()
    board = board_selectors.board(user=users.city_admin, campaign=campaign, unit=users.city_admin.org, now=now)
    board_export = _xlsx(client.get(reverse("dashboard:board_export") + f"?campaign={campaign.pk}"))
    late_plans = board_export[0].index("逾期方案")
    records = board_selectors.board_records(
        user=users.city_admin, campaign=campaign, unit=users.city_admin.org, kind="plans_overdue", now=now
    )
    records_export = _xlsx(
        client.get(reverse("dashboard:records_export") + f"?campaign={campaign.pk}&kind=plans_overdue")
    )
    landing = board_selectors.landing(user=users.city_admin, now=now)
    summary = campaign_selectors.receipt_figures(user=users.city_admin, campaign=campaign, now=now).own
    digests = collect_digests(now=now)
    issuer_page = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert issuer_page.status_code == 200
    return {
        "matrix": {t.org.name: (t.plan_state, t.is_overdue) for t in matrix.context["targets"]},
        "matrix_html": matrix.content.decode(),
        "issuer_page_html": issuer_page.content.decode(),
        "matrix_export": {r[name]: (r[state], r[late] == "逾期") for r in matrix_export[1:]},
        "issuer_page": {
            t.org.name: (t.plan_state, t.is_overdue) for t in campaign_selectors.targets_of(campaign=campaign)
        },
        "matrix_stats": matrix.context["stats"],
        "receipt_summary": (summary.filed, summary.approved, summary.overdue),
        "board_overdue": sorted(
            (r.org.name for r in board.rows if r.org.name in STATES and r.plans_overdue == 1), key=UNITS.index
        ),
        "board_total": (board.total.approved, board.total.plans_overdue),
        "board_export_overdue": sorted(
            (r[0] for r in board_export[1:] if r[0] in STATES and r[late_plans] == 1), key=UNITS.index
        ),
        "records": [t.org.name for t in records],
        "records_export": [r[0] for r in records_export[1:]],
        "landing_overdue_units": landing["overdue_units"],
        "reminded": [digests[pk].org.name for pk in sorted(digests, key=lambda pk: UNITS.index(digests[pk].org.name))],
        "reminder_texts": [item for d in digests.values() for item in d.items],
    }


def _move_deadline(campaign: Campaign, delta: dt.timedelta) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(plan_deadline=timezone.now() + delta)
    campaign.refresh_from_db()


@pytest.mark.parametrize(
    ("delta", "overdue", "reminded", "reminder_word"),
    [
        (dt.timedelta(days=10), [], [], None),
        (dt.timedelta(days=1), [], UNFILED, "截止"),
        (-dt.timedelta(days=1), UNFILED, UNFILED, "逾期"),
    ],
    ids=["far-ahead", "within-warning", "past"],
)
def test_plan_state_every_surface_names_the_same_units(
    tree, users, client_for, campaign, delta, overdue, reminded, reminder_word
):
    _move_deadline(campaign, delta)

    seen = _surfaces(campaign, users=users, client=client_for(users.city_admin))

    expected = {name: (state, name in overdue) for name, state in STATES.items()}
    assert seen["matrix"] == expected
    assert seen["issuer_page"] == expected
    assert seen["matrix_export"] == {name: (LABELS[state], late) for name, (state, late) in expected.items()}
    stats = seen["matrix_stats"]
    assert (stats.total, stats.filed, stats.approved, stats.overdue) == (5, 2, 1, len(overdue))
    assert seen["receipt_summary"] == (2, 1, len(overdue))
    assert seen["board_overdue"] == overdue
    assert seen["board_export_overdue"] == overdue
    assert seen["board_total"] == (1, len(overdue))
    assert seen["records"] == overdue
    assert seen["records_export"] == overdue
    assert seen["landing_overdue_units"] == len(overdue)
    assert seen["reminded"] == reminded
    assert len(seen["reminder_texts"]) == len(reminded)
    assert all(reminder_word in text for text in seen["reminder_texts"])
    for state, label in LABELS.items():
        badge = f'<span class="badge {BADGE_CLASSES[state]}">{label}</span>'
        assert seen["matrix_html"].count(badge) == 1
        assert seen["issuer_page_html"].count(badge) == 1
    assert seen["issuer_page_html"].count("已逾期</span>") == len(overdue)


def test_plan_state_matrix_filter_by_each_state_returns_that_unit(users, client_for, campaign):
    client = client_for(users.city_admin)
    for name, state in STATES.items():
        response = client.get(reverse("dashboard:matrix", args=[campaign.pk]) + f"?plan={state.value}")
        assert [t.org.name for t in response.context["targets"]] == [name]


def test_plan_state_queryset_api_partitions_the_targets(campaign):
    now = timezone.now()
    _move_deadline(campaign, -dt.timedelta(hours=1))
    targets = CampaignTarget.objects.filter(campaign=campaign).order_by("org__path")

    assert [t.org.name for t in targets.filed()] == ["丙县妇联", "戊县妇联"]
    assert [t.org.name for t in targets.unfiled()] == UNFILED
    assert [t.org.name for t in targets.overdue(now=now)] == UNFILED
    assert [t.org.name for t in targets.overdue(now=now - dt.timedelta(hours=2))] == []
    annotated = list(targets.with_plan_state(now=now))
    assert [(t.org.name, t.plan_state, t.is_overdue) for t in annotated] == [
        (name, state, name in UNFILED) for name, state in STATES.items()
    ]
    assert all(type(t.plan_state) is PlanState for t in annotated)


def test_plan_state_labels_are_the_plan_status_labels():
    assert set(Plan.FILED_STATUSES) | set(Plan.UNFILED_STATUSES) == set(Plan.Status)
    assert not set(Plan.FILED_STATUSES) & set(Plan.UNFILED_STATUSES)
    assert [(s.value, str(s.label)) for s in PlanState if s != PlanState.NONE] == [
        (s.value, str(s.label)) for s in Plan.Status
    ]
