"""Import ledger entries from a table (rows from ``jinguo.lib.excel.read_table``).

Every row is checked first, with the same rules as ``services.record_activity``; only a file
without a single bad row is written, in one transaction (one audit entry per entry).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db import transaction

from jinguo.accounts.models import User
from jinguo.accounts.rules import has_perm
from jinguo.activities.models import LAW_FIELDS, Activity
from jinguo.activities.rollups import apply_activity_changes
from jinguo.activities.rules import ACTIVITY_WRITE
from jinguo.activities.services import ActivityError, campaign_reaches, clean_fields
from jinguo.audit.services import log_action
from jinguo.campaigns.models import Campaign, VenueType
from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import Org

HEADER = [
    "举办单位",
    "所属活动通知",
    "活动名称",
    "日期",
    "地点",
    "场所类型",
    "活动形式",
    "宣讲人类型",
    "宣讲的法律",
    "参加人数",
    "其中妇女",
    "其中未成年人",
    "线上覆盖人次",
    "活动简述",
]
REQUIRED = ["举办单位", "活动名称", "日期", "地点", "场所类型"]
NUMBERS = {
    "参加人数": "participants_total",
    "其中妇女": "participants_women",
    "其中未成年人": "participants_minors",
    "线上覆盖人次": "online_reach",
}
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+00:00:00)?$")
LIST_SPLIT = re.compile(r"[、，,；;\s]+")


def _labels(choices) -> dict[str, str]:
    table = {}
    for value, label in choices:
        table[str(label)] = value
        table[value] = value
    return table


@dataclass
class ImportRow:
    row: int
    org: Org
    fields: dict


@dataclass
class ImportResult:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def parse_date(text: str) -> dt.date | None:
    m = DATE_RE.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


class _Units:
    """Units of the importer's subtree by code and by name (names may repeat)."""

    def __init__(self, root: Org):
        self.by_code: dict[str, Org] = {}
        self.by_name: dict[str, list[Org]] = {}
        for org in Org.objects.filter(root.subtree_q(), is_active=True):
            if org.code:
                self.by_code[org.code] = org
            self.by_name.setdefault(org.name, []).append(org)
            if org.short_name:
                self.by_name.setdefault(org.short_name, []).append(org)

    def find(self, text: str) -> Org:
        if text in self.by_code:
            return self.by_code[text]
        found = self.by_name.get(text, [])
        if len(found) == 1:
            return found[0]
        if found:
            raise ActivityError(f"单位“{text}”重名，请改填区划代码")
        raise ActivityError(f"找不到单位“{text}”（须是本单位或下级单位的名称或区划代码）")


def import_activities(rows: list[dict[str, str]], *, by: User, dry_run: bool) -> ImportResult:
    """Check every row; unless ``dry_run`` and only if no row is bad, write them all atomically."""
    result = ImportResult()
    if not rows:
        result.errors.append((0, "文件中没有数据行"))
        return result
    missing = [h for h in REQUIRED if h not in rows[0]]
    if missing:
        result.errors.append((1, f"缺少列：{'、'.join(missing)}（请使用导入模板）"))
        return result
    units = _Units(by.org)
    with scopes_disabled():  # matched by title here; each row then keeps it only where campaign_reaches
        campaigns = list(Campaign.objects.exclude(status=Campaign.Status.DRAFT).select_related("issuer"))
    venues, formats = _labels(VenueType.choices), _labels(Activity.Format.choices)
    speakers = _labels(Activity.SpeakerType.choices)
    laws = {label: f for f, label in LAW_FIELDS.items()} | {f: f for f in LAW_FIELDS}
    reach_cache: dict[tuple[int, int], bool] = {}
    for raw in rows:
        number = raw["_row"]
        try:
            result.rows.append(
                _parse_row(
                    raw,
                    number=number,
                    by=by,
                    units=units,
                    campaigns=campaigns,
                    venues=venues,
                    formats=formats,
                    speakers=speakers,
                    laws=laws,
                    reach_cache=reach_cache,
                )
            )
        except ActivityError as exc:
            result.errors.append((number, str(exc)))
    if result.errors or dry_run:
        return result
    with transaction.atomic():
        created = []
        for item in result.rows:
            activity = Activity.objects.create(org=item.org, created_by=by, **item.fields)
            log_action(activity, "activities.activity.imported", by=by, org=item.org, data={"title": activity.title})
            created.append((activity, 1))
        apply_activity_changes(created)  # all rows at once: one UPDATE per changed rollup row
    result.written = True
    return result


def _parse_row(raw, *, number, by, units, campaigns, venues, formats, speakers, laws, reach_cache) -> ImportRow:
    def cell(name: str) -> str:
        return (raw.get(name) or "").strip()

    for name in REQUIRED:
        if not cell(name):
            raise ActivityError(f"“{name}”不能为空")
    org = units.find(cell("举办单位"))
    if not has_perm(by, ACTIVITY_WRITE, at=org):
        raise ActivityError(f"您没有为“{org.name}”记录活动的权限")
    date = parse_date(cell("日期"))
    if date is None:
        raise ActivityError(f"日期“{cell('日期')}”无法识别，请写成 2023-03-06")
    if cell("场所类型") not in venues:
        raise ActivityError(
            f"场所类型“{cell('场所类型')}”无效，可填：{'、'.join(str(lb) for _, lb in VenueType.choices)}"
        )
    fmt = cell("活动形式") or str(Activity.Format.OTHER.label)
    if fmt not in formats:
        raise ActivityError(f"活动形式“{fmt}”无效，可填：{'、'.join(str(lb) for _, lb in Activity.Format.choices)}")
    speaker = cell("宣讲人类型")
    if speaker and speaker not in speakers:
        raise ActivityError(
            f"宣讲人类型“{speaker}”无效，可填：{'、'.join(str(lb) for _, lb in Activity.SpeakerType.choices)}"
        )
    law_fields = []
    for part in LIST_SPLIT.split(cell("宣讲的法律")):
        if not part:
            continue
        if part not in laws:
            raise ActivityError(f"法律“{part}”无效，可填：{'、'.join(LAW_FIELDS.values())}，多部用“、”分隔")
        law_fields.append(laws[part])
    numbers = {}
    for header, name in NUMBERS.items():
        text = cell(header) or "0"
        if not text.isdigit():
            raise ActivityError(f"“{header}”必须是不小于 0 的整数，而不是“{text}”")
        numbers[name] = int(text)
    campaign = None
    if cell("所属活动通知"):
        wanted = cell("所属活动通知")
        matches = [c for c in campaigns if wanted in (c.title, c.doc_number)]
        if not matches:
            raise ActivityError(f"找不到活动通知“{wanted}”（填写通知标题或文号）")
        campaign = matches[0]
    if campaign is not None:
        key = (campaign.pk, org.pk)
        if key not in reach_cache:
            reach_cache[key] = campaign_reaches(campaign, org)
        if not reach_cache[key]:
            raise ActivityError(f"活动通知“{campaign.title}”没有发给{org.name}，不能记入该通知的台账")
    fields = clean_fields(
        org,
        {
            "title": cell("活动名称")[:200],
            "date": date,
            "place": cell("地点")[:200],
            "venue_type": venues[cell("场所类型")],
            "format": formats[fmt],
            "speaker_type": speakers.get(speaker, ""),
            "laws": law_fields,
            "account": cell("活动简述"),
            **numbers,
        },
    )
    fields["campaign"] = campaign
    return ImportRow(row=number, org=org, fields=fields)
