from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from jinguo.activities.models import Activity
from jinguo.campaigns.models import Campaign, PlanState, VenueType
from jinguo.campaigns.selectors import receipt_figures
from jinguo.care.rules import sees_small_cells
from jinguo.care.stats import care_cells
from jinguo.dashboard import selectors as board_selectors
from jinguo.dashboard.columns import matrix_columns, with_columns
from jinguo.dashboard.selectors import MatrixFilters, matrix_rows, sees_whole_matrix
from jinguo.lib.excel import Caption, xlsx_response
from jinguo.lib.rates import rate_cell
from jinguo.lib.views import int_or_none, page_of
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
    page = page_of(request, with_columns(filters.apply(rows)), MATRIX_PAGE_SIZE)
    # Labels are lazy translations; resolving them once per page, not once per row, halves render time.
    kind_labels = _labels(Org.Kind.choices)
    targets = list(page.object_list)
    for t in targets:
        t.kind_label = kind_labels[t.org.kind]
    figures = receipt_figures(user=request.user, campaign=campaign, now=now)
    context = {
        "campaign": campaign,
        # The viewer's rows are the receipts in its subtree: the same figure as the board's and the issuer page's.
        "figures": figures,
        "stats": figures.own,
        "page": page,
        "targets": targets,
        "filters": filters,
        "whole": sees_whole_matrix(campaign, user=request.user),
        "deadline_passed": now > campaign.plan_deadline,
        "as_of": now,
        "plan_choices": PlanState.choices,
        "kind_choices": kind_labels.items(),
        "query": request.GET.urlencode(),
        "columns": matrix_columns(),
    }
    return render(request, "dashboard/matrix.html", context)


EXPORT_HEADER = ["单位", "单位类型", "上级单位", "是否签收", "签收时间", "签收人", "方案状态", "报送时间", "是否逾期"]


def plan_timing(target) -> str:
    """The "是否逾期" cell of a receipt annotated by ``with_plan_state``."""
    return "逾期" if target.is_overdue else ("逾期报送" if target.is_filed_late else "")


def _fmt(value):
    """A time for an export cell: the time itself (written as an Excel time), or empty."""
    return value or ""


