import datetime as dt
from typing import Any

from django.db import models
from ninja import Field, Schema

from jinguo.campaigns.models import Campaign, Plan
from jinguo.lib.masking import mask_phone
from jinguo.orgs.models import Org

# Numbers are bounded before they reach the database, which cannot hold more than 64 bits (a 500):
# ids are BigAutoFields, and (page - 1) * page_size stays far inside a 64-bit OFFSET.
MAX_ID = 2**63 - 1
MAX_PAGE = 1_000_000
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def api_choices(name: str, choices: type[models.TextChoices], description: str) -> type[models.TextChoices]:
    """``choices`` under a name of its own in the schema.

    Every schema's definitions land in one ``components`` namespace under the enum's class name, so
    Campaign.Status and Plan.Status would both be "Status" and one would silently overwrite the other.
    """
    named = models.TextChoices(name, [(member.name, (member.value, member.label)) for member in choices])
    named.__doc__ = description + "：" + "、".join(f"{member.value} {member.label}" for member in choices)
    return named


OrgKind = api_choices("OrgKind", Org.Kind, "单位类型")
CampaignStatus = api_choices("CampaignStatus", Campaign.Status, "活动状态")
PlanStatus = api_choices("PlanStatus", Plan.Status, "方案状态")


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional(description: str, **constraints: Any) -> Any:
    """An optional query parameter, None when left out.

    It is typed without None on purpose: pydantic never validates a default, so None still comes through
    when the parameter is absent, while a bad value gets one error (a union would add one per branch),
    and the schema shows neither a null type nor a null default, so no client is invited to send "null".
    """
    return Field(None, description=description, json_schema_extra=_without_default, **constraints)


class ErrorOut(Schema):
    detail: str = Field(..., description="错误说明")


class FieldErrorOut(Schema):
    field: str = Field(..., description="出错的参数，如 page")
    message: str = Field(..., description="错误说明")


class ValidationErrorOut(Schema):
    detail: str = Field(..., description="错误说明")
    errors: list[FieldErrorOut] = Field(..., description="逐项的参数错误")


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="页码，从 1 开始")
    page_size: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="每页条数，默认 50，最多 100")


class OrgFilters(Schema):
    kind: OrgKind = optional("单位类型")
    parent: int = optional("上级单位 ID", ge=1, le=MAX_ID)
    # PostgreSQL refuses a NUL character in a string (a 500 at the query), so it is refused here first.
    q: str = optional("名称关键词", max_length=50, pattern=r"^[^\x00]*$")


class CampaignFilters(Schema):
    status: CampaignStatus = optional("活动状态")


class ReceiptFilters(Schema):
    signed: bool = optional("true 只看已签收，false 只看未签收")


class PlanFilters(Schema):
    campaign: int = optional("活动 ID", ge=1, le=MAX_ID)
    status: PlanStatus = optional("方案状态")


class OrgRef(Schema):
    id: int = Field(..., description="单位 ID")
    name: str = Field(..., description="单位名称")


class OrgOut(Schema):
    id: int = Field(..., description="单位 ID")
    name: str = Field(..., description="单位名称")
    short_name: str = Field(..., description="简称")
    kind: str = Field(..., description="类型代码，如 county、township")
    kind_label: str = Field(..., description="类型名称，如 县级妇联", alias="get_kind_display")
    code: str | None = Field(None, description="统计用区划代码")
    parent_id: int | None = Field(None, description="上级单位 ID")
    depth: int = Field(..., description="在组织树中的层级，根为 0")
    is_active: bool = Field(..., description="是否启用")


class ActivityLineOut(Schema):
    id: int = Field(..., description="活动 ID")
    order: int = Field(..., description="排序")
    title: str = Field(..., description="活动名称")
    description: str = Field(..., description="说明")


class CampaignOut(Schema):
    id: int = Field(..., description="活动 ID")
    title: str = Field(..., description="标题")
    theme: str = Field(..., description="主题")
    doc_number: str = Field(..., description="文号")
    issuer: OrgRef = Field(..., description="发文单位")
    status: str = Field(..., description="状态代码：draft 草稿、published 已发布、closed 已结束")
    status_label: str = Field(..., description="状态名称", alias="get_status_display")
    starts_on: dt.date = Field(..., description="开始日期")
    ends_on: dt.date = Field(..., description="结束日期")
    plan_deadline: dt.datetime = Field(..., description="方案报备截止时间")
    summary_deadline: dt.datetime | None = Field(None, description="总结报送截止时间")
    published_at: dt.datetime | None = Field(None, description="发布时间")


class CampaignDetailOut(CampaignOut):
    body: str = Field(..., description="通知正文")
    lines: list[ActivityLineOut] = Field(..., description="主要活动")


class ReceiptOut(Schema):
    id: int = Field(..., description="签收记录 ID")
    org: OrgRef = Field(..., description="收文单位")
    first_read_at: dt.datetime | None = Field(None, description="首次阅读时间")
    signed_at: dt.datetime | None = Field(None, description="签收时间；未签收为空")


class PlannedEventOut(Schema):
    id: int = Field(..., description="计划活动 ID")
    line_id: int | None = Field(None, description="所属主要活动 ID")
    title: str = Field(..., description="活动名称")
    date: dt.date = Field(..., description="日期")
    place: str = Field(..., description="地点")
    venue_type: str = Field(
        ..., description="场所类型代码：village 农村、community 社区、enterprise 企业、school 学校等"
    )
    venue_type_label: str = Field(..., description="场所类型名称", alias="get_venue_type_display")
    expected_participants: int = Field(..., description="预计参加人数")


class PlanOut(Schema):
    id: int = Field(..., description="方案 ID")
    campaign_id: int = Field(..., description="所属活动 ID", alias="target.campaign_id")
    org: OrgRef = Field(..., description="报送单位", alias="target.org")
    status: str = Field(..., description="状态代码：draft 草稿、submitted 已报送、approved 已备案、returned 退回修改")
    status_label: str = Field(..., description="状态名称", alias="get_status_display")
    person_in_charge: str = Field(..., description="负责人")
    contact_phone: str = Field(..., description="联系电话（已脱敏，如 138****8000）")
    version: int = Field(..., description="版本号（每报送一次加一）")
    submitted_at: dt.datetime | None = Field(None, description="最近报送时间")
    reviewed_at: dt.datetime | None = Field(None, description="审核时间")

    @staticmethod
    def resolve_contact_phone(obj) -> str:
        return mask_phone(obj.contact_phone)


class PlanDetailOut(PlanOut):
    summary: str = Field(..., description="方案说明")
    return_reason: str = Field(..., description="退回原因（仅退回修改时有）")
    line_ids: list[int] = Field(..., description="承担的主要活动 ID")
    events: list[PlannedEventOut] = Field(..., description="计划开展的活动")

    @staticmethod
    def resolve_line_ids(obj) -> list[int]:
        return [line.pk for line in obj.lines.all()]

    @staticmethod
    def resolve_events(obj) -> list:
        return list(obj.events.all())
