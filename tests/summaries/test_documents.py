"""The summary as 公文: the .docx and PDF carry the summary's title, numbered headings, the
person's text and the board's figures in the appendix; the batch command writes the unit's and
each direct child's."""

from __future__ import annotations

import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document as open_docx
from docx.oxml.ns import qn
from PIL import Image

from jinguo.dashboard.selectors import board
from jinguo.lib.scoping import _current
from jinguo.summaries import services
from jinguo.summaries.models import Paragraph, Section, Summary
from tests.lib.test_gongwen import _pdftotext, _poppler


@pytest.fixture
def qxg_summary(tree, users, world) -> Summary:
    summary = services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)
    services.add_paragraph(
        Section.objects.get(summary=summary, key="next"), by=users.qxg_liaison, text="明年继续开展。"
    )
    return summary


def test_the_docx_is_the_summary_in_gongwen_layout_with_the_boards_figures(client_for, tree, users, world, qxg_summary):
    response = client_for(users.qxg_liaison).get(reverse("summaries:docx", args=[qxg_summary.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    doc = open_docx(io.BytesIO(response.content))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [
        round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    ] == [37, 35, 28, 26]
    # A long title is broken into lines (gongwen's title layout): compare the words.
    texts = [p.text.replace("\n", "") for p in doc.paragraphs if p.text]
    assert texts[0] == "七星关区妇联文件"
    assert texts[1] == qxg_summary.title
    assert texts[2] == "毕节市妇联："
    headings = [t for t in texts if t[:2] in {"一、", "二、", "三、", "四、", "五、", "六、", "七、"}]
    assert headings == [
        "一、总体情况", "二、各项活动开展情况", "三、“四进”覆盖和宣讲情况", "四、座谈交流和所需所盼办理情况",
        "五、知识竞赛情况", "六、信息报送和典型经验", "七、存在的问题和下一步打算",
    ]  # fmt: skip
    body = [p.text for p in Paragraph.objects.filter(section__summary=qxg_summary).order_by("section__order", "order")]
    assert [t for t in texts if t in body] == body
    heading = next(p for p in doc.paragraphs if p.text == "一、总体情况")
    assert heading.runs[0]._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "黑体"
    # The appendix: the board's rows for the county, 合计 last.
    table = doc.tables[-1]
    cells = [[c.text for c in row.cells] for row in table.rows]
    total = board(user=users.qxg_liaison, campaign=world.campaign, unit=tree.qxg).total
    assert cells[0][:4] == ["单位", "活动场次", "参加人数", "其中妇女"]
    assert cells[-1][:4] == ["合计", str(total.events), str(total.participants), str(total.women)]
    assert texts[-2:] == ["七星关区妇联", texts[-1]] and texts[-1].endswith("日")


def test_the_pdf_prints_chinese_text(client_for, users, qxg_summary, tmp_path):
    response = client_for(users.qxg_liaison).get(reverse("summaries:pdf", args=[qxg_summary.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "summary.pdf"
    path.write_bytes(response.content)
    flat = "".join(_pdftotext(path).split())
    assert "七星关区妇联关于开展维权周活动情况的总结" in flat
    assert "共开展各类活动4场次" in flat
    # Page 1 as an image is not blank (a tofu or empty page fails above or here).
    _poppler("pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", str(path), str(tmp_path / "page"))
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    dark = sum(image.histogram()[:128])
    assert dark > 500


def test_a_sibling_cannot_download_the_summary(client_for, users, qxg_summary):
    client = client_for(users.dafang_liaison)
    assert client.get(reverse("summaries:docx", args=[qxg_summary.pk])).status_code == 404
    assert client.get(reverse("summaries:pdf", args=[qxg_summary.pk])).status_code == 404


@pytest.fixture
def no_scope():
    token = _current.set(None)
    yield
    _current.reset(token)


def test_summarydocs_writes_the_unit_and_each_direct_child(tree, users, world, qxg_summary, tmp_path, no_scope):
    out = StringIO()
    call_command("summarydocs", "--campaign", str(world.campaign.pk), "--unit", "520500", "--format", "docx",
                 "-o", str(tmp_path), stdout=out)  # fmt: skip
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        [
            "520500_毕节市妇联_活动总结.docx",
            "520502_七星关区妇联_活动总结.docx",
            "520521_大方县妇联_活动总结.docx",
            f"{tree.office.pk}_办公室_活动总结.docx",
        ]
    )
    assert "520502_七星关区妇联_活动总结.docx（草稿）" in out.getvalue()
    assert "已写出 4 份总结" in out.getvalue() and "其中 3 份按数据生成" in out.getvalue()
    qxg = open_docx(str(tmp_path / "520502_七星关区妇联_活动总结.docx"))
    assert "明年继续开展。" in [p.text for p in qxg.paragraphs]  # the saved summary, as the person left it
    dafang = open_docx(str(tmp_path / "520521_大方县妇联_活动总结.docx"))
    dafang_text = "".join(p.text for p in dafang.paragraphs)
    assert "共开展各类活动1场次，参加60人次" in dafang_text and "七星关" not in dafang_text


def test_summarydocs_for_a_county_stays_in_its_subtree(tree, users, world, tmp_path, no_scope):
    call_command("summarydocs", "--campaign", str(world.campaign.pk), "--unit", "520502", "--format", "docx",
                 "-o", str(tmp_path), stdout=StringIO())  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "520502001_七星关区市西街道妇联_活动总结.docx",
        "520502_七星关区妇联_活动总结.docx",
    ]
    text = "".join(p.text for p in open_docx(str(tmp_path / "520502_七星关区妇联_活动总结.docx")).paragraphs)
    assert "大方" not in text
