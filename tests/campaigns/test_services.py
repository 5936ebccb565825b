import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from jinguo.audit.models import AuditEntry
from jinguo.campaigns import services
from jinguo.campaigns.models import ActivityLine, Attachment, Campaign, CampaignTarget, Plan, PlanVersion
from jinguo.campaigns.services import CampaignError
from jinguo.notifications.models import Notification
from jinguo.orgs.models import Org
from tests.campaigns.conftest import LINES, campaign_kwargs, event
from tests.factories import UserFactory, make_org


def actions(obj) -> list[str]:
    ct = ContentType.objects.get_for_model(obj)
    entries = AuditEntry.objects.filter(content_type=ct, object_id=obj.pk).order_by("id")
    return list(entries.values_list("action", flat=True))


# --- create / update ------------------------------------------------------------------------


def test_create_campaign_writes_draft_lines_selection_and_audit(draft, tree, users):
    assert draft.status == Campaign.Status.DRAFT
    assert draft.issuer == tree.city
    assert draft.doc_number == "毕妇发〔2023〕2号"
    assert list(ActivityLine.objects.filter(campaign=draft).values_list("title", flat=True)) == LINES
    assert services.selected_units(draft) == [tree.qxg, tree.dafang]
    assert CampaignTarget.objects.filter(campaign=draft).count() == 0
    entry = AuditEntry.objects.get(object_id=draft.pk, action="campaigns.campaign.created")
    assert (entry.actor, entry.org, entry.to_state) == (users.city_admin, tree.city, "草稿")


def test_create_campaign_liaison_denied(tree, users):
    with pytest.raises(PermissionDenied):
        services.create_campaign(issuer=tree.qxg, by=users.qxg_liaison, **campaign_kwargs())
    assert Campaign.objects.count() == 0


def test_create_campaign_unit_outside_subtree_rejected(tree, users):
    with pytest.raises(CampaignError, match="不是本单位的下级单位"):
        services.create_campaign(
            issuer=tree.qxg, by=users.qxg_admin, target_units=[tree.dafang_town], **campaign_kwargs()
        )


def test_create_campaign_end_before_start_rejected(tree, users):
    with pytest.raises(CampaignError, match="结束日期不能早于开始日期"):
        services.create_campaign(issuer=tree.city, by=users.city_admin, **campaign_kwargs(ends_on=dt.date(2023, 1, 1)))


def test_update_campaign_replaces_lines_and_targets(draft, tree, users):
    services.update_campaign(
        draft,
        by=users.city_admin,
        target_kinds=["department"],
        **campaign_kwargs(title="新标题", lines=[("座谈", "说明")]),
    )
    draft.refresh_from_db()
    assert draft.title == "新标题"
    assert draft.target_kinds == ["department"]
    assert services.selected_units(draft) == []
    assert list(ActivityLine.objects.filter(campaign=draft).values_list("title", "description")) == [("座谈", "说明")]
    assert actions(draft) == ["campaigns.campaign.created", "campaigns.campaign.updated"]


def test_update_campaign_after_publish_rejected(published, users):
    with pytest.raises(CampaignError, match="不能再修改"):
        services.update_campaign(published, by=users.city_admin, **campaign_kwargs(title="改"))


# --- target resolution ----------------------------------------------------------------------


def test_resolve_targets_kinds_and_units_strictly_below_issuer(tree, users):
    committee = make_org("市教育局妇委会", Org.Kind.COMMITTEE, tree.city)
    closed = make_org("已撤销县妇联", Org.Kind.COUNTY, tree.city)
    Org.objects.filter(pk=closed.pk).update(is_active=False)
    orgs = services.resolve_targets(
        issuer=tree.city, units=[tree.qxg_town], kinds=["county", "committee", "department"]
    )
    assert orgs == [tree.qxg, tree.qxg_town, tree.dafang, tree.office, committee]


def test_resolve_targets_county_kind_excludes_issuer_itself(tree):
    assert services.resolve_targets(issuer=tree.qxg, kinds=["county", "township"]) == [tree.qxg_town]


