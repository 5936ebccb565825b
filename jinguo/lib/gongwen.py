"""Official documents (公文) in the national layout, GB/T 9704-2012, as .docx and as PDF.

A `Document` is plain data — title, body blocks, the 版头 and 版记 parts — and the two renderers
lay it out the same way: A4, margins 37/35/28/26 mm, title in 小标宋 2号, body in 仿宋_GB2312 3号
on a grid of 22 lines × 28 characters, headings in 黑体 / 楷体_GB2312, page numbers "— 1 —" in
4号, odd pages right and even pages left.

The .docx names the standard fonts (w:eastAsia on every run) so it prints right on an office PC
that has them. The PDF is rendered on the server, which rarely has them: the CSS asks for the
standard font first and falls back to Debian's fonts (Noto Serif/Sans CJK SC from fonts-noto-cjk,
AR PL UKai from fonts-arphic-ukai) — see README "公文 documents".
"""

from __future__ import annotations

import datetime
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_CONTENT_TYPE = "application/pdf"


@dataclass
class Heading:
    """A section heading; the caller writes the number ("一、", "（一）")."""

    text: str
    level: int = 1  # 1 → 黑体, 2 → 楷体_GB2312


@dataclass
class Para:
    text: str


@dataclass
class Table:
    """A table; its header rows repeat on each page. An empty header cell joins the one to its left."""

    header: list[list[str]]
    rows: list[list[str]]
    title: str = ""


@dataclass
class Document:
    title: str
    body: list[Heading | Para | Table]
    issuer: str = ""  # 发文机关 (红头), e.g. 毕节市妇女联合会
    number: str = ""  # 发文字号, e.g. 毕妇发〔2023〕5号
    addressees: list[str] = field(default_factory=list)  # 主送机关
    attachments: list[str] = field(default_factory=list)  # 附件说明
    signature: str = ""  # 落款
    date: datetime.date | None = None
    landscape: bool = False


# --- the layout, in one place for both renderers -----------------------------------------------

PAGE_MM = (210, 297)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
TITLE_PT = 22  # 2号
BODY_PT = 16  # 3号
PAGE_NUMBER_PT = 14  # 4号
ISSUER_PT = 36  # 小初: the 发文机关标志 in red
TABLE_PT = 12  # 小四: tables keep 仿宋 but smaller, so a matrix fits
RED = "C00000"

LATIN = "Times New Roman"
FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_H1 = "黑体"
FONT_H2 = "楷体_GB2312"
FONT_PAGE_NUMBER = "宋体"

_TEXT_HEIGHT_PT = (PAGE_MM[1] - MARGINS_MM["top"] - MARGINS_MM["bottom"]) * 72 / 25.4
_TEXT_WIDTH_PT = (PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]) * 72 / 25.4
# 28.99 pt, rounded down to Word's twips (28.95 pt, 579 twips) so that 22 lines surely fit.
LINE_PITCH_PT = math.floor(_TEXT_HEIGHT_PT / LINES_PER_PAGE * 20) / 20
CHAR_PITCH_PT = _TEXT_WIDTH_PT / CHARS_PER_LINE  # 15.79 pt: a 16 pt character squeezed by 0.21 pt

_NUMERIC = re.compile(r"^[\s\d.,%％—\-+/:：]+$")


def document_date(date: datetime.date) -> str:
    """成文日期 as the 2012 standard writes it: Arabic numerals, no leading zeros."""
    return f"{date.year}年{date.month}月{date.day}日"


def header_cells(row: list[str], width: int) -> list[tuple[str, int]]:
    """A header row as (text, span) pairs: an empty cell widens the cell to its left."""
    cells: list[tuple[str, int]] = []
    for text in list(row) + [""] * (width - len(row)):
        if text == "" and cells:
            cells[-1] = (cells[-1][0], cells[-1][1] + 1)
        else:
            cells.append((text, 1))
    return cells


def _width(table: Table) -> int:
    return max((len(r) for r in [*table.header, *table.rows]), default=1) or 1


def _issuer_mark(issuer: str) -> str:
    return issuer if issuer.endswith("文件") else f"{issuer}文件"


def _signature_indent_chars(signature: str, date_text: str) -> float:
    """落款 is centred over the 成文日期, which stands 4 characters from the right."""
    return 4 + max(0, (len(date_text) - len(signature)) / 2)


# --- .docx ------------------------------------------------------------------------------------


def _set_fonts(rpr_parent, east_asian: str, latin: str = LATIN) -> None:
    """Name the font for every script: Word picks w:eastAsia for Chinese characters."""
    rpr = rpr_parent.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    for theme_attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme_attr), None)


def _run(paragraph, text: str, *, font: str, size: float, bold: bool = False, color: str = ""):
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    _set_fonts(run._r, font, latin=font if font == FONT_PAGE_NUMBER else LATIN)
    return run


