"""Editing a plan across versions: events keep their identity (and their ledger entry), dates stay
inside the campaign's period or say why, every error shows in one pass, and a resubmission answers
the reviewer."""

import datetime as dt

import pytest
from django.urls import reverse

from jinguo.activities import services as ledger
from jinguo.activities.models import Activity
from jinguo.activities.selectors import ledger_totals
from jinguo.audit.models import AuditEntry
from jinguo.campaigns import services
from jinguo.campaigns.models import Plan, PlannedEvent, PlanVersion
from jinguo.campaigns.services import CampaignError, EventSpec, PlanInvalid
from jinguo.dashboard.selectors import board
from tests.campaigns.conftest import event


def _offers_to_record(page: str) -> bool:
    """Whether the plan page offers 记入台账 for some event (a button or a link, not 已记入台账)."""
    return "记入台账</" in page.replace("已记入台账</a>", "")


def _spec(e: PlannedEvent, **overrides) -> EventSpec:
    values = {f: getattr(e, f) for f in services.EVENT_FIELDS} | {"pk": e.pk}
    return EventSpec(**(values | overrides))


def _resave(plan: Plan, users, events, **overrides) -> Plan:
    fields = {"person_in_charge": "张丽", "contact_phone": "0857-8221234", "summary": "围绕维权周开展宣讲"}
    return services.save_plan(plan.target, by=users.qxg_liaison, events=events, **(fields | overrides))


def _edit_post(client, target, **changes) -> dict:
    """The plan form as the page renders it (hidden event ids included), with ``changes`` typed in."""
    page = client.get(reverse("campaigns:plan_edit", args=[target.pk]))
    form, formset = page.context["form"], page.context["formset"]
    data = {"person_in_charge": "", "contact_phone": "", "summary": "", "change_note": ""}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        data[name] = value if value is not None else ""
    data |= {f"events-{k}": v for k, v in formset.management_form.initial.items()}
    for index, row in enumerate(formset.forms):
        for name, field in row.fields.items():
            if name == "DELETE":
                continue
            value = row.initial.get(name, field.initial)
            data[f"events-{index}-{name}"] = "" if value is None else value
    data.pop("lines", None)
    return data | changes


# --- §1 a planned event keeps its identity and its ledger entry across versions ----------------


def _record(event, *, by):
    """What the ledger form saves for a planned event: its pre-fill, with the expected turnout as held."""
    return ledger.record_from_planned_event(
        event, by=by, **ledger.planned_event_prefill(event), participants_total=event.expected_participants
    )


def test_save_plan_changes_events_in_place_adds_and_removes(qxg_plan, users):
    first = PlannedEvent.objects.get(plan=qxg_plan)
    _resave(
        qxg_plan,
        users,
        [event(title="第二场", date=dt.date(2023, 3, 9)), event(title="第一场", date=dt.date(2023, 3, 6))],
    )
    assert not PlannedEvent.objects.filter(pk=first.pk).exists()  # no pk given: the old one goes
    second = PlannedEvent.objects.get(plan=qxg_plan, title="第一场")
    _resave(qxg_plan, users, [_spec(second, place="新址", expected_participants=90)])
    assert list(PlannedEvent.objects.filter(plan=qxg_plan).values_list("pk", "place", "expected_participants")) == [
        (second.pk, "新址", 90)
    ]
    entry = AuditEntry.objects.filter(action="campaigns.plan.saved").order_by("id").last()
    assert entry.data == {"events": 1, "added": 0, "changed": 1, "removed": 1}


