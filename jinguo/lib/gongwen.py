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

import copy
import dataclasses
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
class Annex:
    """Starts an attachment (附件) on a new page, after the signature: its label, then its title.

    The blocks after it, up to the next Annex, are the attachment's body. The main text, the
    附件说明, the signature and the date all come before the first Annex.
    """

    title: str
    label: str = "附件"


@dataclass
class Document:
    title: str
    body: list[Heading | Para | Table | Annex]
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
# A landscape table is the portrait sheet turned with its head toward the binding edge (§10.3):
# the 28 mm binding margin is on top, the 37 mm 天头 on the right.
LANDSCAPE_MARGINS_MM = {"top": 28, "bottom": 26, "left": 35, "right": 37}
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
TITLE_PT = 22  # 2号
BODY_PT = 16  # 3号
PAGE_NUMBER_PT = 14  # 4号
ISSUER_PT = 36  # 小初: the 发文机关标志 in red
TABLE_PT = 12  # 小四: tables keep 仿宋 but smaller
LANDSCAPE_TABLE_PT = 10.5  # 五号: a landscape page is for a wide table (the matrix's nine columns)
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
# Word condenses in twentieths of a point: 0.25 pt (15.75 pt a character) is the least that fits 28.
CONDENSE_TWIPS = math.floor((CHAR_PITCH_PT - BODY_PT) * 20)

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


# A paragraph that opens with its own heading sentence, as notices write them: "（一）切实加强领导。…"
# — the heading sentence takes the heading font, the rest stays 仿宋.
_RUN_IN = [
    (re.compile(r"^([一二三四五六七八九十]+、[^。！？\n]{1,30}。)"), 1),
    (re.compile(r"^(（[一二三四五六七八九十]+）[^。！？\n]{1,30}。)"), 2),
]


def run_in_heading(text: str) -> tuple[str, int]:
    """The heading sentence a paragraph opens with and its level, or ("", 0)."""
    for pattern, level in _RUN_IN:
        match = pattern.match(text)
        if match and len(match.group(1)) < len(text):
            return match.group(1), level
    return "", 0


def sections(doc: Document) -> tuple[list, list[tuple[Annex, list]]]:
    """The main text's blocks, and each attachment with its blocks."""
    main: list = []
    annexes: list[tuple[Annex, list]] = []
    for block in doc.body:
        if isinstance(block, Annex):
            annexes.append((block, []))
        elif annexes:
            annexes[-1][1].append(block)
        else:
            main.append(block)
    return main, annexes


# Control characters XML cannot hold: text pasted from Word brings \x0b (its manual line break).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(value):
    if isinstance(value, str):
        return _UNPRINTABLE.sub(" ", value).replace("\x0b", " ")
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if dataclasses.is_dataclass(value):
        return dataclasses.replace(value, **{f.name: _clean(getattr(value, f.name)) for f in dataclasses.fields(value)})
    return value


def printable(doc: Document) -> Document:
    """``doc`` with every text fit to print: characters a .docx cannot hold become spaces."""
    return _clean(doc)


