"""Excel in and out, safely: text stays text, and nothing a user typed runs as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils import timezone
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
DATE_FORMATS = {dt.date: "yyyy-mm-dd", dt.datetime: "yyyy-mm-dd hh:mm"}


def neutralise(value):
    """Make a cell value inert: strings that a spreadsheet would run get a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True)
class Caption:
    """The title rows of an export: what it is, when and by whom it was exported."""

    title: str
    by: str = ""
    at: dt.datetime | None = None

    @classmethod
    def of(cls, title: str, *, user) -> Caption:
        by = f"{user.display_name}（{user.org.name}）" if getattr(user, "org", None) else str(user)
        return cls(title=title, by=by, at=timezone.now())

    def lines(self) -> list[str]:
        at = timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M") if self.at else ""
        detail = "　".join(
            part for part in (f"导出时间：{at}" if at else "", f"导出人：{self.by}" if self.by else "") if part
        )
        return [self.title, *([detail] if detail else [])]


def _cell_value(value):
    """A value as a cell takes it: dates and times as Excel dates (local, naive), text made inert."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    return neutralise(value)


def build_workbook(
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]], *, caption: Caption | None = None
) -> Workbook:
    """One sheet per (title, header, rows). Strings are written as text cells ("@" format), dates
    and times as Excel dates. With ``caption``, each sheet opens with its title rows (one filled cell
    each, so ``read_table`` finds the header below them when the file is imported again)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title=title[:31])
        top = 0
        for line in caption.lines() if caption else ():
            ws.append([line])
            top += 1
            ws.cell(row=top, column=1).font = Font(bold=top == 1, size=13 if top == 1 else 10)
        if caption:
            ws.append([])
            top += 1
        ws.append(list(header))
        header_row = top + 1
        for cell in ws[header_row]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="F3D6D8")
            cell.alignment = Alignment(vertical="center")
        widths = [max(6, len(str(h)) * 2 + 2) for h in header]
        # Track the row number ourselves: openpyxl's ws.max_row scans every cell (quadratic).
        for row_number, row in enumerate(rows, start=header_row + 1):
            values = [_cell_value(v) for v in row]
            ws.append(values)
            for i, v in enumerate(values):
                cell_format = DATE_FORMATS.get(type(v))
                if isinstance(v, str):
                    ws.cell(row=row_number, column=i + 1).number_format = "@"
                    widths[i] = min(60, max(widths[i], len(v) * 2 + 2))
                elif cell_format:
                    ws.cell(row=row_number, column=i + 1).number_format = cell_format
                    widths[i] = max(widths[i], len(cell_format) + 2)
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = f"A{header_row + 1}"
    return wb


def xlsx_response(filename: str, sheets, *, caption: Caption | None = None) -> HttpResponse:
    """An .xlsx download; ``filename`` may be Chinese. Data exports pass a ``caption``; import
    templates don't (their first row is the header)."""
    from urllib.parse import quote

    buf = io.BytesIO()
    build_workbook(sheets, caption=caption).save(buf)
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
    start = _header_index(raw_rows)
    header = [str(h).strip() for h in raw_rows[start]]
    rows = []
    for number, raw in enumerate(raw_rows[start + 1 :], start=start + 2):
        if not any(str(v).strip() for v in raw):
            continue
        row = {h: (str(raw[i]).strip() if i < len(raw) else "") for i, h in enumerate(header) if h}
        row["_row"] = number
        rows.append(row)
    return rows


def _header_index(raw_rows: list[list[str]]) -> int:
    """The header is the first row with two or more filled cells: an exported file's title rows
    (one filled cell each, see ``Caption``) are skipped. A one-column file keeps its first row."""
    for i, raw in enumerate(raw_rows[:10]):
        if sum(1 for v in raw if str(v).strip()) >= 2:
            return i
    return 0


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
    if isinstance(value, dt.datetime):  # Excel keeps every date as a date and time
        return f"{value:%Y-%m-%d}" if value.time() == dt.time() else f"{value:%Y-%m-%d %H:%M}"
    return str(value)
