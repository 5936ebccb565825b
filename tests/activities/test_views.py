import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from jinguo.activities import services
from jinguo.activities.models import Activity, ActivityPhoto, Attendee, Need
from jinguo.campaigns.models import PlannedEvent, VenueType
from tests.activities.conftest import image_upload, make_activity, make_need
from tests.excel import export_rows


def _rows_of(response) -> list[list]:
    return export_rows(response.content)


# --- scope: a sibling county's objects do not exist


@pytest.fixture
def qxg_data(tree, users, media):
    talk = make_activity(tree.qxg_town, users.qxg_liaison, title="七星关座谈会", format=Activity.Format.SYMPOSIUM)
    photo = services.add_photo(talk, by=users.qxg_liaison, upload=image_upload())
    attendee = Attendee.objects.create(activity=talk, name="王芳", category=Attendee.Category.ENTREPRENEUR)
    need = make_need(talk, users.qxg_liaison, raised_by_phone="13800138000")
    return talk, photo, attendee, need


@pytest.mark.parametrize(
    ("name", "kind", "method"),
    [
        ("activities:detail", "activity", "get"),
        ("activities:edit", "activity", "get"),
        ("activities:photo_upload", "activity", "post"),
        ("activities:attendee_add", "activity", "post"),
        ("activities:minutes_save", "activity", "post"),
        ("activities:need_create", "activity", "get"),
        ("activities:photo_image", "photo", "get"),
        ("activities:photo_thumbnail", "photo", "get"),
        ("activities:photo_delete", "photo", "post"),
        ("activities:attendee_void", "attendee", "post"),
        ("activities:void", "activity", "post"),
        ("activities:need_void", "need", "post"),
        ("activities:need_detail", "need", "get"),
        ("activities:need_start", "need", "post"),
        ("activities:need_note", "need", "post"),
    ],
)
def test_sibling_county_gets_404(client_for, users, qxg_data, name, kind, method):
    talk, photo, attendee, need = qxg_data
    obj = {"activity": talk, "photo": photo, "attendee": attendee, "need": need}[kind]
    assert type(obj).objects.filter(pk=obj.pk).exists()  # the data that could leak is there
    for user in (users.dafang_liaison, users.dafang_admin):
        response = getattr(client_for(user), method)(reverse(name, args=[obj.pk]))
        assert response.status_code == 404
    assert Need.objects.get(pk=need.pk).status == Need.Status.REGISTERED
    assert ActivityPhoto.objects.filter(pk=photo.pk).exists()
    assert [r.is_voided for r in (Activity.objects.get(), Attendee.objects.get(), Need.objects.get())] == [False] * 3


@pytest.mark.parametrize("method", ["get", "post"])
def test_record_event_of_sibling_plan_404(client_for, tree, users, qxg_plan, method):
    event = PlannedEvent.objects.get(plan=qxg_plan)
    data = {} if method == "get" else _post_data(tree.qxg, title=event.title)
    response = getattr(client_for(users.dafang_admin), method)(
        reverse("activities:record_event", args=[event.pk]), data
    )
    assert response.status_code == 404
    assert Activity.objects.count() == 0


def test_lists_exports_coverage_never_show_sibling_data(client_for, tree, users, campaign, qxg_data):
    make_activity(tree.dafang_town, users.dafang_liaison, title="大方宣讲", campaign=campaign)
    client = client_for(users.dafang_liaison)
    ledger = client.get(reverse("activities:list")).content.decode()
    assert "大方宣讲" in ledger and "七星关座谈会" not in ledger
    rows = _rows_of(client.get(reverse("activities:export")))
    assert [r[2] for r in rows[1:]] == ["大方宣讲"]
    needs = client.get(reverse("activities:needs"))
    assert needs.context["counts"]["total"] == 0
    assert list(needs.context["page"]) == []
    cov = client.get(reverse("activities:coverage"))
    assert [r.org for r in cov.context["data"].rows] == [tree.dafang_town]
    assert cov.context["data"].total.events == 1
    # a sibling unit in the coverage drill-down or the list filter does not exist either
    assert client.get(reverse("activities:coverage"), {"org": tree.qxg.pk}).status_code == 404
    filtered = client.get(reverse("activities:list"), {"org": tree.qxg.pk}).content.decode()
    assert "七星关座谈会" not in filtered