def display_width(text: str) -> float:
    """Width in Chinese characters: Latin letters and digits take half."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1 for ch in text)


TITLE_CHARS = 20  # 2号 characters on a 156 mm line
_BREAK_AFTER = "”》）、， "
_BREAK_BEFORE = "“《（"
_BREAK_BEFORE_WORDS = ("关于", "的通知", "的意见", "的报告", "的决定", "的方案", "的函")
_MID_WORD_COST = 12  # a break inside a word costs as much as two lines 3 characters uneven
_LINE_COST = 8  # a line more than needed, to avoid a break inside a word


def title_lines(title: str, per_line: float = TITLE_CHARS) -> list[str]:
    """A long title broken where its meaning allows (around quotes and book titles, before "关于"
    or "的通知"), into lines of even length, as 公文 titles are set (梯形或菱形)."""
    title = title.strip()
    if display_width(title) <= per_line:
        return [title]
    fewest = math.ceil(display_width(title) / per_line)
    options = [_title_split(title, count, per_line) for count in (fewest, fewest + 1)]
    options = [o for o in options if o is not None]
    if not options:
        return [title]
    return [title[a:b].strip() for a, b in min(options)[1]]


def _title_split(title: str, count: int, per_line: float) -> tuple[float, list[tuple[int, int]]] | None:
    """The cheapest way to cut ``title`` into ``count`` lines, by dynamic programming."""
    n = len(title)
    ideal = display_width(title) / count

    def break_cost(i: int) -> float:
        if title[i - 1] in _BREAK_AFTER or title[i] in _BREAK_BEFORE or title.startswith(_BREAK_BEFORE_WORDS, i):
            return 0
        return _MID_WORD_COST

    inf = float("inf")
    best = [[inf] * (n + 1) for _ in range(count + 1)]
    back = [[0] * (n + 1) for _ in range(count + 1)]
    best[0][0] = 0
    for k in range(1, count + 1):
        for i in range(1, n + 1):
            for j in range(i):
                if best[k - 1][j] == inf:
                    continue
                width = display_width(title[j:i].strip())
                if width > per_line:
                    continue
                cost = best[k - 1][j] + 2 * abs(width - ideal) + (break_cost(i) if i < n else 0)
                if cost < best[k][i]:
                    best[k][i], back[k][i] = cost, j
    if best[count][n] == inf:
        return None
    cuts, i = [], n
    for k in range(count, 0, -1):
        cuts.append((back[k][i], i))
        i = back[k][i]
    return best[count][n] + _LINE_COST * count, list(reversed(cuts))


SHORT_CELL = 8  # a cell this wide or narrower stays on one line (a label, a date and time, a status)
LONG_COLUMN_MIN = 6  # a column of longer text wraps, but keeps room for this many characters a line


def column_widths(table: Table, total: float) -> list[float]:
    """Column widths (in characters, adding up to ``total``): short cells never wrap, the rest of
    the line goes to the columns with the most text."""
    width = _width(table)
    pad = 1.5  # the cell's margins (Word: 0.19 cm a side)
    natural, minimum = [2.0] * width, [2.0] * width
    long = [False] * width
    rows = [[text if span == 1 else "" for text, span in header_cells(r, width)] for r in table.header]
    for row in [*rows, *table.rows]:
        for i, text in enumerate(list(row)[:width]):
            w = display_width(str(text)) + pad
            natural[i] = max(natural[i], w)
            long[i] = long[i] or w > SHORT_CELL + pad
            minimum[i] = max(minimum[i], min(w, SHORT_CELL + pad) if w > SHORT_CELL + pad else w)
    for i in range(width):
        if long[i]:
            minimum[i] = max(minimum[i], LONG_COLUMN_MIN + pad)
    excess = sum(minimum) - total
    if excess > 0:
        # Too many columns for the line: long text gives way first (down to 3 characters a line).
        room = [minimum[i] - (3 + pad) if long[i] and minimum[i] > 3 + pad else 0 for i in range(width)]
        if sum(room):
            take = min(1.0, excess / sum(room))
            minimum = [m - r * take for m, r in zip(minimum, room, strict=True)]
    if sum(natural) <= total:
        return [total * w / sum(natural) for w in natural]
    if sum(minimum) >= total:
        return [total * w / sum(minimum) for w in minimum]
    spare, stretch = total - sum(minimum), [n - m for n, m in zip(natural, minimum, strict=True)]
    return [m + spare * s / sum(stretch) for m, s in zip(minimum, stretch, strict=True)]


def _width(table: Table) -> int:
    return max((len(r) for r in [*table.header, *table.rows]), default=1) or 1


def _issuer_mark(issuer: str) -> str:
    return issuer if issuer.endswith("文件") else f"{issuer}文件"


def _signature_indent_chars(signature: str, date_text: str) -> float:
    """落款 is centred over the 成文日期, which stands 4 characters from the right."""
    return 4 + max(0, (len(date_text) - len(signature)) / 2)


# --- .docx ------------------------------------------------------------------------------------


# The order ECMA-376 gives a paragraph's properties: Word rejects a file whose order differs.
PPR_ORDER = [
    "pStyle",
    "keepNext",
    "keepLines",
    "pageBreakBefore",
    "framePr",
    "widowControl",
    "numPr",
    "suppressLineNumbers",
    "pBdr",
    "shd",
    "tabs",
    "suppressAutoHyphens",
    "kinsoku",
    "wordWrap",
    "overflowPunct",
    "topLinePunct",
    "autoSpaceDE",
    "autoSpaceDN",
    "bidi",
    "adjustRightInd",
    "snapToGrid",
    "spacing",
    "ind",
    "contextualSpacing",
    "mirrorIndents",
    "suppressOverlap",
    "jc",
    "textDirection",
    "textAlignment",
    "textboxTightWrap",
    "outlineLvl",
    "divId",
    "cnfStyle",
    "rPr",
    "sectPr",
    "pPrChange",
]


def _add_to_ppr(paragraph, element) -> None:
    """Put ``element`` in the paragraph's properties at its place in PPR_ORDER."""
    name = element.tag.rsplit("}", 1)[1]
    later = PPR_ORDER[PPR_ORDER.index(name) + 1 :]
    paragraph._p.get_or_add_pPr().insert_element_before(element, *(f"w:{tag}" for tag in later))


