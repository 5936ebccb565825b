import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from jinguo.activities import services
from jinguo.activities.models import Activity, ActivityPhoto, Attendee, Need, NeedNote
from jinguo.activities.services import ActivityError
from jinguo.audit.models import AuditEntry
from jinguo.campaigns.models import CampaignTarget, Plan, PlannedEvent, VenueType
from tests.activities.conftest import image_upload, make_activity, make_need
from tests.factories import make_campaign, make_plan

FIELDS = {
    "title": "妇女权益保障法宣讲",
    "date": dt.date(2023, 3, 6),
    "place": "市西街道社区",
    "venue_type": VenueType.COMMUNITY,
    "format": Activity.Format.LECTURE,
    "speaker_type": Activity.SpeakerType.VOLUNTEER,
    "laws": ["law_women_rights", "law_domestic_violence"],
    "participants_total": 60,
    "participants_women": 45,
    "participants_minors": 5,
}


def test_record_activity_saves_fields_and_audit(tree, users, campaign):
    a = services.record_activity(org=tree.qxg_town, by=users.qxg_liaison, campaign=campaign, **FIELDS)
    a.refresh_from_db()
    assert (a.org, a.campaign, a.title, a.participants_total, a.participants_women) == (
        tree.qxg_town,
        campaign,
        "妇女权益保障法宣讲",
        60,
        45,
    )
    assert (a.law_women_rights, a.law_domestic_violence, a.law_civil_code, a.law_minors) == (True, True, False, False)
    assert a.laws == ["妇女权益保障法", "反家庭暴力法"]
    entry = AuditEntry.objects.get(object_id=a.pk, action="activities.activity.recorded")
    assert (entry.org, entry.actor) == (tree.qxg_town, users.qxg_liaison)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"participants_women": 61}, "妇女人数不能多于参加总人数"),
        ({"participants_minors": 61}, "未成年人数不能多于参加总人数"),
        ({"title": "  "}, "请填写活动名称"),
        ({"place": ""}, "请填写活动地点"),
        ({"venue_type": "moon"}, "请选择场所类型"),
    ],
)
def test_record_activity_rejects_bad_input(tree, users, change, message):
    with pytest.raises(ActivityError, match=message):
        services.record_activity(org=tree.qxg, by=users.qxg_liaison, **(FIELDS | change))
    assert Activity.objects.count() == 0


def test_record_activity_outside_subtree_denied(tree, users):
    with pytest.raises(PermissionDenied):
        services.record_activity(org=tree.qxg, by=users.dafang_liaison, **FIELDS)
    with pytest.raises(PermissionDenied):
        services.record_activity(org=tree.qxg, by=users.city_reviewer, **FIELDS)


def test_record_activity_campaign_not_sent_to_unit_rejected(tree, users):
    other = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.dafang], title="只发大方")
    with pytest.raises(ActivityError, match="没有发给七星关区妇联"):
        services.record_activity(org=tree.qxg, by=users.qxg_liaison, campaign=other, **FIELDS)


def test_update_activity_records_changed_fields(tree, users):
    a = services.record_activity(org=tree.qxg, by=users.qxg_liaison, **FIELDS)
    services.update_activity(a, by=users.qxg_admin, **(FIELDS | {"participants_total": 80, "laws": ["law_minors"]}))
    a.refresh_from_db()
    assert (a.participants_total, a.law_minors, a.law_women_rights) == (80, True, False)
    entry = AuditEntry.objects.get(object_id=a.pk, action="activities.activity.updated")
    assert sorted(entry.data["changed"]) == [
        "law_domestic_violence",
        "law_minors",
        "law_women_rights",
        "participants_total",
    ]


def test_planned_event_prefill_takes_the_plan_but_not_the_headcount(tree, users, campaign, qxg_plan):
    event = PlannedEvent.objects.get(plan=qxg_plan)
    line = campaign.lines.first()
    event.line = line
    event.save()
    assert services.planned_event_prefill(event) == {
        "title": "维权周宣讲",
        "date": dt.date(2023, 3, 5),
        "place": "某村委会",
        "venue_type": VenueType.VILLAGE,
        "format": Activity.Format.LECTURE,
        "campaign": campaign,
        "line": line,
    }
    assert Activity.objects.count() == 0  # a pre-fill writes nothing


