from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinguo.accounts.rules import has_perm, has_perm_here
from jinguo.audit.selectors import history_of
from jinguo.campaigns import selectors, services
from jinguo.campaigns.forms import CampaignForm, EventFormSet, PlanForm, ReissueForm, ReturnForm
from jinguo.campaigns.models import ActivityLine, Attachment, Campaign, CampaignTarget, Plan, PlannedEvent, PlanVersion
from jinguo.campaigns.rules import CAMPAIGN_WRITE, PLAN_WRITE, RECEIPT_SIGN
from jinguo.campaigns.services import CampaignError, EventSpec, PlanInvalid
from jinguo.lib.views import page_of

PAGE_SIZE = 20


def _issuer_campaign(request: HttpRequest, pk: int) -> Campaign:
    """A campaign seen from the issuer's side: its unit or a unit above; else 404."""
    campaign = get_object_or_404(Campaign.objects.select_related("issuer", "parent"), pk=pk)
    if not selectors.campaign_for_issuer(user=request.user, campaign=campaign):
        raise Http404
    return campaign


def _writable_campaign(request: HttpRequest, pk: int) -> Campaign:
    campaign = get_object_or_404(Campaign.objects.select_related("issuer"), pk=pk)
    if not has_perm(request.user, CAMPAIGN_WRITE, at=campaign.issuer):
        raise PermissionDenied
    return campaign


def _posted_lines(request: HttpRequest) -> list[tuple[str, str]]:
    titles = request.POST.getlist("line_title")
    descriptions = request.POST.getlist("line_description")
    descriptions += [""] * (len(titles) - len(descriptions))
    return list(zip(titles, descriptions, strict=False))


def _posted_uploads(request: HttpRequest, form) -> list:
    uploads = request.FILES.getlist("attachments")
    for upload in uploads:
        try:
            services.check_upload(upload)
        except CampaignError as exc:
            form.add_error(None, f"{exc}（请重新选择附件）")
    return uploads


def _campaign_fields(form) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "theme": data["theme"],
        "doc_number": data["doc_number"],
        "starts_on": data["starts_on"],
        "ends_on": data["ends_on"],
        "body": data["body"],
        "plan_deadline": data["plan_deadline"],
        "summary_deadline": data["summary_deadline"],
        "target_units": list(data["target_units"]),
        "target_kinds": data["target_kinds"],
    }


def _render_campaign_form(request, form, *, campaign: Campaign | None, lines) -> HttpResponse:
    lines = list(lines) or [("", "")]
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": campaign, "lines": lines})


# ---------------------------------------------------------------------------------------------
# Issuer side


@login_required
def issued(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Campaign.Status.values:
        status = ""
    page = page_of(request, selectors.issued_campaigns(user=request.user, status=status), PAGE_SIZE)
    return render(
        request,
        "campaigns/issued.html",
        {
            "page": page,
            "status": status,
            "statuses": Campaign.Status.choices,
            "can_write": has_perm(request.user, CAMPAIGN_WRITE, at=request.user.org) if request.user.org else False,
        },
    )


@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    issuer = request.user.org
    if issuer is None or not has_perm(request.user, CAMPAIGN_WRITE, at=issuer):
        raise PermissionDenied
    if request.method == "POST":
        form = CampaignForm(request.POST, issuer=issuer)
        lines = _posted_lines(request)
        uploads = _posted_uploads(request, form)
        if form.is_valid():
            try:
                campaign = services.create_campaign(
                    issuer=issuer, by=request.user, lines=lines, **_campaign_fields(form)
                )
                for upload in uploads:
                    services.add_attachment(campaign, by=request.user, upload=upload)
            except CampaignError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "活动草稿已保存。检查无误后请点击“发布”。")
                return redirect("campaigns:detail", campaign.pk)
        return _render_campaign_form(request, form, campaign=None, lines=lines)
    form = CampaignForm(issuer=issuer, initial={"target_kinds": []})
    return _render_campaign_form(request, form, campaign=None, lines=[])


