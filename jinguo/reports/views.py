from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinguo.activities.models import ActivityPhoto
from jinguo.audit.selectors import history_of
from jinguo.campaigns.models import Campaign
from jinguo.lib.excel import Caption, xlsx_response
from jinguo.lib.rates import rate_cell
from jinguo.lib.views import int_or_none, page_of, require_viewer_org
from jinguo.orgs.models import Org
from jinguo.reports import selectors, services
from jinguo.reports.forms import AdoptForm, RejectForm, ReportForm, ReviseForm, VoidForm
from jinguo.reports.models import Report, ReportAdoption, ReportPhoto, ReportRevision
from jinguo.reports.services import ReportError

PAGE_SIZE = 20
YEARS_BACK = 6


def _years() -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year, this_year - YEARS_BACK, -1))


def _fmt(value):
    """A time for an export cell: the time itself (written as an Excel time), or empty."""
    return value or ""


@dataclass
class Filters:
    """The filter bar of the review, ranking and library pages, parsed from the query string."""

    kind: str = ""
    status: str = ""
    unit: Org | None = None
    campaign_id: int | None = None
    year: int | None = None
    q: str = ""

    @classmethod
    def parse(cls, request: HttpRequest, *, default_status: str = "") -> Filters:
        params = request.GET
        kind = params.get("kind", "")
        status = params.get("status", default_status)
        unit_id = int_or_none(params.get("unit"))
        year = int_or_none(params.get("year"))
        return cls(
            kind=kind if kind in Report.Kind.values else "",
            status=status if status in Report.Status.values else "",
            # Scoped: a unit outside the viewer's subtree does not exist here.
            unit=get_object_or_404(Org.objects, pk=unit_id) if unit_id else None,
            campaign_id=int_or_none(params.get("campaign")),
            year=year if year and 2000 <= year <= 2100 else None,
            q=params.get("q", "").strip()[:50],
        )


def _get_report(pk: int) -> Report:
    # Scoped: outside the viewer's subtree (and not sent to it) → 404.
    return get_object_or_404(
        Report.objects.select_related("org", "to_org", "campaign", "submitted_by", "reviewed_by", "voided_by"), pk=pk
    )


# ---------------------------------------------------------------------------------------------
# The unit's side


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    require_viewer_org(request)
    f = Filters.parse(request)
    qs = selectors.unit_reports(user=request.user, kind=f.kind, status=f.status, q=f.q)
    context = {
        "page": page_of(request, qs, PAGE_SIZE),
        "f": f,
        "kinds": Report.Kind.choices,
        "statuses": Report.Status.choices,
        "can_write": selectors.can_write_here(request.user),
    }
    return render(request, "reports/unit_list.html", context)


def _report_form(request: HttpRequest, org: Org, *, data=None, initial=None) -> ReportForm:
    return ReportForm(
        data,
        initial=initial,
        campaigns=services.campaigns_for(org),
        activities=services.activities_for(org),
    )


def _posted_photos(request: HttpRequest, form: ReportForm) -> list:
    uploads = request.FILES.getlist("photos")
    for upload in uploads:
        try:
            services.check_photo(upload)
        except ReportError as exc:
            form.add_error(None, f"{exc}（请重新选择图片）")
    return uploads


def _save_from_form(
    request: HttpRequest, form: ReportForm, report: Report | None, *, ledger_photos=()
) -> Report | None:
    """Save (and submit if asked) from a valid form, with the chosen ``ledger_photos`` copied in;
    on a refused change, put the message on the form."""
    uploads = _posted_photos(request, form)
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        report = services.save_report(
            report,
            by=request.user,
            kind=data["kind"],
            title=data["title"],
            body=data["body"],
            campaign=data["campaign"],
            activities=list(data["activities"]),
        )
        if ledger_photos:
            services.copy_activity_photos(report, by=request.user, photos=ledger_photos)
        for upload in uploads:
            services.add_report_photo(report, by=request.user, upload=upload)
        if "submit" in request.POST:
            services.submit_report(report, by=request.user)
    except ReportError as exc:
        form.add_error(None, str(exc))
        return None
    if "submit" in request.POST:
        messages.success(request, f"信息已报送，等待{report.to_org.name}审核。")
    else:
        messages.success(request, "草稿已保存。")
    return report


