from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jinguo.audit.selectors import history_of
from jinguo.campaigns.models import Campaign
from jinguo.lib.views import require_viewer_org
from jinguo.summaries import documents, selectors, services
from jinguo.summaries.drafting import chinese_ordinal
from jinguo.summaries.models import Paragraph, Section, Summary
from jinguo.summaries.services import SummaryError


def _get_summary(request: HttpRequest, pk: int) -> Summary:
    # Scoped: another subtree's summary (a sibling county's) is a 404.
    return get_object_or_404(Summary.objects.select_related("org", "to_org", "campaign", "reviewed_by"), pk=pk)


def _editable_summary(request: HttpRequest, summary: Summary) -> Summary:
    if not selectors.can_edit(request.user, summary):
        raise PermissionDenied
    return summary


def _get_paragraph(request: HttpRequest, pk: int) -> Paragraph:
    paragraph = get_object_or_404(Paragraph.objects.select_related("section__summary__org"), pk=pk)
    _editable_summary(request, paragraph.section.summary)
    return paragraph


def _get_section(request: HttpRequest, pk: int) -> Section:
    section = get_object_or_404(Section.objects.select_related("summary__org"), pk=pk)
    _editable_summary(request, section.summary)
    return section


@login_required
def index(request: HttpRequest) -> HttpResponse:
    require_viewer_org(request)
    context = {
        "lines": selectors.summary_campaigns(user=request.user),
        "can_write": selectors.can_write_here(request.user),
        "can_review": selectors.can_review_anything(request.user),
    }
    if context["can_review"]:
        context["queue"] = list(selectors.review_queue(user=request.user))
    return render(request, "summaries/index.html", context)