def test_record_from_planned_event_links_it_with_the_typed_figures(tree, users, campaign, qxg_plan):
    event = PlannedEvent.objects.get(plan=qxg_plan)
    prefill = services.planned_event_prefill(event)
    a = services.record_from_planned_event(
        event, by=users.qxg_liaison, **prefill, participants_total=38, participants_women=30
    )
    a.refresh_from_db()
    assert (a.org, a.campaign, a.planned_event, a.title, a.date, a.participants_total, a.participants_women) == (
        tree.qxg, campaign, event, "维权周宣讲", dt.date(2023, 3, 5), 38, 30,
    )  # fmt: skip
    entry = AuditEntry.objects.get(object_id=a.pk, action="activities.activity.recorded")
    assert entry.data == {"title": "维权周宣讲", "planned_event": event.pk}


def test_record_from_planned_event_keeps_the_plans_campaign(tree, users, campaign, qxg_plan):
    other = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title="另一个通知")
    event = PlannedEvent.objects.get(plan=qxg_plan)
    fields = services.planned_event_prefill(event) | {"campaign": other}
    a = services.record_from_planned_event(event, by=users.qxg_liaison, **fields)
    assert a.campaign == campaign


def test_record_from_planned_event_twice_rejected(tree, users, qxg_plan):
    event = PlannedEvent.objects.get(plan=qxg_plan)
    fields = services.planned_event_prefill(event)
    services.record_from_planned_event(event, by=users.qxg_liaison, **fields)
    with pytest.raises(ActivityError, match="已经记入台账"):
        services.record_from_planned_event(event, by=users.qxg_admin, **fields)
    assert Activity.objects.filter(planned_event=event).count() == 1


def test_record_from_planned_event_again_after_void_rejected(tree, users, qxg_plan):
    event = PlannedEvent.objects.get(plan=qxg_plan)
    fields = services.planned_event_prefill(event)
    entry = services.record_from_planned_event(event, by=users.qxg_liaison, **fields)
    services.void_activity(entry, by=users.qxg_liaison, reason="日期填错")
    with pytest.raises(ActivityError, match="已经记入台账"):
        services.record_from_planned_event(event, by=users.qxg_liaison, **fields)
    entry.refresh_from_db()
    assert (entry.planned_event, entry.is_voided) == (event, True)  # the link is kept


def test_record_from_planned_event_of_draft_plan_rejected(tree, users, campaign):
    plan = make_plan(CampaignTarget.objects.get(campaign=campaign, org=tree.qxg), status=Plan.Status.DRAFT)
    event = PlannedEvent.objects.get(plan=plan)
    with pytest.raises(ActivityError, match="方案报送后"):
        services.record_from_planned_event(event, by=users.qxg_liaison, **services.planned_event_prefill(event))


def test_record_from_planned_event_of_sibling_denied(tree, users, qxg_plan):
    event = PlannedEvent.objects.get(plan=qxg_plan)
    with pytest.raises(PermissionDenied):
        services.record_from_planned_event(event, by=users.dafang_admin, **services.planned_event_prefill(event))
    assert Activity.objects.count() == 0


# --- dates


def test_an_event_dated_after_today_is_refused(tree, users, campaign):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ActivityError, match=f"活动日期 {tomorrow:%Y-%m-%d} 晚于今天"):
        services.record_activity(org=tree.qxg, by=users.qxg_liaison, **(FIELDS | {"date": tomorrow}))
    today = services.record_activity(org=tree.qxg, by=users.qxg_liaison, **(FIELDS | {"date": timezone.localdate()}))
    with pytest.raises(ActivityError, match="晚于今天"):
        services.update_activity(today, by=users.qxg_liaison, **(FIELDS | {"date": tomorrow}))
    assert list(Activity.objects.values_list("date", flat=True)) == [timezone.localdate()]


# --- photos


