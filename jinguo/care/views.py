"""Care registry pages. Every page is ``no-store`` (never kept by the browser), loads and checks
(outside the subtree 404, visible but not allowed 403), and logs each person it shows. No sensitive
value travels in a URL: people are named by id, searches are POSTs."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from jinguo.accounts.rules import has_perm
from jinguo.audit.selectors import history_of
from jinguo.care import crypto, exporting, importing, selectors, services, stats
from jinguo.care.forms import (
    AttachmentForm,
    CategoryForm,
    CloseForm,
    ConsentForm,
    ExportForm,
    FollowUpForm,
    HelpForm,
    ImportForm,
    MemberForm,
    PersonForm,
    RevealForm,
    SearchForm,
)
from jinguo.care.models import AccessLog, Category, Consent, DuplicateReport, HelpAttachment, HelpRecord, Person
from jinguo.care.rules import COUNTS_READ, REGISTRY_READ, REGISTRY_WRITE, is_care_admin, is_city_care_admin
from jinguo.care.services import CareError, DuplicateElsewhere, DuplicateInside
from jinguo.lib.client_ip import client_ip
from jinguo.lib.importflow import ImportFlow
from jinguo.lib.masking import mask_id_number, mask_phone
from jinguo.lib.views import int_or_none, page_of, require_viewer_org
from jinguo.orgs.models import Org

PAGE_SIZE = 20
denials = logging.getLogger("jinguo.care.access")
# The kept upload holds ID numbers: it is written encrypted, like the registry itself.
IMPORTS = ImportFlow(
    "care",
    seal=partial(crypto.encrypt_bytes, purpose="care.import"),
    unseal=partial(crypto.decrypt_bytes, purpose="care.import"),
)


def _logging_denials(view):
    """Every refused request (403, or 404 for something outside the viewer's subtree) is logged to
    ``jinguo.care.access`` with who, which page, which ids and from where — never a posted or
    queried value. Successful reads are ``AccessLog`` rows."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (PermissionDenied, Http404) as exc:
            match = request.resolver_match
            denials.warning(
                "care access refused: %s user=%s unit=%s page=%s ids=%s ip=%s",
                403 if isinstance(exc, PermissionDenied) else 404,
                request.user.pk,
                request.user.org_id,
                match.view_name if match else "",
                {k: v for k, v in kwargs.items() if isinstance(v, int)},
                client_ip(request),
            )
            raise

    return wrapped


def registry_page(view):
    """Signed in, never cached by the browser, and only for the care role (others: 403). Every
    posted value (ID numbers, phones, reasons, passwords) is starred in error reports; refusals
    are logged."""

    @functools.wraps(view)
    @sensitive_post_parameters()
    @login_required
    @never_cache
    @_logging_denials
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not has_perm(request.user, REGISTRY_READ, at=require_viewer_org(request)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def care_page(view):
    """Signed in and never cached; the view checks what the viewer may see (counts, admin pages)."""
    return functools.wraps(view)(sensitive_post_parameters()(login_required(never_cache(_logging_denials(view)))))


def _person_for(request: HttpRequest, pk: int, *, write: bool = False) -> Person:
    person = get_object_or_404(Person.objects.select_related("org"), pk=pk, anonymised_at__isnull=True)
    perm = REGISTRY_WRITE if write else REGISTRY_READ
    if not has_perm(request.user, perm, at=person.org):
        raise PermissionDenied
    return person


def _named(people, viewer):
    for p in people:
        p.shown_name = selectors.display_name(p, viewer)
    return people


# ---------------------------------------------------------------------------------------------
# List and search


@registry_page
def people(request: HttpRequest) -> HttpResponse:
    """GET: the list (filters by status, category, unit: nothing personal in the query string).
    POST: a search by name or exact ID number, whose words stay out of the URL."""
    org = request.user.org
    form = SearchForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = selectors.search_people(user=request.user, query=form.cleaned_data["q"])
        services.log_request_reads(request, result.people, AccessLog.Action.LIST)
        _named(result.people, request.user)
    status = request.GET.get("status", Person.Status.ACTIVE)
    category = int_or_none(request.GET.get("category"))
    page = None
    if result is None:  # a search shows its hits only: the list is not read (nor logged) under it
        unit = int_or_none(request.GET.get("org"))
        people_qs = selectors.people_list(user=request.user, status=status, category=category, org_id=unit)
        page = page_of(request, people_qs, PAGE_SIZE)
        services.log_request_reads(request, page.object_list, AccessLog.Action.LIST)
        _named(page.object_list, request.user)
    context = {
        "form": form,
        "result": result,
        "page": page,
        "status": status,
        "statuses": Person.Status.choices,
        "category": category,
        "categories": Category.objects.all(),
        "can_write": has_perm(request.user, REGISTRY_WRITE, at=org),
        "can_admin": is_care_admin(request.user, at=org),
        "city_care_admin": is_city_care_admin(request.user),
    }
    return render(request, "care/people.html", context)


# ---------------------------------------------------------------------------------------------
# Register and change


@registry_page
def person_create(request: HttpRequest) -> HttpResponse:
    org = request.user.org
    if not has_perm(request.user, REGISTRY_WRITE, at=org):
        raise PermissionDenied
    form = PersonForm(request.POST or None, viewer_org=org)
    existing = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.register_person(
                by=request.user,
                org=data["org"],
                categories=data["categories"],
                consent=form.consent(),
                guardian=form.guardian(),
                ip=client_ip(request),
                **form.person_fields(),
            )
        except DuplicateInside as exc:
            existing = exc.person
            existing.shown_name = selectors.display_name(existing, request.user)
            form.add_error("id_number", str(exc))
        except DuplicateElsewhere as exc:
            form.add_error("id_number", "已在其他单位登记。" + str(exc).split("。", 1)[1])
        except CareError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已登记。")
            return redirect("care:person", person.pk)
    return render(request, "care/person_form.html", {"form": form, "existing": existing, "registering": True})


@registry_page
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The ID number and phone are not put back into the form (they would be shown whole): the
    fields show the masks and stay empty; left empty, they keep their values."""
    person = _person_for(request, pk, write=True)
    initial = {f: getattr(person, f) for f in services.PERSON_FIELDS if f != "phone"}
    initial |= {"birth_date": person.birth_date, "sex": person.sex, "categories": list(person.categories.all())}
    form = PersonForm(request.POST or None, initial=initial, viewer_org=request.user.org, registering=False)
    form.fields["id_number"].widget.attrs["placeholder"] = mask_id_number(person.id_number) or "未填写"
    form.fields["phone"].widget.attrs["placeholder"] = mask_phone(person.phone) or "未填写"
    form.fields["id_number"].help_text = "留空表示不修改。"
    form.fields["phone"].help_text = "留空表示不修改。"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = form.person_fields()
        for kept in ("id_number", "phone"):
            if not changes.get(kept):
                changes.pop(kept, None)
        try:
            services.update_person(
                person, by=request.user, categories=data["categories"], ip=client_ip(request), **changes
            )
        except (DuplicateInside, DuplicateElsewhere) as exc:
            form.add_error("id_number", str(exc))
        except CareError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已保存。")
            return redirect("care:person", person.pk)
    else:
        services.log_request_reads(request, [person], AccessLog.Action.VIEW)
    return render(request, "care/person_form.html", {"form": form, "person": person, "registering": False})


# ---------------------------------------------------------------------------------------------
# The person


def _person_context(request: HttpRequest, person: Person, *, revealed: dict | None = None) -> dict:
    org = request.user.org
    records = list(person.help_records.select_related("campaign", "line").prefetch_related("attachments"))
    can_write = has_perm(request.user, REGISTRY_WRITE, at=person.org)
    return {
        "person": person,
        "masked": {"id_number": mask_id_number(person.id_number), "phone": mask_phone(person.phone)},
        "revealed": revealed or {},
        "categories": list(person.categories.all()),
        "members": list(person.members.all()),
        "consents": list(person.consents.all()),
        "records": records,
        "followups": list(person.followups.select_related("by")),
        "history": list(history_of(person)[:20]),
        "can_write": can_write,
        "can_admin": is_care_admin(request.user, at=person.org),
        "photo_consent": services.photo_consent_in_force(person),
        "reveal_form": RevealForm(),
        "attachment_form": AttachmentForm(),
        "close_form": CloseForm(),
        "today": timezone.localdate(),
        "viewer_org": org,
    }


@registry_page
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person_for(request, pk)
    services.log_request_reads(request, [person], AccessLog.Action.VIEW)
    return render(request, "care/person.html", _person_context(request, person))


@require_POST
@registry_page
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one masked value whole, for this response only, after a reason is given (logged)."""
    person = _person_for(request, pk)
    form = RevealForm(request.POST)
    if not form.is_valid():
        context = _person_context(request, person)
        context["reveal_form"] = form
        return render(request, "care/person.html", context, status=400)
    field = form.cleaned_data["field"]
    services.log_request_reads(
        request, [person], AccessLog.Action.REVEAL, field=field, reason=form.cleaned_data["reason"]
    )
    return render(
        request, "care/person.html", _person_context(request, person, revealed={field: getattr(person, field)})
    )


@registry_page
def person_print(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person_for(request, pk)
    services.log_request_reads(request, [person], AccessLog.Action.PRINT)
    return render(request, "care/person_print.html", _person_context(request, person))


@require_POST
@registry_page
def close(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person_for(request, pk, write=True)
    form = CloseForm(request.POST)
    try:
        services.close_person(person, by=request.user, reason=form.data.get("reason", ""))
    except CareError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已结案。")
    return redirect("care:person", person.pk)


@require_POST
@registry_page
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person_for(request, pk, write=True)
    services.reopen_person(person, by=request.user)
    messages.success(request, "已恢复在册。")
    return redirect("care:person", person.pk)


def _sub_form(request, pk, form_class, template, title, save, *, anchor):
    person = _person_for(request, pk, write=True)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            save(person, form)
        except CareError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已保存。")
            return redirect(reverse("care:person", args=[person.pk]) + anchor)
    return render(request, template, {"form": form, "person": person, "title": title})


@registry_page
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    def save(person, form):
        services.add_member(person, by=request.user, **form.cleaned_data)

    return _sub_form(request, pk, MemberForm, "care/sub_form.html", "添加家庭成员", save, anchor="#members")


@registry_page
def consent_add(request: HttpRequest, pk: int) -> HttpResponse:
    def save(person, form):
        services.record_consent(person, by=request.user, consent=form.consent())

    return _sub_form(request, pk, ConsentForm, "care/sub_form.html", "登记同意记录", save, anchor="#consents")


@require_POST
@registry_page
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The person (or guardian) withdraws a consent (PIPL Art. 15): recorded, from today."""
    consent = get_object_or_404(Consent.objects.select_related("person__org"), pk=pk)
    person = _person_for(request, consent.person_id, write=True)
    if consent.withdrawn_on is None:
        services.withdraw_consent(consent, by=request.user)
        messages.success(request, "已记录撤回同意。")
    return redirect(reverse("care:person", args=[person.pk]) + "#consents")


@registry_page
def help_add(request: HttpRequest, pk: int) -> HttpResponse:
    def save(person, form):
        services.record_help(person, by=request.user, **form.cleaned_data)

    return _sub_form(request, pk, HelpForm, "care/sub_form.html", "登记帮扶记录", save, anchor="#help")


@registry_page
def followup_add(request: HttpRequest, pk: int) -> HttpResponse:
    def save(person, form):
        services.record_followup(person, by=request.user, **form.cleaned_data)

    return _sub_form(request, pk, FollowUpForm, "care/sub_form.html", "登记回访", save, anchor="#followups")


@require_POST
@registry_page
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(HelpRecord.objects.select_related("person__org"), pk=pk)
    person = _person_for(request, record.person_id, write=True)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择文件和类型。")
    else:
        try:
            services.add_attachment(
                record, by=request.user, upload=form.cleaned_data["file"], kind=form.cleaned_data["kind"]
            )
        except CareError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "已上传。")
    return redirect(reverse("care:person", args=[person.pk]) + "#help")


@registry_page
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(HelpAttachment.objects.select_related("record__person"), pk=pk)
    person = _person_for(request, item.record.person_id)
    services.log_request_reads(request, [person], AccessLog.Action.ATTACHMENT, field=f"attachment:{item.pk}")
    response = HttpResponse(services.read_attachment(item), content_type=item.content_type)
    response["Content-Disposition"] = f'inline; filename="attachment-{item.pk}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------------------------------------
# Follow-ups due


@registry_page
def followups(request: HttpRequest) -> HttpResponse:
    overdue, soon = selectors.followups_due(user=request.user)
    services.log_request_reads(request, [*overdue, *soon], AccessLog.Action.LIST)
    _named(overdue, request.user)
    _named(soon, request.user)
    return render(request, "care/followups.html", {"overdue": overdue, "soon": soon, "today": timezone.localdate()})


# ---------------------------------------------------------------------------------------------
# Care admin: access log, unusual reading, duplicates


def _require_admin(request: HttpRequest, org: Org) -> None:
    if not is_care_admin(request.user, at=org):
        raise PermissionDenied


@registry_page
def access_log(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person_for(request, pk)
    _require_admin(request, person.org)
    page = page_of(request, selectors.access_log_of(person), 50)
    return render(request, "care/access_log.html", {"person": person, "page": page})


@registry_page
def unusual(request: HttpRequest) -> HttpResponse:
    _require_admin(request, request.user.org)
    days = int_or_none(request.GET.get("days")) or 7
    since = timezone.now() - dt.timedelta(days=min(days, 90))
    rows = selectors.unusual_reading(user=request.user, since=since)
    context = {"rows": rows, "days": days, "threshold": selectors.UNUSUAL_PEOPLE, "window": selectors.UNUSUAL_WINDOW}
    return render(request, "care/unusual.html", context)


@registry_page
def duplicates(request: HttpRequest) -> HttpResponse:
    _require_admin(request, request.user.org)
    reports = list(
        DuplicateReport.objects.visible_to(request.user)
        .select_related("person__org", "requesting_org", "common_org", "requested_by")
        .order_by("status", "-created_at")[:200]
    )
    return render(request, "care/duplicates.html", {"reports": reports})


def _report_for(request: HttpRequest, pk: int) -> DuplicateReport:
    report = get_object_or_404(DuplicateReport.objects.select_related("common_org", "requesting_org"), pk=pk)
    _require_admin(request, report.common_org)
    return report


@require_POST
@registry_page
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report_for(request, pk)
    try:
        services.transfer_person(report, by=request.user)
    except CareError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已转由{report.requesting_org.name}负责。")
    return redirect("care:duplicates")


@require_POST
@registry_page
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report_for(request, pk)
    try:
        services.dismiss_duplicate(report, by=request.user)
    except CareError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已维持原责任单位。")
    return redirect("care:duplicates")


# ---------------------------------------------------------------------------------------------
# Import and export


@registry_page
def import_template(request: HttpRequest) -> HttpResponse:
    return importing.template_response()


def _require_import(request: HttpRequest) -> None:
    if not has_perm(request.user, REGISTRY_WRITE, at=request.user.org):
        raise PermissionDenied


@registry_page
def import_upload(request: HttpRequest) -> HttpResponse:
    _require_import(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if token := IMPORTS.upload(request, form):
        return redirect("care:import_preview", token=token)
    return render(request, "care/import_upload.html", {"form": form})


@registry_page
def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    _require_import(request)
    run = IMPORTS.run(request, token, partial(importing.import_people, by=request.user, ip=client_ip(request)))
    if run is None:
        return redirect("care:import")
    if run.written:
        messages.success(request, f"已导入 {len(run.result.rows)} 人。")
        return redirect("care:people")
    return render(request, "care/import_preview.html", run.preview_context(rows=run.result.rows))


@registry_page
def export(request: HttpRequest) -> HttpResponse:
    org = request.user.org
    if not has_perm(request.user, REGISTRY_READ, at=org) or not is_care_admin(request.user, at=org):
        raise PermissionDenied
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return exporting.export_response(request, **form.cleaned_data)
    return render(request, "care/export.html", {"form": form})


# ---------------------------------------------------------------------------------------------
# The city: categories and what retention will purge


@care_page
def categories(request: HttpRequest) -> HttpResponse:
    if not is_city_care_admin(request.user):
        raise PermissionDenied
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_category(by=request.user, **form.cleaned_data)
        except CareError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已添加。")
            return redirect("care:categories")
    return render(request, "care/categories.html", {"form": form, "categories": Category.objects.all()})


@care_page
def retention(request: HttpRequest) -> HttpResponse:
    if not is_city_care_admin(request.user):
        raise PermissionDenied
    from jinguo.care.retention import forecast

    rows = forecast(user=request.user)
    return render(request, "care/retention.html", rows)


# ---------------------------------------------------------------------------------------------
# Aggregates


@care_page
def dashboard(request: HttpRequest) -> HttpResponse:
    viewer_org = require_viewer_org(request)
    if not has_perm(request.user, COUNTS_READ, at=viewer_org):
        raise PermissionDenied
    org_pk = int_or_none(request.GET.get("org"))
    org = get_object_or_404(Org.objects, pk=org_pk) if org_pk else viewer_org
    if not org.is_within(viewer_org):
        raise Http404
    context = stats.dashboard_context(user=request.user, org=org, params=request.GET)
    return render(request, "care/dashboard.html", context)
