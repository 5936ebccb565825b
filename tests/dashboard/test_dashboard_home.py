"""The landing page: what is due for me, what is overdue below me, unread notices."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from jinguo.activities.models import Activity, Need
from jinguo.campaigns.models import Campaign, CampaignTarget, Plan, VenueType
from jinguo.notifications.models import Notification
from tests.factories import make_campaign, make_plan

HOME = reverse("home")


def _activity(org, by) -> Activity:
    return Activity.objects.create(
        org=org, title="座谈会", date=dt.date(2023, 3, 6), place="会议室", venue_type=VenueType.AGENCY,
        format=Activity.Format.SYMPOSIUM, created_by=by,
    )  # fmt: skip


def _need(act, org, by, due, description="希望提供创业贷款") -> Need:
    return Need.objects.create(
        activity=act, org=org, category=Need.Category.FINANCE, description=description, due_date=due, created_by=by
    )


def test_home_lists_deadlines_within_three_days_and_my_needs(tree, users, client_for):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title="三天内截止的通知")
    Campaign.objects.filter(pk=campaign.pk).update(plan_deadline=timezone.now() + dt.timedelta(days=2))
    far = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title="下月截止的通知")
    Campaign.objects.filter(pk=far.pk).update(plan_deadline=timezone.now() + dt.timedelta(days=30))
    act = _activity(tree.qxg, users.qxg_liaison)
    _need(act, tree.qxg, users.qxg_liaison, timezone.localdate() + dt.timedelta(days=1), "明天到期的诉求")
    _need(act, tree.qxg_town, users.qxg_liaison, timezone.localdate(), "街道的诉求")

    response = client_for(users.qxg_liaison).get(HOME)

    assert response.status_code == 200
    assert [d["title"] for d in response.context["due_soon"]] == [
        "办理诉求：明天到期的诉求",
        "报备方案：三天内截止的通知",
    ]
    assert [n.description for n in response.context["my_needs"]] == ["明天到期的诉求"]
    assert response.context["my_needs_count"] == 1
    assert response.context["supervises"] is False
    assert "下级逾期情况" not in response.content.decode()


def test_home_shows_overdue_below_for_admins_without_sibling_data(tree, users, client_for):
    campaign = make_campaign(
        issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.qxg_town, tree.dafang, tree.dafang_town]
    )
    Campaign.objects.filter(pk=campaign.pk).update(plan_deadline=timezone.now() - dt.timedelta(days=1))
    make_plan(CampaignTarget.objects.get(campaign=campaign, org=tree.dafang_town), status=Plan.Status.APPROVED)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    _need(_activity(tree.qxg_town, users.qxg_liaison), tree.qxg_town, users.qxg_liaison, yesterday)

    dafang = client_for(users.dafang_admin).get(HOME)
    assert dafang.context["supervises"] is True
    assert dafang.context["overdue_units"] == 0  # its township filed; 七星关区's overdue units stay invisible
    assert dafang.context["overdue_needs"] == 0
    assert "没有逾期未报方案的下级单位" in dafang.content.decode()

    qxg = client_for(users.qxg_admin).get(HOME)
    assert qxg.context["overdue_units"] == 1
    assert [(o["campaign_id"], o["units"]) for o in qxg.context["overdue_campaigns"]] == [(campaign.pk, 1)]
    assert qxg.context["overdue_needs"] == 1
    html = qxg.content.decode()
    assert reverse("dashboard:matrix", args=[campaign.pk]) + "?overdue=yes" in html

    city = client_for(users.city_admin).get(HOME)
    assert city.context["overdue_units"] == 3


def test_home_empty_states_say_what_happens(tree, users, client_for):
    html = client_for(users.dafang_liaison).get(HOME).content.decode()

    assert "3 天内没有到期的事项" in html
    assert "没有待办理的诉求" in html
    assert "没有待签收的通知" in html
    assert "没有未读消息" in html


def test_home_shows_unread_notices(tree, users, client_for):
    Notification.objects.create(recipient=users.dafang_liaison, kind=Notification.Kind.REMINDER, title="请签收新通知")

    response = client_for(users.dafang_liaison).get(HOME)

    assert [n.title for n in response.context["unread"]] == ["请签收新通知"]


def test_home_query_count_is_bounded_with_many_items(tree, users, client_for, django_assert_max_num_queries):
    act = _activity(tree.qxg, users.qxg_liaison)
    for i in range(20):
        c = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.qxg_town], title=f"通知{i}")
        Campaign.objects.filter(pk=c.pk).update(plan_deadline=timezone.now() + dt.timedelta(days=1))
        _need(act, tree.qxg, users.qxg_liaison, timezone.localdate())
    client = client_for(users.qxg_admin)
    client.get(HOME)
    with django_assert_max_num_queries(25):
        response = client.get(HOME)
    assert len(response.context["due_soon"]) == 10
    assert response.context["due_soon_count"] == 40
