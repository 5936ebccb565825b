from __future__ import annotations

from dataclasses import replace
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jinguo.accounts.rules import has_perm
from jinguo.activities import importing, selectors, services
from jinguo.activities.forms import (
    ActivityForm,
    AttendeeForm,
    ImportForm,
    MinutesForm,
    NeedForm,
    NoteForm,
    PhotoForm,
    units_of,
)
from jinguo.activities.models import LAW_FIELDS, Activity, ActivityPhoto, Attendee, Need, NeedNote
from jinguo.activities.rules import ACTIVITY_WRITE, LEDGER_RESTORE, NEED_WRITE
from jinguo.activities.selectors import KEY_VENUES, LEDGER_VOIDED_CHOICES, LedgerFilter, NeedFilter
from jinguo.activities.services import ActivityError
from jinguo.audit.selectors import history_of
from jinguo.campaigns.models import Campaign, PlannedEvent, VenueType
from jinguo.lib.excel import Caption, xlsx_response
from jinguo.lib.importflow import ImportFlow
from jinguo.lib.masking import mask_phone
from jinguo.lib.views import int_or_none, page_of, require_viewer_org
from jinguo.orgs.models import Org

PAGE_SIZE = 20
EXPORT_LIMIT = 20000
IMPORTS = ImportFlow("activities")


def _date(value: str | None):
    return importing.parse_date(value) if value else None


def _activity_for_user(request: HttpRequest, pk: int) -> Activity:
    # Scoped manager: outside the viewer's subtree the entry does not exist (404).
    return get_object_or_404(
        Activity.objects.select_related("org", "campaign", "line", "created_by", "voided_by", "planned_event"), pk=pk
    )


def _writable_activity(request: HttpRequest, pk: int) -> Activity:
    activity = _activity_for_user(request, pk)
    if not has_perm(request.user, ACTIVITY_WRITE, at=activity.org):
        raise PermissionDenied
    return activity


# ---------------------------------------------------------------------------------------------
# Ledger list, export


def _ledger_filters(request: HttpRequest) -> tuple[LedgerFilter, dict]:
    g = request.GET
    org_pk, campaign_pk = int_or_none(g.get("org")), int_or_none(g.get("campaign"))
    campaign = Campaign.objects.filter(pk=campaign_pk).first() if campaign_pk else None
    org = Org.objects.filter(pk=org_pk).first() if org_pk else None
    filters = LedgerFilter(
        campaign=campaign,
        org=org,
        venue_type=g.get("venue_type", "") if g.get("venue_type") in VenueType.values else "",
        format=g.get("format", "") if g.get("format") in Activity.Format.values else "",
        date_from=_date(g.get("date_from")),
        date_to=_date(g.get("date_to")),
        text=g.get("q", "").strip()[:50],
        voided=g.get("voided", "") if g.get("voided") in ("voided", "all") else "",
    )
    values = {
        "campaign": campaign.pk if campaign else None,
        "org": org.pk if org else None,
        "venue_type": filters.venue_type,
        "format": filters.format,
        "date_from": g.get("date_from", ""),
        "date_to": g.get("date_to", ""),
        "q": filters.text,
        "voided": filters.voided,
    }
    return filters, values


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    viewer_org = require_viewer_org(request)
    filters, values = _ledger_filters(request)
    page = page_of(request, selectors.ledger(user=request.user, filters=filters), PAGE_SIZE)
    context = {
        "page": page,
        "f": values,
        "filtered": any(values.values()),
        "campaigns": selectors.campaigns_for_filter(user=request.user),
        "units": units_of(viewer_org),
        "base_depth": viewer_org.depth,
        "venue_types": VenueType.choices,
        "formats": Activity.Format.choices,
        "voided_choices": LEDGER_VOIDED_CHOICES,
        "can_write": has_perm(request.user, ACTIVITY_WRITE, at=viewer_org),
        "query": request.GET.urlencode(),
    }
    return render(request, "activities/ledger.html", context)


EXPORT_HEADER = [*importing.HEADER[:9], "参加人数", "其中妇女", "其中未成年人", "线上覆盖人次", "活动简述", "照片数"]


