"""Exports of the registry: minimised columns by default, the file encrypted with a password the
exporter chooses and passes on by another channel, every person in it logged."""

from __future__ import annotations

import io
from urllib.parse import quote

import msoffcrypto.format.ooxml
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from jinguo.audit.services import log_action
from jinguo.care import selectors, services
from jinguo.care.models import AccessLog, Person
from jinguo.lib.excel import XLSX_CONTENT_TYPE, Caption, build_workbook
from jinguo.lib.masking import mask_name


def export_rows(people, *, viewer, full_names: bool, contact: bool, id_numbers: bool) -> tuple[list[str], list[list]]:
    header = ["编号", "姓名", "责任单位", "关爱类别", "性别", "年龄", "状态", "下次回访"]
    if contact:
        header += ["联系电话", "住址"]
    if id_numbers:
        header += ["身份证号"]
    today = timezone.localdate()
    rows = []
    for p in people:
        row = [
            p.pk,
            p.name if full_names else mask_name(p.name),
            p.org.name,
            "、".join(c.name for c in p.categories.all()),
            p.get_sex_display(),
            p.age(today),
            p.get_status_display(),
            p.next_followup_on,
        ]
        if contact:
            row += [p.phone, p.address]
        if id_numbers:
            row += [p.id_number]
        rows.append(row)
    return header, rows


def encrypt_xlsx(data: bytes, password: str) -> bytes:
    """The workbook encrypted as Excel does (ECMA-376 agile encryption, AES-256): opening it asks
    for the password."""
    out = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def export_response(
    request: HttpRequest, *, password: str, full_names: bool, contact: bool, id_numbers: bool, reason: str
) -> HttpResponse:
    user = request.user
    fields = (
        list(Person.LIST_FIELDS) + (["phone", "address"] if contact else []) + (["id_number"] if id_numbers else [])
    )
    people = list(
        selectors.people_visible_to(user=user).only(*fields).select_related("org").prefetch_related("categories")
    )
    header, rows = export_rows(people, viewer=user, full_names=full_names, contact=contact, id_numbers=id_numbers)
    buf = io.BytesIO()
    build_workbook([("关爱对象", header, rows)], caption=Caption.of("关爱对象名单", user=user)).save(buf)
    with transaction.atomic():
        extra = [name for name, on in (("names", full_names), ("contact", contact), ("id_numbers", id_numbers)) if on]
        services.log_request_reads(
            request, people, AccessLog.Action.EXPORT, field=",".join(extra) or "minimised", reason=reason
        )
        log_action(
            user.org,
            "care.registry.exported",
            by=user,
            org=user.org,
            data={"people": len(people), "columns": header},
        )
    response = HttpResponse(encrypt_xlsx(buf.getvalue(), password), content_type=XLSX_CONTENT_TYPE)
    filename = f"关爱对象名单-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
