import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jinguo.audit.models import AuditEntry
from jinguo.campaigns import services
from jinguo.campaigns.models import Attachment, Campaign, CampaignTarget, Plan, PlannedEvent
from tests.campaigns.conftest import event
from tests.factories import make_campaign, make_org, make_plan

PDF = b"%PDF-1.7\n1 0 obj\n"


@pytest.fixture
def qxg_reissue(published, tree, users, media):
    """七星关区's own campaign (reissued to its township) with an attachment and a receipt."""
    campaign = services.reissue_campaign(
        published, by=users.qxg_admin, plan_deadline=timezone.now() + dt.timedelta(days=3), target_units=[tree.qxg_town]
    )
    services.add_attachment(campaign, by=users.qxg_admin, upload=SimpleUploadedFile("七星关实施方案.pdf", PDF))
    services.publish_campaign(campaign, by=users.qxg_admin)
    return campaign


def _form_data(**overrides) -> dict:
    data = {
        "title": "关于开展2023年“三八”国际妇女节系列活动的通知",
        "theme": "巾帼心向党 奋进新征程",
        "doc_number": "毕妇发〔2023〕2号",
        "starts_on": "2023-02-20",
        "ends_on": "2023-03-31",
        "plan_deadline": (timezone.localtime() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "summary_deadline": (timezone.localtime() + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "body": "各县（市、区）妇联：",
        "line_title": ["三项技能竞赛", "妇女代表座谈", ""],
        "line_description": ["征文、演讲、知识竞赛", "", ""],
    }
    data.update(overrides)
    return data


def _plan_post(**overrides) -> dict:
    data = {
        "person_in_charge": "张丽",
        "contact_phone": "0857-8221234",
        "summary": "方案说明",
        "events-TOTAL_FORMS": "2",
        "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
        "events-0-title": "维权周宣讲",
        "events-0-date": "2023-03-05",
        "events-0-place": "市西街道新民社区",
        "events-0-venue_type": "community",
        "events-0-expected_participants": "80",
        "events-1-venue_type": "",
        "events-1-expected_participants": "0",
    }
    data.update(overrides)
    return data


# --- scope: 大方县 must not reach 七星关区's objects ------------------------------------------------


def test_dafang_gets_404_on_qxg_target_plan_and_attachment(qxg_reissue, qxg_submitted, tree, users, client_for):
    qxg_target = qxg_submitted.target
    town_target = CampaignTarget.objects.get(campaign=qxg_reissue)
    attachment = Attachment.objects.get(campaign=qxg_reissue)
    assert attachment.file.read() == PDF  # the data that could leak is really there
    for user in (users.dafang_liaison, users.dafang_admin):
        client = client_for(user)
        assert client.get(f"/campaigns/targets/{qxg_target.pk}/").status_code == 404
        assert client.get(f"/campaigns/targets/{town_target.pk}/").status_code == 404
        assert client.get(f"/campaigns/targets/{qxg_target.pk}/plan/").status_code == 404
        assert client.post(f"/campaigns/targets/{qxg_target.pk}/sign/").status_code == 404
        assert client.get(f"/campaigns/plans/{qxg_submitted.pk}/").status_code == 404
        assert client.post(f"/campaigns/plans/{qxg_submitted.pk}/approve/").status_code == 404
        assert client.get(f"/campaigns/plans/{qxg_submitted.pk}/return/").status_code == 404
        assert client.get(f"/campaigns/attachments/{attachment.pk}/").status_code == 404
        assert client.get(f"/campaigns/{qxg_reissue.pk}/").status_code == 404
        assert client.get(f"/campaigns/{qxg_reissue.pk}/edit/").status_code == 404
        assert client.get(f"/campaigns/{qxg_reissue.pk}/notice/").status_code == 404
        assert client.post("/campaigns/review/approve/", {"plan": [qxg_submitted.pk]}).status_code == 404
    assert Plan.objects.get(pk=qxg_submitted.pk).status == Plan.Status.SUBMITTED


def test_city_campaign_visible_to_qxg_but_not_dafang_receipt(published, qxg_target, dafang_target, users, client_for):
    services.sign_campaign(dafang_target, by=users.dafang_liaison)
    client = client_for(users.qxg_liaison)
    response = client.get(f"/campaigns/{published.pk}/notice/")
    assert response.status_code == 302
    assert response.url == f"/campaigns/targets/{qxg_target.pk}/"
    page = client.get(response.url).content.decode()
    assert published.title in page
    assert "大方" not in page
    assert client.get(f"/campaigns/targets/{dafang_target.pk}/").status_code == 404
    # The issuer's page (with every unit's receipt) sends a target unit to its own receipt.
    assert client.get(f"/campaigns/{published.pk}/").url == f"/campaigns/{published.pk}/notice/"


def test_attachment_download_scoped_for_issuer_and_target(qxg_reissue, tree, users, client_for):
    from tests.factories import UserFactory

    town_user = UserFactory(org=tree.qxg_town, is_liaison=True)
    attachment = Attachment.objects.get(campaign=qxg_reissue)
    for user in (users.qxg_admin, users.city_admin, town_user):
        response = client_for(user).get(f"/campaigns/attachments/{attachment.pk}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert "attachment;" in response["Content-Disposition"]


# --- permissions: visible but not allowed → 403 ------------------------------------------------


def test_liaison_gets_403_on_create_edit_publish_and_review(qxg_submitted, tree, users, client_for):
    draft = services.create_campaign(
        issuer=tree.city,
        by=users.city_admin,
        title="另一个草稿",
        starts_on=dt.date(2023, 3, 1),
        ends_on=dt.date(2023, 3, 8),
        plan_deadline=timezone.now() + dt.timedelta(days=2),
        summary_deadline=timezone.now() + dt.timedelta(days=9),
        lines=["座谈"],
        target_units=[tree.qxg],
    )
    client = client_for(users.qxg_liaison)
    assert client.get("/campaigns/new/").status_code == 403
    assert client.get("/campaigns/review/").status_code == 403
    assert client.post(f"/campaigns/plans/{qxg_submitted.pk}/approve/").status_code == 403
    assert client.post(f"/campaigns/plans/{qxg_submitted.pk}/return/", {"reason": "x"}).status_code == 403
    city_liaison = client_for(_city_liaison(users))
    assert city_liaison.get(f"/campaigns/{draft.pk}/edit/").status_code == 403
    assert city_liaison.post(f"/campaigns/{draft.pk}/publish/").status_code == 403
    assert city_liaison.post("/campaigns/review/approve/", {"plan": [qxg_submitted.pk]}).status_code == 403
    assert Campaign.objects.get(pk=draft.pk).status == Campaign.Status.DRAFT
    assert Plan.objects.get(pk=qxg_submitted.pk).status == Plan.Status.SUBMITTED


def _city_liaison(users):
    from tests.factories import UserFactory

    return UserFactory(username="city_liaison", org=users.city_admin.org, is_liaison=True)


def test_city_admin_cannot_sign_or_write_plan_for_county(qxg_target, users, client_for):
    client = client_for(users.city_admin)
    assert client.get(f"/campaigns/targets/{qxg_target.pk}/").status_code == 200
    assert client.post(f"/campaigns/targets/{qxg_target.pk}/sign/").status_code == 403
    assert client.get(f"/campaigns/targets/{qxg_target.pk}/plan/").status_code == 403
    assert CampaignTarget.objects.get(pk=qxg_target.pk).first_read_at is None


# --- flows ------------------------------------------------------------------------------------


def test_create_campaign_view_saves_draft_and_publish_sends(tree, users, client_for, media):
    client = client_for(users.city_admin)
    assert client.get("/campaigns/new/").status_code == 200
    data = _form_data(target_kinds=["county"], target_units=[tree.office.pk])
    data["attachments"] = SimpleUploadedFile("方案.pdf", PDF)
    response = client.post("/campaigns/new/", data)
    campaign = Campaign.objects.get()
    assert response.url == f"/campaigns/{campaign.pk}/"
    assert [line.title for line in campaign.lines.all()] == ["三项技能竞赛", "妇女代表座谈"]
    assert Attachment.objects.get(campaign=campaign).original_name == "方案.pdf"
    detail = client.get(response.url).content.decode()
    assert "共 3 个单位" in detail
    client.post(f"/campaigns/{campaign.pk}/publish/")
    assert [t.org for t in CampaignTarget.objects.filter(campaign=campaign)] == [tree.qxg, tree.dafang, tree.office]
    detail = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "0/3" in detail
    assert f"/dashboard/campaigns/{campaign.pk}/matrix/" in detail


def test_create_campaign_view_errors_keep_input(tree, users, client_for, media):
    client = client_for(users.city_admin)
    data = _form_data(ends_on="2023-01-01", title="保留我的标题")
    data["attachments"] = SimpleUploadedFile("病毒.exe", b"MZ")
    response = client.post("/campaigns/new/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in page
    assert "文件类型不允许上传" in page
    assert 'value="保留我的标题"' in page
    assert 'value="三项技能竞赛"' in page
    assert Campaign.objects.count() == 0


def test_publish_view_shows_chinese_error_without_targets(tree, users, client_for):
    campaign = services.create_campaign(
        issuer=tree.city,
        by=users.city_admin,
        title="无对象",
        starts_on=dt.date(2023, 3, 1),
        ends_on=dt.date(2023, 3, 8),
        plan_deadline=timezone.now() + dt.timedelta(days=2),
        summary_deadline=timezone.now() + dt.timedelta(days=9),
        lines=["座谈"],
    )
    response = client_for(users.city_admin).post(f"/campaigns/{campaign.pk}/publish/", follow=True)
    assert "请至少选择一个发送对象" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT


def test_target_page_marks_read_and_sign_button_signs(qxg_target, users, client_for):
    client = client_for(users.qxg_liaison)
    page = client.get(f"/campaigns/targets/{qxg_target.pk}/").content.decode()
    assert "签收</button>" in page
    assert CampaignTarget.objects.get(pk=qxg_target.pk).first_read_at is not None
    client.post(f"/campaigns/targets/{qxg_target.pk}/sign/")
    target = CampaignTarget.objects.get(pk=qxg_target.pk)
    assert target.signed_by == users.qxg_liaison
    assert "签收</button>" not in client.get(f"/campaigns/targets/{qxg_target.pk}/").content.decode()


def test_plan_form_bad_phone_keeps_input(qxg_target, users, client_for):
    client = client_for(users.qxg_liaison)
    assert client.get(f"/campaigns/targets/{qxg_target.pk}/plan/").status_code == 200
    response = client.post(f"/campaigns/targets/{qxg_target.pk}/plan/", _plan_post(contact_phone="12345"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "联系电话格式不正确" in page
    assert 'value="12345"' in page
    assert 'value="市西街道新民社区"' in page
    assert not Plan.objects.exists()


def test_plan_form_save_and_submit(qxg_target, users, client_for):
    client = client_for(users.qxg_liaison)
    response = client.post(f"/campaigns/targets/{qxg_target.pk}/plan/", _plan_post(submit="1"))
    plan = Plan.objects.get()
    assert response.url == f"/campaigns/plans/{plan.pk}/"
    assert (plan.status, plan.version) == (Plan.Status.SUBMITTED, 1)
    assert list(PlannedEvent.objects.filter(plan=plan).values_list("place", flat=True)) == ["市西街道新民社区"]
    page = client.get(response.url).content.decode()
    assert "第 1 版" in page
    assert "报送方案" in page  # audit history


def test_return_view_requires_reason_and_returns(qxg_submitted, users, client_for):
    client = client_for(users.city_reviewer)
    response = client.post(f"/campaigns/plans/{qxg_submitted.pk}/return/", {"reason": ""})
    assert "请填写退回原因" in response.content.decode()
    assert Plan.objects.get(pk=qxg_submitted.pk).status == Plan.Status.SUBMITTED
    client.post(f"/campaigns/plans/{qxg_submitted.pk}/return/", {"reason": "请补充地点"})
    assert Plan.objects.get(pk=qxg_submitted.pk).return_reason == "请补充地点"
    liaison_page = client_for(users.qxg_liaison).get(f"/campaigns/plans/{qxg_submitted.pk}/").content.decode()
    assert "退回原因：请补充地点" in liaison_page


def test_bulk_approve_view(qxg_submitted, dafang_target, users, client_for):
    plan = services.save_plan(
        dafang_target, by=users.dafang_liaison, person_in_charge="王芳", contact_phone="13900139000", events=[event()]
    )
    services.submit_plan(plan, by=users.dafang_liaison)
    client = client_for(users.city_reviewer)
    page = client.get("/campaigns/review/").content.decode()
    assert "七星关区妇联" in page and "大方县妇联" in page
    response = client.post(
        "/campaigns/review/approve/", {"plan": [qxg_submitted.pk, plan.pk], "back": "status=submitted"}
    )
    assert response.url == "/campaigns/review/?status=submitted"
    assert set(Plan.objects.values_list("status", flat=True)) == {Plan.Status.APPROVED}
    assert "没有待审核的方案" in client.get("/campaigns/review/").content.decode()


def test_reissue_view_creates_draft_for_county(published, qxg_target, tree, users, client_for):
    client = client_for(users.qxg_admin)
    assert "转发给下级" in client.get(f"/campaigns/targets/{qxg_target.pk}/").content.decode()
    deadline = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/campaigns/{published.pk}/reissue/",
        {"title": published.title, "plan_deadline": deadline, "target_units": [tree.qxg_town.pk]},
    )
    new = Campaign.objects.get(parent=published)
    assert response.url == f"/campaigns/{new.pk}/"
    assert new.issuer == tree.qxg
    assert client_for(users.dafang_admin).get(f"/campaigns/{published.pk}/reissue/").status_code == 200  # a target too
    assert client_for(users.dafang_liaison).get(f"/campaigns/{published.pk}/reissue/").status_code == 403
    assert client_for(users.city_admin).get(f"/campaigns/{published.pk}/reissue/").status_code == 404


def test_home_empty_and_with_work(published, qxg_target, users, client_for):
    empty = client_for(users.dafang_admin)
    services.sign_campaign(
        CampaignTarget.objects.get(campaign=published, org=users.dafang_admin.org), by=users.dafang_admin
    )
    page = client_for(users.city_reviewer).get("/").content.decode()
    assert "没有待审核的方案" in page
    assert "没有待签收的通知" in page
    page = client_for(users.qxg_liaison).get("/").content.decode()
    assert published.title in page
    assert 'data-testid="unsigned-count">1<' in page
    assert "没有待签收的通知" in empty.get("/").content.decode()


def test_audit_entries_of_dafang_receipt_hidden_from_qxg(dafang_target, qxg_target, users, client_for):
    services.sign_campaign(dafang_target, by=users.dafang_liaison)
    assert AuditEntry.objects.filter(action="campaigns.receipt.signed").count() == 1
    page = client_for(users.qxg_liaison).get(f"/campaigns/targets/{qxg_target.pk}/").content.decode()
    assert "大方联络员" not in page


# --- query counts -----------------------------------------------------------------------------


def _many_issued(tree, users, n):
    for i in range(n):
        make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang], title=f"活动{i}")


@pytest.mark.parametrize("n", [1, 15])
def test_issued_list_query_count(tree, users, client_for, django_assert_max_num_queries, n):
    _many_issued(tree, users, n)
    client = client_for(users.city_admin)
    with django_assert_max_num_queries(9):
        response = client.get("/campaigns/issued/")
    assert response.content.decode().count("/campaigns/") >= n


@pytest.mark.parametrize("n", [1, 15])
def test_inbox_query_count(tree, users, client_for, django_assert_max_num_queries, n):
    for i in range(n):
        campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title=f"通知{i}")
        if i % 2:
            make_plan(CampaignTarget.objects.get(campaign=campaign), status=Plan.Status.RETURNED)
    client = client_for(users.qxg_liaison)
    with django_assert_max_num_queries(9):
        response = client.get("/campaigns/inbox/")
    assert response.content.decode().count("/campaigns/targets/") == n


@pytest.mark.parametrize("n", [1, 15])
def test_review_queue_query_count(tree, users, client_for, django_assert_max_num_queries, n):
    towns = [make_org(f"测试镇{i}", parent=tree.qxg) for i in range(n)]
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=towns)
    for target in CampaignTarget.objects.filter(campaign=campaign):
        make_plan(target)
    client = client_for(users.city_reviewer)
    with django_assert_max_num_queries(10):
        response = client.get("/campaigns/review/")
    assert response.content.decode().count('name="plan"') == n
