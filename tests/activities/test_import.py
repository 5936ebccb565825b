import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jinguo.activities.importing import HEADER, import_activities
from jinguo.activities.models import Activity
from jinguo.audit.models import AuditEntry
from jinguo.lib.excel import build_workbook


def _row(number, **cells):
    base = {
        "举办单位": "七星关区妇联",
        "所属活动通知": "",
        "活动名称": "宣讲",
        "日期": "2023-03-06",
        "地点": "村委会",
        "场所类型": "农村",
        "活动形式": "宣讲会",
        "宣讲人类型": "",
        "宣讲的法律": "",
        "参加人数": "10",
        "其中妇女": "5",
        "其中未成年人": "0",
        "线上覆盖人次": "",
        "活动简述": "",
    }
    return base | cells | {"_row": number}


def test_import_dry_run_writes_nothing(users, tree):
    result = import_activities([_row(2), _row(3, 举办单位="520502001")], by=users.qxg_liaison, dry_run=True)
    assert (result.ok, result.written, [r.org for r in result.rows]) == (True, False, [tree.qxg, tree.qxg_town])
    assert Activity.objects.count() == 0


def test_import_writes_all_rows_with_audit(users, tree, campaign):
    rows = [
        _row(2, 宣讲的法律="妇女权益保障法、反家庭暴力法", 宣讲人类型="先进典型", 所属活动通知="维权周活动"),
        _row(3, 日期="2023年3月7日", 场所类型="学校"),
    ]
    result = import_activities(rows, by=users.qxg_liaison, dry_run=False)
    assert result.written
    first, second = Activity.objects.order_by("id")
    assert (first.campaign, first.laws, first.speaker_type) == (campaign, ["妇女权益保障法", "反家庭暴力法"], "model")
    assert (str(second.date), second.venue_type) == ("2023-03-07", "school")
    assert AuditEntry.objects.filter(action="activities.activity.imported").count() == 2


def test_import_reports_every_bad_row_and_is_atomic(users, tree):
    rows = [
        _row(2),
        _row(3, 举办单位="大方县妇联"),
        _row(4, 日期="三月六日"),
        _row(5, 场所类型="月球"),
        _row(6, 其中妇女="20"),
        _row(7, 参加人数="十"),
        _row(8, 宣讲的法律="刑法"),
        _row(9, 活动名称=""),
        _row(10, 所属活动通知="没有这个通知"),
    ]
    result = import_activities(rows, by=users.qxg_liaison, dry_run=False)
    assert result.errors == [
        (3, "找不到单位“大方县妇联”（须是本单位或下级单位的名称或区划代码）"),
        (4, "日期“三月六日”无法识别，请写成 2023-03-06"),
        (5, "场所类型“月球”无效，可填：农村、社区、企业、学校、机关、线上"),
        (6, "妇女人数不能多于参加总人数"),
        (7, "“参加人数”必须是不小于 0 的整数，而不是“十”"),
        (
            8,
            "法律“刑法”无效，可填：民法典婚姻家庭编、妇女权益保障法、反家庭暴力法、家庭教育促进法、未成年人保护法，多部用“、”分隔",
        ),
        (9, "“活动名称”不能为空"),
        (10, "找不到活动通知“没有这个通知”（填写通知标题或文号）"),
    ]
    assert result.written is False
    assert Activity.objects.count() == 0


def test_import_missing_columns(users, tree):
    result = import_activities([{"单位": "x", "_row": 2}], by=users.qxg_liaison, dry_run=True)
    assert result.errors == [(1, "缺少列：举办单位、活动名称、日期、地点、场所类型（请使用导入模板）")]


def _xlsx(rows) -> SimpleUploadedFile:
    buf = io.BytesIO()
    build_workbook([("活动台账", HEADER, rows)]).save(buf)
    return SimpleUploadedFile("台账.xlsx", buf.getvalue())


def test_import_views_preview_then_confirm(client_for, users, tree):
    client = client_for(users.qxg_liaison)
    template = load_workbook(io.BytesIO(client.get(reverse("activities:import_template")).content))
    assert [c.value for c in template.worksheets[0][1]] == HEADER
    row = ["七星关区市西街道妇联", "", "反家暴宣讲", "2023-03-08", "社区", "社区", "宣讲会", "", "", 30, 20, 0, 0, ""]
    response = client.post(reverse("activities:import"), {"file": _xlsx([row])})
    preview_url = response["Location"]
    preview = client.get(preview_url)
    assert "将导入 1 条活动" in preview.content.decode()
    assert Activity.objects.count() == 0
    # another user cannot open this upload by its token
    assert client_for(users.qxg_admin).get(preview_url).status_code == 404
    client.post(preview_url)
    assert list(Activity.objects.values_list("org", "title")) == [(tree.qxg_town.pk, "反家暴宣讲")]


def test_import_view_shows_row_errors(client_for, users, tree):
    client = client_for(users.qxg_liaison)
    row = ["大方县妇联", "", "宣讲", "2023-03-08", "社区", "农村", "", "", "", 1, 0, 0, 0, ""]
    response = client.post(reverse("activities:import"), {"file": _xlsx([row])}, follow=True)
    body = response.content.decode()
    assert "第 2 行" in body and "找不到单位“大方县妇联”" in body
    assert "确认导入" not in body


@pytest.mark.parametrize("user", ["city_reviewer"])
def test_import_requires_write_permission(client_for, users, user):
    assert client_for(getattr(users, user)).get(reverse("activities:import")).status_code == 403


def test_import_refuses_an_event_dated_after_today_with_a_row_error(users, tree):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    rows = [_row(2), _row(3, 日期=f"{tomorrow:%Y-%m-%d}")]
    result = import_activities(rows, by=users.qxg_liaison, dry_run=False)
    assert result.errors == [
        (3, f"活动日期 {tomorrow:%Y-%m-%d} 晚于今天：台账只记录已经开展的活动，活动开展后再记入"),
    ]
    assert (result.written, Activity.objects.count()) == (False, 0)