@login_required
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _writable_campaign(request, pk)
    if campaign.status != Campaign.Status.DRAFT:
        messages.error(request, "活动已发布，不能再修改。")
        return redirect("campaigns:detail", campaign.pk)
    if request.method == "POST":
        form = CampaignForm(request.POST, issuer=campaign.issuer)
        lines = _posted_lines(request)
        uploads = _posted_uploads(request, form)
        if form.is_valid():
            try:
                services.update_campaign(campaign, by=request.user, lines=lines, **_campaign_fields(form))
                for upload in uploads:
                    services.add_attachment(campaign, by=request.user, upload=upload)
            except CampaignError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "已保存。")
                return redirect("campaigns:detail", campaign.pk)
        return _render_campaign_form(request, form, campaign=campaign, lines=lines)
    initial = {
        "title": campaign.title,
        "theme": campaign.theme,
        "doc_number": campaign.doc_number,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "body": campaign.body,
        "plan_deadline": timezone.localtime(campaign.plan_deadline),
        "summary_deadline": timezone.localtime(campaign.summary_deadline) if campaign.summary_deadline else None,
        "target_kinds": campaign.target_kinds,
        "target_units": [u.pk for u in services.selected_units(campaign)],
    }
    lines = [(line.title, line.description) for line in ActivityLine.objects.filter(campaign=campaign)]
    return _render_campaign_form(
        request, CampaignForm(initial=initial, issuer=campaign.issuer), campaign=campaign, lines=lines
    )


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("issuer", "parent", "published_by"), pk=pk)
    if not selectors.campaign_for_issuer(user=request.user, campaign=campaign):
        return redirect("campaigns:notice", campaign.pk)
    context = {
        "campaign": campaign,
        "lines": ActivityLine.objects.filter(campaign=campaign),
        "attachments": Attachment.objects.filter(campaign=campaign),
        "history": history_of(campaign)[:50],
        "can_write": has_perm(request.user, CAMPAIGN_WRITE, at=campaign.issuer),
        "reissues": Campaign.objects.filter(parent=campaign).select_related("issuer"),
    }
    if campaign.is_published:
        context["figures"] = selectors.receipt_figures(user=request.user, campaign=campaign, within=campaign.issuer)
        context["page"] = page_of(request, selectors.targets_of(campaign=campaign), 50)
    else:
        context["preview"] = services.resolve_targets(
            issuer=campaign.issuer, units=services.selected_units(campaign), kinds=campaign.target_kinds
        )
    return render(request, "campaigns/campaign_detail.html", context)