# --- ledger list


def test_ledger_filters(client_for, tree, users, campaign):
    make_activity(tree.qxg, users.qxg_liaison, title="进社区宣讲", venue_type=VenueType.COMMUNITY, campaign=campaign)
    make_activity(tree.qxg_town, users.qxg_liaison, title="进学校宣讲", venue_type=VenueType.SCHOOL)
    make_activity(tree.qxg_town, users.qxg_liaison, title="老活动", date=dt.date(2022, 1, 1))
    client = client_for(users.qxg_liaison)

    def titles(**params):
        return [a.title for a in client.get(reverse("activities:list"), params).context["page"]]

    assert titles(venue_type="community") == ["进社区宣讲"]
    assert titles(campaign=campaign.pk) == ["进社区宣讲"]
    assert sorted(titles(org=tree.qxg_town.pk)) == ["老活动", "进学校宣讲"]
    assert titles(date_to="2022-12-31") == ["老活动"]
    assert titles(q="学校") == ["进学校宣讲"]


def test_ledger_empty_state(client_for, users):
    response = client_for(users.qxg_liaison).get(reverse("activities:list"))
    assert "还没有记录活动" in response.content.decode()


@pytest.mark.parametrize("count", [1, 30])
def test_ledger_query_count(client_for, tree, users, campaign, django_assert_max_num_queries, count):
    for i in range(count):
        make_activity(tree.qxg_town if i % 2 else tree.qxg, users.qxg_liaison, title=f"活动{i}", campaign=campaign)
    client = client_for(users.qxg_liaison)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("activities:list"))
    assert len(response.context["page"]) == min(count, 20)


@pytest.mark.parametrize("count", [1, 30])
def test_export_and_coverage_and_needs_query_count(
    client_for, tree, users, campaign, django_assert_max_num_queries, count
):
    for i in range(count):
        a = make_activity(tree.qxg_town, users.qxg_liaison, format=Activity.Format.SYMPOSIUM, campaign=campaign)
        make_need(a, users.qxg_liaison, org=tree.qxg if i % 2 else tree.qxg_town)
    client = client_for(users.qxg_liaison)
    with django_assert_max_num_queries(8):
        assert len(_rows_of(client.get(reverse("activities:export")))) == count + 1
    with django_assert_max_num_queries(12):
        client.get(reverse("activities:coverage"), {"campaign": campaign.pk})
    with django_assert_max_num_queries(14):
        assert client.get(reverse("activities:needs")).context["counts"]["total"] == count


# --- create / edit


def _post_data(org, **extra):
    data = {
        "org": org.pk,
        "title": "反家暴宣讲",
        "date": "2023-03-07",
        "place": "某小学",
        "venue_type": "school",
        "format": "lecture",
        "speaker_type": "model",
        "laws": ["law_domestic_violence", "law_minors"],
        "participants_total": "100",
        "participants_women": "40",
        "participants_minors": "50",
        "online_reach": "",
        "account": "",
    }
    return data | extra


def test_create_activity(client_for, tree, users):
    response = client_for(users.qxg_liaison).post(reverse("activities:create"), _post_data(tree.qxg_town))
    a = Activity.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("activities:detail", args=[a.pk])
    assert (a.org, a.participants_minors, a.laws) == (tree.qxg_town, 50, ["反家庭暴力法", "未成年人保护法"])