@login_required
def export(request: HttpRequest) -> HttpResponse:
    viewer_org = require_viewer_org(request)
    filters, _ = _ledger_filters(request)
    # The export is a count the city adds up: only entries that count, whatever the list shows.
    filters = replace(filters, voided="")
    qs = selectors.ledger(user=request.user, filters=filters)[:EXPORT_LIMIT]
    rows = (
        [
            a.org.name,
            a.campaign.title if a.campaign else "",
            a.title,
            a.date,
            a.place,
            a.get_venue_type_display(),
            a.get_format_display(),
            a.get_speaker_type_display() if a.speaker_type else "",
            "、".join(a.laws),
            a.participants_total,
            a.participants_women,
            a.participants_minors,
            a.online_reach,
            a.account,
            a.photo_count,
        ]
        for a in qs
    )
    caption = Caption.of(f"活动台账 · {viewer_org.name}及下级单位{_filter_note(filters)}", user=request.user)
    return xlsx_response(f"活动台账-{viewer_org.name}.xlsx", [("活动台账", EXPORT_HEADER, rows)], caption=caption)


def _filter_note(filters: LedgerFilter) -> str:
    """Which campaign the export is about, when the list was filtered to one."""
    return f" · {filters.campaign.title}" if filters.campaign else ""


# ---------------------------------------------------------------------------------------------
# Create, edit, detail


def _render_form(request: HttpRequest, form: ActivityForm, *, activity=None, event=None) -> HttpResponse:
    context = {"form": form, "activity": activity, "event": event}
    return render(request, "activities/activity_form.html", context)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    viewer_org = require_viewer_org(request)
    if not has_perm(request.user, ACTIVITY_WRITE, at=viewer_org):
        raise PermissionDenied
    form = ActivityForm(request.POST or None, viewer_org=viewer_org, initial={"org": viewer_org.pk})
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.record_activity(org=form.cleaned_data["org"], by=request.user, **form.service_fields())
        except ActivityError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已记入台账。可以继续上传照片。")
            return redirect("activities:detail", activity.pk)
    return _render_form(request, form)


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _writable_activity(request, pk)
    if activity.is_voided:
        messages.error(request, services.VOIDED_ERROR)
        return redirect("activities:detail", activity.pk)
    viewer_org = require_viewer_org(request)
    form = ActivityForm(
        request.POST or None, viewer_org=viewer_org, entry=activity, initial=ActivityForm.initial_for(activity)
    )
    form.fields["org"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.update_activity(activity, by=request.user, **form.service_fields())
        except ActivityError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "台账已保存。")
            return redirect("activities:detail", activity.pk)
    return _render_form(request, form, activity=activity)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity_for_user(request, pk)
    user = request.user
    can_write = has_perm(user, ACTIVITY_WRITE, at=activity.org)
    can_change = can_write and not activity.is_voided
    needs = list(Need.objects.filter(activity=activity).select_related("org").order_by("id"))
    for need in needs:
        need.phone_display = phone_for(user, need)
    attendees = list(Attendee.objects.filter(activity=activity).select_related("voided_by").order_by("id"))
    context = {
        "activity": activity,
        "photos": ActivityPhoto.objects.filter(activity=activity),
        "attendees": attendees,
        "attendees_counted": sum(1 for a in attendees if not a.is_voided),
        "needs": needs,
        "needs_counted": sum(1 for n in needs if not n.is_voided),
        "history": history_of(activity)[:50],
        "can_write": can_change,
        "can_void": can_change,
        "can_restore": has_perm(user, LEDGER_RESTORE, at=activity.org),
        "can_raise": can_change and activity.is_symposium and has_perm(user, NEED_WRITE, at=activity.org),
        "photo_form": PhotoForm(),
        "attendee_form": AttendeeForm(),
        "minutes_form": MinutesForm(initial={"minutes": activity.minutes}),
        "law_labels": activity.laws,
    }
    return render(request, "activities/detail.html", context)


