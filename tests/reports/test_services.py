import pytest
from django.core.exceptions import PermissionDenied
from PIL import Image

from jinguo.audit.models import AuditEntry
from jinguo.notifications.models import Notification
from jinguo.reports import services
from jinguo.reports.models import Report, ReportAdoption, ReportPhoto, ReportRevision
from jinguo.reports.services import ReportError
from tests.factories import UserFactory, make_campaign
from tests.reports.conftest import JPEG, PNG, adopted, draft, jpeg, make_activity, png, submitted


def _actions(report) -> list[str]:
    entries = AuditEntry.objects.filter(action__startswith="reports.", object_id=report.pk)
    return list(entries.order_by("id").values_list("action", flat=True))


def _notified(kind) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


# --- drafts ---------------------------------------------------------------------------------------


def test_save_report_without_campaign_goes_to_parent_unit(tree, users):
    report = draft(users.qxg_liaison)
    assert (report.org, report.to_org, report.status) == (tree.qxg, tree.city, Report.Status.DRAFT)
    assert report.created_by == users.qxg_liaison
    assert _actions(report) == ["reports.report.saved"]


def test_save_report_with_campaign_goes_to_its_issuer(tree, users, town_users):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg_town])
    report = draft(town_users["qxg_town"], campaign=campaign)
    assert report.to_org == tree.city
    report = services.save_report(
        report, by=town_users["qxg_town"], kind=Report.Kind.NEWS, title="改为报区妇联", body="正文", campaign=None
    )
    report.refresh_from_db()
    assert (report.to_org, report.title, report.campaign) == (tree.qxg, "改为报区妇联", None)


def test_save_report_refuses_a_campaign_the_unit_did_not_receive(tree, users):
    only_dafang = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.dafang])
    with pytest.raises(ReportError, match="只能选择本单位收到的活动通知"):
        draft(users.qxg_liaison, campaign=only_dafang)
    assert Report.objects.count() == 0


def test_save_report_refuses_a_draft_campaign(tree, users):
    unpublished = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], published=False)
    with pytest.raises(ReportError, match="只能选择本单位收到的活动通知"):
        draft(users.qxg_liaison, campaign=unpublished)


def test_save_report_requires_title_and_body(users):
    with pytest.raises(ReportError, match="请填写标题"):
        draft(users.qxg_liaison, title="  ")
    with pytest.raises(ReportError, match="请填写正文"):
        draft(users.qxg_liaison, body="")


def test_save_report_links_only_the_units_own_activities(tree, users):
    own = make_activity(tree.qxg, users.qxg_liaison)
    other = make_activity(tree.dafang, users.dafang_liaison, title="大方县的活动")
    report = draft(users.qxg_liaison, activities=[own])
    assert list(report.activities.all()) == [own]
    with pytest.raises(ReportError, match="只能关联本单位的活动台账"):
        services.save_report(report, by=users.qxg_liaison, kind="news", title="t", body="b", activities=[other])
    assert list(report.activities.all()) == [own]


def test_save_report_needs_write_permission_in_own_unit(tree, users):
    reviewer_only = users.city_reviewer
    with pytest.raises(PermissionDenied):
        draft(reviewer_only)
    report = draft(users.qxg_liaison)
    # The city admin may write for the city, not edit 七星关区's draft.
    with pytest.raises(PermissionDenied):
        services.save_report(report, by=users.city_admin, kind="news", title="t", body="b")


def test_save_report_at_the_root_unit_is_refused(users):
    with pytest.raises(ReportError, match="本单位没有上级单位"):
        draft(users.city_admin)


# --- state machine ---------------------------------------------------------------------------------


def test_submit_report_moves_draft_to_submitted_and_notifies_reviewers_of_to_org(users):
    report = draft(users.qxg_liaison)
    services.submit_report(report, by=users.qxg_liaison)
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED
    assert report.submitted_by == users.qxg_liaison
    assert report.submitted_at is not None
    assert _notified(Notification.Kind.REPORT_SUBMITTED) == ["city_admin", "city_reviewer"]
    assert _actions(report) == ["reports.report.saved", "reports.report.submitted"]


def test_submit_report_twice_is_refused(users):
    report = submitted(users.qxg_liaison)
    with pytest.raises(ReportError, match="信息已报送，不能再次报送"):
        services.submit_report(report, by=users.qxg_liaison)


def test_submitted_report_cannot_be_saved_again(users):
    report = submitted(users.qxg_liaison)
    with pytest.raises(ReportError, match="信息已报送，不能再修改"):
        services.save_report(report, by=users.qxg_liaison, kind="news", title="t", body="b")


def test_submit_report_by_a_sibling_unit_is_forbidden(users):
    report = draft(users.qxg_liaison)
    with pytest.raises(PermissionDenied):
        services.submit_report(report, by=users.dafang_liaison)


