"""What each page prints: a campaign's notice, a filed plan, an adopted report and the matrix as
`lib.gongwen.Document`s. Builders take objects the view already loaded through the scoped managers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from django.utils import timezone

from jinguo.campaigns.models import Attachment, Campaign, Plan, PlannedEvent, PlanState, VenueType
from jinguo.campaigns.services import selected_units
from jinguo.dashboard.views import plan_timing
from jinguo.lib.gongwen import Annex, Document, Heading, Para, Table
from jinguo.lib.rates import format_rate
from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import Org
from jinguo.reports.models import Report, ReportAdoption

# The printable matrix stops here (~24 landscape pages, a few seconds as PDF, see docs/benchmarks.md,
# well inside the worker timeout): a city's hundreds of units print whole, a province's
# thousands of rows belong in the Excel export.
MATRIX_PRINT_LIMIT = 500


def full_name(org: Org) -> str:
    """The unit as a 公文 names it: 毕节市妇联 → 毕节市妇女联合会 (the 发文机关's full name)."""
    return re.sub(r"妇联$", "妇女联合会", org.name)


def local_date(value: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(value).date() if value else None


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else ""


# The matrix's times without the year (its caption says when it was printed): two columns of five
# characters fewer leave the unit's name room for one line.
MATRIX_TIME = "%m-%d %H:%M"


# --- text typed into a textarea, as document blocks ------------------------------------------

_H1 = re.compile(r"^[一二三四五六七八九十]+、[^。；]{1,40}$")
_H2 = re.compile(r"^（[一二三四五六七八九十]+）[^。；]{1,40}$")
_ANNEX = re.compile(r"^附\s*件\s*(\d*)$")
_ANNEX_NOTE = re.compile(r"^附\s*件\s*[：:]\s*(.+)$")
_NUMBERED = re.compile(r"^\d+\s*[．.、]\s*(.+)$")


@dataclass
class ParsedText:
    blocks: list = field(default_factory=list)
    addressees: str = ""  # a 主送 line the text opened with ("…妇联，…：")
    attachment_notes: list[str] = field(default_factory=list)  # "附件：1．…" lines (附件说明)


def parse_text(text: str) -> ParsedText:
    """Paragraphs as typed, one per line: "一、…" and "（一）…" lines become headings, an opening
    line ending in "：" is the 主送 line, "附件：…" lines the 附件说明, a line "附件" (or "附件2")
    starts an attachment whose title is the next line."""
    lines = [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]
    parsed = ParsedText()
    if lines and lines[0].endswith(("：", ":")) and "。" not in lines[0] and len(lines[0]) <= 200:
        parsed.addressees = lines.pop(0).rstrip("：:")
    in_notes = False
    i = 0
    while i < len(lines):
        line = lines[i]
        annex = _ANNEX.match(line)
        note = _ANNEX_NOTE.match(line)
        if annex and i + 1 < len(lines):
            parsed.blocks.append(Annex(title=lines[i + 1], label=line.replace(" ", "")))
            i += 2
            in_notes = False
            continue
        if note:
            parsed.attachment_notes.append(_numbered(note.group(1)))
            in_notes = True
        elif in_notes and _NUMBERED.match(line):
            parsed.attachment_notes.append(_numbered(line))
        elif _H1.match(line):
            parsed.blocks.append(Heading(line, level=1))
            in_notes = False
        elif _H2.match(line):
            parsed.blocks.append(Heading(line, level=2))
            in_notes = False
        else:
            parsed.blocks.append(Para(line))
            in_notes = False
        i += 1
    return parsed


def _numbered(text: str) -> str:
    match = _NUMBERED.match(text)
    return match.group(1) if match else text


# --- the campaign notice (通知) ----------------------------------------------------------------

_LEVEL = {
    Org.Kind.NATIONAL: "全国",
    Org.Kind.PROVINCE: "省",
    Org.Kind.CITY: "市",
    Org.Kind.COUNTY: "县",
    Org.Kind.TOWNSHIP: "乡镇",
}


def kind_addressees(issuer: Org, kinds) -> list[str]:
    """How a notice names every unit of a kind below its issuer, as the seed notice does:
    各县（市、区）妇联，市直各单位妇联（妇委会、妇女小组），市妇联机关各部（室）."""
    kinds = set(kinds)
    level = _LEVEL.get(issuer.kind, "")
    out = []
    for kind, phrase in (
        (Org.Kind.PROVINCE, "各省（区、市）妇联"),
        (Org.Kind.CITY, "各市（州）妇联"),
        (Org.Kind.COUNTY, "各县（市、区）妇联"),
        (Org.Kind.TOWNSHIP, "各乡镇（街道）妇联"),
        (Org.Kind.VILLAGE, "各村（社区）妇联"),
    ):
        if kind in kinds:
            out.append(phrase)
    committee, group = Org.Kind.COMMITTEE in kinds, Org.Kind.GROUP in kinds
    if committee and group:
        out.append(f"{level}直各单位妇联（妇委会、妇女小组）")
    elif committee:
        out.append(f"{level}直各单位妇委会")
    elif group:
        out.append(f"{level}直各单位妇女小组")
    if Org.Kind.DEPARTMENT in kinds:
        out.append(f"{level}妇联机关各部（室）")
    return out


def notice_addressees(campaign: Campaign) -> list[str]:
    """The 主送 line: the kinds the campaign was sent to, then the units picked one by one."""
    kinds = set(campaign.target_kinds)
    # The 主送 line is the issuer's: every recipient's copy names the same units, as on paper.
    with scopes_disabled():  # the notice names the units its issuer picked, wherever the reader sits
        picked = [org.name for org in sorted(selected_units(campaign), key=lambda o: o.path) if org.kind not in kinds]
    return kind_addressees(campaign.issuer, kinds) + picked


def notice_document(campaign: Campaign) -> Document:
    """The issuer's 通知 in 公文 layout: 红头, 文号, 主送 from the targets, the text, 附件说明, 落款.

    A 主送 line typed at the top of the text gives way to the one the targets make (the units the
    notice really went to); "附件：" lines and the uploaded files make the 附件说明.
    """
    parsed = parse_text(campaign.body)
    files = [PurePath(a.original_name).stem for a in Attachment.objects.filter(campaign=campaign)]
    notes = parsed.attachment_notes + [name for name in files if name not in parsed.attachment_notes]
    issuer = full_name(campaign.issuer)
    return Document(
        title=campaign.title,
        body=parsed.blocks,
        issuer=issuer,
        number=campaign.doc_number,
        addressees=notice_addressees(campaign),
        attachments=notes,
        signature=issuer,
        date=local_date(campaign.published_at),
    )


# --- a unit's filed plan (方案备案表) ----------------------------------------------------------


def plan_document(plan: Plan) -> Document:
    """The plan as the 方案备案表 a unit files: the form, then its planned events."""
    target, campaign = plan.target, plan.target.campaign
    lines = "；".join(line.title for line in plan.lines.all()) or "—"
    status = plan.get_status_display()
    if plan.status == Plan.Status.APPROVED and plan.reviewed_at:
        status += f"（{local_time(plan.reviewed_at)}）"
    form = Table(
        header=[],
        rows=[
            ["报备单位", target.org.name],
            ["活动通知", f"{campaign.title}（{campaign.doc_number}）" if campaign.doc_number else campaign.title],
            ["发文单位", campaign.issuer.name],
            ["负责人", plan.person_in_charge or "—"],
            ["联系电话", plan.contact_phone or "—"],
            ["承担的活动", lines],
            ["方案说明", plan.summary or "—"],
            ["版本", f"第 {plan.version} 版" if plan.version else "未报送"],
            ["报送时间", local_time(plan.submitted_at) or "—"],
            ["备案状态", status],
        ],
    )
    venues = dict(VenueType.choices)
    events = [
        [
            str(n),
            e.title,
            e.date.isoformat(),
            e.place,
            str(venues.get(e.venue_type, e.venue_type)),
            str(e.expected_participants),
            e.line.title if e.line else "—",
        ]
        for n, e in enumerate(PlannedEvent.objects.filter(plan=plan).select_related("line"), start=1)
    ]
    body: list = [form]
    if events:
        body.append(
            Table(
                title="活动安排",
                header=[["序号", "活动名称", "日期", "地点", "场所类型", "预计人数", "所属活动"]],
                rows=events,
            )
        )
    else:
        body.append(Para("本方案未列活动安排。"))
    if plan.status == Plan.Status.RETURNED and plan.return_reason:
        body.append(Para(f"退回原因：{plan.return_reason}"))
    return Document(
        title=f"{target.org.name}活动方案备案表",
        body=body,
        signature=full_name(target.org),
        date=local_date(plan.submitted_at),
    )


# --- an adopted information report (信息) -------------------------------------------------------


def report_document(report: Report) -> Document:
    """An adopted report as the 信息 the reviewing unit publishes: title, text, 供稿 line."""
    channels = "、".join(
        a.get_channel_display() for a in ReportAdoption.objects.filter(report=report).order_by("adopted_at", "id")
    )
    parsed = parse_text(report.body)
    blocks = ([Para(parsed.addressees + "：")] if parsed.addressees else []) + parsed.blocks
    blocks.append(Para(f"（{report.org.name}供稿；{report.to_org.name}采用{f'：{channels}' if channels else ''}）"))
    return Document(
        title=report.title,
        body=blocks,
        signature=full_name(report.org),
        date=local_date(report.submitted_at),
    )


# --- the supervision matrix, printable ---------------------------------------------------------

MATRIX_HEADER = ["序号", "单位", "单位类型", "上级单位", "签收", "签收时间", "方案状态", "报送时间", "逾期"]


def matrix_document(campaign: Campaign, rows, *, figures, by: str, now: dt.datetime, filtered: bool) -> Document:
    """The matrix rows (``dashboard.selectors.matrix_rows``, filtered as on the page) as a landscape
    table whose header repeats on every page, under the page's own figures."""
    kind_labels, plan_labels = dict(Org.Kind.choices), dict(PlanState.choices)
    table_rows = []
    more = 0
    for n, t in enumerate(rows.iterator(chunk_size=1000), start=1):
        if n > MATRIX_PRINT_LIMIT:
            more += 1
            continue
        table_rows.append(
            [
                str(n),
                t.org.name,
                str(kind_labels[t.org.kind]),
                t.org.parent.name if t.org.parent else "",
                "已签收" if t.signed_at else "未签收",
                local_time(t.signed_at, MATRIX_TIME),
                str(plan_labels[t.plan_state]),
                local_time(t.plan_submitted_at, MATRIX_TIME),
                plan_timing(t),
            ]
        )
    f = figures.own
    summary = (
        f"发送 {f.total} 个单位，已签收 {f.signed} 个（签收率 {format_rate(f.signed_rate)}），"
        f"已报送方案 {f.filed} 个，已备案 {f.approved} 个（备案率 {format_rate(f.approved_rate)}），"
        f"方案逾期未报 {f.overdue} 个。"
    )
    body: list = [
        Para(f"活动：{campaign.title}（{campaign.issuer.name}）"),
        Para(summary),
        Para(f"数据截至 {local_time(now)}，导出人：{by}。{'按页面筛选条件列出。' if filtered else ''}"),
        Table(header=[MATRIX_HEADER], rows=table_rows),
    ]
    if more:
        body.append(Para(f"另有 {more} 个单位未列出（打印版最多列 {MATRIX_PRINT_LIMIT} 个），完整名单请导出 Excel。"))
    return Document(title="督导矩阵", body=body, landscape=True)
