"""Columns other apps add to the supervision matrix, without the dashboard importing them.

An app above the dashboard (summaries: which units filed their summary) registers a column from
its ``AppConfig.ready()``: a label, an ``annotate`` function that adds the column's value to the
matrix's CampaignTarget rows (one annotation, no query per row), and the template of its cell
(rendered with ``t``, the row). The matrix page and its export show every registered column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class MatrixColumn:
    key: str
    label: str
    annotate: Callable[[QuerySet], QuerySet]
    cell_template: str
    # The export's cell from an annotated row; by default the annotation named ``<key>_state``'s label.
    export: Callable[[object], str] | None = None

    def export_cell(self, row) -> str:
        if self.export is not None:
            return self.export(row)
        value = getattr(row, f"{self.key}_state", "")
        return str(getattr(value, "label", value))


_COLUMNS: dict[str, MatrixColumn] = {}


def register_matrix_column(column: MatrixColumn) -> None:
    _COLUMNS[column.key] = column


def matrix_columns() -> list[MatrixColumn]:
    return list(_COLUMNS.values())


def with_columns(rows: QuerySet) -> QuerySet:
    for column in matrix_columns():
        rows = column.annotate(rows)
    return rows
