"""The read-only API. Every operation runs in the token user's subtree scope, exactly like the pages:
the scoped managers do the filtering, so anything outside the subtree is 404 and never listed."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError
from ninja.pagination import PageNumberPagination, paginate

from jinguo.api.auth import TokenAuth, run_in_token_scope
from jinguo.api.schemas import (
    CampaignDetailOut,
    CampaignOut,
    ErrorOut,
    OrgOut,
    PlanDetailOut,
    PlanOut,
    ReceiptOut,
)
from jinguo.campaigns.models import Campaign, CampaignTarget, Plan
from jinguo.orgs.models import Org

PAGE_SIZE = 50

api = NinjaAPI(
    title="巾帼 API",
    version="1",
    description=(
        "只读 API，按用户所在单位的下级范围授权：令牌能看到的数据与其所有者在平台上能看到的完全相同，"
        "范围外的对象一律返回 404。认证：请求头 `Authorization: Bearer <令牌>`，令牌在平台的“API 令牌”页面创建。"
        "列表接口分页：参数 page（从 1 开始）、page_size（默认 50，最多 100）。"
    ),
    urls_namespace="api",
    auth=TokenAuth(),
    # The schema and the docs page are for signed-in users of the platform, not the open network.
    docs_decorator=login_required,
)
api.add_decorator(run_in_token_scope, mode="view")

NOT_FOUND = {404: ErrorOut}


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(
        request, {"detail": "未认证：请在请求头中提供有效的 API 令牌（Authorization: Bearer <令牌>）。"}, status=401
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404):
    return api.create_response(request, {"detail": "未找到，或不在您的权限范围内。"}, status=404)


class OrgFilters(Schema):
    kind: Org.Kind | None = None
    parent: int | None = None
    q: str | None = None


@api.get("/orgs", response=list[OrgOut], tags=["单位"], summary="单位列表")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def list_orgs(request: HttpRequest, filters: Query[OrgFilters]):
    """本单位及下级单位。可按类型（kind）、上级单位 ID（parent）、名称关键词（q）筛选。"""
    qs = Org.objects.order_by("path")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.parent is not None:
        qs = qs.filter(parent_id=filters.parent)
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(short_name__icontains=filters.q))
    return qs


@api.get("/orgs/{int:org_id}", response={200: OrgOut, **NOT_FOUND}, tags=["单位"], summary="单位详情")
def get_org(request: HttpRequest, org_id: int):
    return get_object_or_404(Org.objects, pk=org_id)


def _campaigns():
    return Campaign.objects.select_related("issuer")


@api.get("/campaigns", response=list[CampaignOut], tags=["活动"], summary="活动列表")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def list_campaigns(request: HttpRequest, status: Campaign.Status | None = None):
    """本单位及下级单位发布的活动，以及发给本单位及下级单位的活动。可按状态（status）筛选。"""
    qs = _campaigns()
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-published_at", "-created_at", "-id")


@api.get(
    "/campaigns/{int:campaign_id}", response={200: CampaignDetailOut, **NOT_FOUND}, tags=["活动"], summary="活动详情"
)
def get_campaign(request: HttpRequest, campaign_id: int):
    """活动的通知内容和主要活动。"""
    return get_object_or_404(_campaigns().prefetch_related("lines"), pk=campaign_id)


@api.get(
    "/campaigns/{int:campaign_id}/receipts",
    response={200: list[ReceiptOut], **NOT_FOUND},
    tags=["活动"],
    summary="签收情况",
)
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def list_receipts(request: HttpRequest, campaign_id: int, signed: bool | None = None):
    """活动的收文单位（仅限本单位及下级单位）和签收时间。signed=true 只看已签收，false 只看未签收。"""
    campaign = get_object_or_404(Campaign.objects, pk=campaign_id)
    qs = CampaignTarget.objects.filter(campaign=campaign).select_related("org").order_by("org__path")
    if signed is not None:
        qs = qs.filter(signed_at__isnull=not signed)
    return qs


class PlanFilters(Schema):
    campaign: int | None = None
    status: Plan.Status | None = None


def _plans():
    return Plan.objects.select_related("target__org")


@api.get("/plans", response=list[PlanOut], tags=["方案"], summary="方案列表")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def list_plans(request: HttpRequest, filters: Query[PlanFilters]):
    """本单位及下级单位报送的活动方案。可按活动 ID（campaign）、状态（status）筛选。联系电话已脱敏。"""
    qs = _plans()
    if filters.campaign is not None:
        qs = qs.filter(target__campaign_id=filters.campaign)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("target__campaign_id", "target__org__path")


@api.get("/plans/{int:plan_id}", response={200: PlanDetailOut, **NOT_FOUND}, tags=["方案"], summary="方案详情")
def get_plan(request: HttpRequest, plan_id: int):
    """方案内容及计划开展的活动。联系电话已脱敏。"""
    return get_object_or_404(_plans().prefetch_related("lines", "events"), pk=plan_id)