# --- publish --------------------------------------------------------------------------------


def test_publish_campaign_freezes_targets_audits_and_notifies_target_users_only(draft, tree, users):
    town_user = UserFactory(org=tree.qxg_town, is_liaison=True)
    count = services.publish_campaign(draft, by=users.city_admin)
    draft.refresh_from_db()
    assert count == 2
    assert draft.status == Campaign.Status.PUBLISHED
    assert draft.published_by == users.city_admin
    assert [t.org for t in CampaignTarget.objects.filter(campaign=draft)] == [tree.qxg, tree.dafang]
    assert actions(draft)[-1] == "campaigns.campaign.published"
    recipients = set(
        Notification.objects.filter(kind=Notification.Kind.CAMPAIGN_PUBLISHED).values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == {"qxg_liaison", "qxg_admin", "dafang_liaison", "dafang_admin"}
    assert not Notification.objects.filter(recipient=town_user).exists()
    assert Notification.objects.filter(recipient=users.qxg_liaison).get().url == f"/campaigns/{draft.pk}/notice/"


def test_publish_campaign_resolves_kinds_at_publication(tree, users):
    campaign = services.create_campaign(
        issuer=tree.city, by=users.city_admin, target_kinds=["county"], **campaign_kwargs()
    )
    later = make_org("金海湖新区妇联", Org.Kind.COUNTY, tree.city)
    services.publish_campaign(campaign, by=users.city_admin)
    assert [t.org for t in CampaignTarget.objects.filter(campaign=campaign)] == [tree.qxg, tree.dafang, later]


def test_publish_campaign_twice_rejected(published, users):
    with pytest.raises(CampaignError, match="已经发布过了"):
        services.publish_campaign(published, by=users.city_admin)
    assert CampaignTarget.objects.filter(campaign=published).count() == 2


def test_publish_campaign_without_targets_rejected(tree, users):
    campaign = services.create_campaign(issuer=tree.city, by=users.city_admin, **campaign_kwargs())
    with pytest.raises(CampaignError, match="至少选择一个发送对象"):
        services.publish_campaign(campaign, by=users.city_admin)
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT


def test_publish_campaign_without_lines_rejected(tree, users):
    campaign = services.create_campaign(
        issuer=tree.city, by=users.city_admin, target_units=[tree.qxg], **campaign_kwargs(lines=[])
    )
    with pytest.raises(CampaignError, match="至少填写一项活动"):
        services.publish_campaign(campaign, by=users.city_admin)


def test_publish_campaign_without_summary_deadline_rejected(tree, users):
    campaign = services.create_campaign(
        issuer=tree.city, by=users.city_admin, target_units=[tree.qxg], **campaign_kwargs(summary_deadline=None)
    )
    with pytest.raises(CampaignError, match="总结报送截止"):
        services.publish_campaign(campaign, by=users.city_admin)


def test_publish_campaign_past_plan_deadline_rejected(tree, users):
    campaign = services.create_campaign(
        issuer=tree.city,
        by=users.city_admin,
        target_units=[tree.qxg],
        **campaign_kwargs(plan_deadline=timezone.now() - dt.timedelta(hours=1)),
    )
    with pytest.raises(CampaignError, match="截止时间已过"):
        services.publish_campaign(campaign, by=users.city_admin)


def test_publish_campaign_reviewer_denied(draft, users):
    with pytest.raises(PermissionDenied):
        services.publish_campaign(draft, by=users.city_reviewer)


# --- receipts -------------------------------------------------------------------------------


def test_mark_read_first_open_only_by_own_unit(qxg_target, users):
    assert services.mark_read(qxg_target, by=users.city_admin) is False
    assert services.mark_read(qxg_target, by=users.qxg_liaison) is True
    first = CampaignTarget.objects.get(pk=qxg_target.pk).first_read_at
    assert services.mark_read(qxg_target, by=users.qxg_admin) is False
    assert CampaignTarget.objects.get(pk=qxg_target.pk).first_read_at == first
    assert actions(qxg_target) == ["campaigns.receipt.read"]


def test_sign_campaign_records_who_and_when_and_is_idempotent(qxg_target, users):
    assert services.sign_campaign(qxg_target, by=users.qxg_liaison) is True
    stored = CampaignTarget.objects.get(pk=qxg_target.pk)
    assert stored.signed_by == users.qxg_liaison
    assert stored.signed_at is not None
    assert stored.first_read_at == stored.signed_at
    assert services.sign_campaign(stored, by=users.qxg_admin) is False
    assert CampaignTarget.objects.get(pk=qxg_target.pk).signed_by == users.qxg_liaison
    assert actions(qxg_target) == ["campaigns.receipt.signed"]


def test_sign_campaign_other_unit_denied(qxg_target, users):
    for user in (users.dafang_liaison, users.city_admin, users.city_reviewer):
        with pytest.raises(PermissionDenied):
            services.sign_campaign(qxg_target, by=user)
    assert CampaignTarget.objects.get(pk=qxg_target.pk).signed_at is None


# --- attachments ----------------------------------------------------------------------------


def test_add_attachment_after_publish_rejected(published, users, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(CampaignError, match="不能再添加附件"):
        services.add_attachment(published, by=users.city_admin, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x"))
    assert Attachment.objects.count() == 0


# --- reissue --------------------------------------------------------------------------------


def test_reissue_campaign_county_to_its_townships(published, tree, users, media):
    new = services.reissue_campaign(
        published,
        by=users.qxg_admin,
        plan_deadline=timezone.now() + dt.timedelta(days=5),
        target_kinds=["township"],
    )
    assert (new.parent, new.issuer, new.status) == (published, tree.qxg, Campaign.Status.DRAFT)
    assert new.title == published.title
    assert list(ActivityLine.objects.filter(campaign=new).values_list("title", flat=True)) == LINES
    assert actions(new) == ["campaigns.campaign.reissued"]
    services.publish_campaign(new, by=users.qxg_admin)
    assert [t.org for t in CampaignTarget.objects.filter(campaign=new)] == [tree.qxg_town]


def test_reissue_campaign_by_non_target_rejected(tree, users):
    campaign = services.create_campaign(
        issuer=tree.city, by=users.city_admin, target_units=[tree.dafang], **campaign_kwargs()
    )
    services.publish_campaign(campaign, by=users.city_admin)
    with pytest.raises(CampaignError, match="不是该活动的发送对象"):
        services.reissue_campaign(campaign, by=users.qxg_admin, plan_deadline=timezone.now() + dt.timedelta(days=5))


def test_reissue_campaign_twice_rejected(published, users):
    deadline = timezone.now() + dt.timedelta(days=5)
    services.reissue_campaign(published, by=users.qxg_admin, plan_deadline=deadline)
    with pytest.raises(CampaignError, match="已转发过"):
        services.reissue_campaign(published, by=users.qxg_admin, plan_deadline=deadline)


def test_reissue_campaign_liaison_denied(published, users):
    with pytest.raises(PermissionDenied):
        services.reissue_campaign(published, by=users.qxg_liaison, plan_deadline=timezone.now() + dt.timedelta(days=5))


# --- plans ----------------------------------------------------------------------------------


def test_save_plan_creates_draft_with_events_and_audit(qxg_plan, qxg_target, users):
    assert qxg_plan.status == Plan.Status.DRAFT
    assert qxg_plan.target == qxg_target
    assert qxg_plan.contact_phone == "0857-8221234"
    assert list(qxg_plan.events.values_list("title", "expected_participants")) == [("维权周普法宣讲", 80)]
    assert actions(qxg_plan) == ["campaigns.plan.saved"]


def test_save_plan_bad_phone_rejected_in_chinese(qxg_target, users):
    with pytest.raises(CampaignError, match="联系电话格式不正确"):
        services.save_plan(qxg_target, by=users.qxg_liaison, contact_phone="8221234")
    assert not Plan.objects.exists()


def test_save_plan_line_of_other_campaign_rejected(qxg_target, tree, users):
    other = services.create_campaign(issuer=tree.city, by=users.city_admin, **campaign_kwargs())
    line = ActivityLine.objects.filter(campaign=other).first()
    with pytest.raises(CampaignError, match="不属于本通知"):
        services.save_plan(qxg_target, by=users.qxg_liaison, lines=[line])


def test_save_plan_other_unit_denied(qxg_target, users):
    with pytest.raises(PermissionDenied):
        services.save_plan(qxg_target, by=users.dafang_liaison, person_in_charge="x")
    with pytest.raises(PermissionDenied):
        services.save_plan(qxg_target, by=users.city_admin, person_in_charge="x")


def test_save_plan_while_submitted_rejected(qxg_submitted, qxg_target, users):
    with pytest.raises(CampaignError, match="已报送，不能修改"):
        services.save_plan(qxg_target, by=users.qxg_liaison, person_in_charge="李四", contact_phone="13800138000")


def test_submit_plan_without_events_rejected(qxg_target, users):
    plan = services.save_plan(
        qxg_target, by=users.qxg_liaison, person_in_charge="张丽", contact_phone="13800138000", summary="初稿"
    )
    with pytest.raises(CampaignError, match="^报送前请至少填写一项计划活动$"):
        services.submit_plan(plan, by=users.qxg_liaison)
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.DRAFT


def test_submit_plan_without_phone_rejected(qxg_target, users):
    plan = services.save_plan(qxg_target, by=users.qxg_liaison, person_in_charge="张丽", events=[event()])
    with pytest.raises(CampaignError, match="^报送前请填写联系电话$"):
        services.submit_plan(plan, by=users.qxg_liaison)


def test_submit_plan_snapshots_version_and_notifies_issuer_reviewers_only(qxg_submitted, tree, users):
    UserFactory(org=tree.qxg, is_reviewer=True)  # a reviewer of the county, not of the issuer
    assert qxg_submitted.status == Plan.Status.SUBMITTED
    assert qxg_submitted.version == 1
    version = PlanVersion.objects.get(plan=qxg_submitted)
    assert version.number == 1
    assert version.snapshot["contact_phone"] == "0857-8221234"
    assert [e["title"] for e in version.snapshot["events"]] == ["维权周普法宣讲"]
    recipients = set(
        Notification.objects.filter(kind=Notification.Kind.PLAN_SUBMITTED).values_list("recipient__username", flat=True)
    )
    assert recipients == {"city_admin", "city_reviewer"}
    assert actions(qxg_submitted) == ["campaigns.plan.saved", "campaigns.plan.submitted"]


def test_plan_state_machine_keeps_every_version(qxg_submitted, qxg_target, users):
    plan = qxg_submitted
    services.return_plan(plan, by=users.city_reviewer, reason="请补充进学校的宣讲安排")
    plan.refresh_from_db()
    assert plan.status == Plan.Status.RETURNED
    assert plan.return_reason == "请补充进学校的宣讲安排"
    services.save_plan(
        qxg_target,
        by=users.qxg_liaison,
        person_in_charge="张丽",
        contact_phone="13800138000",
        events=[event(), event(title="进校园宣讲", venue_type="school")],
    )
    plan.refresh_from_db()
    assert plan.status == Plan.Status.RETURNED
    services.submit_plan(plan, by=users.qxg_liaison)
    plan.refresh_from_db()
    assert (plan.status, plan.version) == (Plan.Status.SUBMITTED, 2)
    services.approve_plan(plan, by=users.city_reviewer)
    plan.refresh_from_db()
    assert plan.status == Plan.Status.APPROVED
    assert plan.reviewed_by == users.city_reviewer
    versions = list(PlanVersion.objects.filter(plan=plan).order_by("number"))
    assert [(v.number, v.outcome, v.reason) for v in versions] == [
        (1, Plan.Status.RETURNED, "请补充进学校的宣讲安排"),
        (2, Plan.Status.APPROVED, ""),
    ]
    assert len(versions[0].snapshot["events"]) == 1
    assert len(versions[1].snapshot["events"]) == 2
    assert actions(plan) == [
        "campaigns.plan.saved",
        "campaigns.plan.submitted",
        "campaigns.plan.returned",
        "campaigns.plan.saved",
        "campaigns.plan.submitted",
        "campaigns.plan.approved",
    ]
    returned = AuditEntry.objects.get(object_id=plan.pk, action="campaigns.plan.returned")
    assert (returned.from_state, returned.to_state, returned.reason) == ("已报送", "退回修改", "请补充进学校的宣讲安排")


def test_return_plan_without_reason_rejected(qxg_submitted, users):
    with pytest.raises(CampaignError, match="请填写退回原因"):
        services.return_plan(qxg_submitted, by=users.city_reviewer, reason="  ")
    assert Plan.objects.get(pk=qxg_submitted.pk).status == Plan.Status.SUBMITTED


def test_return_plan_notifies_unit_liaisons_only(qxg_submitted, users):
    services.return_plan(qxg_submitted, by=users.city_reviewer, reason="补充")
    recipients = list(
        Notification.objects.filter(kind=Notification.Kind.PLAN_RETURNED).values_list("recipient__username", flat=True)
    )
    assert recipients == ["qxg_liaison"]


def test_approve_plan_by_county_or_liaison_denied(qxg_submitted, users):
    for user in (users.qxg_admin, users.qxg_liaison, users.dafang_admin):
        with pytest.raises(PermissionDenied):
            services.approve_plan(qxg_submitted, by=user)
    assert Plan.objects.get(pk=qxg_submitted.pk).status == Plan.Status.SUBMITTED


def test_approve_plan_draft_rejected(qxg_plan, users):
    with pytest.raises(CampaignError, match="不是待审核状态"):
        services.approve_plan(qxg_plan, by=users.city_reviewer)


def test_approve_plan_notifies_liaisons(qxg_submitted, users):
    services.approve_plan(qxg_submitted, by=users.city_admin)
    recipients = list(
        Notification.objects.filter(kind=Notification.Kind.PLAN_APPROVED).values_list("recipient__username", flat=True)
    )
    assert recipients == ["qxg_liaison"]


def test_approve_plans_bulk_approves_all(qxg_submitted, dafang_target, users):
    dafang_plan = services.save_plan(
        dafang_target, by=users.dafang_liaison, person_in_charge="王芳", contact_phone="13900139000", events=[event()]
    )
    services.submit_plan(dafang_plan, by=users.dafang_liaison)
    assert services.approve_plans([qxg_submitted, dafang_plan], by=users.city_reviewer) == 2
    assert set(Plan.objects.values_list("status", flat=True)) == {Plan.Status.APPROVED}
    assert AuditEntry.objects.filter(action="campaigns.plan.approved").count() == 2


def test_approve_plans_bulk_with_one_draft_changes_nothing(qxg_submitted, dafang_target, users):
    dafang_plan = services.save_plan(dafang_target, by=users.dafang_liaison, person_in_charge="王芳", summary="初稿")
    with pytest.raises(CampaignError, match="大方县妇联的方案草稿"):
        services.approve_plans([qxg_submitted, dafang_plan], by=users.city_reviewer)
    assert Plan.objects.get(pk=qxg_submitted.pk).status == Plan.Status.SUBMITTED


def test_save_plan_signs_an_unsigned_receipt(tree, users):
    from jinguo.campaigns.models import CampaignTarget
    from jinguo.campaigns.services import save_plan
    from tests.factories import make_campaign

    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg])
    target = CampaignTarget.objects.get(campaign=campaign, org=tree.qxg)
    save_plan(target, by=users.qxg_liaison, person_in_charge="刘洋", summary="初稿")
    target.refresh_from_db()
    assert target.signed_by == users.qxg_liaison
    assert target.signed_at is not None