def test_create_activity_keeps_input_on_error(client_for, tree, users):
    response = client_for(users.qxg_liaison).post(
        reverse("activities:create"), _post_data(tree.qxg, participants_women="120")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "妇女人数不能多于参加总人数" in body
    assert 'value="反家暴宣讲"' in body and 'value="120"' in body
    assert Activity.objects.count() == 0


def test_create_for_sibling_unit_rejected(client_for, tree, users):
    response = client_for(users.qxg_liaison).post(reverse("activities:create"), _post_data(tree.dafang))
    assert response.status_code == 200
    assert Activity.objects.count() == 0


def test_reviewer_cannot_create(client_for, users):
    assert client_for(users.city_reviewer).get(reverse("activities:create")).status_code == 403


def test_edit_activity(client_for, tree, users):
    a = make_activity(tree.qxg, users.qxg_liaison)
    response = client_for(users.qxg_admin).post(
        reverse("activities:edit", args=[a.pk]), _post_data(tree.qxg, title="改过的")
    )
    a.refresh_from_db()
    assert (response.status_code, a.title, a.org) == (302, "改过的", tree.qxg)


def test_city_can_view_but_reviewer_cannot_edit(client_for, tree, users):
    a = make_activity(tree.qxg, users.qxg_liaison)
    assert client_for(users.city_reviewer).get(reverse("activities:detail", args=[a.pk])).status_code == 200
    assert client_for(users.city_reviewer).get(reverse("activities:edit", args=[a.pk])).status_code == 403


# --- one click from a filed plan


def test_record_on_the_plan_opens_a_prefilled_form_that_saves_only_on_save(client_for, tree, users, qxg_plan):
    client = client_for(users.qxg_liaison)
    plan_url = reverse("campaigns:plan_detail", args=[qxg_plan.pk])
    event = PlannedEvent.objects.get(plan=qxg_plan)
    record_url = reverse("activities:record_event", args=[event.pk])
    plan_page = client.get(plan_url).content.decode()
    assert f'href="{record_url}"' in plan_page  # a link to the form, not a form that records

    form_page = client.get(record_url)
    assert Activity.objects.count() == 0  # opening the form records nothing
    form = form_page.context["form"]
    assert (form["title"].value(), form["date"].value(), form["place"].value(), form["venue_type"].value()) == (
        "维权周宣讲", dt.date(2023, 3, 5), "某村委会", "village",
    )  # fmt: skip
    assert (form["org"].value(), form["campaign"].value()) == (tree.qxg.pk, qxg_plan.target.campaign_id)
    assert form["participants_total"].value() is None  # the expected 50 is a hint, not the count
    body = form_page.content.decode()
    assert "方案中预计 50 人" in body and 'name="participants_total" value="50"' not in body

    data = {
        "title": "维权周宣讲",
        "date": "2023-03-05",
        "place": "某村委会",
        "venue_type": "village",
        "format": "lecture",
        "participants_total": "38",
        "participants_women": "30",
        "participants_minors": "0",
        "org": tree.qxg_town.pk,  # disabled fields: what the plan says wins
        "campaign": "",
    }
    response = client.post(record_url, data)
    a = Activity.objects.get()
    assert response["Location"] == reverse("activities:detail", args=[a.pk])
    assert (a.org, a.campaign, a.planned_event, a.participants_total) == (
        tree.qxg, qxg_plan.target.campaign, event, 38,
    )  # fmt: skip
    plan_page = client.get(plan_url).content.decode()
    assert record_url not in plan_page and reverse("activities:detail", args=[a.pk]) in plan_page
    again = client.get(record_url)
    assert again["Location"] == reverse("activities:detail", args=[a.pk])
    assert client.post(record_url, data)["Location"] == reverse("activities:detail", args=[a.pk])
    assert Activity.objects.count() == 1


def test_record_event_form_keeps_input_and_says_what_is_missing(client_for, users, qxg_plan):
    event = PlannedEvent.objects.get(plan=qxg_plan)
    response = client_for(users.qxg_liaison).post(
        reverse("activities:record_event", args=[event.pk]),
        {
            "title": "改过名字的宣讲",
            "date": "2023-03-05",
            "place": "某村委会",
            "venue_type": "village",
            "format": "lecture",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and Activity.objects.count() == 0
    assert 'value="改过名字的宣讲"' in body
    assert response.context["form"].errors["participants_total"] == ["这个字段是必填项。"]


def test_plan_page_shows_a_voided_entry_as_voided(client_for, tree, users, qxg_plan):
    event = PlannedEvent.objects.get(plan=qxg_plan)
    entry = services.record_from_planned_event(
        event, by=users.qxg_liaison, **services.planned_event_prefill(event), participants_total=40
    )
    services.void_activity(entry, by=users.qxg_liaison, reason="重复")
    body = client_for(users.qxg_liaison).get(reverse("campaigns:plan_detail", args=[qxg_plan.pk])).content.decode()
    assert reverse("activities:detail", args=[entry.pk]) in body and "已作废" in body
    assert reverse("activities:record_event", args=[event.pk]) not in body


# --- photos


def test_photo_served_only_through_scoped_view(client_for, tree, users, media):
    a = make_activity(tree.qxg, users.qxg_liaison)
    client = client_for(users.qxg_liaison)
    client.post(reverse("activities:photo_upload", args=[a.pk]), {"photos": image_upload()})
    photo = ActivityPhoto.objects.get()
    response = client.get(reverse("activities:photo_thumbnail", args=[photo.pk]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    body = client.get(reverse("activities:detail", args=[a.pk])).content.decode()
    assert "/media/" not in body and reverse("activities:photo_thumbnail", args=[photo.pk]) in body


def test_photo_upload_rejects_pdf(client_for, tree, users, media):
    a = make_activity(tree.qxg, users.qxg_liaison)
    fake = SimpleUploadedFile("x.jpg", b"%PDF-1.4")
    response = client_for(users.qxg_liaison).post(
        reverse("activities:photo_upload", args=[a.pk]), {"photos": fake}, follow=True
    )
    assert "不是照片文件" in response.content.decode()
    assert ActivityPhoto.objects.count() == 0


# --- needs


def test_need_phone_masked_except_for_responsible_unit(client_for, tree, users):
    talk = make_activity(tree.qxg_town, users.qxg_liaison, format=Activity.Format.SYMPOSIUM)
    need = make_need(talk, users.qxg_liaison, org=tree.qxg, raised_by_phone="13800138000")
    url = reverse("activities:need_detail", args=[need.pk])
    assert "13800138000" in client_for(users.qxg_liaison).get(url).content.decode()
    city = client_for(users.city_admin).get(url).content.decode()
    assert "13800138000" not in city and "138****8000" in city


def test_need_flow_through_views(client_for, tree, users):
    talk = make_activity(tree.qxg, users.qxg_liaison, format=Activity.Format.SYMPOSIUM)
    client = client_for(users.qxg_liaison)
    response = client.post(
        reverse("activities:need_create", args=[talk.pk]),
        {"category": "employment", "description": "想找工作", "org": tree.qxg.pk, "raised_by_phone": "123"},
    )
    assert "联系电话格式不正确" in response.content.decode() and "想找工作" in response.content.decode()
    client.post(
        reverse("activities:need_create", args=[talk.pk]),
        {"category": "employment", "description": "想找工作", "org": tree.qxg.pk},
    )
    need = Need.objects.get()
    client.post(reverse("activities:need_start", args=[need.pk]))
    bad = client.post(reverse("activities:need_note", args=[need.pk]), {"action": "unresolvable", "note": ""})
    assert bad.status_code == 400 and "请填写无法解决的原因" in bad.content.decode()
    client.post(reverse("activities:need_note", args=[need.pk]), {"action": "resolve", "note": "已推荐岗位"})
    need.refresh_from_db()
    assert (need.status, need.closing_note) == (Need.Status.RESOLVED, "已推荐岗位")


def test_needs_board_counts_overdue(client_for, tree, users):
    talk = make_activity(tree.qxg_town, users.qxg_liaison, format=Activity.Format.SYMPOSIUM)
    make_need(talk, users.qxg_liaison, due_date=dt.date(2020, 1, 1))
    make_need(talk, users.qxg_liaison, org=tree.qxg, due_date=dt.date(2999, 1, 1))
    make_need(talk, users.qxg_liaison, org=tree.qxg, status=Need.Status.RESOLVED, due_date=dt.date(2020, 1, 1))
    response = client_for(users.qxg_admin).get(reverse("activities:needs"))
    assert response.context["counts"] == {"total": 3, "open": 2, "overdue": 1, "resolved": 1, "unresolvable": 0}
    board = [(r.org, r.open, r.overdue, r.resolved) for r in response.context["board"]]
    assert board == [(tree.qxg_town, 1, 1, 0), (tree.qxg, 1, 0, 1)]
    overdue = client_for(users.qxg_admin).get(reverse("activities:needs"), {"state": "overdue"})
    assert [n.org for n in overdue.context["page"]] == [tree.qxg_town]


# --- dates


def test_form_refuses_a_future_date_in_chinese_and_keeps_the_input(client_for, tree, users):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client_for(users.qxg_liaison).post(
        reverse("activities:create"), _post_data(tree.qxg, date=f"{tomorrow:%Y-%m-%d}")
    )
    assert response.context["form"].errors["date"] == [
        f"活动日期 {tomorrow:%Y-%m-%d} 晚于今天：台账只记录已经开展的活动，活动开展后再记入"
    ]
    assert 'value="反家暴宣讲"' in response.content.decode()
    assert Activity.objects.count() == 0


# --- likely duplicates


def test_a_likely_duplicate_is_saved_only_once_confirmed(client_for, tree, users):
    first = make_activity(tree.qxg, users.qxg_liaison, title="反家暴宣讲", date=dt.date(2023, 3, 7), place="村委会")
    client = client_for(users.qxg_liaison)
    warned = client.post(reverse("activities:create"), _post_data(tree.qxg))  # same unit, date and title
    body = warned.content.decode()
    assert Activity.objects.count() == 1
    assert "可能重复记录了" in body and 'name="confirm_duplicate"' in body and "仍要保存" in body
    assert reverse("activities:detail", args=[first.pk]) in body and 'value="反家暴宣讲"' in body
    confirmed = client.post(reverse("activities:create"), _post_data(tree.qxg, confirm_duplicate="on"))
    assert confirmed.status_code == 302
    assert Activity.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "warned"),
    [
        ({"place": "村委会", "title": "另一个名字"}, True),  # same place
        ({}, False),  # another place and title
        ({"title": "反家暴宣讲", "date": "2023-03-08"}, False),  # another day
    ],
)
def test_duplicate_warning_needs_the_same_unit_date_and_title_or_place(client_for, tree, users, changes, warned):
    make_activity(tree.qxg, users.qxg_liaison, title="反家暴宣讲", date=dt.date(2023, 3, 7), place="村委会")
    data = _post_data(tree.qxg, title="妇女权益宣讲", place="某小学") | changes
    response = client_for(users.qxg_liaison).post(reverse("activities:create"), data)
    assert (response.status_code == 200, Activity.objects.count()) == ((True, 1) if warned else (False, 2))


def test_no_duplicate_warning_against_another_unit_or_a_voided_entry(client_for, tree, users):
    make_activity(tree.qxg_town, users.qxg_liaison, title="反家暴宣讲", date=dt.date(2023, 3, 7))
    voided = make_activity(tree.qxg, users.qxg_liaison, title="反家暴宣讲", date=dt.date(2023, 3, 7))
    services.void_activity(voided, by=users.qxg_liaison, reason="录错单位")
    response = client_for(users.qxg_liaison).post(reverse("activities:create"), _post_data(tree.qxg))
    assert response.status_code == 302 and Activity.objects.count() == 3


def test_editing_an_entry_is_not_its_own_duplicate_but_meets_another(client_for, tree, users):
    a = make_activity(tree.qxg, users.qxg_liaison, title="反家暴宣讲", date=dt.date(2023, 3, 7), place="某小学")
    client = client_for(users.qxg_liaison)
    assert client.post(reverse("activities:edit", args=[a.pk]), _post_data(tree.qxg)).status_code == 302
    b = make_activity(tree.qxg, users.qxg_liaison, title="别的活动", date=dt.date(2023, 3, 7), place="别处")
    again = client.post(reverse("activities:edit", args=[b.pk]), _post_data(tree.qxg, title="别的活动"))
    assert again.context["form"].duplicates == [a]


def test_recording_a_planned_event_warns_of_a_likely_duplicate(client_for, tree, users, qxg_plan):
    make_activity(tree.qxg, users.qxg_liaison, title="维权周宣讲", date=dt.date(2023, 3, 5), place="别处")
    event = PlannedEvent.objects.get(plan=qxg_plan)
    data = {"title": "维权周宣讲", "date": "2023-03-05", "place": "某村委会", "venue_type": "village"}
    data |= {"format": "lecture", "participants_total": "30", "participants_women": "0", "participants_minors": "0"}
    client = client_for(users.qxg_liaison)
    url = reverse("activities:record_event", args=[event.pk])
    assert "可能重复记录了" in client.post(url, data).content.decode()
    assert not Activity.objects.filter(planned_event=event).exists()
    client.post(url, data | {"confirm_duplicate": "on"})
    assert Activity.objects.filter(planned_event=event).count() == 1


# --- a need's raiser from the symposium's roster


def test_need_raiser_is_picked_from_the_roster(client_for, tree, users):
    talk = make_activity(tree.qxg, users.qxg_liaison, format=Activity.Format.SYMPOSIUM)
    wang = Attendee.objects.create(
        activity=talk, name="王芳", category=Attendee.Category.ENTREPRENEUR, affiliation="某公司"
    )
    client = client_for(users.qxg_liaison)
    url = reverse("activities:need_create", args=[talk.pk])
    form_page = client.get(url).content.decode()
    assert 'name="raised_by_attendee"' in form_page and "王芳（某公司）" in form_page
    data = {"category": "employment", "description": "想找工作", "org": tree.qxg.pk}
    client.post(url, data | {"raised_by_attendee": wang.pk})
    need = Need.objects.get()
    assert (need.raised_by_attendee, need.raised_by_name) == (wang, "王芳")
    client.post(url, data | {"raised_by_name": "路过的张女士"})  # someone not on the roster
    assert list(Need.objects.order_by("pk").values_list("raised_by_name", "raised_by_attendee")) == [
        ("王芳", wang.pk),
        ("路过的张女士", None),
    ]
    both = client.post(url, data | {"raised_by_attendee": wang.pk, "raised_by_name": "李娜"})
    assert both.context["form"].errors["raised_by_name"] == [
        "已从参会名单中选择了提出人，这里不用再填写；不在名单上的人请不要选择名单"
    ]
    assert Need.objects.count() == 2


def test_need_raiser_cannot_be_someone_of_another_roster(client_for, tree, users):
    talk = make_activity(tree.qxg, users.qxg_liaison, format=Activity.Format.SYMPOSIUM)
    other = make_activity(tree.qxg, users.qxg_liaison, format=Activity.Format.SYMPOSIUM, title="另一场座谈会")
    Attendee.objects.create(activity=talk, name="王芳")
    stranger = Attendee.objects.create(activity=other, name="李娜")
    response = client_for(users.qxg_liaison).post(
        reverse("activities:need_create", args=[talk.pk]),
        {"category": "employment", "description": "想找工作", "org": tree.qxg.pk, "raised_by_attendee": stranger.pk},
    )
    assert "raised_by_attendee" in response.context["form"].errors
    assert Need.objects.count() == 0


def test_need_form_without_a_roster_asks_for_a_name(client_for, tree, users):
    talk = make_activity(tree.qxg, users.qxg_liaison, format=Activity.Format.SYMPOSIUM)
    body = client_for(users.qxg_liaison).get(reverse("activities:need_create", args=[talk.pk])).content.decode()
    assert 'name="raised_by_attendee"' not in body and 'name="raised_by_name"' in body


def test_ledger_export_opens_with_its_caption_and_dates_as_dates(client_for, tree, users):
    import datetime as dt

    from tests.excel import caption_of

    Activity.objects.create(
        org=tree.qxg_town, title="维权周宣讲", date=dt.date(2023, 3, 6), place="村委会", venue_type="village",
        participants_total=20, created_by=users.qxg_liaison,
    )  # fmt: skip
    content = client_for(users.qxg_liaison).get(reverse("activities:export")).content
    title, detail = caption_of(content)
    assert title == "活动台账 · 七星关区妇联及下级单位"
    assert detail.endswith("导出人：七星关联络员（七星关区妇联）")
    assert export_rows(content)[1][3] == dt.datetime(2023, 3, 6)
