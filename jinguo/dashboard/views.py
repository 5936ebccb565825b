from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from jinguo.campaigns.models import Campaign
from jinguo.dashboard.selectors import (
    NO_PLAN,
    PLAN_FILTER_CHOICES,
    MatrixFilters,
    matrix_rows,
    matrix_stats,
    sees_whole_matrix,
)
from jinguo.lib.excel import xlsx_response
from jinguo.orgs.models import Org

MATRIX_PAGE_SIZE = 100


def _get_campaign_for_user(request: HttpRequest, pk: int) -> Campaign:
    # Scoped: a campaign neither issued in nor sent into the viewer's subtree is a 404.
    return get_object_or_404(Campaign.objects.select_related("issuer", "parent"), pk=pk)


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


@login_required
def matrix(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _get_campaign_for_user(request, pk)
    now = timezone.now()
    rows = matrix_rows(campaign, user=request.user, now=now)
    filters = MatrixFilters.from_params(request.GET)
    page = Paginator(filters.apply(rows), MATRIX_PAGE_SIZE).get_page(request.GET.get("page"))
    # Labels are lazy translations; resolving them once per page, not once per row, halves render time.
    plan_labels, kind_labels = _labels(PLAN_FILTER_CHOICES), _labels(Org.Kind.choices)
    targets = list(page.object_list)
    for t in targets:
        t.plan_label = plan_labels[t.plan_status or NO_PLAN]
        t.kind_label = kind_labels[t.org.kind]
    context = {
        "campaign": campaign,
        "stats": matrix_stats(rows),
        "page": page,
        "targets": targets,
        "filters": filters,
        "whole": sees_whole_matrix(campaign, user=request.user),
        "deadline_passed": now > campaign.plan_deadline,
        "as_of": now,
        "plan_choices": plan_labels.items(),
        "kind_choices": kind_labels.items(),
        "query": request.GET.urlencode(),
    }
    return render(request, "dashboard/matrix.html", context)


EXPORT_HEADER = ["单位", "单位类型", "上级单位", "是否签收", "签收时间", "签收人", "方案状态", "报送时间", "是否逾期"]


def _fmt(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@login_required
def matrix_export(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _get_campaign_for_user(request, pk)
    filters = MatrixFilters.from_params(request.GET)
    rows = filters.apply(matrix_rows(campaign, user=request.user))
    plan_labels, kind_labels = _labels(PLAN_FILTER_CHOICES), _labels(Org.Kind.choices)
    data = (
        [
            t.org.name,
            kind_labels[t.org.kind],
            t.org.parent.name if t.org.parent else "",
            "已签收" if t.signed_at else "未签收",
            _fmt(t.signed_at),
            t.signed_by.display_name if t.signed_by else "",
            plan_labels[t.plan_status or NO_PLAN],
            _fmt(t.plan_submitted_at),
            "逾期" if t.is_overdue else "",
        ]
        for t in rows.iterator(chunk_size=1000)
    )
    filename = f"督导矩阵_{campaign.title}_{timezone.localtime():%Y%m%d%H%M}.xlsx"
    return xlsx_response(filename, [("督导矩阵", EXPORT_HEADER, data)])
