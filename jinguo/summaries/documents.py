"""A summary as an official document (公文): title, the unit's red head, addressee, numbered
headings, the paragraphs as the person left them, the per-unit table, signature and date —
rendered by ``jinguo.lib.gongwen`` as .docx or PDF."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jinguo.lib import gongwen
from jinguo.summaries.drafting import appendix, chinese_ordinal, draft, summary_title
from jinguo.summaries.models import Summary
from jinguo.summaries.selectors import sections_of

FORMATS = {
    "docx": (gongwen.render_docx, gongwen.DOCX_CONTENT_TYPE),
    "pdf": (gongwen.render_pdf, gongwen.PDF_CONTENT_TYPE),
}


def _document(*, title, unit, to_org, sections, table: dict, date: dt.date) -> gongwen.Document:
    body: list = []
    for i, (heading, paragraphs) in enumerate(sections, start=1):
        if not paragraphs:
            continue  # a heading the person left empty is not printed
        body.append(gongwen.Heading(f"{chinese_ordinal(i)}、{heading}"))
        body.extend(gongwen.Para(text) for text in paragraphs)
    if table.get("rows"):
        body.append(gongwen.Table(header=[table["header"]], rows=table["rows"], title=f"附表：{table['title']}"))
    return gongwen.Document(
        title=title,
        body=body,
        issuer=unit.name,
        addressees=[to_org.name] if to_org is not None else [],
        signature=unit.name,
        date=date,
    )


def summary_document(summary: Summary) -> gongwen.Document:
    """The summary as filed or being edited: its own text and its appendix."""
    sections = [(s.heading, [p.text for p in s.paragraphs.all()]) for s in sections_of(summary)]
    date = timezone.localdate(summary.submitted_at or timezone.now())
    return _document(
        title=summary.title,
        unit=summary.org,
        to_org=summary.to_org,
        sections=sections,
        table=summary.appendix,
        date=date,
    )


def drafted_document(campaign, unit, *, to_org=None, now=None) -> gongwen.Document:
    """A unit's summary drafted from today's data and not saved (a unit that has not drafted one)."""
    ctx, drafted = draft(campaign, unit, now=now)
    sections = [(s.heading, [p.text for p in s.paragraphs]) for s in drafted]
    return _document(
        title=summary_title(campaign, unit),
        unit=unit,
        to_org=to_org,
        sections=sections,
        table=appendix(ctx),
        date=timezone.localdate(ctx.now),
    )


def render(document: gongwen.Document, fmt: str) -> bytes:
    return FORMATS[fmt][0](document)


def filename(title: str, fmt: str) -> str:
    return f"{title}.{fmt}"