def _off_grid(paragraph) -> None:
    """Lay the paragraph out of the 22 × 28 grid: text larger or smaller than 3号 (the 红头, the
    title, tables, page numbers) would otherwise take whole grid cells per character and line."""
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    _add_to_ppr(paragraph, snap)


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
    _off_grid(p)
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
    margins = LANDSCAPE_MARGINS_MM if landscape else MARGINS_MM
    section.top_margin = Mm(margins["top"])
    section.bottom_margin = Mm(margins["bottom"])
    section.left_margin = Mm(margins["left"])
    section.right_margin = Mm(margins["right"])
    section.header_distance = Mm(15)
    # The page number's top stands 7 mm below the text area (GB/T 9704 §7.5).
    section.footer_distance = Mm(margins["bottom"] - 7 - 6)

    # The document default too: the grid's charSpace counts from the default font size, not Normal's.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    if rpr_default is not None:
        rpr = rpr_default.find(qn("w:rPr"))
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)
            el.set(qn("w:val"), str(BODY_PT * 2))
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    _set_fonts(normal.element, FONT_BODY)
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.widow_control = False
    if not landscape:
        # 22 lines: exactly 28.95 pt a line, on a line grid of the same pitch.
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(LINE_PITCH_PT)
        sect_pr = section._sectPr
        grid = sect_pr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            sect_pr.append(grid)
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(round(LINE_PITCH_PT * 20)))
        grid.attrib.pop(qn("w:charSpace"), None)
        # 28 characters: every character condensed by 0.25 pt (15.75 pt each), in the Normal style so
        # that what is typed later in Word condenses too. A character grid (linesAndChars) would
        # need a negative w:charSpace, which LibreOffice lays out as 16 characters a line.
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(CONDENSE_TWIPS))
        normal.element.get_or_add_rPr().insert_element_before(
            spacing,
            "w:w",
            "w:kern",
            "w:position",
            "w:sz",
            "w:szCs",
            "w:highlight",
            "w:u",
            "w:effect",
            "w:bdr",
            "w:shd",
            "w:fitText",
            "w:vertAlign",
            "w:rtl",
            "w:cs",
            "w:em",
            "w:lang",
            "w:eastAsianLayout",
            "w:specVanish",
            "w:oMath",
        )

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
    grid.autofit = False
    section = doc.sections[-1]
    text_width = section.page_width - section.left_margin - section.right_margin
    landscape = section.orientation == WD_ORIENT.LANDSCAPE
    total_chars, size = table_chars(landscape), table_pt(landscape)
    for column, chars in zip(grid.columns, column_widths(table, total_chars), strict=True):
        column.width = int(text_width * chars / total_chars)  # new rows' cells take these widths

    def fill(cell, text: str, *, bold: bool) -> None:
        p = cell.paragraphs[0]
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        fmt.first_line_indent = Pt(0)
        numeric = bool(_NUMERIC.match(text))
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER if bold or numeric else WD_ALIGN_PARAGRAPH.LEFT
        # Off the page grid, or each table line would take a full 28.95 pt body line.
        _off_grid(p)
        _run(p, text, font=FONT_H1 if bold else FONT_BODY, size=size)

    for header in table.header:
        row = grid.add_row()
        tr_pr = row._tr.get_or_add_trPr()
        for tag in ("w:cantSplit", "w:tblHeader"):
            el = OxmlElement(tag)
            el.set(qn("w:val"), "true")
            tr_pr.append(el)
        col = 0
        cells = row.cells
        for text, span in header_cells(header, width):
            cell = cells[col]
            if span > 1:
                cell = cell.merge(cells[col + span - 1])
            fill(cell, text, bold=True)
            col += span
    if not table.rows:
        return
    # One body row is built through python-docx, then copied for every row: building each cell
    # through the API costs a millisecond, which a province's matrix has tens of thousands of.
    template = grid.add_row()
    tr_pr = template._tr.get_or_add_trPr()
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)
    for cell in template.cells:
        fill(cell, "-", bold=False)
    prototype = template._tr
    grid._tbl.remove(prototype)
    for values in table.rows:
        tr = copy.deepcopy(prototype)
        padded = list(values) + [""] * (width - len(values))
        for tc, value in zip(tr.iterchildren(qn("w:tc")), padded, strict=False):
            text = str(value)
            tc.find(f"{_P}/{_PPR}/{_JC}").set(qn("w:val"), "center" if _NUMERIC.match(text) else "left")
            t = tc.find(f"{_P}/{_R}/{_T}")
            t.text = text
            t.set(qn("xml:space"), "preserve")
        grid._tbl.append(tr)


