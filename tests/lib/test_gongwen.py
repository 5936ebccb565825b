"""公文 documents: the .docx carries the GB/T 9704-2012 layout, the PDF prints real Chinese text."""

from __future__ import annotations

import dataclasses
import datetime
import io
import subprocess

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.shared import Pt
from PIL import Image

from jinguo.lib import gongwen
from jinguo.lib.gongwen import Annex, Document, Heading, Para, Table, render_docx, render_pdf

TITLE = "关于开展2023年“巾帼心向党 奋进新征程”系列活动的通知"
LONG = "为深入学习宣传贯彻党的二十大精神，团结引领全市广大妇女听党话、感党恩、跟党走，经研究决定开展系列活动。" * 3


def _notice(**changes) -> Document:
    doc = Document(
        title=TITLE,
        issuer="毕节市妇女联合会",
        number="毕妇发〔2023〕5号",
        addressees=["各县（市、区）妇联", "市直各单位妇联"],
        body=[
            Para(LONG),
            Heading("一、活动主题"),
            Heading("（一）技能竞赛", level=2),
            Para("巾帼心向党 奋进新征程"),
            Table(
                title="附表",
                header=[["单位", "签收", "", "方案"], ["", "已签收", "签收率", "已备案"]],
                rows=[[f"第{i}单位", str(i), f"{i}%", "—"] for i in range(3)],
            ),
        ],
        attachments=["活动安排表", "联系人回执"],
        signature="毕节市妇女联合会",
        date=datetime.date(2023, 2, 20),
    )
    return dataclasses.replace(doc, **changes)


def _east_asian(run) -> str:
    return run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def _mm(*lengths) -> tuple:
    return tuple(round(length.mm, 1) for length in lengths)


def _texts(docx) -> list[str]:
    return [p.text for p in docx.paragraphs]


# --- .docx ------------------------------------------------------------------------------------


def test_docx_page_is_a4_with_the_standard_margins_and_grid():
    docx = open_docx(io.BytesIO(render_docx(_notice())))
    section = docx.sections[0]
    # Word stores twips: compare in tenths of a millimetre.
    assert _mm(section.page_width, section.page_height) == (210, 297)
    assert _mm(section.top_margin, section.bottom_margin) == (37, 35)
    assert _mm(section.left_margin, section.right_margin) == (28, 26)
    grid = section._sectPr.find(qn("w:docGrid"))
    # 225 mm of text height / 22 lines = 28.95 pt = 579 twips, the grid's pitch and the exact spacing.
    assert (grid.get(qn("w:type")), grid.get(qn("w:linePitch"))) == ("lines", "579")
    normal = docx.styles["Normal"]
    assert normal.paragraph_format.line_spacing == Pt(28.95)
    # 156 mm / 28 characters = 15.79 pt: each 16 pt character condensed by 0.25 pt (5 twips).
    assert normal.element.rPr.find(qn("w:spacing")).get(qn("w:val")) == "-5"
    assert normal.font.size == Pt(16)
    assert normal.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_docx_title_body_and_headings_name_the_standard_fonts():
    docx = open_docx(io.BytesIO(render_docx(_notice())))
    by_text = {p.text: p for p in docx.paragraphs}
    title = by_text["关于开展2023年“巾帼心向党\n奋进新征程”系列活动的通知"]  # broken into two even lines
    assert [(_east_asian(r), r.font.size) for r in title.runs] == [("方正小标宋简体", Pt(22))] * 2
    assert title.alignment == gongwen.WD_ALIGN_PARAGRAPH.CENTER
    body = by_text[LONG]
    assert [(_east_asian(r), r.font.size) for r in body.runs] == [("仿宋_GB2312", Pt(16))]
    assert body.paragraph_format.first_line_indent == Pt(32)
    assert [_east_asian(r) for r in by_text["一、活动主题"].runs] == ["黑体"]
    assert [_east_asian(r) for r in by_text["（一）技能竞赛"].runs] == ["楷体_GB2312"]
    assert docx.core_properties.title == TITLE


