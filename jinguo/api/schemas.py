import datetime as dt

from ninja import Field, Schema

from jinguo.lib.masking import mask_phone


class ErrorOut(Schema):
    detail: str = Field(..., description="错误说明")


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