def test_resubmitted_plan_keeps_its_ledger_entry_and_counts_once(qxg_submitted, published, tree, users, client_for):
    liaison = client_for(users.qxg_liaison)
    detail = reverse("campaigns:plan_detail", args=[qxg_submitted.pk])
    assert _offers_to_record(liaison.get(detail).content.decode())
    recorded = PlannedEvent.objects.get(plan=qxg_submitted)
    activity = _record(recorded, by=users.qxg_liaison)
    services.return_plan(qxg_submitted, by=users.city_reviewer, reason="请补充宣讲人类型")

    data = _edit_post(liaison, qxg_submitted.target, **{"events-0-title": "维权周普法宣讲（律师主讲）", "submit": "1"})
    response = liaison.post(reverse("campaigns:plan_edit", args=[qxg_submitted.target.pk]), data)
    assert response.status_code == 302
    plan = Plan.objects.get(pk=qxg_submitted.pk)
    assert (plan.status, plan.version) == (Plan.Status.SUBMITTED, 2)

    # The same event, changed in place, still linked to its one entry.
    assert list(PlannedEvent.objects.filter(plan=plan).values_list("pk", "title")) == [
        (recorded.pk, "维权周普法宣讲（律师主讲）")
    ]
    assert list(Activity.objects.values_list("pk", "planned_event_id")) == [(activity.pk, recorded.pk)]
    page = liaison.get(detail).content.decode()
    assert not _offers_to_record(page)
    assert f'href="/activities/{activity.pk}/">已记入台账</a>' in page

    # The user clicks whatever the page still offers: nothing. One event, 80 people, everywhere.
    for e in PlannedEvent.objects.filter(plan=plan, activity__isnull=True):
        _record(e, by=users.qxg_liaison)
    totals = ledger_totals(tree.city, published)
    assert (totals["events"], totals["participants"]) == (1, 80)
    total = board(user=users.city_admin, campaign=published, unit=tree.city).total
    assert (total.events, total.participants) == (1, 80)


def test_save_plan_refuses_to_remove_a_recorded_event_and_saves_nothing(qxg_submitted, users):
    recorded = PlannedEvent.objects.get(plan=qxg_submitted)
    _record(recorded, by=users.qxg_liaison)
    services.return_plan(qxg_submitted, by=users.city_reviewer, reason="请补充")
    with pytest.raises(PlanInvalid) as exc:
        _resave(qxg_submitted, users, [event(title="另一场")], summary="改过的说明")
    assert str(exc.value) == "计划活动“维权周普法宣讲”（2023-03-05）已记入台账，不能删除"
    assert exc.value.problems.removed == {recorded.pk: str(exc.value)}
    assert list(PlannedEvent.objects.filter(plan=qxg_submitted).values_list("pk", flat=True)) == [recorded.pk]
    assert Plan.objects.get(pk=qxg_submitted.pk).summary == "围绕维权周开展宣讲"


def test_plan_form_names_the_recorded_event_ticked_for_deletion(qxg_submitted, users, client_for):
    recorded = PlannedEvent.objects.get(plan=qxg_submitted)
    _record(recorded, by=users.qxg_liaison)
    services.return_plan(qxg_submitted, by=users.city_reviewer, reason="请补充")
    client = client_for(users.qxg_liaison)
    data = _edit_post(client, qxg_submitted.target, **{"events-0-DELETE": "on", "events-1-title": "新的一场"})
    data |= {"events-1-date": "2023-03-08", "events-1-place": "社区", "events-1-venue_type": "community"}
    response = client.post(reverse("campaigns:plan_edit", args=[qxg_submitted.target.pk]), data)
    assert response.status_code == 200
    row = response.context["formset"].forms[0]
    assert row.non_field_errors() == ["计划活动“维权周普法宣讲”（2023-03-05）已记入台账，不能删除"]
    assert list(PlannedEvent.objects.filter(plan=qxg_submitted).values_list("pk", "title")) == [
        (recorded.pk, "维权周普法宣讲")
    ]


def test_save_plan_rejects_an_event_of_another_plan(qxg_plan, dafang_target, users):
    other = services.save_plan(dafang_target, by=users.dafang_liaison, events=[event(title="大方的活动")])
    theirs = PlannedEvent.objects.get(plan=other)
    with pytest.raises(PlanInvalid, match="第 1 项计划活动：这项计划活动已不在方案中"):
        _resave(qxg_plan, users, [_spec(theirs, title="改成七星关的")])
    assert PlannedEvent.objects.get(pk=theirs.pk).title == "大方的活动"


# --- §1 dates inside the campaign's period, or a reason ----------------------------------------