def test_docx_head_addressees_attachments_and_closing_in_order():
    texts = [t for t in _texts(open_docx(io.BytesIO(render_docx(_notice())))) if t]
    assert texts[:4] == [
        "毕节市妇女联合会文件",
        "毕妇发〔2023〕5号",
        "关于开展2023年“巾帼心向党\n奋进新征程”系列活动的通知",
        "各县（市、区）妇联，市直各单位妇联：",
    ]
    assert texts[-4:] == ["附件：1．活动安排表", "　　　2．联系人回执", "毕节市妇女联合会", "2023年2月20日"]


def test_docx_page_numbers_are_page_fields_between_dashes_right_on_odd_and_left_on_even_pages():
    docx = open_docx(io.BytesIO(render_docx(_notice())))
    section = docx.sections[0]
    assert docx.settings.odd_and_even_pages_header_footer is True
    for footer, alignment in (
        (section.footer, gongwen.WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, gongwen.WD_ALIGN_PARAGRAPH.LEFT),
    ):
        (p,) = footer.paragraphs
        assert p.alignment == alignment
        assert p.text == "— 1 —"  # the field's cached value between the dashes
        instr = [el.text for el in p._p.iter(qn("w:instrText"))]
        assert instr == [" PAGE "]
        assert {r.font.size for r in p.runs} == {Pt(14)}


def test_docx_table_header_rows_repeat_and_an_empty_header_cell_joins_its_left_neighbour():
    docx = open_docx(io.BytesIO(render_docx(_notice())))
    (table,) = docx.tables
    repeated = [row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None for row in table.rows]
    assert repeated == [True, True, False, False, False]
    assert [c.text for c in table.rows[0].cells] == ["单位", "签收", "签收", "方案"]  # a merged cell spans two
    assert [c.text for c in table.rows[2].cells] == ["第0单位", "0", "0%", "—"]


def test_docx_paragraph_properties_keep_the_schemas_order():
    """Word refuses a file whose w:pPr children are out of ECMA-376's order."""
    docx = open_docx(io.BytesIO(render_docx(_notice(body=[*_notice().body, Annex(title="方案"), Para("正文")]))))
    parts = [docx.element.body, docx.sections[0].footer._element, docx.sections[0].even_page_footer._element]
    checked = 0
    for part in parts:
        for ppr in part.iter(qn("w:pPr")):
            names = [child.tag.rsplit("}", 1)[1] for child in ppr]
            assert names == sorted(names, key=gongwen.PPR_ORDER.index), names
            checked += 1
    assert checked > 20


def test_docx_headings_are_outline_levels():
    docx = open_docx(io.BytesIO(render_docx(_notice())))
    levels = {
        p.text: p._p.pPr.find(qn("w:outlineLvl")).get(qn("w:val"))
        for p in docx.paragraphs
        if p._p.pPr is not None and p._p.pPr.find(qn("w:outlineLvl")) is not None
    }
    assert levels == {"一、活动主题": "0", "（一）技能竞赛": "1"}


def test_docx_landscape_turns_the_page():
    section = open_docx(io.BytesIO(render_docx(_notice(landscape=True)))).sections[0]
    assert _mm(section.page_width, section.page_height) == (297, 210)


def test_docx_without_issuer_has_no_red_head():
    texts = [t for t in _texts(open_docx(io.BytesIO(render_docx(_notice(issuer="", number="", title="通知"))))) if t]
    assert texts[0] == "通知"


def test_long_titles_break_where_the_meaning_allows_into_even_lines():
    assert gongwen.title_lines("关于开展2023年“巾帼心向党 奋进新征程”“三八”国际妇女节系列活动方案的通知") == [
        "关于开展2023年“巾帼心向党 奋进新征程”",
        "“三八”国际妇女节系列活动方案的通知",
    ]
    assert gongwen.title_lines("大方县妇联举办“三八”文艺展演活动暨巾帼志愿服务启动仪式") == [
        "大方县妇联举办“三八”",
        "文艺展演活动暨巾帼志愿服务启动仪式",
    ]
    assert gongwen.title_lines("七星关区妇联活动方案备案表") == ["七星关区妇联活动方案备案表"]