LEDGER_PICKER_SIZE = 100


@login_required
def report_create(request: HttpRequest) -> HttpResponse:
    """写信息; from a ledger entry (``?activity=``, or picked on the form) the form opens filled
    with its campaign, facts and photos, and nothing is saved until the user saves."""
    if not selectors.can_write_here(request.user):
        raise PermissionDenied
    org = request.user.org
    activity_pk = int_or_none(request.POST.get("from_activity") or request.GET.get("activity"))
    # Scoped and narrowed to the unit's own entries: another unit's entry is a 404.
    activity = get_object_or_404(services.activities_for(org), pk=activity_pk) if activity_pk else None
    ledger_photos = list(ActivityPhoto.objects.filter(activity=activity)) if activity else []
    if request.method == "POST":
        form = _report_form(request, org, data=request.POST)
        chosen = set(request.POST.getlist("ledger_photos"))
        picked = [p for p in ledger_photos if str(p.pk) in chosen]
        report = _save_from_form(request, form, None, ledger_photos=picked)
        if report is not None:
            return redirect("reports:detail", report.pk)
    else:
        if activity is not None:
            initial = selectors.draft_from_activity(activity, campaigns=services.campaigns_for(org))
        else:
            initial = {"campaign": int_or_none(request.GET.get("campaign"))}
        form = _report_form(request, org, initial=initial)
        chosen = {str(p.pk) for p in ledger_photos}
    context = {
        "form": form,
        "report": None,
        "photos": [],
        "activity": activity,
        "ledger_photos": [(p, str(p.pk) in chosen) for p in ledger_photos],
        "ledger": services.activities_for(org)[:LEDGER_PICKER_SIZE],
    }
    return render(request, "reports/report_form.html", context)


@login_required
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report(pk)
    if not selectors.can_edit(request.user, report):
        if report.is_editable:
            raise PermissionDenied
        messages.info(request, f"信息{report.get_status_display()}，不能再修改。")
        return redirect("reports:detail", report.pk)
    if request.method == "POST":
        form = _report_form(request, report.org, data=request.POST)
        saved = _save_from_form(request, form, report)
        if saved is not None:
            return redirect("reports:detail", saved.pk)
    else:
        initial = {
            "kind": report.kind,
            "campaign": report.campaign_id,
            "title": report.title,
            "body": report.body,
            "activities": list(report.activities.values_list("pk", flat=True)),
        }
        form = _report_form(request, report.org, initial=initial)
    photos = ReportPhoto.objects.filter(report=report)
    return render(request, "reports/report_form.html", {"form": form, "report": report, "photos": photos})


@require_POST
@login_required
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report(pk)
    try:
        services.submit_report(report, by=request.user)
    except ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"信息已报送，等待{report.to_org.name}审核。")
    return redirect("reports:detail", report.pk)


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report(pk)
    user = request.user
    can_review = report.is_reviewable and selectors.can_review(user, report)
    context = {
        "report": report,
        "photos": ReportPhoto.objects.filter(report=report),
        "activities": report.activities.all(),
        "adoptions": ReportAdoption.objects.filter(report=report).select_related("adopted_by"),
        "revisions": ReportRevision.objects.filter(report=report).select_related("edited_by"),
        "history": history_of(report)[:50],
        "can_edit": selectors.can_edit(user, report),
        "can_review": can_review,
        "can_reject": can_review and report.status == Report.Status.SUBMITTED,
        "can_void": services.may_void(user, report),
        "can_restore": services.may_restore(user, report),
    }
    return render(request, "reports/report_detail.html", context)


