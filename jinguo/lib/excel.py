"""Excel in and out, safely: text stays text, and nothing a user typed runs as a formula."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence

from django.http import HttpResponse
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Limits of every table read from an upload: a national tree to township level is ~45,000 rows of
# a few columns (~3 MB as .xlsx, ~20 MB unpacked). A zip bomb — kilobytes that unpack to gigabytes
# of cells — is refused before it is parsed, and a sheet is never read past these bounds.
TABLE_MAX_BYTES = 20 * 1024 * 1024
TABLE_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
TABLE_MAX_RATIO = 100  # unpacked / packed: real sheets stay near 10
TABLE_MAX_ROWS = 100_000
TABLE_MAX_COLUMNS = 50
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make a cell value inert: strings that a spreadsheet would run get a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def build_workbook(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]]) -> Workbook:
    """One sheet per (title, header, rows). Strings are written as text cells ("@" format)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title=title[:31])
        ws.append(list(header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="F3D6D8")
            cell.alignment = Alignment(vertical="center")
        widths = [max(6, len(str(h)) * 2 + 2) for h in header]
        # Track the row number ourselves: openpyxl's ws.max_row scans every cell (quadratic).
        for row_number, row in enumerate(rows, start=2):
            values = [neutralise(v) for v in row]
            ws.append(values)
            for i, v in enumerate(values):
                if isinstance(v, str):
                    ws.cell(row=row_number, column=i + 1).number_format = "@"
                    widths[i] = min(60, max(widths[i], len(v) * 2 + 2))
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = "A2"
    return wb


def xlsx_response(filename: str, sheets) -> HttpResponse:
    """An .xlsx download; ``filename`` may be Chinese."""
    from urllib.parse import quote

    buf = io.BytesIO()
    build_workbook(sheets).save(buf)
    response = HttpResponse(buf.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


class TableReadError(ValueError):
    """The uploaded file could not be read as a table; the message is for the user."""


def read_table(data: bytes, filename: str) -> list[dict[str, str]]:
    """Rows of an uploaded .xlsx or .csv as dicts keyed by the stripped header, values as text.

    Row dicts carry ``_row``: the line number the user sees in the file (header is row 1).
    Raises ``TableReadError`` (a message for the user) for a file too large, packed like a zip
    bomb, longer than ``TABLE_MAX_ROWS`` rows or damaged; never reads past those bounds.
    """
    name = filename.lower()
    if len(data) > TABLE_MAX_BYTES:
        raise TableReadError(f"文件超过大小上限（最大 {TABLE_MAX_BYTES // 1024 // 1024} MB），请拆分后分批导入")
    if name.endswith(".csv"):
        raw_rows = _bounded(_csv_rows(data))
    elif name.endswith(".xlsx"):
        raw_rows = _bounded(_xlsx_rows(data))
    else:
        raise TableReadError("只支持 .xlsx 或 .csv 文件")
    if not raw_rows:
        raise TableReadError("文件是空的")
    header = [str(h).strip() for h in raw_rows[0]]
    rows = []
    for number, raw in enumerate(raw_rows[1:], start=2):
        if not any(str(v).strip() for v in raw):
            continue
        row = {h: (str(raw[i]).strip() if i < len(raw) else "") for i, h in enumerate(header) if h}
        row["_row"] = number
        rows.append(row)
    return rows


def _bounded(rows: Iterator[list[str]]) -> list[list[str]]:
    out = []
    for row in rows:
        if len(out) > TABLE_MAX_ROWS:  # the header plus TABLE_MAX_ROWS rows
            raise TableReadError(f"文件超过 {TABLE_MAX_ROWS:,} 行，请拆分后分批导入")
        out.append(row[:TABLE_MAX_COLUMNS])
    return out


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableReadError("无法识别文件编码，请保存为 UTF-8 编码的 CSV 或 .xlsx 文件")
    try:
        yield from csv.reader(io.StringIO(text))
    except csv.Error as exc:
        raise TableReadError("CSV 文件格式有误，请用 Excel 另存为 .xlsx 后再导入") from exc


def _check_packing(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableReadError("无法读取该 Excel 文件，请确认是 .xlsx 格式且未损坏") from exc
    if unpacked > TABLE_MAX_UNPACKED_BYTES or unpacked > TABLE_MAX_RATIO * max(len(data), 1):
        raise TableReadError("该 Excel 文件解压后过大，可能已损坏或含有大量空白单元格，请复制数据到新文件后再导入")


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    _check_packing(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise TableReadError("无法读取该 Excel 文件，请确认是 .xlsx 格式且未损坏") from exc
    try:
        if not wb.worksheets:
            raise TableReadError("该 Excel 文件没有工作表")
        rows = wb.worksheets[0].iter_rows(values_only=True, max_col=TABLE_MAX_COLUMNS)
        number = 1
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except TableReadError:
                raise
            except Exception as exc:  # a damaged cell (a shared-string index out of range, bad XML)
                raise TableReadError(f"第 {number} 行附近的单元格无法读取，文件可能已损坏") from exc
            yield ["" if v is None else _cell_text(v) for v in row]
            number += 1
    finally:
        wb.close()


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