def test_run_in_headings_take_the_heading_font_and_the_rest_stays_body():
    doc = _notice(
        body=[
            Para("（一）切实加强领导。各县（市、区）妇联要高度重视。"),
            Para("一、指导思想。以习近平新时代思想为指导。"),
        ]
    )
    docx = open_docx(io.BytesIO(render_docx(doc)))
    by_text = {p.text: p for p in docx.paragraphs}
    runs = by_text["（一）切实加强领导。各县（市、区）妇联要高度重视。"].runs
    assert [(r.text, _east_asian(r)) for r in runs] == [
        ("（一）切实加强领导。", "楷体_GB2312"),
        ("各县（市、区）妇联要高度重视。", "仿宋_GB2312"),
    ]
    runs = by_text["一、指导思想。以习近平新时代思想为指导。"].runs
    assert [_east_asian(r) for r in runs] == ["黑体", "仿宋_GB2312"]


def test_annex_starts_a_new_page_after_the_signature():
    doc = _notice(body=[Para("现将方案印发给你们。"), Annex(title="活动方案"), Heading("一、指导思想"), Para("正文。")])
    docx = open_docx(io.BytesIO(render_docx(doc)))
    texts = [p.text for p in docx.paragraphs if p.text]
    assert texts[texts.index("2023年2月20日") :] == ["2023年2月20日", "附件", "活动方案", "一、指导思想", "正文。"]
    label = next(p for p in docx.paragraphs if p.text == "附件")
    assert label.paragraph_format.page_break_before is True
    assert [_east_asian(r) for r in label.runs] == ["黑体"]


def test_docx_table_columns_fit_the_text_width_and_labels_stay_whole():
    doc = _notice(body=[Table(header=[], rows=[["报备单位", "七星关区妇联" * 8], ["联系电话", "13800138000"]])])
    section = open_docx(io.BytesIO(render_docx(doc))).sections[0]
    (table,) = open_docx(io.BytesIO(render_docx(doc))).tables
    widths = [column.width for column in table.columns]
    assert abs(sum(widths) - (section.page_width - section.left_margin - section.right_margin)) < Pt(1)
    assert widths[0] >= Pt(12) * 5  # "报备单位" and its padding on one line


# --- PDF --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def notice_pdf(tmp_path_factory) -> tuple:
    path = tmp_path_factory.mktemp("pdf") / "notice.pdf"
    path.write_bytes(render_pdf(_notice(body=[Para(LONG), *_notice().body, *[Para(LONG)] * 6])))
    return path


def _poppler(*args) -> str:
    """Run one of poppler's tools (Debian's poppler-utils) on a PDF we just wrote."""
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout  # noqa: S603


def _pdftotext(path, *args) -> str:
    return _poppler("pdftotext", *args, str(path), "-")


def test_pdf_text_layer_holds_the_chinese_title_and_the_head(notice_pdf):
    text = _pdftotext(notice_pdf, "-f", "1", "-l", "1")
    assert TITLE.replace(" ", "") in text.replace("\n", "").replace(" ", "")
    assert text.splitlines()[:2] == ["毕节市妇女联合会文件", "毕妇发〔2023〕5号"]


def test_pdf_is_a4_and_embeds_a_chinese_font(notice_pdf):
    info = _poppler("pdfinfo", str(notice_pdf))
    assert "595.276 x 841.89 pts (A4)" in info
    fonts = _poppler("pdffonts", str(notice_pdf))
    embedded = [line for line in fonts.splitlines()[2:] if "CJK" in line or "Kai" in line]
    assert embedded, fonts  # no CJK font embedded: the Chinese would print as tofu
    assert all(" yes yes yes " in line for line in embedded)


