import datetime as dt

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from jinguo.activities.models import Activity, Need
from jinguo.campaigns.models import Campaign, CampaignTarget, Plan
from jinguo.dashboard.reminders import collect_digests, send_reminders
from jinguo.notifications.models import Notification
from tests.factories import make_campaign, make_plan


def _overdue_need(tree, users, *, org, status=Need.Status.REGISTERED):
    activity = Activity.objects.create(
        org=org,
        title="女企业家座谈会",
        date=dt.date(2023, 3, 6),
        place="会议室",
        venue_type="agency",
        format=Activity.Format.SYMPOSIUM,
        created_by=users.city_admin,
    )
    return Need.objects.create(
        activity=activity,
        org=org,
        category=Need.Category.FINANCE,
        description="希望提供创业担保贷款",
        due_date=timezone.localdate() - dt.timedelta(days=1),
        status=status,
        created_by=users.city_admin,
    )


def test_units_on_track_get_nothing(tree, users):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg])
    target = CampaignTarget.objects.get(campaign=campaign)
    CampaignTarget.objects.filter(pk=target.pk).update(signed_at=timezone.now(), signed_by=users.qxg_liaison)
    make_plan(target, status=Plan.Status.APPROVED)
    assert collect_digests() == {}
    assert send_reminders() == (0, 0)
    assert Notification.objects.count() == 0


def test_unsigned_and_deadline_soon_make_one_digest_per_unit(tree, users):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang])
    Campaign.objects.filter(pk=campaign.pk).update(plan_deadline=timezone.now() + dt.timedelta(days=2))
    dafang = CampaignTarget.objects.get(campaign=campaign, org=tree.dafang)
    CampaignTarget.objects.filter(pk=dafang.pk).update(signed_at=timezone.now())
    make_plan(dafang, status=Plan.Status.SUBMITTED)

    digests = collect_digests()
    assert list(digests) == [tree.qxg.pk]
    assert len(digests[tree.qxg.pk].items) == 2
    assert "尚未签收" in digests[tree.qxg.pk].items[0]
    assert "将于" in digests[tree.qxg.pk].items[1]

    users.qxg_liaison.email = "lly@example.org"
    users.qxg_liaison.save()
    assert send_reminders() == (1, 2)  # qxg's liaison and admin; dafang's users get nothing
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["qxg_admin", "qxg_liaison"]
    assert [m.to for m in mail.outbox] == [["lly@example.org"]]


def test_overdue_plan_and_overdue_need_are_reported(tree, users):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.dafang])
    Campaign.objects.filter(pk=campaign.pk).update(plan_deadline=timezone.now() - dt.timedelta(days=1))
    target = CampaignTarget.objects.get(campaign=campaign)
    CampaignTarget.objects.filter(pk=target.pk).update(signed_at=timezone.now())
    make_plan(target, status=Plan.Status.RETURNED)
    _overdue_need(tree, users, org=tree.dafang)
    _overdue_need(tree, users, org=tree.qxg, status=Need.Status.RESOLVED)  # closed: not a reminder

    digests = collect_digests()
    assert list(digests) == [tree.dafang.pk]
    items = digests[tree.dafang.pk].items
    assert "被退回" in items[0] and "逾期" in items[0]
    assert "创业担保贷款" in items[1]


def test_a_user_gets_at_most_one_digest_a_day(tree, users):
    make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg])
    assert send_reminders() == (1, 2)
    assert send_reminders() == (0, 0)
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 2


def test_command_dry_run_sends_nothing(tree, users, capsys):
    make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg])
    call_command("sendreminders", "--dry-run")
    out = capsys.readouterr().out
    assert "七星关区妇联" in out
    assert "将提醒 1 个单位、2 名用户" in out
    assert Notification.objects.count() == 0
