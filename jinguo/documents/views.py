"""Downloads of the documents a federation files on paper, each loaded and scoped like its page:
outside the viewer's subtree the object does not exist (404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header

from jinguo.campaigns.models import Campaign, Plan
from jinguo.campaigns.selectors import receipt_figures
from jinguo.dashboard.selectors import MatrixFilters, matrix_rows
from jinguo.documents import builders
from jinguo.lib import gongwen
from jinguo.lib.excel import Caption
from jinguo.lib.views import require_viewer_org
from jinguo.reports.models import Report

FORMATS = {
    "docx": (gongwen.render_docx, gongwen.DOCX_CONTENT_TYPE),
    "pdf": (gongwen.render_pdf, gongwen.PDF_CONTENT_TYPE),
}


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise Http404


def _document_response(doc: gongwen.Document, fmt: str, name: str) -> HttpResponse:
    """The .docx as a download; the PDF opens in the browser (a phone shows it in place)."""
    render, content_type = FORMATS[fmt]
    response = HttpResponse(render(doc), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(fmt == "docx", f"{name}.{fmt}")
    return response


@login_required
def notice(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    _check_format(fmt)
    # Scoped like the campaign's pages: issued in, or sent into, the viewer's subtree; else 404.
    campaign = get_object_or_404(Campaign.objects.select_related("issuer"), pk=pk)
    return _document_response(builders.notice_document(campaign), fmt, campaign.title)


@login_required
def plan(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    _check_format(fmt)
    # Scoped like plan_detail: the plan's unit lies in the viewer's subtree.
    plan = get_object_or_404(Plan.objects.select_related("target__org", "target__campaign__issuer"), pk=pk)
    return _document_response(builders.plan_document(plan), fmt, f"{plan.target.org.name}活动方案备案表")


@login_required
def report(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    _check_format(fmt)
    # Scoped like report_detail (the sending or the reviewing side); only an adopted report prints.
    report = get_object_or_404(Report.objects.select_related("org", "to_org"), pk=pk, status=Report.Status.ADOPTED)
    return _document_response(builders.report_document(report), fmt, report.title)


@login_required
def matrix(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    _check_format(fmt)
    require_viewer_org(request)
    # As dashboard.views.matrix: the campaign through the scoped manager, the rows the viewer may see.
    campaign = get_object_or_404(Campaign.objects.select_related("issuer"), pk=pk)
    now = timezone.now()
    filters = MatrixFilters.from_params(request.GET)
    rows = filters.apply(matrix_rows(campaign, user=request.user, now=now))
    doc = builders.matrix_document(
        campaign,
        rows,
        figures=receipt_figures(user=request.user, campaign=campaign, now=now),
        by=Caption.of("", user=request.user).by,
        now=now,
        filtered=filters.active,
    )
    return _document_response(doc, fmt, f"督导矩阵_{campaign.title}_{timezone.localtime(now):%Y%m%d%H%M}")