def test_pdf_body_lines_hold_28_characters(notice_pdf):
    lines = _pdftotext(notice_pdf, "-f", "1", "-l", "1").splitlines()
    first = lines.index(next(line for line in lines if line and LONG.startswith(line)))
    # The first line of a paragraph is indented two characters, the full lines after it are 28.
    assert len(lines[first]) == 26
    assert [len(line) for line in lines[first + 1 : first + 4]] == [28, 28, 28]


def test_pdf_full_page_holds_22_lines(tmp_path):
    path = tmp_path / "lines.pdf"
    path.write_bytes(render_pdf(Document(title="通知", body=[Para(LONG)] * 12)))
    lines = [line for line in _pdftotext(path, "-f", "2", "-l", "2").splitlines() if line.strip()]
    assert lines[-1] == "—2—"
    assert len(lines[:-1]) == 22


def test_pdf_pages_are_numbered_between_dashes(notice_pdf):
    # pdftotext drops the thin spaces beside the dashes.
    assert _pdftotext(notice_pdf, "-f", "2", "-l", "2").strip().splitlines()[-1] == "—2—"
    assert _pdftotext(notice_pdf, "-f", "1", "-l", "1").strip().splitlines()[-1] == "—1—"


def test_pdf_first_page_renders_ink_and_red_head(notice_pdf, tmp_path):
    _poppler("pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(notice_pdf), str(tmp_path / "p"))
    (png,) = tmp_path.glob("p-*.png")
    image = Image.open(png).convert("RGB")
    colours = image.getcolors(maxcolors=image.width * image.height)
    dark = sum(n for n, (r, g, b) in colours if r + g + b < 300)
    red = sum(n for n, (r, g, b) in colours if r > 150 and g < 80 and b < 80)
    # A blank page has no dark pixels; a page of tofu boxes has few, thin ones. Real text has many.
    assert dark > 0.01 * image.width * image.height
    assert red > 300  # the 发文机关标志 and the red line


def test_pdf_landscape_page(tmp_path):
    path = tmp_path / "matrix.pdf"
    path.write_bytes(render_pdf(_notice(landscape=True)))
    info = _poppler("pdfinfo", str(path))
    assert "841.89 x 595.276 pts (A4)" in info


def test_pdf_table_header_repeats_on_the_next_page(tmp_path):
    rows = [[f"第{i}单位", str(i), f"{i}%", "—"] for i in range(80)]
    doc = _notice(body=[Table(header=[["单位甲", "签收", "", "方案"], ["", "已签收", "签收率", "已备案"]], rows=rows)])
    path = tmp_path / "t.pdf"
    path.write_bytes(render_pdf(doc))
    page2 = _pdftotext(path, "-f", "2", "-l", "2")
    assert page2.split()[:2] == ["单位甲", "签收"]


def test_pdf_escapes_what_a_user_typed(tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(render_pdf(_notice(title="<b>标题</b>&", body=[Para("<script>x</script>")])))
    text = _pdftotext(path)
    assert "<b>标题</b>&" in text
    assert "<script>x</script>" in text


def test_text_pasted_with_control_characters_still_renders(tmp_path):
    doc = _notice(
        title="标题\x0b第二行", body=[Para("第一段\x0b换行\x00结束"), Table(header=[["甲\x07"]], rows=[["乙\x1f"]])]
    )
    texts = _texts(open_docx(io.BytesIO(render_docx(doc))))
    assert "第一段 换行 结束" in texts
    path = tmp_path / "x.pdf"
    path.write_bytes(render_pdf(doc))
    assert "第一段 换行 结束" in _pdftotext(path)


def test_rendering_a_pdf_leaves_pillows_truncated_image_check_on(tmp_path):
    """WeasyPrint's import turns ImageFile.LOAD_TRUNCATED_IMAGES on for the whole process; the
    photo checks of lib/images rely on it staying off."""
    from PIL import ImageFile

    render_pdf(_notice())
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