_P, _PPR, _JC, _R, _T = (qn(tag) for tag in ("w:p", "w:pPr", "w:jc", "w:r", "w:t"))


def _docx_title(out, title: str) -> None:
    """标题: 小标宋 2号, centred, broken into even lines, one blank line below."""
    p = _paragraph(out, align=WD_ALIGN_PARAGRAPH.CENTER)
    _off_grid(p)
    for n, line in enumerate(title_lines(title)):
        run = _run(p, "" if n else line, font=FONT_TITLE, size=TITLE_PT)
        if n:
            run.add_break()
            run.add_text(line)
    out.add_paragraph()


def _docx_blocks(out, blocks) -> None:
    for block in blocks:
        if isinstance(block, Heading):
            p = _paragraph(out, first_line_chars=2)
            p.paragraph_format.keep_with_next = True
            level = OxmlElement("w:outlineLvl")  # the heading shows in Word's navigation pane
            level.set(qn("w:val"), "0" if block.level <= 1 else "1")
            _add_to_ppr(p, level)
            _run(p, block.text, font=FONT_H1 if block.level <= 1 else FONT_H2, size=BODY_PT)
        elif isinstance(block, Para):
            p = _paragraph(out, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_chars=2)
            heading, level = run_in_heading(block.text)
            if heading:
                _run(p, heading, font=FONT_H1 if level == 1 else FONT_H2, size=BODY_PT)
            _run(p, block.text[len(heading) :], font=FONT_BODY, size=BODY_PT)
        elif isinstance(block, Table):
            _docx_table(out, block)
        else:  # a caller's mistake, said plainly
            raise TypeError(f"not a document block: {block!r}")


def render_docx(doc: Document) -> bytes:
    """The document as a .docx in the GB/T 9704-2012 layout."""
    doc = printable(doc)
    out = new_docx()
    out.core_properties.title = doc.title
    out.core_properties.author = doc.issuer or doc.signature
    _setup_docx(out, doc.landscape)
    # python-docx's template opens with one empty paragraph-less body; we only add.

    if doc.issuer:
        p = _paragraph(out, align=WD_ALIGN_PARAGRAPH.CENTER)
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        _off_grid(p)
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
        _add_to_ppr(p, borders)
        out.add_paragraph()
    elif doc.number:
        out.add_paragraph()

    # 标题: 小标宋 2号, centred, with one blank line below.
    _docx_title(out, doc.title)

    if doc.addressees:
        p = _paragraph(out)
        _run(p, "，".join(doc.addressees) + "：", font=FONT_BODY, size=BODY_PT)

    main, annexes = sections(doc)
    _docx_blocks(out, main)

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

    for annex, blocks in annexes:
        p = _paragraph(out)
        p.paragraph_format.page_break_before = True
        _run(p, annex.label, font=FONT_H1, size=BODY_PT)
        out.add_paragraph()
        _docx_title(out, annex.title)
        _docx_blocks(out, blocks)

    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