@login_required
def record_event(request: HttpRequest, event_pk: int) -> HttpResponse:
    """A planned event of a filed plan, recorded as held: the ledger form pre-filled from the plan
    (unit, campaign, title, date, place, venue, line), saved only on 保存, linked to the event."""
    event = get_object_or_404(
        PlannedEvent.objects.select_related("plan__target__org", "plan__target__campaign", "line"), pk=event_pk
    )
    if not has_perm(request.user, ACTIVITY_WRITE, at=event.plan.target.org):
        raise PermissionDenied
    existing = Activity.objects.filter(planned_event=event).first()
    if existing is not None:
        messages.info(request, "该计划活动已经记入台账。")
        return redirect("activities:detail", existing.pk)
    if not event.plan.is_filed:
        messages.error(request, "方案报送后，才能把计划活动记入台账。")
        return redirect("campaigns:plan_detail", event.plan_id)
    prefill = services.planned_event_prefill(event)
    initial = {**prefill, "org": event.plan.target.org_id, "campaign": prefill["campaign"].pk}
    initial["line"] = prefill["line"].pk if prefill["line"] else None
    form = ActivityForm(request.POST or None, viewer_org=require_viewer_org(request), initial=initial)
    form.fix_to_plan(event)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.record_from_planned_event(event, by=request.user, **form.service_fields())
        except ActivityError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已记入台账。可以继续上传照片。")
            return redirect("activities:detail", activity.pk)
    return _render_form(request, form, event=event)


# ---------------------------------------------------------------------------------------------
# Voiding (作废) and restoring


def _void_or_restore(request: HttpRequest, subject, *, void, restore) -> None:
    """POST ``action=void`` with a ``reason``, or ``action=restore``; the outcome as a message."""
    try:
        if request.POST.get("action") == "restore":
            restore(subject, by=request.user)
            messages.success(request, "已恢复，重新计入统计。")
        else:
            void(subject, by=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, "已作废，不再计入任何统计。")
    except ActivityError as exc:
        messages.error(request, str(exc))