def _paragraph(doc, *, align=None, first_line_chars: float = 0, right_chars: float = 0, left_chars: float = 0):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    if align is not None:
        fmt.alignment = align
    if first_line_chars:
        fmt.first_line_indent = Pt(BODY_PT * first_line_chars)
        # In characters too: on the grid Word then indents by two character pitches, not 32 pt.
        p._p.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), str(round(first_line_chars * 100)))
    if right_chars:
        fmt.right_indent = Pt(BODY_PT * right_chars)
    if left_chars:
        fmt.left_indent = Pt(BODY_PT * left_chars)
    return p


def _page_number_paragraph(footer, *, odd: bool) -> None:
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    fmt = p.paragraph_format
    # 4号 numerals with an em dash on each side, one character in from the outer edge.
    fmt.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    if odd:
        fmt.right_indent = Pt(PAGE_NUMBER_PT)
    else:
        fmt.left_indent = Pt(PAGE_NUMBER_PT)
    _run(p, "— ", font=FONT_PAGE_NUMBER, size=PAGE_NUMBER_PT)
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("text", "1"), ("end", None)):
        run = _run(p, "", font=FONT_PAGE_NUMBER, size=PAGE_NUMBER_PT)
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        elif kind == "text":
            run.text = text
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
    _run(p, " —", font=FONT_PAGE_NUMBER, size=PAGE_NUMBER_PT)


def _setup_docx(doc, landscape: bool) -> None:
    section = doc.sections[0]
    width, height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        width, height = height, width
    section.page_width, section.page_height = width, height
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.header_distance = Mm(15)
    # The page number's top stands 7 mm below the text area (GB/T 9704 §7.5).
    section.footer_distance = Mm(MARGINS_MM["bottom"] - 7 - 6)

    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    _set_fonts(normal.element, FONT_BODY)
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.widow_control = False
    if not landscape:
        # Exactly 28.95 pt a line, and the grid: Word and WPS then lay 22 lines × 28 characters.
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(LINE_PITCH_PT)
        sect_pr = section._sectPr
        grid = sect_pr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            sect_pr.append(grid)
        grid.set(qn("w:type"), "linesAndChars")
        grid.set(qn("w:linePitch"), str(round(LINE_PITCH_PT * 20)))
        # charSpace: the character pitch minus the Normal font size, in 1/4096 pt.
        grid.set(qn("w:charSpace"), str(round((CHAR_PITCH_PT - BODY_PT) * 4096)))

    doc.settings.odd_and_even_pages_header_footer = True
    _page_number_paragraph(section.footer, odd=True)
    _page_number_paragraph(section.even_page_footer, odd=False)


def _docx_table(doc, table: Table) -> None:
    if table.title:
        p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER)
        p.paragraph_format.keep_with_next = True
        _run(p, table.title, font=FONT_H1, size=BODY_PT)
    width = _width(table)
    grid = doc.add_table(rows=0, cols=width)
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER

    def fill(cell, text: str, *, bold: bool) -> None:
        p = cell.paragraphs[0]
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        fmt.first_line_indent = Pt(0)
        numeric = bool(_NUMERIC.match(text))
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER if bold or numeric else WD_ALIGN_PARAGRAPH.LEFT
        # Off the page grid, or each table line would take a full 28.95 pt body line.
        snap = OxmlElement("w:snapToGrid")
        snap.set(qn("w:val"), "0")
        p._p.get_or_add_pPr().append(snap)
        _run(p, text, font=FONT_H1 if bold else FONT_BODY, size=TABLE_PT)

    for header in table.header:
        row = grid.add_row()
        tr_pr = row._tr.get_or_add_trPr()
        for tag in ("w:cantSplit", "w:tblHeader"):
            el = OxmlElement(tag)
            el.set(qn("w:val"), "true")
            tr_pr.append(el)
        col = 0
        for text, span in header_cells(header, width):
            cell = row.cells[col]
            if span > 1:
                cell = cell.merge(row.cells[col + span - 1])
            fill(cell, text, bold=True)
            col += span
    for values in table.rows:
        row = grid.add_row()
        tr_pr = row._tr.get_or_add_trPr()
        el = OxmlElement("w:cantSplit")
        el.set(qn("w:val"), "true")
        tr_pr.append(el)
        for col, text in enumerate(list(values) + [""] * (width - len(values))):
            fill(row.cells[col], str(text), bold=False)


