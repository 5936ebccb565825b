"""The read-only API. Every operation runs in the token user's subtree scope, exactly like the pages:
the scoped managers do the filtering, so anything outside the subtree is 404 and never listed."""

from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Path, Query
from ninja.errors import AuthenticationError, ValidationError
from ninja.pagination import PageNumberPagination, paginate

from jinguo.api.auth import TokenAuth, run_in_token_scope, signed_in_or_token
from jinguo.api.docs import Docs
from jinguo.api.errors import validation_error_body
from jinguo.api.schemas import (
    MAX_ID,
    CampaignDetailOut,
    CampaignFilters,
    CampaignOut,
    ErrorOut,
    OrgFilters,
    OrgOut,
    PageQuery,
    PlanDetailOut,
    PlanFilters,
    PlanOut,
    ReceiptFilters,
    ReceiptOut,
    ValidationErrorOut,
)
from jinguo.campaigns.models import Campaign, CampaignTarget, Plan
from jinguo.orgs.models import Org

UNAUTHORIZED = "未认证：请在请求头中提供有效的 API 令牌（Authorization: Bearer <令牌>）。"
NOT_FOUND = "未找到，或不在您的权限范围内。"
RESPONSE_DESCRIPTIONS = {
    "200": "成功",
    "401": "未认证：缺少令牌，或令牌无效、已吊销",
    "404": "对象不存在，或不在令牌所有者的权限范围内",
    "422": "参数有误（如页码超出范围、类型代码无效）",
}
# Every operation can meet a missing token and a malformed parameter; those under an object's id a 404 too.
ERRORS = {401: ErrorOut, 422: ValidationErrorOut}
ERRORS_404 = {**ERRORS, 404: ErrorOut}


class JinguoAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs) -> dict[str, Any]:
        """ninja's schema, with the responses described in Chinese."""
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for code, response in operation["responses"].items():
                    response["description"] = RESPONSE_DESCRIPTIONS.get(str(code), response["description"])
        return schema


api = JinguoAPI(
    title="巾帼 API",
    version="1",
    description=(
        "只读 API，按用户所在单位的下级范围授权：令牌能看到的数据与其所有者在平台上能看到的完全相同，"
        "范围外的对象一律返回 404。认证：请求头 `Authorization: Bearer <令牌>`，令牌在平台的“API 令牌”页面创建。"
        "列表接口分页：参数 page（从 1 开始）、page_size（默认 50，最多 100）。"
        "参数有误时返回 422，detail 为中文说明，errors 逐项列出出错的参数。"
    ),
    urls_namespace="api",
    auth=TokenAuth(),
    docs=Docs(),
    # The schema and the docs page are for users of the platform, not the open network.
    docs_decorator=signed_in_or_token,
)
api.add_decorator(run_in_token_scope, mode="view")


class Pages(PageNumberPagination):
    """ninja's page numbers, bounded: an out-of-range page or page size is a 422, never a 500."""

    Input = PageQuery


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(request, {"detail": UNAUTHORIZED}, status=401)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404):
    return api.create_response(request, {"detail": NOT_FOUND}, status=404)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError):
    return api.create_response(request, validation_error_body(exc.errors), status=422)


def _id(description: str) -> Any:
    return Path(..., ge=1, le=MAX_ID, description=description)


@api.get("/orgs", response={200: list[OrgOut], **ERRORS}, tags=["单位"], summary="单位列表")
@paginate(Pages)
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


@api.get("/orgs/{org_id}", response={200: OrgOut, **ERRORS_404}, tags=["单位"], summary="单位详情")
def get_org(request: HttpRequest, org_id: int = _id("单位 ID")):
    return get_object_or_404(Org.objects, pk=org_id)


def _campaigns():
    return Campaign.objects.select_related("issuer")


@api.get("/campaigns", response={200: list[CampaignOut], **ERRORS}, tags=["活动"], summary="活动列表")
@paginate(Pages)
def list_campaigns(request: HttpRequest, filters: Query[CampaignFilters]):
    """本单位及下级单位发布的活动，以及发给本单位及下级单位的活动。可按状态（status）筛选。"""
    qs = _campaigns()
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("-published_at", "-created_at", "-id")


@api.get("/campaigns/{campaign_id}", response={200: CampaignDetailOut, **ERRORS_404}, tags=["活动"], summary="活动详情")
def get_campaign(request: HttpRequest, campaign_id: int = _id("活动 ID")):
    """活动的通知内容和主要活动。"""
    return get_object_or_404(_campaigns().prefetch_related("lines"), pk=campaign_id)


@api.get(
    "/campaigns/{campaign_id}/receipts",
    response={200: list[ReceiptOut], **ERRORS_404},
    tags=["活动"],
    summary="签收情况",
)
@paginate(Pages)
def list_receipts(request: HttpRequest, filters: Query[ReceiptFilters], campaign_id: int = _id("活动 ID")):
    """活动的收文单位（仅限本单位及下级单位）和签收时间。signed=true 只看已签收，false 只看未签收。"""
    campaign = get_object_or_404(Campaign.objects, pk=campaign_id)
    qs = CampaignTarget.objects.filter(campaign=campaign).select_related("org").order_by("org__path")
    if filters.signed is not None:
        qs = qs.filter(signed_at__isnull=not filters.signed)
    return qs


def _plans():
    return Plan.objects.select_related("target__org")


@api.get("/plans", response={200: list[PlanOut], **ERRORS}, tags=["方案"], summary="方案列表")
@paginate(Pages)
def list_plans(request: HttpRequest, filters: Query[PlanFilters]):
    """本单位及下级单位报送的活动方案。可按活动 ID（campaign）、状态（status）筛选。联系电话已脱敏。"""
    qs = _plans()
    if filters.campaign is not None:
        qs = qs.filter(target__campaign_id=filters.campaign)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("target__campaign_id", "target__org__path")


@api.get("/plans/{plan_id}", response={200: PlanDetailOut, **ERRORS_404}, tags=["方案"], summary="方案详情")
def get_plan(request: HttpRequest, plan_id: int = _id("方案 ID")):
    """方案内容及计划开展的活动。联系电话已脱敏。"""
    return get_object_or_404(_plans().prefetch_related("lines", "events"), pk=plan_id)