def test_event_outside_the_period_needs_a_reason(qxg_target, users):
    late = event(date=dt.date(2023, 4, 2))
    with pytest.raises(PlanInvalid) as exc:
        services.save_plan(qxg_target, by=users.qxg_liaison, events=[event(), late])
    assert exc.value.problems.messages() == [
        "第 2 项计划活动：不在活动期间（2023-02-20 至 2023-03-31）内：请改日期，或填写不在活动期间的原因"
    ]
    assert not Plan.objects.exists()
    explained = event(date=dt.date(2023, 4, 2), outside_reason="清明后村民返乡，集中宣讲")
    plan = services.save_plan(qxg_target, by=users.qxg_liaison, events=[event(), explained])
    assert list(plan.events.values_list("date", "outside_reason")) == [
        (dt.date(2023, 3, 5), ""),
        (dt.date(2023, 4, 2), "清明后村民返乡，集中宣讲"),
    ]


def test_outside_reason_shown_in_plan_detail_and_snapshot(qxg_target, users, client_for):
    explained = event(date=dt.date(2023, 2, 18), outside_reason="春节后提前预热")
    plan = services.save_plan(
        qxg_target, by=users.qxg_liaison, person_in_charge="张丽", contact_phone="13800138000", events=[explained]
    )
    version = services.submit_plan(plan, by=users.qxg_liaison)
    assert version.snapshot["events"][0]["outside_reason"] == "春节后提前预热"
    page = client_for(users.city_reviewer).get(reverse("campaigns:plan_detail", args=[plan.pk])).content.decode()
    assert page.count("不在活动期间：春节后提前预热") == 2  # the table and the version's snapshot


def test_plan_form_marks_the_row_outside_the_period(qxg_target, users, client_for):
    client = client_for(users.qxg_liaison)
    data = _edit_post(client, qxg_target)
    data |= {"events-0-title": "宣讲", "events-0-date": "2023-05-01", "events-0-place": "社区"}
    data |= {"events-0-venue_type": "community"}
    response = client.post(reverse("campaigns:plan_edit", args=[qxg_target.pk]), data)
    assert response.context["formset"].forms[0].errors == {
        "date": ["不在活动期间（2023-02-20 至 2023-03-31）内：请改日期，或填写不在活动期间的原因"]
    }
    assert not Plan.objects.exists()


# --- §5 every error in one pass; no empty draft --------------------------------------------------


def test_plan_form_shows_every_error_at_once_and_keeps_input(qxg_target, users, client_for):
    client = client_for(users.qxg_liaison)
    data = _edit_post(client, qxg_target, person_in_charge="", contact_phone="12345", submit="1")
    data |= {"events-TOTAL_FORMS": "3", "events-1-venue_type": "", "events-2-venue_type": ""}
    data |= {"events-0-title": "宣讲", "events-0-date": "2023-03-05", "events-0-venue_type": "community"}  # no place
    data |= {"events-1-place": "敬老院", "events-1-date": "2023-06-01", "events-1-expected_participants": "-3"}
    data |= {"events-2-expected_participants": "0"}  # an untouched extra row: skipped
    response = client.post(reverse("campaigns:plan_edit", args=[qxg_target.pk]), data)
    assert response.status_code == 200
    form, rows = response.context["form"], response.context["formset"].forms
    assert form.errors == {
        "person_in_charge": ["报送前请填写负责人"],
        "contact_phone": [
            "联系电话格式不正确：请填写 11 位手机号（如 13812345678）或带区号的座机号（如 0857-8221234）。"
        ],
    }
    assert rows[0].errors == {"place": ["请填写地点"]}
    assert rows[1].errors == {
        "title": ["请填写活动名称"],
        "date": ["不在活动期间（2023-02-20 至 2023-03-31）内：请改日期，或填写不在活动期间的原因"],
        "venue_type": ["请选择场所类型"],
        "expected_participants": ["预计参加人数不能为负数"],
    }
    assert rows[2].errors == {}
    page = response.content.decode()
    assert "有 7 处需要修改，已在下方逐项标出；方案未保存。" in page
    assert 'value="12345"' in page and 'value="敬老院"' in page
    assert not Plan.objects.exists()