@login_required
def matrix_export(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _get_campaign_for_user(request, pk)
    filters = MatrixFilters.from_params(request.GET)
    rows = with_columns(filters.apply(matrix_rows(campaign, user=request.user)))
    columns = matrix_columns()
    plan_labels, kind_labels = _labels(PlanState.choices), _labels(Org.Kind.choices)
    data = (
        [
            t.org.name,
            kind_labels[t.org.kind],
            t.org.parent.name if t.org.parent else "",
            "已签收" if t.signed_at else "未签收",
            _fmt(t.signed_at),
            t.signed_by.display_name if t.signed_by else "",
            plan_labels[t.plan_state],
            _fmt(t.plan_submitted_at),
            plan_timing(t),
            *(c.export_cell(t) for c in columns),
        ]
        for t in rows.iterator(chunk_size=1000)
    )
    filename = f"督导矩阵_{campaign.title}_{timezone.localtime():%Y%m%d%H%M}.xlsx"
    caption = Caption.of(f"督导矩阵 · {campaign.title}", user=request.user)
    header = [*EXPORT_HEADER, *(c.label for c in columns)]
    return xlsx_response(filename, [("督导矩阵", header, data)], caption=caption)


# ---------------------------------------------------------------------------------------------
# The live supervision board


def _board_params(request: HttpRequest) -> tuple[Campaign | None, Org]:
    """The campaign and unit of the board, both loaded through the scoped managers (404 outside)."""
    if request.user.org is None:
        raise PermissionDenied
    campaign_pk, unit_pk = int_or_none(request.GET.get("campaign")), int_or_none(request.GET.get("unit"))
    if campaign_pk:
        campaign = get_object_or_404(
            Campaign.objects.exclude(status=Campaign.Status.DRAFT).select_related("issuer"), pk=campaign_pk
        )
    else:
        campaign = board_selectors.default_board_campaign(user=request.user)
    unit = get_object_or_404(Org.objects, pk=unit_pk) if unit_pk else request.user.org
    return campaign, unit


def _breadcrumbs(request: HttpRequest, unit: Org) -> list[Org]:
    """The units from the viewer's own down to ``unit``; never above the viewer's unit."""
    return list(Org.objects.filter(path__in=unit.ancestor_paths(), depth__gte=request.user.org.depth).order_by("path"))


def _chart_data(data: board_selectors.Board) -> dict:
    venue_labels, format_labels = _labels(VenueType.choices), _labels(Activity.Format.choices)
    rows = [r for r in data.rows if not r.own or r.events or r.targets]
    return {
        "units": [("本级" if r.own else r.org.display_name) for r in rows],
        # None (no receipts there: the notice was not sent) is drawn as no bar, not as a 0 % one.
        "signed_rate": [r.signed_rate for r in rows],
        "approved_rate": [r.approved_rate for r in rows],
        "events": [r.events for r in rows],
        "adopted": [r.reports_adopted for r in rows],
        "days": [d["date"].isoformat() for d in data.daily],
        "day_events": [d["events"] for d in data.daily],
        "day_people": [d["participants"] for d in data.daily],
        "day_women": [d["women"] for d in data.daily],
        "venues": [{"name": venue_labels[v], "value": n} for v, n in data.total.venues.items()],
        "formats": [{"name": format_labels[f], "value": n} for f, n in data.total.formats.items() if n],
    }


@login_required
def board(request: HttpRequest) -> HttpResponse:
    campaign, unit = _board_params(request)
    now = timezone.now()
    context = {
        "campaign": campaign,
        "unit": unit,
        "as_of": now,
        "campaigns": board_selectors.board_campaigns(user=request.user)[:50],
        "breadcrumbs": _breadcrumbs(request, unit),
        "venue_labels": _labels(VenueType.choices),
    }
    if campaign is not None:
        data = board_selectors.board(user=request.user, campaign=campaign, unit=unit, now=now)
        exact = sees_small_cells(request.user, at=unit)
        for r in [*data.rows, data.total]:
            r.query = f"campaign={campaign.pk}&unit={(r.org or unit).pk}" + ("&own=1" if r.own else "")
            r.care = care_cells(r, exact=exact)
        context.update({"board": data, "charts": _chart_data(data), "reissues": len(data.family) - 1})
    return render(request, "dashboard/board.html", context)


BOARD_HEADER = [
    "单位", "下发单位数", "已签收", "签收率（%）", "已备案", "备案率（%）",
    "含转发：下发单位数", "含转发：已签收", "含转发：签收率（%）", "含转发：已备案", "含转发：备案率（%）",
    "活动场次", "参加人数", "其中妇女",
    *[str(label) for label in VenueType.labels],
    "报送信息", "采用信息", "所需所盼", "已办结", "逾期方案", "逾期诉求", "逾期合计", "逾期报送方案",
    "关爱走访户数", "关爱帮扶次数", "关爱帮扶金额（元）",
]  # fmt: skip


def _board_line(name: str, r: board_selectors.BoardRow, *, exact: bool) -> list:
    care = care_cells(r, exact=exact)
    return [
        name, r.targets, r.signed, rate_cell(r.signed_rate), r.approved, rate_cell(r.approved_rate),
        r.family_targets, r.family_signed, rate_cell(r.family_signed_rate), r.family_approved,
        rate_cell(r.family_approved_rate),
        r.events, r.participants, r.women,
        *r.venues.values(),
        r.reports_submitted, r.reports_adopted, r.needs_raised, r.needs_resolved, r.plans_overdue,
        r.needs_overdue, r.overdue, r.plans_late,
        care["households"], care["help"], care["amount"],
    ]  # fmt: skip


@login_required
def board_export(request: HttpRequest) -> HttpResponse:
    campaign, unit = _board_params(request)
    if campaign is None:
        raise Http404
    data = board_selectors.board(user=request.user, campaign=campaign, unit=unit)
    exact = sees_small_cells(request.user, at=unit)
    lines = [_board_line(f"{unit.name}（本级）" if r.own else r.org.name, r, exact=exact) for r in data.rows]
    lines.append(_board_line("合计", data.total, exact=exact))
    daily = [[d["date"], d["events"], d["participants"], d["women"]] for d in data.daily]
    format_labels = _labels(Activity.Format.choices)
    formats = [[format_labels[f], n] for f, n in data.total.formats.items()]
    filename = f"督导看板_{campaign.title}_{unit.name}_{timezone.localtime():%Y%m%d%H%M}.xlsx"
    return xlsx_response(
        filename,
        caption=Caption.of(f"督导看板 · {campaign.title} · {unit.name}", user=request.user),
        sheets=[
            ("各单位指标", BOARD_HEADER, lines),
            ("按日活动", ["日期", "活动场次", "参加人数", "其中妇女"], daily),
            ("活动形式", ["活动形式", "活动场次"], formats),
        ],
    )


RECORDS_PAGE_SIZE = 50


def _records(request: HttpRequest):
    campaign, unit = _board_params(request)
    kind = request.GET.get("kind", "")
    if campaign is None or kind not in board_selectors.RECORD_KINDS:
        raise Http404
    own = request.GET.get("own") == "1"
    venue = request.GET.get("venue", "")
    venue = venue if venue in VenueType.values else ""
    reissues = request.GET.get("reissues") == "1" and kind in board_selectors.RECEIPT_KINDS
    qs = board_selectors.board_records(
        user=request.user, campaign=campaign, unit=unit, kind=kind, own=own, venue=venue, reissues=reissues
    )
    return campaign, unit, kind, own, venue, reissues, qs


@login_required
def board_records(request: HttpRequest) -> HttpResponse:
    campaign, unit, kind, own, venue, reissues, qs = _records(request)
    page = page_of(request, qs, RECORDS_PAGE_SIZE)
    title = board_selectors.RECORD_KINDS[kind]
    if venue:
        title += f"（{VenueType(venue).label}）"
    if reissues:
        title += "（含转发）"
    context = {
        "campaign": campaign,
        "unit": unit,
        "kind": kind,
        "own": own,
        "title": title,
        "page": page,
        "group": _record_group(kind),
        "breadcrumbs": _breadcrumbs(request, unit),
        "query": request.GET.urlencode(),
        "as_of": timezone.now(),
    }
    return render(request, "dashboard/records.html", context)


def _record_group(kind: str) -> str:
    if kind == "events":
        return "events"
    if kind.startswith("reports"):
        return "reports"
    if kind.startswith("needs"):
        return "needs"
    return "targets"


@login_required
def board_records_export(request: HttpRequest) -> HttpResponse:
    campaign, unit, kind, own, venue, reissues, qs = _records(request)
    group = _record_group(kind)
    if group == "events":
        header = ["日期", "活动名称", "举办单位", "场所类型", "活动形式", "参加人数", "其中妇女"]
        data = (
            [a.date, a.title, a.org.name, a.get_venue_type_display(), a.get_format_display(),
             a.participants_total, a.participants_women]
            for a in qs.iterator(chunk_size=1000)
        )  # fmt: skip
    elif group == "reports":
        header = ["标题", "报送单位", "类别", "状态", "报送时间"]
        data = (
            [r.title, r.org.name, r.get_kind_display(), r.get_status_display(), _fmt(r.submitted_at)]
            for r in qs.iterator(chunk_size=1000)
        )
    elif group == "needs":
        header = ["诉求内容", "类别", "责任单位", "状态", "办理时限"]
        data = (
            [n.description, n.get_category_display(), n.org.name, n.get_status_display(),
             n.due_date or ""]
            for n in qs.iterator(chunk_size=1000)
        )  # fmt: skip
    else:
        plan_labels = _labels(PlanState.choices)
        header = ["单位", "通知", "签收时间", "方案状态", "是否逾期"]
        data = (
            [t.org.name, t.campaign.title, _fmt(t.signed_at), plan_labels[t.plan_state], plan_timing(t)]
            for t in qs.iterator(chunk_size=1000)
        )
    title = board_selectors.RECORD_KINDS[kind] + ("（含转发）" if reissues else "")
    filename = f"{title}_{unit.name}{'（本级）' if own else ''}_{timezone.localtime():%Y%m%d%H%M}.xlsx"
    caption = Caption.of(f"{title} · {campaign.title} · {unit.name}{'（本级）' if own else ''}", user=request.user)
    return xlsx_response(filename, [(title, header, data)], caption=caption)