def test_adopt_report_records_each_channel_and_notifies_the_unit(users):
    report = submitted(users.qxg_liaison)
    added = services.adopt_report(report, by=users.city_reviewer, channels=["website", "wechat", "website"])
    report.refresh_from_db()
    assert [a.channel for a in added] == ["website", "wechat"]
    assert report.status == Report.Status.ADOPTED
    assert report.reviewed_by == users.city_reviewer
    assert sorted(ReportAdoption.objects.filter(report=report).values_list("channel", flat=True)) == [
        "website",
        "wechat",
    ]
    # The unit's writers (liaison, admin) hear it; the sibling county and the reviewers do not.
    assert _notified(Notification.Kind.REPORT_ADOPTED) == ["qxg_admin", "qxg_liaison"]
    note = Notification.objects.get(recipient=users.qxg_liaison, kind=Notification.Kind.REPORT_ADOPTED)
    assert note.body == "采用渠道：网站、微信公众号"
    assert note.url == f"/reports/{report.pk}/"


def test_adopt_report_needs_at_least_one_channel(users):
    report = submitted(users.qxg_liaison)
    with pytest.raises(ReportError, match="请至少选择一个采用渠道"):
        services.adopt_report(report, by=users.city_reviewer, channels=[])
    with pytest.raises(ReportError, match="采用渠道“tv”无效"):
        services.adopt_report(report, by=users.city_reviewer, channels=["tv"])
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED
    assert ReportAdoption.objects.count() == 0


def test_adopt_report_again_adds_only_new_channels(users):
    report = adopted(users.qxg_liaison, users.city_reviewer, channels=["website"])
    with pytest.raises(ReportError, match="所选渠道都已采用过"):
        services.adopt_report(report, by=users.city_reviewer, channels=["website"])
    added = services.adopt_report(report, by=users.city_admin, channels=["website", "briefing"])
    assert [a.channel for a in added] == ["briefing"]
    assert ReportAdoption.objects.filter(report=report).count() == 2


def test_adopt_draft_is_refused(users):
    report = draft(users.qxg_liaison)
    with pytest.raises(ReportError, match="信息草稿，不能采用"):
        services.adopt_report(report, by=users.city_reviewer, channels=["website"])


def test_liaison_cannot_adopt(users):
    report = submitted(users.qxg_liaison)
    for user in (users.qxg_liaison, users.qxg_admin):
        # qxg_admin may review, but only what is sent to 七星关区 or below; this goes to the city.
        with pytest.raises(PermissionDenied):
            services.adopt_report(report, by=user, channels=["website"])
    with pytest.raises(PermissionDenied):
        services.adopt_report(report, by=users.dafang_admin, channels=["website"])


def test_reject_report_requires_a_reason(users):
    report = submitted(users.qxg_liaison)
    with pytest.raises(ReportError, match="请填写未采用的原因"):
        services.reject_report(report, by=users.city_reviewer, reason="   ")
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED
    assert Notification.objects.filter(kind=Notification.Kind.REPORT_REJECTED).count() == 0


def test_reject_report_keeps_the_reason_and_notifies_the_unit(users):
    report = submitted(users.qxg_liaison)
    services.reject_report(report, by=users.city_reviewer, reason="  时效性不足  ")
    report.refresh_from_db()
    assert (report.status, report.reject_reason, report.reviewed_by) == (
        Report.Status.REJECTED,
        "时效性不足",
        users.city_reviewer,
    )
    assert _notified(Notification.Kind.REPORT_REJECTED) == ["qxg_admin", "qxg_liaison"]
    entry = AuditEntry.objects.get(action="reports.report.rejected")
    assert (entry.from_state, entry.to_state, entry.reason) == ("已报送", "未采用", "时效性不足")


def test_notifications_reach_a_submitter_who_is_not_a_liaison(tree, users):
    # A township liaison submits; then the liaison role is taken away: the submitter still hears it.
    submitter = UserFactory(username="town_writer", org=tree.qxg_town, is_liaison=True)
    reviewer = UserFactory(username="qxg_reviewer", org=tree.qxg, is_reviewer=True)
    report = submitted(submitter)
    assert _notified(Notification.Kind.REPORT_SUBMITTED) == ["qxg_admin", "qxg_reviewer"]
    submitter.is_liaison = False
    submitter.save()
    services.reject_report(report, by=reviewer, reason="请补充数据")
    assert _notified(Notification.Kind.REPORT_REJECTED) == ["town_writer"]


def test_rejected_report_cannot_be_adopted_and_adopted_cannot_be_rejected(users):
    rejected_one = submitted(users.qxg_liaison)
    services.reject_report(rejected_one, by=users.city_reviewer, reason="重复报送")
    with pytest.raises(ReportError, match="信息未采用，不能采用"):
        services.adopt_report(rejected_one, by=users.city_reviewer, channels=["website"])
    adopted_one = adopted(users.qxg_liaison, users.city_reviewer)
    with pytest.raises(ReportError, match="信息已采用，不是待审核状态"):
        services.reject_report(adopted_one, by=users.city_reviewer, reason="改主意")


# --- revisions --------------------------------------------------------------------------------------