def _exif_of(path) -> Image.Exif:
    with Image.open(path) as img:
        return img.getexif()


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "a.jpg"), ("PNG", "b.png"), ("WEBP", "c.webp")])
def test_add_photo_strips_gps_exif(tree, users, media, fmt, name):
    upload = image_upload(fmt, name=name)
    with Image.open(io.BytesIO(upload.read())) as original:
        assert original.getexif().get_ifd(0x8825)[2] == (26.0, 34.0, 12.5)  # the GPS really was there
    upload.seek(0)
    a = make_activity(tree.qxg, users.qxg_liaison)
    photo = services.add_photo(a, by=users.qxg_liaison, upload=upload)
    stored = _exif_of(photo.image.path)
    thumb = _exif_of(photo.thumbnail.path)
    assert (dict(stored), stored.get_ifd(0x8825)) == ({}, {})
    assert (dict(thumb), thumb.get_ifd(0x8825)) == ({}, {})
    assert b"PhoneMaker" not in Path(photo.image.path).read_bytes()
    with Image.open(photo.thumbnail.path) as t:
        assert (t.format, t.size) == ("JPEG", (400, 300))
    assert (photo.width, photo.height, photo.original_name) == (800, 600, name)
    assert photo.size == photo.image.size


def test_add_photo_rejects_non_image_by_content(tree, users, media):
    a = make_activity(tree.qxg, users.qxg_liaison)
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    with pytest.raises(ActivityError, match="不是照片文件"):
        services.add_photo(a, by=users.qxg_liaison, upload=fake)
    assert ActivityPhoto.objects.count() == 0


def test_add_photo_rejects_truncated_image(tree, users, media):
    a = make_activity(tree.qxg, users.qxg_liaison)
    broken = SimpleUploadedFile("photo.jpg", image_upload().read()[:200])
    with pytest.raises(ActivityError, match="无法识别为图片"):
        services.add_photo(a, by=users.qxg_liaison, upload=broken)


def test_add_photo_rejects_over_10_mb(tree, users, media):
    a = make_activity(tree.qxg, users.qxg_liaison)
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ActivityError, match="超过大小上限"):
        services.add_photo(a, by=users.qxg_liaison, upload=big)


# --- symposiums


def test_roster_and_minutes_only_for_symposiums(tree, users):
    lecture = make_activity(tree.qxg, users.qxg_liaison)
    with pytest.raises(ActivityError, match="座谈交流会"):
        services.add_attendee(lecture, by=users.qxg_liaison, name="王芳", category=Attendee.Category.ENTREPRENEUR)
    talk = make_activity(tree.qxg, users.qxg_liaison, format=Activity.Format.SYMPOSIUM)
    person = services.add_attendee(
        talk, by=users.qxg_liaison, name=" 王芳 ", category=Attendee.Category.ENTREPRENEUR, affiliation="某公司"
    )
    services.save_minutes(talk, by=users.qxg_liaison, minutes="大家谈了创业难题。")
    talk.refresh_from_db()
    assert (person.name, talk.minutes) == ("王芳", "大家谈了创业难题。")
    services.void_attendee(person, by=users.qxg_admin, reason="未到会")
    assert list(Attendee.objects.filter(Attendee.COUNTED)) == []


# --- needs