@login_required
@require_POST
def draft(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    org = require_viewer_org(request)
    campaign = get_object_or_404(Campaign.objects.select_related("issuer"), pk=campaign_pk)
    try:
        summary = services.draft_summary(campaign, unit=org, by=request.user)
    except SummaryError as exc:
        messages.error(request, str(exc))
        return redirect("summaries:index")
    messages.success(request, "已根据台账等数据起草总结，标记为“数据”的段落由系统生成，可直接修改。")
    return redirect("summaries:detail", summary.pk)


def _numbered(sections: list[Section]) -> list[tuple[str, Section]]:
    return [(chinese_ordinal(i), s) for i, s in enumerate(sections, start=1)]


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    summary = _get_summary(request, pk)
    context = {
        "summary": summary,
        "sections": _numbered(selectors.sections_of(summary)),
        "can_edit": selectors.can_edit(request.user, summary),
        "can_review": services.can_review(request.user, summary) and summary.status == Summary.Status.SUBMITTED,
        "versions": selectors.versions_of(summary),
        "history": history_of(summary),
    }
    return render(request, "summaries/detail.html", context)


def _section_response(request: HttpRequest, section: Section, *, error: str = "", **extra) -> HttpResponse:
    """The section's partial for htmx (re-read, numbered as on the page), else back to the page."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(reverse("summaries:detail", args=[section.summary_id]) + f"#section-{section.pk}")
    sections = selectors.sections_of(section.summary)
    number, fresh = next((i, s) for i, s in enumerate(sections, start=1) if s.pk == section.pk)
    context = {"number": chinese_ordinal(number), "section": fresh, "summary": section.summary, "can_edit": True}
    return render(request, "summaries/_section.html", context | {"error": error} | extra)


@login_required
def section(request: HttpRequest, pk: int) -> HttpResponse:
    """The section's partial (htmx: 取消 while editing), else the page at the section."""
    return _section_response(request, _get_section(request, pk))


@login_required
def paragraph_edit(request: HttpRequest, pk: int) -> HttpResponse:
    paragraph = _get_paragraph(request, pk)
    section = paragraph.section
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            services.update_paragraph(paragraph, by=request.user, text=text)
        except SummaryError as exc:
            # Nothing typed is lost: the form comes back with the text and the error.
            if not request.htmx:
                context = {"paragraph": paragraph, "summary": section.summary, "text": text, "error": str(exc)}
                return render(request, "summaries/paragraph_form.html", context, status=422)
            return _section_response(request, section, editing=paragraph.pk, draft_text=text, error=str(exc))
        return _section_response(request, section)
    if request.htmx:
        return _section_response(request, section, editing=paragraph.pk, draft_text=paragraph.text)
    context = {"paragraph": paragraph, "summary": section.summary, "text": paragraph.text}
    return render(request, "summaries/paragraph_form.html", context)


@login_required
@require_POST
def paragraph_delete(request: HttpRequest, pk: int) -> HttpResponse:
    paragraph = _get_paragraph(request, pk)
    section = paragraph.section
    services.delete_paragraph(paragraph, by=request.user)
    return _section_response(request, section)


@login_required
@require_POST
def paragraph_move(request: HttpRequest, pk: int) -> HttpResponse:
    paragraph = _get_paragraph(request, pk)
    services.move_paragraph(paragraph, by=request.user, up=request.POST.get("direction") == "up")
    return _section_response(request, paragraph.section)


@login_required
@require_POST
def paragraph_add(request: HttpRequest, pk: int) -> HttpResponse:
    section = _get_section(request, pk)
    text = request.POST.get("text", "")
    try:
        services.add_paragraph(section, by=request.user, text=text)
    except SummaryError as exc:
        return _section_response(request, section, adding=True, new_text=text, error=str(exc))
    return _section_response(request, section)


@login_required
@require_POST
def section_rename(request: HttpRequest, pk: int) -> HttpResponse:
    section = _get_section(request, pk)
    try:
        services.rename_section(section, by=request.user, heading=request.POST.get("heading", ""))
    except SummaryError as exc:
        return _section_response(request, section, error=str(exc))
    return _section_response(request, section)


@login_required
@require_POST
def section_add(request: HttpRequest, pk: int) -> HttpResponse:
    summary = _editable_summary(request, _get_summary(request, pk))
    try:
        section = services.add_section(summary, by=request.user, heading=request.POST.get("heading", ""))
    except SummaryError as exc:
        messages.error(request, str(exc))
        return redirect("summaries:detail", summary.pk)
    return redirect(reverse("summaries:detail", args=[summary.pk]) + f"#section-{section.pk}")


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    summary = _get_summary(request, pk)
    try:
        version = services.submit_summary(summary, by=request.user)
    except SummaryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"总结已报送{summary.to_org.name}（第 {version.number} 版），等待审核。")
    return redirect("summaries:detail", summary.pk)


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    summary = _get_summary(request, pk)
    try:
        services.accept_summary(summary, by=request.user)
    except SummaryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已通过{summary.org.name}的活动总结。")
    return redirect("summaries:detail", summary.pk)


@login_required
@require_POST
def return_(request: HttpRequest, pk: int) -> HttpResponse:
    summary = _get_summary(request, pk)
    reason = request.POST.get("reason", "")
    try:
        services.return_summary(summary, by=request.user, reason=reason)
    except SummaryError as exc:
        messages.error(request, str(exc))
        return render(
            request,
            "summaries/detail.html",
            {
                "summary": summary,
                "sections": _numbered(selectors.sections_of(summary)),
                "can_review": services.can_review(request.user, summary),
                "reason": reason,
                "versions": selectors.versions_of(summary),
                "history": history_of(summary),
            },
            status=422,
        )
    messages.success(request, f"已将{summary.org.name}的活动总结退回修改。")
    return redirect("summaries:detail", summary.pk)


@login_required
def download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The summary as a .docx or PDF in 公文 format (whoever may read it may print it)."""
    summary = _get_summary(request, pk)
    if fmt not in documents.FORMATS:
        raise Http404
    data = documents.render(documents.summary_document(summary), fmt)
    response = HttpResponse(data, content_type=documents.FORMATS[fmt][1])
    disposition = "inline" if fmt == "pdf" else "attachment"
    quoted = quote(documents.filename(summary.title, fmt))
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quoted}"
    return response