def render_docx(doc: Document) -> bytes:
    """The document as a .docx in the GB/T 9704-2012 layout."""
    out = new_docx()
    out.core_properties.title = doc.title
    out.core_properties.author = doc.issuer or doc.signature
    _setup_docx(out, doc.landscape)
    # python-docx's template opens with one empty paragraph-less body; we only add.

    if doc.issuer:
        p = _paragraph(out, align=WD_ALIGN_PARAGRAPH.CENTER)
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        _run(p, _issuer_mark(doc.issuer), font=FONT_TITLE, size=ISSUER_PT, color=RED)
        out.add_paragraph()
    if doc.number:
        p = _paragraph(out, align=WD_ALIGN_PARAGRAPH.CENTER)
        _run(p, doc.number, font=FONT_BODY, size=BODY_PT)
    if doc.issuer:
        # The red separator line under the 发文字号 (版头 分隔线).
        p = _paragraph(out)
        p.paragraph_format.line_spacing = Pt(6)
        borders = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for key, value in (("w:val", "single"), ("w:sz", "18"), ("w:space", "1"), ("w:color", RED)):
            bottom.set(qn(key), value)
        borders.append(bottom)
        p._p.get_or_add_pPr().append(borders)
        out.add_paragraph()
    elif doc.number:
        out.add_paragraph()

    # 标题: 小标宋 2号, centred, with one blank line below.
    title = _paragraph(out, align=WD_ALIGN_PARAGRAPH.CENTER)
    _run(title, doc.title, font=FONT_TITLE, size=TITLE_PT)
    out.add_paragraph()

    if doc.addressees:
        p = _paragraph(out)
        _run(p, "，".join(doc.addressees) + "：", font=FONT_BODY, size=BODY_PT)

    for block in doc.body:
        if isinstance(block, Heading):
            p = _paragraph(out, first_line_chars=2)
            p.paragraph_format.keep_with_next = True
            p.paragraph_format.outline_level = 0 if block.level <= 1 else 1
            _run(p, block.text, font=FONT_H1 if block.level <= 1 else FONT_H2, size=BODY_PT)
        elif isinstance(block, Para):
            p = _paragraph(out, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_chars=2)
            _run(p, block.text, font=FONT_BODY, size=BODY_PT)
        elif isinstance(block, Table):
            _docx_table(out, block)
        else:  # pragma: no cover - a caller's mistake, said plainly
            raise TypeError(f"not a document block: {block!r}")

    if doc.attachments:
        out.add_paragraph()
        for index, name in enumerate(doc.attachments):
            # 附件说明: "附件：1．名称", later names under the first (a hanging indent).
            p = _paragraph(out, align=WD_ALIGN_PARAGRAPH.JUSTIFY, left_chars=5)
            p.paragraph_format.first_line_indent = Pt(-BODY_PT * 3)
            label = "附件：" if index == 0 else "　　　"
            number = f"{index + 1}．" if len(doc.attachments) > 1 else ""
            _run(p, f"{label}{number}{name}", font=FONT_BODY, size=BODY_PT)

    if doc.signature or doc.date:
        out.add_paragraph()
        out.add_paragraph()
        date_text = document_date(doc.date) if doc.date else ""
        if doc.signature:
            p = _paragraph(
                out,
                align=WD_ALIGN_PARAGRAPH.RIGHT,
                right_chars=_signature_indent_chars(doc.signature, date_text) if date_text else 2,
            )
            _run(p, doc.signature, font=FONT_BODY, size=BODY_PT)
        if date_text:
            p = _paragraph(out, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
            _run(p, date_text, font=FONT_BODY, size=BODY_PT)

    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


# --- PDF --------------------------------------------------------------------------------------

_CSS = Path(__file__).with_name("gongwen.css")


def _html(doc: Document) -> str:
    from django.template.loader import render_to_string

    blocks = []
    for block in doc.body:
        if isinstance(block, Table):
            width = _width(block)
            blocks.append(
                {
                    "kind": "table",
                    "title": block.title,
                    "header": [header_cells(row, width) for row in block.header],
                    "rows": [
                        [(str(v), bool(_NUMERIC.match(str(v)))) for v in list(r) + [""] * (width - len(r))]
                        for r in block.rows
                    ],
                }
            )
        elif isinstance(block, Heading):
            blocks.append({"kind": "heading", "level": 1 if block.level <= 1 else 2, "text": block.text})
        else:
            blocks.append({"kind": "para", "text": block.text})
    date_text = document_date(doc.date) if doc.date else ""
    return render_to_string(
        "gongwen/document.html",
        {
            "doc": doc,
            "issuer_mark": _issuer_mark(doc.issuer) if doc.issuer else "",
            "addressees": "，".join(doc.addressees),
            "attachments": [
                (f"{i + 1}．" if len(doc.attachments) > 1 else "") + name for i, name in enumerate(doc.attachments)
            ],
            "blocks": blocks,
            "date_text": date_text,
        },
    )


def render_html(doc: Document) -> str:
    """The HTML the PDF is printed from (useful to look at in a browser while changing the CSS)."""
    return _html(doc)


def render_pdf(doc: Document) -> bytes:
    """The document as a PDF, laid out like the .docx, with the server's fonts embedded."""
    from weasyprint import CSS, HTML  # imported here: it loads Pango, which pages never need
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()  # the stylesheet's @font-face rules register here
    stylesheets = [CSS(filename=str(_CSS), font_config=fonts)]
    if doc.landscape:
        stylesheets.append(CSS(string="@page { size: A4 landscape; }", font_config=fonts))
    return HTML(string=_html(doc), base_url=str(_CSS.parent)).write_pdf(stylesheets=stylesheets, font_config=fonts)
