"""Import (template, dry run, row errors incl. a wrong check digit, atomic) and export (its own
permission, minimised by default, the file encrypted with a password, every person logged)."""

from __future__ import annotations

import io

import msoffcrypto
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from jinguo.care.importing import HEADER
from jinguo.care.models import AccessLog, Person
from jinguo.lib.idnumbers import make_id_number
from tests.care.conftest import DAFANG_ID, QXG_ID, QXG_PHONE, xlsx

pytestmark = pytest.mark.django_db

GOOD = make_id_number("52050219790203402")
GOOD2 = make_id_number("52050219820405402")


def _row(**values):
    row = dict.fromkeys(HEADER, "")
    row |= {"责任单位": "七星关区市西街道妇联", "关爱类别": "低收入妇女", "处理依据": "同意", "同意日期": "2023-03-01"}
    row |= values
    return [row[h] for h in HEADER]


def _upload(client, rows):
    upload = SimpleUploadedFile("名单.xlsx", xlsx(HEADER, rows))
    return client.post("/care/import/", {"file": upload})


def test_template_downloads_with_the_header(care, client_for):
    response = client_for(care.qxg).get("/care/import/template/")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == HEADER


def test_dry_run_then_confirm_writes_all_rows(tree, care, client_for):
    client = client_for(care.qxg)
    rows = [
        _row(姓名="甲某", 身份证号=GOOD, 同意人="甲某"),
        _row(姓名="乙某", 身份证号=GOOD2, 同意人="乙某", 联系电话="13600001234"),
    ]
    preview_url = _upload(client, rows)["Location"]
    preview = client.get(preview_url)
    html = preview.content.decode()
    assert "将导入 2 人" in html and GOOD not in html and "13600001234" not in html
    assert Person.objects.count() == 0
    client.post(preview_url)
    assert sorted(Person.objects.values_list("name", flat=True)) == ["乙某", "甲某"]
    assert Person.objects.get(name="乙某").phone == "13600001234"


def test_a_wrong_check_digit_is_a_row_error_and_nothing_is_written(tree, care, client_for):
    client = client_for(care.qxg)
    wrong = GOOD2[:-1] + ("1" if GOOD2[-1] != "1" else "2")
    rows = [
        _row(姓名="甲某", 身份证号=GOOD, 同意人="甲某"),
        _row(姓名="乙某", 身份证号=wrong, 同意人="乙某"),
        _row(姓名="丙某", 身份证号=GOOD, 同意人="丙某"),
        _row(姓名="丁某", 责任单位="大方县妇联", 出生日期="1970-01-01", 性别="女", 同意人="丁某"),
    ]
    preview_url = _upload(client, rows)["Location"]
    html = client.get(preview_url).content.decode()
    assert "第 3 行" in html and "身份证号校验位不正确" in html
    assert "身份证号与第 2 行重复" in html
    assert "找不到单位“大方县妇联”" in html
    client.post(preview_url)
    assert Person.objects.count() == 0


def test_import_refuses_a_child_without_guardian(tree, care, client_for):
    import datetime as dt

    child = make_id_number(f"520502{dt.date.today().year - 6}0101402")
    client = client_for(care.qxg)
    html = client.get(_upload(client, [_row(姓名="小某", 身份证号=child, 同意人="小某")])["Location"]).content.decode()
    assert "未满 14 周岁，须填写监护人" in html


def test_the_kept_upload_is_encrypted_on_disk(tree, care, client_for, settings):
    client = client_for(care.qxg)
    _upload(client, [_row(姓名="甲某", 身份证号=GOOD, 同意人="甲某")])
    (kept,) = list(settings.UPLOADS_DIR.glob("care-*"))
    assert kept.read_bytes()[:2] != b"PK" and GOOD.encode() not in kept.read_bytes()


def _decrypt(content: bytes, password: str):
    office = msoffcrypto.OfficeFile(io.BytesIO(content))
    office.load_key(password=password)
    out = io.BytesIO()
    office.decrypt(out)
    return load_workbook(out).active


def test_export_is_minimised_encrypted_and_logged(people, care, client_for):
    response = client_for(care.city_admin).post("/care/export/", {"password": "Pa55word-long", "reason": "年度复核"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert msoffcrypto.OfficeFile(io.BytesIO(response.content)).is_encrypted()
    with pytest.raises(Exception):  # noqa: B017 - any failure to open with a wrong password
        _decrypt(response.content, "wrong-password")
    sheet = _decrypt(response.content, "Pa55word-long")
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    flat = " ".join(str(v) for row in values for v in row)
    assert "张*芳" in flat and "李*英" in flat
    for leak in ("张小芳", QXG_ID, QXG_PHONE, DAFANG_ID, "乳腺癌"):
        assert leak not in flat
    assert AccessLog.objects.filter(action=AccessLog.Action.EXPORT, field="minimised").count() == 2


def test_export_with_chosen_columns_carries_them(people, care, client_for):
    data = {"password": "Pa55word-long", "reason": "年度复核", "full_names": "on", "id_numbers": "on"}
    response = client_for(care.qxg_admin).post("/care/export/", data)
    flat = " ".join(str(c.value) for row in _decrypt(response.content, "Pa55word-long").iter_rows() for c in row)
    assert "张小芳" in flat and QXG_ID in flat and QXG_PHONE not in flat and "李秀英" not in flat
    assert AccessLog.objects.get(action=AccessLog.Action.EXPORT).field == "names,id_numbers"


def test_export_has_its_own_permission(people, care, users, client_for):
    data = {"password": "Pa55word-long", "reason": "年度复核"}
    for user in (care.qxg, care.qxg_town, users.qxg_admin, users.city_admin):
        assert client_for(user).post("/care/export/", data).status_code == 403
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()


def test_sibling_care_admin_exports_only_its_own_side(people, care, tree, client_for):
    from tests.factories import UserFactory

    dafang_admin = UserFactory(username="df_care_admin", org=tree.dafang, is_org_admin=True, is_care_worker=True)
    response = client_for(dafang_admin).post(
        "/care/export/", {"password": "Pa55word-long", "reason": "年度复核", "full_names": "on"}
    )
    flat = " ".join(str(c.value) for row in _decrypt(response.content, "Pa55word-long").iter_rows() for c in row)
    assert "李秀英" in flat and "张" not in flat


def test_a_short_password_is_refused(people, care, client_for):
    response = client_for(care.city_admin).post("/care/export/", {"password": "short", "reason": "年度复核"})
    assert response.status_code == 200 and "密码至少 10 位" in response.content.decode()
