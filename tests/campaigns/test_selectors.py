import datetime as dt

from django.utils import timezone

from jinguo.campaigns import selectors, services
from jinguo.campaigns.models import Campaign, CampaignTarget, CampaignTargetQuerySet, Plan
from jinguo.lib.scoping import scope
from tests.campaigns.conftest import event
from tests.factories import make_campaign, make_org


def _past_deadline(campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(plan_deadline=timezone.now() - dt.timedelta(hours=1))


def test_overdue_derived_for_missing_draft_and_returned_plans(tree, users):
    towns = [make_org(f"镇{i}", parent=tree.qxg) for i in range(5)]
    campaign = make_campaign(issuer=tree.qxg, by=users.qxg_admin, targets=towns)
    targets = list(CampaignTarget.objects.filter(campaign=campaign).order_by("org__path"))
    statuses = [None, Plan.Status.DRAFT, Plan.Status.RETURNED, Plan.Status.SUBMITTED, Plan.Status.APPROVED]
    for target, status in zip(targets, statuses, strict=True):
        if status:
            Plan.objects.create(target=target, status=status)
    qs = CampaignTarget.objects.filter(campaign=campaign).with_plan_state(now=timezone.now()).order_by("org__path")
    assert [(t.plan_state, t.is_overdue) for t in qs] == [
        ("none", False),
        ("draft", False),
        ("returned", False),
        ("submitted", False),
        ("approved", False),
    ]
    _past_deadline(campaign)
    qs = CampaignTarget.objects.filter(campaign=campaign).with_plan_state(now=timezone.now()).order_by("org__path")
    assert [t.is_overdue for t in qs] == [True, True, True, False, False]
    overdue = CampaignTarget.objects.filter(campaign=campaign).overdue(now=timezone.now()).order_by("org__path")
    assert [t.org for t in overdue] == towns[:3]


def test_overdue_q_with_prefix_from_campaign(tree, users):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang])
    _past_deadline(campaign)
    overdue = CampaignTargetQuerySet.overdue_q(now=timezone.now(), prefix="targets__")
    assert list(Campaign.objects.filter(overdue).distinct()) == [campaign]


def test_receipt_figures_counts(qxg_submitted, dafang_target, users):
    services.sign_campaign(dafang_target, by=users.dafang_liaison)
    # 七星关区 signed by filing its plan, 大方县 by signing.
    figures = selectors.receipt_figures(user=users.city_admin, campaign=dafang_target.campaign)
    assert figures.own == selectors.ReceiptFigures(total=2, signed=2, filed=1, approved=0, overdue=0, filed_late=0)
    assert figures.with_reissues == figures.own
    assert not figures.has_reissues
    assert (figures.own.signed_rate, figures.own.filed_rate, figures.own.approved_rate) == (100.0, 50.0, 0.0)


def test_inbox_targets_unsigned_first_and_drafts_hidden(tree, users):
    old = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title="旧通知")
    new = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title="新通知")
    draft = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title="草稿", published=False)
    CampaignTarget.objects.filter(campaign=new).update(signed_at=timezone.now())
    with scope(org=tree.qxg):
        assert [t.campaign for t in selectors.inbox_targets(user=users.qxg_liaison)] == [old, new]
        assert [t.campaign for t in selectors.inbox_targets(user=users.qxg_liaison, state="signed")] == [new]
    assert draft.status == Campaign.Status.DRAFT


def test_issued_campaigns_counts_signed_and_filed(qxg_submitted, users, tree):
    services.approve_plan(qxg_submitted, by=users.city_reviewer)
    services.sign_campaign(qxg_submitted.target, by=users.qxg_liaison)
    with scope(org=tree.city):
        (campaign,) = selectors.issued_campaigns(user=users.city_admin)
    assert (campaign.total_count, campaign.signed_count, campaign.filed_count, campaign.approved_count) == (
        2,
        1,
        1,
        1,
    )


def test_home_summary_lists_what_is_due(qxg_target, dafang_target, tree, users):
    plan = services.save_plan(
        dafang_target, by=users.dafang_liaison, person_in_charge="王芳", contact_phone="13900139000", events=[event()]
    )
    services.submit_plan(plan, by=users.dafang_liaison)
    with scope(org=tree.qxg):
        qxg = selectors.home_summary(user=users.qxg_liaison)
    assert [t.pk for t in qxg["unsigned"]] == [qxg_target.pk]
    assert [t.pk for t in qxg["plans_due"]] == [qxg_target.pk]
    assert qxg["can_review"] is False
    assert len(qxg["unread"]) == 1
    with scope(org=tree.city):
        city = selectors.home_summary(user=users.city_reviewer)
    assert city["unsigned_count"] == 0
    assert [p.pk for p in city["to_review"]] == [plan.pk]