def test_plan_form_submit_without_events_saves_nothing_and_says_so(qxg_target, users, client_for):
    client = client_for(users.qxg_liaison)
    response = client.post(
        reverse("campaigns:plan_edit", args=[qxg_target.pk]), _edit_post(client, qxg_target, summary="草拟", submit="1")
    )
    assert response.context["errors"] == ["报送前请至少填写一项计划活动"]
    assert "报送前请填写联系电话" in response.content.decode()  # the liaison has no phone on file
    assert not Plan.objects.exists()


def test_plan_form_untouched_draft_is_not_saved(qxg_target, users, client_for):
    client = client_for(users.qxg_liaison)
    response = client.post(reverse("campaigns:plan_edit", args=[qxg_target.pk]), _edit_post(client, qxg_target))
    assert response.context["errors"] == ["方案还是空的：请至少选择承担的活动、填写方案说明或一项计划活动，再保存草稿"]
    assert not Plan.objects.exists()


def test_save_plan_empty_draft_rejected(qxg_target, users):
    with pytest.raises(CampaignError, match="^方案还是空的"):
        services.save_plan(qxg_target, by=users.qxg_liaison, person_in_charge="张丽", contact_phone="13800138000")
    assert not Plan.objects.exists()


# --- §5 report once ------------------------------------------------------------------------------


def test_new_plan_prefills_person_and_phone_from_the_user(qxg_target, users, client_for):
    users.qxg_liaison.phone = "13985712345"
    users.qxg_liaison.save(update_fields=["phone"])
    response = client_for(users.qxg_liaison).get(reverse("campaigns:plan_edit", args=[qxg_target.pk]))
    form = response.context["form"]
    assert (form.initial["person_in_charge"], form.initial["contact_phone"]) == ("七星关联络员", "13985712345")
    assert "change_note" not in form.fields  # nothing to answer yet
    assert "退回原因" not in response.content.decode()


def test_existing_plan_keeps_its_own_person_not_the_user(qxg_plan, users, client_for):
    form = client_for(users.qxg_admin).get(reverse("campaigns:plan_edit", args=[qxg_plan.target.pk])).context["form"]
    assert (form.initial["person_in_charge"], form.initial["contact_phone"]) == ("张丽", "0857-8221234")


def test_resubmission_answers_the_return_reason(qxg_submitted, users, client_for):
    services.return_plan(qxg_submitted, by=users.city_reviewer, reason="请补充宣讲人类型")
    client = client_for(users.qxg_liaison)
    data = _edit_post(client, qxg_submitted.target, change_note="已写明由律师主讲", submit="1")
    assert client.post(reverse("campaigns:plan_edit", args=[qxg_submitted.target.pk]), data).status_code == 302
    v1, v2 = PlanVersion.objects.filter(plan=qxg_submitted).order_by("number")
    assert (v1.reason, v1.change_note, v2.change_note) == ("请补充宣讲人类型", "", "已写明由律师主讲")
    assert Plan.objects.get(pk=qxg_submitted.pk).change_note == ""  # moved onto the version
    page = client_for(users.city_reviewer).get(reverse("campaigns:plan_detail", args=[qxg_submitted.pk]))
    html = page.content.decode()
    assert "第 1 版退回原因：请补充宣讲人类型" in html
    assert "第 2 版修改说明：已写明由律师主讲" in html


def test_plan_form_of_sibling_unit_404(qxg_target, qxg_plan, users, client_for):
    client = client_for(users.dafang_liaison)
    assert client.get(reverse("campaigns:plan_edit", args=[qxg_target.pk])).status_code == 404
    assert client.get(reverse("campaigns:plan_detail", args=[qxg_plan.pk])).status_code == 404


def test_plan_form_with_a_broken_row_count_explains_and_saves_nothing(qxg_target, users, client_for):
    data = {"person_in_charge": "张丽", "contact_phone": "13800138000", "summary": "说明"}
    response = client_for(users.qxg_liaison).post(reverse("campaigns:plan_edit", args=[qxg_target.pk]), data)
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors() == [
        "ManagementForm 数据缺失或被篡改。缺少的字段： events-TOTAL_FORMS, events-INITIAL_FORMS。"
        "如果问题持续存在，你可能需要提交错误报告。"
    ]
    assert "有 1 处需要修改" in response.content.decode()
    assert not Plan.objects.exists()
