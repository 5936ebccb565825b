"""Reading uploaded tables: bounded, and every bad file is a Chinese error, never a 500."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from jinguo.lib import excel
from jinguo.lib.excel import TableReadError, read_table


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _replace_member(data: bytes, member: str, content: bytes) -> bytes:
    """The same .xlsx with one member's bytes replaced (deflated, as Excel writes them)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, content if info.filename == member else src.read(info.filename))
    return out.getvalue()


def _sheet_xml(rows: int) -> bytes:
    cells = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>某某妇联</t></is></c></row>' for n in range(1, rows + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{cells}</sheetData></worksheet>"
    ).encode()


def test_reads_rows_as_text_with_their_line_numbers():
    rows = read_table(
        _xlsx([["名称", "代码"], ["七星关区妇联", 520502], [None, None], ["大方县妇联", "520521"]]), "a.xlsx"
    )
    assert rows == [
        {"名称": "七星关区妇联", "代码": "520502", "_row": 2},
        {"名称": "大方县妇联", "代码": "520521", "_row": 4},
    ]


def test_zip_bomb_is_refused_before_it_is_parsed():
    bomb = _replace_member(_xlsx([["名称"]]), "xl/worksheets/sheet1.xml", b" " * (120 * 1024 * 1024))
    assert len(bomb) < 300 * 1024  # kilobytes on the wire
    with pytest.raises(TableReadError, match="解压后过大"):
        read_table(bomb, "bomb.xlsx")


def test_highly_compressed_sheet_is_refused_even_under_the_size_cap():
    padded = _replace_member(_xlsx([["名称"]]), "xl/worksheets/sheet1.xml", b" " * (5 * 1024 * 1024))
    with pytest.raises(TableReadError, match="解压后过大"):
        read_table(padded, "padded.xlsx")


def test_too_many_rows_stop_the_read(monkeypatch):
    monkeypatch.setattr(excel, "TABLE_MAX_ROWS", 50)
    data = _replace_member(_xlsx([["名称"]]), "xl/worksheets/sheet1.xml", _sheet_xml(200))
    with pytest.raises(TableReadError, match="超过 50 行"):
        read_table(data, "long.xlsx")
    assert len(read_table(_replace_member(data, "xl/worksheets/sheet1.xml", _sheet_xml(51)), "ok.xlsx")) == 50


def test_columns_past_the_limit_are_not_read(monkeypatch):
    monkeypatch.setattr(excel, "TABLE_MAX_COLUMNS", 2)
    rows = read_table(_xlsx([["名称", "代码", "多余"], ["A", "1", "x"]]), "wide.xlsx")
    assert rows == [{"名称": "A", "代码": "1", "_row": 2}]


def test_shared_string_index_out_of_range_is_a_chinese_error():
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="s"><v>999</v></c></row></sheetData></worksheet>'
    )
    data = _replace_member(_xlsx([["名称"]]), "xl/worksheets/sheet1.xml", sheet)
    with pytest.raises(TableReadError, match="无法读取"):
        read_table(data, "broken.xlsx")


def test_file_over_the_size_cap_is_refused(monkeypatch):
    monkeypatch.setattr(excel, "TABLE_MAX_BYTES", 1024)
    with pytest.raises(TableReadError, match="超过大小上限"):
        read_table(b"a,b\n" * 1000, "big.csv")


@pytest.mark.parametrize("data", [b"PK\x03\x04 not really a zip", b"", b"\x00" * 100])
def test_damaged_xlsx_is_a_chinese_error(data):
    with pytest.raises(TableReadError, match="无法读取"):
        read_table(data, "damaged.xlsx")


def test_csv_in_gb18030_is_read():
    assert read_table("名称\n七星关区妇联\n".encode("gb18030"), "a.csv") == [{"名称": "七星关区妇联", "_row": 2}]


def test_export_opens_with_its_caption_and_writes_dates_as_dates(settings):
    import datetime as dt

    from django.utils import timezone
    from openpyxl import load_workbook

    from jinguo.lib.excel import Caption, build_workbook

    at = timezone.make_aware(dt.datetime(2023, 3, 8, 9, 30), dt.UTC)
    caption = Caption(title="督导矩阵 · 三八维权周", by="王芳（毕节市妇联）", at=at)
    wb = build_workbook(
        [("矩阵", ["单位", "报送日期", "报送时间"], [["七星关区妇联", dt.date(2023, 3, 5), at]])], caption=caption
    )
    buf = io.BytesIO()
    wb.save(buf)
    ws = load_workbook(io.BytesIO(buf.getvalue())).active
    assert ws["A1"].value == "督导矩阵 · 三八维权周"
    assert ws["A2"].value == "导出时间：2023-03-08 17:30　导出人：王芳（毕节市妇联）"  # Asia/Shanghai
    assert [c.value for c in ws[4]] == ["单位", "报送日期", "报送时间"]
    assert ws["B5"].value == dt.datetime(2023, 3, 5) and ws["B5"].number_format == "yyyy-mm-dd"
    assert ws["C5"].value == dt.datetime(2023, 3, 8, 17, 30) and ws["C5"].number_format == "yyyy-mm-dd hh:mm"
    assert ws.freeze_panes == "A5"
    # The same file imported again: the caption is skipped and line numbers stay the file's.
    assert read_table(buf.getvalue(), "export.xlsx") == [
        {"单位": "七星关区妇联", "报送日期": "2023-03-05", "报送时间": "2023-03-08 17:30", "_row": 5}
    ]


def test_one_column_file_keeps_its_first_row_as_header():
    assert read_table("名称\n七星关区妇联\n".encode(), "a.csv") == [{"名称": "七星关区妇联", "_row": 2}]