@require_POST
@login_required
def campaign_publish(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _writable_campaign(request, pk)
    try:
        count = services.publish_campaign(campaign, by=request.user)
    except CampaignError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已发布，发送给 {count} 个单位。")
    return redirect("campaigns:detail", campaign.pk)


@require_POST
@login_required
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _writable_campaign(request, pk)
    uploads = request.FILES.getlist("attachments")
    if not uploads:
        messages.error(request, "请选择要上传的文件。")
    for upload in uploads:
        try:
            services.add_attachment(campaign, by=request.user, upload=upload)
        except CampaignError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已上传“{upload.name}”。")
    return redirect("campaigns:detail", campaign.pk)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(Attachment.objects, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.original_name)


# ---------------------------------------------------------------------------------------------
# Target side


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in ("unsigned", "signed", "overdue"):
        state = ""
    page = page_of(request, selectors.inbox_targets(user=request.user, state=state), PAGE_SIZE)
    return render(request, "campaigns/inbox.html", {"page": page, "state": state, "now": timezone.now()})


@login_required
def notice(request: HttpRequest, pk: int) -> HttpResponse:
    """The link in notifications: the viewer's own receipt of a campaign."""
    campaign = get_object_or_404(Campaign.objects, pk=pk)
    target = CampaignTarget.objects.filter(campaign=campaign, org=request.user.org).first()
    if target is not None:
        return redirect("campaigns:target", target.pk)
    if selectors.campaign_for_issuer(user=request.user, campaign=campaign):
        return redirect("campaigns:detail", campaign.pk)
    raise Http404


@login_required
def target_detail(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(
        CampaignTarget.objects.select_related(
            "campaign__issuer", "campaign__parent", "org", "signed_by"
        ).with_plan_state(now=timezone.now()),
        pk=pk,
    )
    campaign = target.campaign
    user = request.user
    services.mark_read(target, by=user)
    own = user.org_id == target.org_id
    plan = Plan.objects.filter(target=target).first()
    reissue = selectors.reissue_of(campaign=campaign, org=target.org) if own else None
    context = {
        "target": target,
        "campaign": campaign,
        "plan": plan,
        "lines": ActivityLine.objects.filter(campaign=campaign),
        "attachments": Attachment.objects.filter(campaign=campaign),
        "can_sign": not target.is_signed and has_perm_here(user, RECEIPT_SIGN, at=target.org),
        "can_plan": has_perm_here(user, PLAN_WRITE, at=target.org) and (plan is None or plan.is_editable),
        "can_reissue": own
        and reissue is None
        and has_perm(user, CAMPAIGN_WRITE, at=target.org)
        and selectors.has_children(target.org),
        "reissue": reissue,
        "history": history_of(target)[:20],
    }
    return render(request, "campaigns/target_detail.html", context)


@require_POST
@login_required
def target_sign(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(CampaignTarget.objects.select_related("org", "campaign"), pk=pk)
    if not has_perm_here(request.user, RECEIPT_SIGN, at=target.org):
        raise PermissionDenied
    if services.sign_campaign(target, by=request.user):
        messages.success(request, "已签收。")
    else:
        messages.info(request, "本单位已签收过该通知。")
    return redirect("campaigns:target", target.pk)


@login_required
def reissue(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("issuer"), pk=pk)
    org = request.user.org
    target = CampaignTarget.objects.filter(campaign=campaign, org=org).first()
    if target is None:
        raise Http404
    if not has_perm(request.user, CAMPAIGN_WRITE, at=org):
        raise PermissionDenied
    existing = selectors.reissue_of(campaign=campaign, org=org)
    if existing is not None:
        messages.info(request, "本单位已转发过该活动。")
        return redirect("campaigns:detail", existing.pk)
    if request.method == "POST":
        form = ReissueForm(request.POST, issuer=org)
        if form.is_valid():
            data = form.cleaned_data
            try:
                new = services.reissue_campaign(
                    campaign,
                    by=request.user,
                    title=data["title"],
                    plan_deadline=data["plan_deadline"],
                    summary_deadline=data["summary_deadline"],
                    target_units=list(data["target_units"]),
                    target_kinds=data["target_kinds"],
                )
            except CampaignError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "已生成转发草稿，可补充正文和附件，检查无误后发布。")
                return redirect("campaigns:detail", new.pk)
    else:
        form = ReissueForm(
            issuer=org,
            initial={
                "title": campaign.title,
                "plan_deadline": timezone.localtime(campaign.plan_deadline),
                "summary_deadline": timezone.localtime(campaign.summary_deadline)
                if campaign.summary_deadline
                else None,
            },
        )
    return render(request, "campaigns/reissue_form.html", {"form": form, "campaign": campaign, "target": target})


# ---------------------------------------------------------------------------------------------
# Plans


def _plan_initial(plan: Plan | None, user) -> dict:
    if plan is None:  # report once: who files is usually who is in charge
        return {"person_in_charge": user.full_name, "contact_phone": user.phone}
    return {
        "person_in_charge": plan.person_in_charge,
        "contact_phone": plan.contact_phone,
        "summary": plan.summary,
        "change_note": plan.change_note,
        "lines": list(plan.lines.values_list("pk", flat=True)),
    }


def _event_initial(plan: Plan | None) -> list[dict]:
    if plan is None:
        return []
    return [
        {
            "pk": e.pk,
            "title": e.title,
            "date": e.date,
            "place": e.place,
            "venue_type": e.venue_type,
            "expected_participants": e.expected_participants,
            "line": e.line_id,
            "outside_reason": e.outside_reason,
        }
        for e in PlannedEvent.objects.filter(plan=plan)
    ]


def _event_rows(formset) -> list[tuple[int, EventSpec]]:
    """(row index, spec) of every row the user filled in and did not tick 删除, even half-parsed,
    so that the service can judge all of them at once."""
    rows = []
    for index, form in enumerate(formset.forms):
        form.is_valid()  # cleaned_data holds the fields that parsed
        d = form.cleaned_data
        if not form.has_changed() or d.get("DELETE"):
            continue
        spec = EventSpec(
            pk=d.get("pk"),
            title=d.get("title") or "",
            date=d.get("date"),
            place=d.get("place") or "",
            venue_type=d.get("venue_type") or "",
            expected_participants=d.get("expected_participants") or 0,
            line=d.get("line"),
            outside_reason=d.get("outside_reason") or "",
        )
        rows.append((index, spec))
    return rows


def _show_problems(form: PlanForm, formset, rows: list[tuple[int, EventSpec]], problems) -> list[str]:
    """Put each problem next to its field or row, unless the form already says something there.

    Returns the problems that belong to no field (the events as a whole, an event that was
    removed from the page); the template also counts every field error, so nothing is hidden."""
    loose = []
    for name, found in problems.fields.items():
        if name not in form.fields:
            loose += found
        elif not form.errors.get(name):
            for message in found:
                form.add_error(name, message)
    for spec_index, fields in problems.events.items():
        row = formset.forms[rows[spec_index][0]]
        for name, found in fields.items():
            if not row.errors.get(name):
                for message in found:
                    row.add_error(name, message)
    by_pk = {f.cleaned_data.get("pk"): f for f in formset.forms if f.cleaned_data.get("pk")}
    for pk, message in problems.removed.items():
        if pk in by_pk:
            by_pk[pk].add_error(None, message)
        else:
            loose.append(message)
    return loose


def _error_count(form: PlanForm, formset) -> int:
    rows = sum(len(errors) for f in formset.forms for errors in f.errors.values())
    return sum(len(errors) for errors in form.errors.values()) + rows + len(formset.non_form_errors())


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(CampaignTarget.objects.select_related("campaign__issuer", "org"), pk=pk)
    if not has_perm_here(request.user, PLAN_WRITE, at=target.org):
        raise PermissionDenied
    campaign = target.campaign
    plan = Plan.objects.filter(target=target).first()
    if plan is not None and not plan.is_editable:
        messages.info(request, f"方案{plan.get_status_display()}，不能修改。")
        return redirect("campaigns:plan_detail", plan.pk)
    lines = ActivityLine.objects.filter(campaign=campaign)
    returned = plan is not None and plan.status == Plan.Status.RETURNED
    errors: list[str] = []
    if request.method == "POST":
        form = PlanForm(request.POST, lines=lines, returned=returned)
        formset = EventFormSet(request.POST, prefix="events", form_kwargs={"lines": lines})
        submitting = "submit" in request.POST
        # Both validated, never short-circuited, and the service's judgement added: one pass.
        form.is_valid()
        formset.is_valid()
        data = form.cleaned_data
        rows = _event_rows(formset)
        content = {
            "person_in_charge": data.get("person_in_charge", ""),
            "contact_phone": data.get("contact_phone", ""),
            "summary": data.get("summary", ""),
            "lines": list(data.get("lines", [])),
            "events": [spec for _index, spec in rows],
        }
        problems = services.plan_problems(target, plan=plan, submitting=submitting, **content)
        errors = _show_problems(form, formset, rows, problems)
        if not problems and form.is_valid() and formset.is_valid():
            try:
                with transaction.atomic():  # a plan that cannot be filed is not saved either
                    saved = services.save_plan(
                        target, by=request.user, change_note=data.get("change_note", ""), **content
                    )
                    if submitting:
                        services.submit_plan(saved, by=request.user)
            except PlanInvalid as exc:  # changed meanwhile (a ledger entry made from a removed event)
                errors = exc.problems.messages()
            except CampaignError as exc:
                errors = [str(exc)]
            else:
                if submitting:
                    messages.success(
                        request, f"方案已报送（第 {saved.version} 版），等待{campaign.issuer.display_name}审核。"
                    )
                else:
                    messages.success(request, "方案草稿已保存。")
                return redirect("campaigns:plan_detail", saved.pk)
    else:
        form = PlanForm(initial=_plan_initial(plan, request.user), lines=lines, returned=returned)
        formset = EventFormSet(prefix="events", initial=_event_initial(plan), form_kwargs={"lines": lines})
    context = {"form": form, "formset": formset, "target": target, "campaign": campaign, "plan": plan}
    context |= {"returned": returned, "errors": errors, "error_count": _error_count(form, formset) + len(errors)}
    return render(request, "campaigns/plan_form.html", context)


def _answered(plan: Plan, versions: list[PlanVersion]) -> dict | None:
    """A resubmission waiting for review: the reason it was returned for and the unit's answer."""
    if plan.status != Plan.Status.SUBMITTED or len(versions) < 2 or not versions[1].reason:
        return None
    return {"latest": versions[0], "previous": versions[1]}


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(
        Plan.objects.select_related("target__org", "target__campaign__issuer", "reviewed_by"), pk=pk
    )
    user = request.user
    versions = list(PlanVersion.objects.filter(plan=plan).select_related("submitted_by", "reviewed_by"))
    context = {
        "plan": plan,
        "target": plan.target,
        "campaign": plan.target.campaign,
        "events": PlannedEvent.objects.filter(plan=plan).select_related("line"),
        "plan_lines": plan.lines.all(),
        "versions": versions,
        "answered": _answered(plan, versions),
        "history": history_of(plan)[:50],
        "can_review": plan.status == Plan.Status.SUBMITTED and selectors.can_review(user, plan),
        "can_edit": plan.is_editable and has_perm_here(user, PLAN_WRITE, at=plan.target.org),
        "return_form": ReturnForm(),
    }
    return render(request, "campaigns/plan_detail.html", context)


def _plan_for_action(request: HttpRequest, pk: int) -> Plan:
    return get_object_or_404(Plan.objects.select_related("target__org", "target__campaign__issuer"), pk=pk)


@require_POST
@login_required
def plan_submit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_action(request, pk)
    if not has_perm_here(request.user, PLAN_WRITE, at=plan.target.org):
        raise PermissionDenied
    try:
        services.submit_plan(plan, by=request.user)
    except CampaignError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"方案已报送（第 {plan.version} 版）。")
    return redirect("campaigns:plan_detail", plan.pk)


@require_POST
@login_required
def plan_approve(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_action(request, pk)
    if not selectors.can_review(request.user, plan):
        raise PermissionDenied
    try:
        services.approve_plan(plan, by=request.user)
    except CampaignError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{plan.target.org.name}的方案已备案。")
    return redirect("campaigns:plan_detail", plan.pk)


@login_required
def plan_return(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_action(request, pk)
    if not selectors.can_review(request.user, plan):
        raise PermissionDenied
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.return_plan(plan, by=request.user, reason=form.cleaned_data["reason"])
        except CampaignError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已将{plan.target.org.name}的方案退回修改。")
            return redirect("campaigns:plan_detail", plan.pk)
    return render(request, "campaigns/plan_return.html", {"plan": plan, "form": form})


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    if not selectors.can_review_anything(request.user):
        raise PermissionDenied
    status = request.GET.get("status", Plan.Status.SUBMITTED)
    if status not in Plan.Status.values:
        status = ""
    try:
        campaign_id = int(request.GET.get("campaign") or 0)
    except ValueError:
        campaign_id = 0
    qs = selectors.review_queue(user=request.user, campaign_id=campaign_id, status=status)
    return render(
        request,
        "campaigns/review_queue.html",
        {
            "page": page_of(request, qs, 30),
            "status": status,
            "statuses": Plan.Status.choices,
            "Status": Plan.Status,
            "campaign_id": campaign_id,
            "campaigns": selectors.reviewable_campaigns(user=request.user),
        },
    )


@require_POST
@login_required
def plans_approve(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("plan") if i.isdigit()]
    back = request.POST.get("back", "")
    if not ids:
        messages.error(request, "请先勾选要备案的方案。")
    else:
        plans = list(Plan.objects.filter(pk__in=ids).select_related("target__org", "target__campaign__issuer"))
        if len(plans) != len(set(ids)):
            raise Http404
        try:
            count = services.approve_plans(plans, by=request.user)
        except CampaignError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已备案 {count} 份方案。")
    query = QueryDict(back).urlencode()
    return redirect(reverse("campaigns:review_queue") + (f"?{query}" if query else ""))
