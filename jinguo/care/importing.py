"""Import people from the Excel sheets units keep today. Every row is checked first with the
registration's own rules (ID check digit, a guardian for under-14s, consent, a duplicate here or
elsewhere); only a file without a bad row is written, in one transaction."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.http import HttpResponse

from jinguo.accounts.models import User
from jinguo.accounts.rules import has_perm
from jinguo.care import services
from jinguo.care.models import CHILD_CONSENT_AGE, Category, Person, age_on
from jinguo.care.rules import REGISTRY_WRITE
from jinguo.care.services import CareError, ConsentInput, GuardianInput
from jinguo.lib.excel import xlsx_response
from jinguo.lib.idnumbers import make_id_number
from jinguo.orgs.models import Org

HEADER = [
    "责任单位",
    "姓名",
    "身份证号",
    "出生日期",
    "性别",
    "联系电话",
    "住址",
    "关爱类别",
    "家庭人口",
    "健康状况",
    "残疾情况",
    "未成年人情况",
    "困难与需求",
    "处理依据",
    "同意人",
    "同意人关系",
    "同意日期",
    "监护人姓名",
    "监护人关系",
    "监护人电话",
    "回访周期（天）",
]
REQUIRED = ["责任单位", "姓名", "关爱类别"]
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+00:00:00)?$")
LIST_SPLIT = re.compile(r"[、，,；;\s]+")
SEX = {"女": "F", "男": "M", "F": "F", "M": "M"}
BASIS = {str(label).split("（")[0]: value for value, label in Person.Basis.choices} | {
    "同意": Person.Basis.CONSENT,
    "法定职责": Person.Basis.DUTY,
    "": Person.Basis.CONSENT,
}
TEXT = {
    "住址": "address",
    "健康状况": "health",
    "残疾情况": "disability",
    "未成年人情况": "minor_situation",
    "困难与需求": "needs",
}


@dataclass
class ImportRow:
    row: int
    org: Org
    name: str
    kwargs: dict


@dataclass
class ImportResult:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[tuple[int | None, str]] = field(default_factory=list)
    written: bool = False


def _date(text: str) -> dt.date | None:
    m = DATE_RE.match(text.strip())
    if not m:
        raise CareError(f"日期“{text}”格式不正确，应如 2023-03-06")
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise CareError(f"日期“{text}”不存在") from None


def _units(root: Org) -> tuple[dict[str, Org], dict[str, list[Org]]]:
    by_code, by_name = {}, {}
    for org in Org.objects.filter(root.subtree_q(), is_active=True):
        if org.code:
            by_code[org.code] = org
        for name in {org.name, org.short_name} - {""}:
            by_name.setdefault(name, []).append(org)
    return by_code, by_name


def _parse(raw: dict, *, by: User, units, categories: dict[str, Category], seen: dict[str, int]) -> ImportRow:
    by_code, by_name = units
    unit_text = raw.get("责任单位", "")
    org = by_code.get(unit_text)
    if org is None:
        found = by_name.get(unit_text, [])
        if len(found) != 1:
            raise CareError(
                f"单位“{unit_text}”重名，请改填区划代码"
                if found
                else f"找不到单位“{unit_text}”（须是本单位或下级单位）"
            )
        org = found[0]
    if not has_perm(by, REGISTRY_WRITE, at=org):
        raise CareError(f"您无权登记“{org.name}”的关爱对象")
    name = raw.get("姓名", "")
    if not name:
        raise CareError("姓名不能为空")
    picked = []
    for label in filter(None, LIST_SPLIT.split(raw.get("关爱类别", ""))):
        if label not in categories:
            raise CareError(f"关爱类别“{label}”不存在（可选：{'、'.join(categories)}）")
        picked.append(categories[label])
    if not picked:
        raise CareError("请填写关爱类别")
    birth = _date(raw["出生日期"]) if raw.get("出生日期") else None
    sex = SEX.get(raw.get("性别", ""), "")
    identity = services.read_identity(raw.get("身份证号", ""), birth_date=birth, sex=sex)
    if identity.id_digest:
        if identity.id_digest in seen:
            raise CareError(f"身份证号与第 {seen[identity.id_digest]} 行重复")
        seen[identity.id_digest] = raw["_row"]
        services.check_duplicate(identity, by=by)
    basis = BASIS.get(raw.get("处理依据", ""))
    if basis is None:
        raise CareError(f"处理依据“{raw.get('处理依据')}”无效（可填：同意、法定职责）")
    consent = None
    if raw.get("同意人"):
        consent = ConsentInput(
            given_by=raw["同意人"],
            relation=raw.get("同意人关系") or "本人",
            given_on=_date(raw["同意日期"]) if raw.get("同意日期") else dt.date.today(),
        )
    guardian = None
    if raw.get("监护人姓名"):
        guardian = GuardianInput(
            name=raw["监护人姓名"], relation=raw.get("监护人关系") or "监护人", phone=raw.get("监护人电话", "")
        )
    age = age_on(identity.birth_date, dt.date.today())
    if age is not None and age < CHILD_CONSENT_AGE and guardian is None:
        raise CareError("未满 14 周岁，须填写监护人")
    kwargs = {
        "id_number": identity.id_number,
        "birth_date": identity.birth_date,
        "sex": identity.sex,
        "phone": raw.get("联系电话", ""),
        "categories": picked,
        "basis": basis,
        "consent": consent,
        "guardian": guardian,
        **{attr: raw.get(col, "") for col, attr in TEXT.items()},
    }
    for col, attr in (("家庭人口", "household_size"), ("回访周期（天）", "followup_days")):
        if raw.get(col):
            try:
                kwargs[attr] = int(Decimal(raw[col]))
            except InvalidOperation:
                raise CareError(f"{col}应为整数") from None
    return ImportRow(row=raw["_row"], org=org, name=name, kwargs=kwargs)


def import_people(rows: list[dict[str, str]], *, by: User, dry_run: bool, ip: str = "") -> ImportResult:
    """Check every row; unless ``dry_run`` and only if no row is bad, register them all atomically.
    A row whose person another unit keeps is an error that says only so (and the unit above both
    is told, as at single entry)."""
    result = ImportResult()
    if not rows:
        result.errors.append((None, "文件中没有数据行"))
        return result
    missing = [h for h in REQUIRED if h not in rows[0]]
    if missing:
        result.errors.append((None, f"缺少列：{'、'.join(missing)}（请使用导入模板）"))
        return result
    units = _units(by.org)
    categories = {c.name: c for c in Category.objects.filter(is_active=True)}
    seen: dict[str, int] = {}
    for raw in rows:
        try:
            result.rows.append(_parse(raw, by=by, units=units, categories=categories, seen=seen))
        except services.DuplicateInside:
            result.errors.append((raw["_row"], "该身份证号已在本单位（或下级单位）登记"))
        except services.DuplicateElsewhere:
            result.errors.append((raw["_row"], "已在其他单位登记"))
        except CareError as exc:
            result.errors.append((raw["_row"], str(exc)))
    if result.errors or dry_run:
        return result
    try:
        with transaction.atomic():
            for row in result.rows:
                services.register_person(by=by, org=row.org, name=row.name, ip=ip, **row.kwargs)
    except CareError as exc:
        result.errors.append((None, f"导入未完成，未写入任何数据：{exc}"))
        return result
    result.written = True
    return result


def template_response() -> HttpResponse:
    example = [
        "七星关区市西街道妇联",
        "王某某（示例，请替换）",
        make_id_number("52050219850312402"),
        "",
        "",
        "13800000000",
        "某村某组",
        "低收入妇女、患病妇女（含两癌）",
        3,
        "",
        "",
        "",
        "",
        "同意",
        "王某某",
        "本人",
        "2023-03-01",
        "",
        "",
        "",
        30,
    ]
    notes = [
        ["责任单位", "必填。本单位或下级单位的名称或区划代码。"],
        ["身份证号", "18 位，系统校验最后一位校验码，并自动读取出生日期和性别；没有时填写出生日期和性别。"],
        ["关爱类别", "必填，多个用“、”分隔：" + "、".join(c.name for c in Category.objects.filter(is_active=True))],
        ["处理依据", "同意（须填写同意人）或 法定职责。"],
        ["监护人", "未满 14 周岁的儿童必须填写监护人，并由监护人作为同意人。"],
        ["重复", "已在本单位或其他单位登记的人员不能重复导入；其他单位登记的，系统会通知共同上级单位协调。"],
    ]
    return xlsx_response(
        "关爱对象导入模板.xlsx", [("关爱对象", HEADER, [example]), ("填写说明", ["列", "说明"], notes)]
    )