# --- PDF --------------------------------------------------------------------------------------

_CSS = Path(__file__).with_name("gongwen.css")


def _html_cell(text: str) -> tuple[str, str]:
    classes = []
    if _NUMERIC.match(text):
        classes.append("num")
    if display_width(text) <= SHORT_CELL:
        classes.append("short")
    return text, " ".join(classes)


def table_chars(landscape: bool) -> float:
    """How many table characters (小四) fit across the text area."""
    margins, (width, height) = (LANDSCAPE_MARGINS_MM, PAGE_MM[::-1]) if landscape else (MARGINS_MM, PAGE_MM)
    return (width - margins["left"] - margins["right"]) * 72 / 25.4 / table_pt(landscape)


def table_pt(landscape: bool) -> float:
    return LANDSCAPE_TABLE_PT if landscape else TABLE_PT


def _html_blocks(blocks, *, landscape: bool) -> list[dict]:
    chars = table_chars(landscape)
    out = []
    for block in blocks:
        if isinstance(block, Table):
            width = _width(block)
            out.append(
                {
                    "kind": "table",
                    "title": block.title,
                    "widths": [f"{100 * w / chars:.2f}%" for w in column_widths(block, chars)],
                    "header": [header_cells(row, width) for row in block.header],
                    "rows": [[_html_cell(str(v)) for v in list(r) + [""] * (width - len(r))] for r in block.rows],
                }
            )
        elif isinstance(block, Heading):
            out.append({"kind": "heading", "level": 1 if block.level <= 1 else 2, "text": block.text})
        elif isinstance(block, Para):
            heading, level = run_in_heading(block.text)
            out.append({"kind": "para", "lead": heading, "level": level, "text": block.text[len(heading) :]})
        else:  # a caller's mistake, said plainly
            raise TypeError(f"not a document block: {block!r}")
    return out


def _html(doc: Document) -> str:
    from django.template.loader import render_to_string

    main, annexes = sections(doc)
    date_text = document_date(doc.date) if doc.date else ""
    return render_to_string(
        "gongwen/document.html",
        {
            "doc": doc,
            "issuer_mark": _issuer_mark(doc.issuer) if doc.issuer else "",
            "title_lines": title_lines(doc.title),
            "addressees": "，".join(doc.addressees),
            "attachments": [
                (f"{i + 1}．" if len(doc.attachments) > 1 else "") + name for i, name in enumerate(doc.attachments)
            ],
            "blocks": _html_blocks(main, landscape=doc.landscape),
            "annexes": [
                (annex, title_lines(annex.title), _html_blocks(blocks, landscape=doc.landscape))
                for annex, blocks in annexes
            ],
            "date_text": date_text,
        },
    )


def _weasyprint():
    """WeasyPrint, imported on first use (it loads Pango, which pages never need).

    Importing it sets Pillow's process-wide ImageFile.LOAD_TRUNCATED_IMAGES, which would let a
    truncated upload pass lib/images' checks in every later request of the worker: the flag is put
    back as it was (our documents hold no images).
    """
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return CSS, HTML, FontConfiguration


def render_pdf(doc: Document) -> bytes:
    """The document as a PDF, laid out like the .docx, with the server's fonts embedded."""
    CSS, HTML, FontConfiguration = _weasyprint()
    doc = printable(doc)
    fonts = FontConfiguration()  # the stylesheet's @font-face rules register here
    stylesheets = [CSS(filename=str(_CSS), font_config=fonts)]
    if doc.landscape:
        m = LANDSCAPE_MARGINS_MM
        landscape = (
            f"@page {{ size: A4 landscape; margin: {m['top']}mm {m['right']}mm {m['bottom']}mm {m['left']}mm; }}"
        )
        stylesheets.append(CSS(string=landscape, font_config=fonts))
    return HTML(string=_html(doc), base_url=str(_CSS.parent)).write_pdf(
        stylesheets=stylesheets,
        font_config=fonts,
        presentational_hints=True,  # <col width> carries the column widths
    )