@require_POST
@login_required
def activity_void(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity_for_user(request, pk)
    _void_or_restore(request, activity, void=services.void_activity, restore=services.restore_activity)
    return redirect("activities:detail", activity.pk)


@require_POST
@login_required
def attendee_void(request: HttpRequest, pk: int) -> HttpResponse:
    attendee = get_object_or_404(Attendee.objects.select_related("activity__org"), pk=pk)
    _void_or_restore(request, attendee, void=services.void_attendee, restore=services.restore_attendee)
    return redirect(reverse("activities:detail", args=[attendee.activity_id]) + "#roster")


@require_POST
@login_required
def need_void(request: HttpRequest, pk: int) -> HttpResponse:
    need = _need_for_user(request, pk)
    _void_or_restore(request, need, void=services.void_need, restore=services.restore_need)
    return redirect("activities:need_detail", need.pk)


# ---------------------------------------------------------------------------------------------
# Photos


@require_POST
@login_required
def photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _writable_activity(request, pk)
    uploads = request.FILES.getlist("photos")
    if not uploads:
        messages.error(request, "请选择要上传的照片。")
    for upload in uploads:
        try:
            services.add_photo(activity, by=request.user, upload=upload)
        except ActivityError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已上传“{upload.name}”。")
    return redirect(reverse("activities:detail", args=[activity.pk]) + "#photos")


def _serve(photo_file, *, filename: str | None = None) -> FileResponse:
    try:
        handle = photo_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(
        photo_file.name.rsplit(".", 1)[-1].lower(), "application/octet-stream"
    )
    response = FileResponse(handle, content_type=content_type, filename=filename)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def photo_image(request: HttpRequest, pk: int) -> FileResponse:
    photo = get_object_or_404(ActivityPhoto.objects, pk=pk)
    return _serve(photo.image, filename=photo.original_name)


@login_required
def photo_thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    photo = get_object_or_404(ActivityPhoto.objects, pk=pk)
    return _serve(photo.thumbnail)


@require_POST
@login_required
def photo_delete(request: HttpRequest, pk: int) -> HttpResponse:
    photo = get_object_or_404(ActivityPhoto.objects.select_related("activity__org"), pk=pk)
    if not has_perm(request.user, ACTIVITY_WRITE, at=photo.activity.org):
        raise PermissionDenied
    services.delete_photo(photo, by=request.user)
    messages.success(request, "照片已删除。")
    return redirect(reverse("activities:detail", args=[photo.activity_id]) + "#photos")


# ---------------------------------------------------------------------------------------------
# Symposium: roster and minutes


@require_POST
@login_required
def attendee_add(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _writable_activity(request, pk)
    form = AttendeeForm(request.POST)
    if form.is_valid():
        try:
            services.add_attendee(activity, by=request.user, **form.cleaned_data)
        except ActivityError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已添加参会人员“{form.cleaned_data['name']}”。")
    else:
        messages.error(request, "请填写参会人员姓名并选择类别。")
    return redirect(reverse("activities:detail", args=[activity.pk]) + "#roster")


@require_POST
@login_required
def minutes_save(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _writable_activity(request, pk)
    form = MinutesForm(request.POST)
    form.is_valid()
    try:
        services.save_minutes(activity, by=request.user, minutes=form.cleaned_data.get("minutes", ""))
    except ActivityError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "座谈纪要已保存。")
    return redirect(reverse("activities:detail", args=[activity.pk]) + "#minutes")


# ---------------------------------------------------------------------------------------------
# Excel import (preview → confirm)


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    org = require_viewer_org(request)
    example = [
        org.name,
        "",
        "妇女权益保障法宣讲（示例，请替换）",
        "2023-03-06",
        "某村村委会",
        "农村",
        "宣讲会",
        "巾帼志愿宣讲队",
        "妇女权益保障法、反家庭暴力法",
        60,
        45,
        5,
        0,
        "",
    ]
    notes = [
        ["举办单位", "必填。本单位或下级单位的名称或区划代码。"],
        ["所属活动通知", "可不填。活动通知的标题或文号。"],
        ["日期", "必填。如 2023-03-06。"],
        ["场所类型", "必填。" + "、".join(str(lb) for _, lb in VenueType.choices)],
        ["活动形式", "可不填（默认“其他”）。" + "、".join(str(lb) for _, lb in Activity.Format.choices)],
        ["宣讲人类型", "可不填。" + "、".join(str(lb) for _, lb in Activity.SpeakerType.choices)],
        ["宣讲的法律", "可不填，多部用“、”分隔：" + "、".join(LAW_FIELDS.values())],
        ["人数", "整数；妇女、未成年人数不能多于参加人数。"],
    ]
    return xlsx_response(
        "活动台账导入模板.xlsx",
        [("活动台账", importing.HEADER, [example]), ("填写说明", ["列", "说明"], notes)],
    )


def _require_import_perm(request: HttpRequest) -> None:
    if not has_perm(request.user, ACTIVITY_WRITE, at=require_viewer_org(request)):
        raise PermissionDenied


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    _require_import_perm(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if token := IMPORTS.upload(request, form):
        return redirect("activities:import_preview", token=token)
    return render(request, "activities/import_upload.html", {"form": form})


@login_required
def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the dry run of the kept upload. POST: import it for real, re-read from the kept file."""
    _require_import_perm(request)
    run = IMPORTS.run(request, token, partial(importing.import_activities, by=request.user))
    if run is None:
        return redirect("activities:import")
    if run.written:
        messages.success(request, f"已导入 {len(run.result.rows)} 条台账。")
        return redirect("activities:list")
    return render(request, "activities/import_preview.html", run.preview_context(rows=run.result.rows))


# ---------------------------------------------------------------------------------------------
# Coverage (维权周)


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    viewer_org = require_viewer_org(request)
    org_pk, campaign_pk = int_or_none(request.GET.get("org")), int_or_none(request.GET.get("campaign"))
    org = get_object_or_404(Org.objects, pk=org_pk) if org_pk else viewer_org
    campaigns = selectors.campaigns_for_filter(user=request.user)
    campaign = get_object_or_404(Campaign.objects, pk=campaign_pk) if campaign_pk else None
    data = selectors.coverage(org, campaign)
    trail = list(Org.objects.filter(path__in=org.ancestor_paths(), depth__gte=viewer_org.depth).order_by("path"))
    context = {
        "data": data,
        "org": org,
        "campaign": campaign,
        "campaigns": campaigns,
        "trail": trail,
        "venue_labels": [(v, str(label), v in KEY_VENUES) for v, label in VenueType.choices],
        "law_labels": list(LAW_FIELDS.values()),
        "speaker_labels": [str(label) for _, label in Activity.SpeakerType.choices],
    }
    return render(request, "activities/coverage.html", context)


# ---------------------------------------------------------------------------------------------
# Needs (所需所盼)


def phone_for(user, need: Need) -> str:
    """The full number only for users of the responsible unit; everyone else sees it masked."""
    if not need.raised_by_phone:
        return ""
    return need.raised_by_phone if user.org_id == need.org_id else mask_phone(need.raised_by_phone)


@login_required
def need_create(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity_for_user(request, pk)
    if not has_perm(request.user, NEED_WRITE, at=activity.org):
        raise PermissionDenied
    if not activity.is_symposium:
        raise Http404
    viewer_org = require_viewer_org(request)
    form = NeedForm(request.POST or None, viewer_org=viewer_org, activity=activity)
    if request.method == "POST" and form.is_valid():
        try:
            need = services.raise_need(activity, by=request.user, **form.cleaned_data)
        except ActivityError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "诉求已登记。")
            return redirect("activities:need_detail", need.pk)
    return render(request, "activities/need_form.html", {"form": form, "activity": activity})


@login_required
def needs(request: HttpRequest) -> HttpResponse:
    viewer_org = require_viewer_org(request)
    g = request.GET
    org_pk = int_or_none(g.get("org"))
    org = Org.objects.filter(pk=org_pk).first() if org_pk else None
    state = g.get("state", "")
    category = g.get("category", "") if g.get("category") in Need.Category.values else ""
    filters = NeedFilter(org=org, state=state, category=category, text=g.get("q", "").strip()[:50])
    page = Paginator(selectors.needs_list(user=request.user, filters=filters), PAGE_SIZE).get_page(g.get("page"))
    context = {
        "page": page,
        "board": selectors.need_board(viewer_org),
        "counts": selectors.need_counts(viewer_org),
        "f": {"org": org.pk if org else None, "state": state, "category": category, "q": filters.text},
        "units": units_of(viewer_org),
        "base_depth": viewer_org.depth,
        "states": selectors.NEED_STATES,
        "categories": Need.Category.choices,
    }
    return render(request, "activities/needs.html", context)


def _need_for_user(request: HttpRequest, pk: int) -> Need:
    return get_object_or_404(
        Need.objects.select_related("org", "activity__org", "created_by", "voided_by", "raised_by_attendee"), pk=pk
    )


def _render_need(request: HttpRequest, need: Need, note_form: NoteForm | None = None) -> HttpResponse:
    user = request.user
    context = {
        "need": need,
        "phone": phone_for(user, need),
        "notes": NeedNote.objects.filter(need=need).select_related("by"),
        "history": history_of(need)[:50],
        "can_handle": has_perm(user, NEED_WRITE, at=need.org) and not need.is_voided,
        "can_void": has_perm(user, NEED_WRITE, at=need.activity.org) and not need.is_voided,
        "can_restore": need.is_voided and has_perm(user, LEDGER_RESTORE, at=need.activity.org),
        "note_form": note_form or NoteForm(),
    }
    return render(request, "activities/need_detail.html", context, status=400 if note_form else 200)


@login_required
def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_need(request, _need_for_user(request, pk))


def _need_action(request: HttpRequest, pk: int) -> Need:
    need = _need_for_user(request, pk)
    if not has_perm(request.user, NEED_WRITE, at=need.org):
        raise PermissionDenied
    return need


@require_POST
@login_required
def need_start(request: HttpRequest, pk: int) -> HttpResponse:
    need = _need_action(request, pk)
    try:
        services.start_need(need, by=request.user)
    except ActivityError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已开始办理。")
    return redirect("activities:need_detail", need.pk)


@require_POST
@login_required
def need_note(request: HttpRequest, pk: int) -> HttpResponse:
    need = _need_action(request, pk)
    action = request.POST.get("action", "note")
    form = NoteForm(request.POST)
    text = request.POST.get("note", "")
    try:
        if action == "resolve":
            services.resolve_need(need, by=request.user, note=text)
            messages.success(request, "诉求已办结。")
        elif action == "unresolvable":
            services.close_need_unresolvable(need, by=request.user, reason=text)
            messages.success(request, "已标记为无法解决。")
        else:
            services.add_need_note(need, by=request.user, note=text)
            messages.success(request, "办理记录已添加。")
    except ActivityError as exc:
        form.is_valid()
        form.errors.clear()
        form.add_error("note", str(exc))
        return _render_need(request, need, note_form=form)
    return redirect("activities:need_detail", need.pk)