@login_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    photo = get_object_or_404(ReportPhoto.objects, pk=pk)
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=photo.content_type, filename=photo.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@login_required
def photo_delete(request: HttpRequest, pk: int) -> HttpResponse:
    photo = get_object_or_404(ReportPhoto.objects.select_related("report__org"), pk=pk)
    try:
        services.remove_report_photo(photo, by=request.user)
    except ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已删除图片“{photo.original_name}”。")
    return redirect("reports:edit", photo.report_id)


# ---------------------------------------------------------------------------------------------
# The reviewing side


def _reviewable(request: HttpRequest, pk: int) -> Report:
    report = _get_report(pk)
    if not selectors.can_review(request.user, report):
        raise PermissionDenied
    return report


def _queue(request: HttpRequest) -> tuple[Filters, object]:
    if not selectors.can_review_anything(request.user):
        raise PermissionDenied
    f = Filters.parse(request, default_status=Report.Status.SUBMITTED)
    if request.GET.get("status") == "all":
        f.status = ""
    qs = selectors.review_queue(
        user=request.user, kind=f.kind, status=f.status, unit=f.unit, campaign_id=f.campaign_id, q=f.q
    )
    return f, qs


@login_required
def review(request: HttpRequest) -> HttpResponse:
    f, qs = _queue(request)
    context = {
        "page": page_of(request, qs, PAGE_SIZE),
        "f": f,
        "kinds": Report.Kind.choices,
        "statuses": [s for s in Report.Status.choices if s[0] != Report.Status.DRAFT],
        "Status": Report.Status,
        "units": selectors.filter_units(user=request.user),
        "campaigns": selectors.review_campaigns(user=request.user),
        "query": request.GET.urlencode(),
    }
    return render(request, "reports/review.html", context)


REVIEW_HEADER = ["标题", "类别", "报送单位", "所属活动", "状态", "报送时间", "报送人", "审核时间", "未采用原因"]


@login_required
def review_export(request: HttpRequest) -> HttpResponse:
    _, qs = _queue(request)
    rows = (
        [
            r.title,
            r.get_kind_display(),
            r.org.name,
            r.campaign.title if r.campaign else "",
            r.get_status_display(),
            _fmt(r.submitted_at),
            r.submitted_by.display_name if r.submitted_by else "",
            _fmt(r.reviewed_at),
            r.reject_reason,
        ]
        for r in qs.iterator(chunk_size=1000)
    )
    filename = f"信息审核_{request.user.org.display_name}_{timezone.localdate():%Y%m%d}.xlsx"
    caption = Caption.of(f"信息审核 · 报送给{request.user.org.name}的信息", user=request.user)
    return xlsx_response(filename, [("信息审核", REVIEW_HEADER, rows)], caption=caption)


@login_required
def report_adopt(request: HttpRequest, pk: int) -> HttpResponse:
    report = _reviewable(request, pk)
    adopted = list(ReportAdoption.objects.filter(report=report).values_list("channel", flat=True))
    form = AdoptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.adopt_report(report, by=request.user, channels=form.cleaned_data["channels"])
        except ReportError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已采用{report.org.name}的信息。")
            return redirect("reports:detail", report.pk)
    labels = "、".join(str(ReportAdoption.Channel(c).label) for c in adopted)
    return render(request, "reports/adopt.html", {"report": report, "form": form, "adopted_labels": labels})


@login_required
def report_reject(request: HttpRequest, pk: int) -> HttpResponse:
    report = _reviewable(request, pk)
    form = RejectForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reject_report(report, by=request.user, reason=form.cleaned_data["reason"])
        except ReportError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已将{report.org.name}的信息标为未采用。")
            return redirect("reports:detail", report.pk)
    return render(request, "reports/reject.html", {"report": report, "form": form})


