"""Upload → preview (dry run) → confirm: the one flow of every spreadsheet import.

The upload is read once to check that it is a table and kept (``KeptUploads``: a file under the
uploads folder, its token in the uploader's session). The preview runs the import with
``dry_run=True`` on the kept file; the confirmation (a POST to the same page) runs it for real on
the very same file and then discards it. Each import function validates every row first and
writes nothing if any row is bad (row-level errors in Chinese), inside one transaction; this
module only moves the file between the steps.

A view uses it as::

    IMPORTS = ImportFlow("orgs")

    token = IMPORTS.upload(request, form)              # None: show the form (with its errors)
    run = IMPORTS.run(request, token, partial(import_orgs, by=..., root=...))
    if run is None: ...                                # the kept file no longer reads (message added)
    if run.written: ...                                # confirmed and written
    context = run.preview_context(created=run.result.created, ...)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from jinguo.lib.excel import TableReadError, read_table
from jinguo.lib.uploads import KeptUploads

PREVIEW_LIMIT = 500
ROWS_SHOWN = 5  # row numbers listed for a group of rows that are not one run


@dataclass(frozen=True)
class ErrorGroup:
    """One message and the rows that have it: 44,703 rows with the same mistake are one line."""

    rows: str  # 第 2–35 行（34 行）, 第 2、5、9 行, 第 2、5、9、11、14 行等 34 行
    message: str
    count: int


def _row_label(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"第 {numbers[0]} 行"
    if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"第 {numbers[0]}–{numbers[-1]} 行（{len(numbers)} 行）"
    listed = "、".join(str(n) for n in numbers[:ROWS_SHOWN])
    if len(numbers) <= ROWS_SHOWN:
        return f"第 {listed} 行"
    return f"第 {listed} 行等 {len(numbers)} 行"


def group_errors(errors: Sequence[tuple[int | None, str]]) -> list[ErrorGroup]:
    """Row errors with the same message as one group each, in the order they first appear;
    errors of the file as a whole (no row) stay one each."""
    groups: dict[str, list[int]] = {}
    whole: list[ErrorGroup] = []
    for number, message in errors:
        if number is None:
            whole.append(ErrorGroup(rows="—", message=message, count=1))
        else:
            groups.setdefault(message, []).append(number)
    return whole + [
        ErrorGroup(rows=_row_label(sorted(numbers)), message=message, count=len(numbers))
        for message, numbers in groups.items()
    ]


class ImportResult(Protocol):
    written: bool
    errors: Sequence[tuple[int | None, str]]


R = TypeVar("R", bound=ImportResult)


@dataclass(frozen=True)
class ImportRun(Generic[R]):
    """One pass over a kept upload: the dry run of a preview, or the confirmed import."""

    result: R
    filename: str
    token: str
    row_count: int
    written: bool  # confirmed, and the import wrote (the kept file is gone)
    limit: int

    def preview_context(self, **lists: Sequence[Any]) -> dict[str, Any]:
        """What ``_import_preview.html`` reads, with each named list cut to the preview limit."""
        return {
            "result": self.result,
            "filename": self.filename,
            "token": self.token,
            "row_count": self.row_count,
            "limit": self.limit,
            "errors": group_errors(self.result.errors)[: self.limit],
            **{name: rows[: self.limit] for name, rows in lists.items()},
        }


class ImportFlow:
    """The kept uploads and the two steps of one kind of import (``orgs``, ``activities`` …)."""

    def __init__(self, kind: str, *, preview_limit: int = PREVIEW_LIMIT, seal=None, unseal=None):
        self.uploads = KeptUploads(kind, seal=seal, unseal=unseal)
        self.preview_limit = preview_limit

    def upload(self, request: HttpRequest, form: forms.Form, *, tag: str = "") -> str | None:
        """On a POST whose ``file`` reads as a table: keep it and return its token. Otherwise
        None, with any reading error added to the form's ``file`` field."""
        if request.method != "POST" or not form.is_valid():
            return None
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            read_table(data, upload.name)
        except TableReadError as exc:
            form.add_error("file", str(exc))
            return None
        return self.uploads.keep(request, filename=upload.name, data=data, tag=tag)

    def run(
        self, request: HttpRequest, token: str, importer: Callable[..., R], *, tag: str = ""
    ) -> ImportRun[R] | None:
        """GET: ``importer(rows, dry_run=True)`` on the kept file. POST: ``dry_run=False``, and the
        kept file is discarded once written. 404 unless this session kept ``token`` for ``tag``;
        None (with an error message for the user) if the kept file no longer reads."""
        path, filename = self.uploads.get(request, token, tag)
        try:
            rows = read_table(self.uploads.read(path), filename)
        except TableReadError as exc:
            messages.error(request, str(exc))
            return None
        confirm = request.method == "POST"
        result = importer(rows, dry_run=not confirm)
        written = confirm and result.written
        if written:
            self.uploads.discard(request, token)
        return ImportRun(
            result=result,
            filename=filename,
            token=token,
            row_count=len(rows),
            written=written,
            limit=self.preview_limit,
        )
