"""Reading what an export wrote, for the tests: the rows from the header on, as a user sees them.

A data export opens with its caption rows (one filled cell each, ``jinguo.lib.excel.Caption``);
``export_rows`` starts at the header below them, as ``read_table`` does, and ``caption_of`` gives
the caption itself.
"""

from __future__ import annotations

import io

from openpyxl import load_workbook


def _sheet(content: bytes, sheet: int | str = 0):
    wb = load_workbook(io.BytesIO(content))
    return wb[sheet] if isinstance(sheet, str) else wb.worksheets[sheet]


def all_rows(content: bytes, sheet: int | str = 0) -> list[list]:
    return [list(row) for row in _sheet(content, sheet).iter_rows(values_only=True)]


def export_rows(content: bytes, sheet: int | str = 0) -> list[list]:
    """The header and the data rows (caption rows above the header left out)."""
    rows = all_rows(content, sheet)
    start = next((i for i, row in enumerate(rows) if sum(v is not None and v != "" for v in row) >= 2), 0)
    return rows[start:]


def caption_of(content: bytes, sheet: int | str = 0) -> list[str]:
    rows = all_rows(content, sheet)
    return [row[0] for row in rows[: len(rows) - len(export_rows(content, sheet))] if row and row[0]]