def test_need_state_machine(tree, users):
    talk = make_activity(tree.qxg_town, users.qxg_liaison, format=Activity.Format.SYMPOSIUM)
    need = services.raise_need(
        talk,
        by=users.qxg_liaison,
        org=tree.qxg,
        category=Need.Category.FINANCE,
        description="需要创业贴息贷款",
        raised_by_name="李梅",
        raised_by_phone="138 0013 8000",
        due_date=dt.date(2023, 4, 30),
    )
    assert (need.status, need.raised_by_phone) == (Need.Status.REGISTERED, "13800138000")
    services.start_need(need, by=users.qxg_admin)
    with pytest.raises(ActivityError, match="办理中"):
        services.start_need(need, by=users.qxg_admin)
    services.add_need_note(need, by=users.qxg_admin, note="已联系银行")
    services.resolve_need(need, by=users.qxg_admin, note="已发放贷款 5 万元")
    need.refresh_from_db()
    assert (need.status, need.closing_note, need.resolved_at is not None) == (
        Need.Status.RESOLVED,
        "已发放贷款 5 万元",
        True,
    )
    with pytest.raises(ActivityError, match="已办结"):
        services.add_need_note(need, by=users.qxg_admin, note="再记一笔")
    with pytest.raises(ActivityError, match="不能进行此操作"):
        services.close_need_unresolvable(need, by=users.qxg_admin, reason="x")
    actions = list(
        AuditEntry.objects.filter(object_id=need.pk, action__startswith="activities.need.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "activities.need.raised",
        "activities.need.started",
        "activities.need.noted",
        "activities.need.resolved",
    ]
    assert NeedNote.objects.get().note == "已联系银行"


def test_close_need_unresolvable_requires_reason(tree, users):
    need = make_need(make_activity(tree.qxg, users.qxg_liaison, format=Activity.Format.SYMPOSIUM), users.qxg_liaison)
    with pytest.raises(ActivityError, match="请填写无法解决的原因"):
        services.close_need_unresolvable(need, by=users.qxg_admin, reason="  ")
    services.close_need_unresolvable(need, by=users.qxg_admin, reason="超出政策范围")
    need.refresh_from_db()
    assert (need.status, need.closing_note) == (Need.Status.UNRESOLVABLE, "超出政策范围")


def test_raise_need_rejects_sibling_unit_and_bad_phone(tree, users):
    talk = make_activity(tree.qxg, users.qxg_liaison, format=Activity.Format.SYMPOSIUM)
    with pytest.raises(ActivityError, match="大方县妇联"):
        services.raise_need(talk, by=users.qxg_liaison, org=tree.dafang, category=Need.Category.OTHER, description="x")
    with pytest.raises(ActivityError, match="联系电话格式不正确"):
        services.raise_need(
            talk,
            by=users.qxg_liaison,
            org=tree.qxg,
            category=Need.Category.OTHER,
            description="x",
            raised_by_phone="123",
        )
    assert Need.objects.count() == 0


def test_need_campaign_follows_its_symposium(tree, users, campaign):
    """The board counts a campaign's needs by the copy on the need: it must follow the symposium."""
    other = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg], title="另一个通知")
    talk = services.record_activity(
        org=tree.qxg, by=users.qxg_liaison, campaign=campaign, **(FIELDS | {"format": Activity.Format.SYMPOSIUM})
    )
    need = services.raise_need(
        talk, by=users.qxg_liaison, org=tree.qxg, category=Need.Category.SKILLS, description="希望开设电商培训"
    )
    assert Need.objects.get(pk=need.pk).campaign_id == campaign.pk
    symposium = FIELDS | {"format": Activity.Format.SYMPOSIUM}
    services.update_activity(talk, by=users.qxg_admin, campaign=other, **symposium)
    assert Need.objects.get(pk=need.pk).campaign_id == other.pk
    services.update_activity(talk, by=users.qxg_admin, campaign=None, **symposium)
    assert Need.objects.get(pk=need.pk).campaign_id is None


def test_need_handled_only_by_responsible_unit(tree, users):
    need = make_need(make_activity(tree.qxg, users.qxg_liaison, format=Activity.Format.SYMPOSIUM), users.qxg_liaison)
    with pytest.raises(PermissionDenied):
        services.start_need(need, by=users.dafang_admin)
    need.refresh_from_db()
    assert need.status == Need.Status.REGISTERED


def test_need_overdue_is_derived(tree, users):
    talk = make_activity(tree.qxg, users.qxg_liaison, format=Activity.Format.SYMPOSIUM)
    late = make_need(talk, users.qxg_liaison, due_date=dt.date(2020, 1, 1))
    done = make_need(talk, users.qxg_liaison, due_date=dt.date(2020, 1, 1), status=Need.Status.RESOLVED)
    future = make_need(talk, users.qxg_liaison, due_date=dt.date(2999, 1, 1))
    assert (late.is_overdue, done.is_overdue, future.is_overdue) == (True, False, False)
    assert list(Need.objects.filter(Need.overdue_q())) == [late]