def test_edit_report_as_reviewer_keeps_before_and_after(users):
    report = submitted(users.qxg_liaison, title="原标题", body="原正文")
    revision = services.edit_report_as_reviewer(
        report, by=users.city_reviewer, title="新标题", body="新正文", note="精简标题"
    )
    report.refresh_from_db()
    assert (report.title, report.body, report.status) == ("新标题", "新正文", Report.Status.SUBMITTED)
    assert (revision.title_before, revision.body_before, revision.title_after, revision.body_after) == (
        "原标题",
        "原正文",
        "新标题",
        "新正文",
    )
    assert (revision.note, revision.edited_by) == ("精简标题", users.city_reviewer)
    services.edit_report_as_reviewer(report, by=users.city_reviewer, title="新标题", body="第三稿")
    assert list(ReportRevision.objects.filter(report=report).values_list("body_after", flat=True)) == [
        "第三稿",
        "新正文",
    ]
    assert _actions(report)[-2:] == ["reports.report.revised", "reports.report.revised"]


def test_edit_report_as_reviewer_without_change_is_refused(users):
    report = submitted(users.qxg_liaison, title="原标题", body="原正文")
    with pytest.raises(ReportError, match="标题和正文都没有变化"):
        services.edit_report_as_reviewer(report, by=users.city_reviewer, title=" 原标题 ", body="原正文")
    assert ReportRevision.objects.count() == 0


def test_edit_report_as_reviewer_needs_review_permission_at_to_org(users):
    report = submitted(users.qxg_liaison)
    with pytest.raises(PermissionDenied):
        services.edit_report_as_reviewer(report, by=users.qxg_admin, title="x", body="y")
    drafted = draft(users.qxg_liaison)
    with pytest.raises(ReportError, match="信息草稿，不能修改"):
        services.edit_report_as_reviewer(drafted, by=users.city_reviewer, title="x", body="y")


# --- photos -----------------------------------------------------------------------------------------


def test_add_report_photo_accepts_jpeg_and_png(users, media):
    report = draft(users.qxg_liaison)
    first = services.add_report_photo(report, by=users.qxg_liaison, upload=jpeg())
    second = services.add_report_photo(report, by=users.qxg_liaison, upload=png())
    assert [(p.original_name, p.content_type) for p in ReportPhoto.objects.order_by("id")] == [
        ("合影.jpg", "image/jpeg"),
        ("现场.png", "image/png"),
    ]
    with Image.open(first.file.path) as stored:  # re-encoded from its pixels, so not the same bytes
        assert (stored.format, stored.size) == ("JPEG", (40, 30))
    assert second.file.name.endswith(".png") and "现场" not in second.file.name


def test_check_photo_refuses_other_types_renamed_files_and_big_ones(settings):
    with pytest.raises(ReportError, match="不是照片文件"):
        services.check_photo(png(name="方案.pdf"))
    with pytest.raises(ReportError, match="不是照片文件"):
        services.check_photo(png(name="伪装.png", data=b"%PDF-1.7 not an image"))
    with pytest.raises(ReportError, match="内容与扩展名不符"):
        services.check_photo(jpeg(name="伪装.jpg", data=PNG))
    big = jpeg(data=JPEG + b"\x00" * (10 * 1024 * 1024))
    with pytest.raises(ReportError, match="超过大小上限（最大 10 MB）"):
        services.check_photo(big)
    assert services.check_photo(jpeg(data=JPEG + b"\x00" * (10 * 1024 * 1024 - len(JPEG)))) == "image/jpeg"


def test_add_report_photo_only_while_draft_and_at_most_nine(users, media):
    report = draft(users.qxg_liaison)
    for i in range(9):
        services.add_report_photo(report, by=users.qxg_liaison, upload=png(name=f"{i}.png"))
    with pytest.raises(ReportError, match="每条信息最多 9 张图片"):
        services.add_report_photo(report, by=users.qxg_liaison, upload=png())
    services.submit_report(report, by=users.qxg_liaison)
    with pytest.raises(ReportError, match="信息已报送，不能再添加图片"):
        services.add_report_photo(report, by=users.qxg_liaison, upload=png())


def test_remove_report_photo_deletes_the_file(users, media):
    report = draft(users.qxg_liaison)
    photo = services.add_report_photo(report, by=users.qxg_liaison, upload=png())
    path = media / photo.file.name
    assert path.exists()
    with pytest.raises(PermissionDenied):
        services.remove_report_photo(photo, by=users.dafang_liaison)
    services.remove_report_photo(photo, by=users.qxg_liaison)
    assert ReportPhoto.objects.count() == 0
    assert not path.exists()
    assert _actions(report)[-2:] == ["reports.photo.added", "reports.photo.removed"]


def test_add_report_photo_strips_gps_exif(tree, users, media):
    from PIL import Image

    from tests.activities.conftest import image_upload

    report = draft(users.qxg_liaison)
    photo = services.add_report_photo(report, by=users.qxg_liaison, upload=image_upload("JPEG", name="现场.jpg"))
    with Image.open(photo.file.path) as stored:
        exif = stored.getexif()
        assert (dict(exif), exif.get_ifd(0x8825)) == ({}, {})
    assert (photo.content_type, photo.original_name) == ("image/jpeg", "现场.jpg")