@login_required
def report_revise(request: HttpRequest, pk: int) -> HttpResponse:
    report = _reviewable(request, pk)
    if request.method == "POST":
        form = ReviseForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.edit_report_as_reviewer(
                    report, by=request.user, title=data["title"], body=data["body"], note=data["note"]
                )
            except ReportError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "修改已保存，修改前后的内容记录在“修改记录”中。")
                return redirect("reports:detail", report.pk)
    else:
        form = ReviseForm(initial={"title": report.title, "body": report.body})
    return render(request, "reports/revise.html", {"report": report, "form": form})


# ---------------------------------------------------------------------------------------------
# Voiding


@login_required
def report_void(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report(pk)
    if not services.may_void(request.user, report):
        if report.is_voided:
            messages.info(request, "信息已作废。")
            return redirect("reports:detail", report.pk)
        raise PermissionDenied
    form = VoidForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.void_report(report, by=request.user, reason=form.cleaned_data["reason"])
        except ReportError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "信息已作废，不再计入报送、采用和排行。")
            return redirect("reports:detail", report.pk)
    return render(request, "reports/void.html", {"report": report, "form": form})


@require_POST
@login_required
def report_restore(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report(pk)
    try:
        services.restore_report(report, by=request.user)
    except ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"信息已恢复为“{report.get_status_display()}”。")
    return redirect("reports:detail", report.pk)


# ---------------------------------------------------------------------------------------------
# Ranking and library


def _ranking_parent(request: HttpRequest) -> Org:
    require_viewer_org(request)
    unit_id = int_or_none(request.GET.get("unit"))
    return get_object_or_404(Org.objects, pk=unit_id) if unit_id else request.user.org


def _campaign_choices(user):
    return (
        Campaign.objects.filter(issuer__in=Org.objects.filter(user.org.subtree_q()).values("pk"))
        .only("pk", "title")
        .exclude(status=Campaign.Status.DRAFT)
        .order_by("-published_at")[:50]
    )


@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    parent = _ranking_parent(request)
    f = Filters.parse(request)
    rows = selectors.ranking(user=request.user, parent=parent, campaign=f.campaign_id, year=f.year)
    ancestors = list(
        Org.objects.filter(path__in=parent.ancestor_paths(), depth__gte=request.user.org.depth).order_by("path")
    )
    context = {
        "parent": parent,
        "ancestors": ancestors,
        "page": page_of(request, rows, 100),
        "f": f,
        "years": _years(),
        "campaigns": _campaign_choices(request.user),
        "rule": selectors.RANKING_RULE,
        "query": request.GET.urlencode(),
        "as_of": timezone.now(),
    }
    return render(request, "reports/ranking.html", context)


RANKING_HEADER = ["名次", "单位", "报送数", "采用数", "采用率（%）", "未采用", "待审核"]


def _rate_label(r: selectors.UnitReportCounts) -> str | float:
    """The 采用率 cell: the rate, or why there is none yet (待审核 / —)."""
    if r.rate is None and r.pending:
        return "待审核"
    return rate_cell(r.rate)


@login_required
def ranking_export(request: HttpRequest) -> HttpResponse:
    parent = _ranking_parent(request)
    f = Filters.parse(request)
    rows = selectors.ranking(user=request.user, parent=parent, campaign=f.campaign_id, year=f.year)
    data = [[r.rank, r.org.name, r.submitted, r.adopted, _rate_label(r), r.rejected, r.pending] for r in rows]
    filename = f"信息采用排行_{parent.display_name}_{timezone.localdate():%Y%m%d}.xlsx"
    caption = Caption.of(f"信息采用排行 · {parent.name}的下级单位", user=request.user)
    return xlsx_response(filename, [("采用排行", RANKING_HEADER, data)], caption=caption)


@login_required
def library(request: HttpRequest) -> HttpResponse:
    require_viewer_org(request)
    f = Filters.parse(request)
    qs = selectors.practice_library(user=request.user, q=f.q, unit=f.unit, year=f.year)
    context = {
        "page": page_of(request, qs, PAGE_SIZE),
        "f": f,
        "units": selectors.filter_units(user=request.user),
        "years": _years(),
    }
    return render(request, "reports/library.html", context)
