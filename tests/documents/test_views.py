"""The 公文 downloads: each scoped like its page (a sibling county's is a 404), each with the page's data."""

from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from docx import Document as open_docx

from jinguo.campaigns import services
from jinguo.campaigns.models import Campaign, CampaignTarget, Plan
from jinguo.documents import builders
from jinguo.orgs.models import Org
from tests.factories import make_campaign, make_org, make_plan
from tests.reports.conftest import adopted, submitted

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_HEAD = b"%PDF-"
NOTICE_BODY = """各县（市、区）妇联：

现将活动方案印发给你们，请认真抓好落实。

附件：活动方案

附件

“三八”国际妇女节系列活动方案

一、指导思想

以习近平新时代中国特色社会主义思想为指导。

（一）切实加强领导。各县（市、区）妇联要高度重视。"""


def url(name: str, pk: int, fmt: str, query: str = "") -> str:
    return reverse(f"documents:{name}", args=[pk, fmt]) + (f"?{query}" if query else "")


def docx_paragraphs(response) -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    doc = open_docx(io.BytesIO(response.content))
    return [p.text for p in doc.paragraphs if p.text]


def docx_tables(response) -> list[list[list[str]]]:
    doc = open_docx(io.BytesIO(response.content))
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in doc.tables]


def pdf_text(response, tmp_path) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(PDF_HEAD)
    path = tmp_path / "doc.pdf"
    path.write_bytes(response.content)
    return subprocess.run(  # noqa: S603 - poppler's pdftotext on the PDF we were just sent
        ["pdftotext", str(path), "-"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def flat(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def notice(tree, users):
    """The city's notice to every county and, picked by hand, its office; with a file attached."""
    campaign = services.create_campaign(
        issuer=tree.city,
        by=users.city_admin,
        title="关于开展2023年“巾帼心向党 奋进新征程”“三八”国际妇女节系列活动方案的通知",
        doc_number="毕妇发〔2023〕2号",
        starts_on=dt.date(2023, 2, 20),
        ends_on=dt.date(2023, 3, 31),
        plan_deadline=timezone.now() + dt.timedelta(days=7),
        summary_deadline=timezone.now() + dt.timedelta(days=30),
        body=NOTICE_BODY,
        lines=["维权周"],
        target_kinds=[Org.Kind.COUNTY],
        target_units=[tree.office],
    )
    services.add_attachment(
        campaign,
        by=users.city_admin,
        upload=SimpleUploadedFile("信息报送联系人回执.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
    )
    services.publish_campaign(campaign, by=users.city_admin)
    campaign.refresh_from_db()
    return campaign


@pytest.fixture
def qxg_notice(tree, users):
    """七星关区's own notice to its township: 大方县 must never see it."""
    return make_campaign(issuer=tree.qxg, by=users.qxg_admin, targets=[tree.qxg_town], title="七星关区维权周方案")


# --- the notice --------------------------------------------------------------------------------


def test_notice_docx_is_the_issuers_notice_with_addressees_from_its_targets(notice, users, client_for):
    response = client_for(users.city_admin).get(url("notice", notice.pk, "docx"))
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    published = timezone.localdate(notice.published_at)
    assert docx_paragraphs(response) == [
        "毕节市妇女联合会文件",
        "毕妇发〔2023〕2号",
        "关于开展2023年“巾帼心向党 奋进新征程”\n“三八”国际妇女节系列活动方案的通知",
        "各县（市、区）妇联，办公室：",  # the typed 主送 line gives way to the targets'
        "现将活动方案印发给你们，请认真抓好落实。",
        "附件：1．活动方案",
        "　　　2．信息报送联系人回执",
        "毕节市妇女联合会",
        f"{published.year}年{published.month}月{published.day}日",
        "附件",
        "“三八”国际妇女节系列活动方案",
        "一、指导思想",
        "以习近平新时代中国特色社会主义思想为指导。",
        "（一）切实加强领导。各县（市、区）妇联要高度重视。",
    ]


def test_notice_pdf_opens_in_the_browser_with_the_chinese_text(notice, users, client_for, tmp_path):
    response = client_for(users.city_admin).get(url("notice", notice.pk, "pdf"))
    assert response["Content-Disposition"].startswith("inline; filename*=utf-8''")
    text = flat(pdf_text(response, tmp_path))
    assert flat(notice.title) in text
    assert "毕节市妇女联合会文件" in text
    assert "各县（市、区）妇联，办公室：" in text


def test_notice_recipient_prints_the_same_notice_as_the_issuer(notice, users, client_for):
    issuer_copy = docx_paragraphs(client_for(users.city_admin).get(url("notice", notice.pk, "docx")))
    # 七星关区's subtree holds neither 大方县 nor the city's office, yet its copy names the same addressees.
    assert docx_paragraphs(client_for(users.qxg_liaison).get(url("notice", notice.pk, "docx"))) == issuer_copy


def test_notice_of_a_sibling_county_is_a_404(qxg_notice, tree, users, client_for):
    assert CampaignTarget.objects.filter(campaign=qxg_notice, org=tree.qxg_town).exists()
    client = client_for(users.dafang_liaison)
    for fmt in ("docx", "pdf"):
        assert client.get(url("notice", qxg_notice.pk, fmt)).status_code == 404
    assert client_for(users.qxg_liaison).get(url("notice", qxg_notice.pk, "docx")).status_code == 200


def test_draft_notice_prints_for_its_issuer_only(tree, users, client_for):
    draft = make_campaign(issuer=tree.city, by=users.city_admin, published=False, title="草稿通知")
    assert "草稿通知" in docx_paragraphs(client_for(users.city_admin).get(url("notice", draft.pk, "docx")))
    assert client_for(users.qxg_admin).get(url("notice", draft.pk, "docx")).status_code == 404


def test_unknown_format_is_a_404(notice, users, client_for):
    assert client_for(users.city_admin).get(url("notice", notice.pk, "doc")).status_code == 404


def test_campaign_and_receipt_pages_link_the_notice(notice, tree, users, client_for):
    docx, pdf = url("notice", notice.pk, "docx"), url("notice", notice.pk, "pdf")
    page = client_for(users.city_admin).get(reverse("campaigns:detail", args=[notice.pk])).content.decode()
    assert f'href="{docx}"' in page and f'href="{pdf}"' in page
    target = CampaignTarget.objects.get(campaign=notice, org=tree.qxg)
    page = client_for(users.qxg_liaison).get(reverse("campaigns:target", args=[target.pk])).content.decode()
    assert f'href="{docx}"' in page and f'href="{pdf}"' in page


# --- the plan (方案备案表) ---------------------------------------------------------------------


@pytest.fixture
def plans(tree, users):
    campaign = make_campaign(issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang], title="三八维权周")
    qxg = make_plan(CampaignTarget.objects.get(campaign=campaign, org=tree.qxg), status=Plan.Status.APPROVED)
    dafang = make_plan(CampaignTarget.objects.get(campaign=campaign, org=tree.dafang))
    return qxg, dafang


def test_plan_docx_is_the_filing_form_with_its_events(plans, users, client_for):
    qxg, _ = plans
    response = client_for(users.qxg_liaison).get(url("plan", qxg.pk, "docx"))
    assert docx_paragraphs(response)[:2] == ["七星关区妇联活动方案备案表", "活动安排"]
    form, events = docx_tables(response)
    assert form[0] == ["报备单位", "七星关区妇联"]
    assert form[3:5] == [["负责人", "张丽"], ["联系电话", "13800138000"]]
    assert form[-1][0] == "备案状态" and form[-1][1].startswith("已备案")
    assert events == [
        ["序号", "活动名称", "日期", "地点", "场所类型", "预计人数", "所属活动"],
        ["1", "维权周宣讲", "2023-03-05", "某村委会", "农村", "50", "—"],
    ]


def test_plan_pdf_holds_the_units_name(plans, users, client_for, tmp_path):
    qxg, _ = plans
    text = pdf_text(client_for(users.city_reviewer).get(url("plan", qxg.pk, "pdf")), tmp_path)
    assert "七星关区妇联活动方案备案表" in flat(text)


def test_plan_of_a_sibling_county_is_a_404(plans, users, client_for):
    qxg, dafang = plans
    client = client_for(users.qxg_liaison)
    for fmt in ("docx", "pdf"):
        assert client.get(url("plan", dafang.pk, fmt)).status_code == 404
    assert client_for(users.dafang_liaison).get(url("plan", dafang.pk, "docx")).status_code == 200


def test_plan_page_links_its_form(plans, users, client_for):
    qxg, _ = plans
    page = client_for(users.qxg_liaison).get(reverse("campaigns:plan_detail", args=[qxg.pk])).content.decode()
    assert f'href="{url("plan", qxg.pk, "docx")}"' in page


# --- an adopted report -------------------------------------------------------------------------


def test_adopted_report_prints_with_its_source_and_channels(users, client_for, tmp_path):
    report = adopted(users.qxg_liaison, users.city_reviewer, channels=("website", "briefing"))
    response = client_for(users.qxg_liaison).get(url("report", report.pk, "docx"))
    assert docx_paragraphs(response) == [
        "七星关区开展维权周普法宣讲",
        "3月5日，区妇联在市西街道开展宣讲。",
        "（七星关区妇联供稿；毕节市妇联采用：网站、简报）",
        "七星关区妇女联合会",
        f"{report.submitted_at:%Y}年{timezone.localtime(report.submitted_at).month}月"
        f"{timezone.localtime(report.submitted_at).day}日",
    ]
    text = pdf_text(client_for(users.city_reviewer).get(url("report", report.pk, "pdf")), tmp_path)
    assert "七星关区开展维权周普法宣讲" in flat(text)


def test_report_not_adopted_has_no_document(users, client_for):
    report = submitted(users.qxg_liaison)
    assert client_for(users.city_reviewer).get(url("report", report.pk, "docx")).status_code == 404
    page = client_for(users.city_reviewer).get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "documents/reports" not in page


def test_report_of_a_sibling_county_is_a_404(users, client_for):
    report = adopted(users.dafang_liaison, users.city_reviewer, title="大方县举办文艺展演")
    client = client_for(users.qxg_liaison)
    for fmt in ("docx", "pdf"):
        assert client.get(url("report", report.pk, fmt)).status_code == 404
    page = client_for(users.dafang_liaison).get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert f'href="{url("report", report.pk, "pdf")}"' in page


# --- the matrix --------------------------------------------------------------------------------


@pytest.fixture
def matrix_campaign(tree, users):
    campaign = make_campaign(
        issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang, tree.qxg_town], title="三八维权周"
    )
    CampaignTarget.objects.filter(campaign=campaign, org=tree.qxg).update(
        signed_at=timezone.now(), signed_by=users.qxg_liaison
    )
    return campaign


def matrix_units(response) -> list[str]:
    (table,) = docx_tables(response)
    return [row[1] for row in table[1:]]


def test_matrix_prints_the_rows_the_viewer_sees_in_landscape(matrix_campaign, users, client_for):
    response = client_for(users.city_admin).get(url("matrix", matrix_campaign.pk, "docx"))
    paragraphs = docx_paragraphs(response)
    assert paragraphs[0] == "督导矩阵"
    assert paragraphs[2] == (
        "发送 3 个单位，已签收 1 个（签收率 33.3%），已报送方案 0 个，已备案 0 个（备案率 0.0%），方案逾期未报 0 个。"
    )
    (table,) = docx_tables(response)
    assert table[0] == ["序号", "单位", "单位类型", "上级单位", "签收", "签收时间", "方案状态", "报送时间", "逾期"]
    assert [row[1] for row in table[1:]] == ["七星关区妇联", "七星关区市西街道妇联", "大方县妇联"]
    assert [row[4] for row in table[1:]] == ["已签收", "未签收", "未签收"]
    section = open_docx(io.BytesIO(response.content)).sections[0]
    assert section.page_width > section.page_height
    header_row = open_docx(io.BytesIO(response.content)).tables[0].rows[0]
    assert header_row._tr.trPr.xml.count("tblHeader") == 1  # repeats on every page


def test_matrix_of_a_county_leaves_out_its_sibling(matrix_campaign, users, client_for, tmp_path):
    response = client_for(users.qxg_admin).get(url("matrix", matrix_campaign.pk, "docx"))
    assert matrix_units(response) == ["七星关区妇联", "七星关区市西街道妇联"]
    text = flat(pdf_text(client_for(users.qxg_admin).get(url("matrix", matrix_campaign.pk, "pdf")), tmp_path))
    assert "七星关区市西街道妇联" in text and "大方县" not in text


def test_matrix_of_a_sibling_countys_campaign_is_a_404(qxg_notice, users, client_for):
    client = client_for(users.dafang_admin)
    for fmt in ("docx", "pdf"):
        assert client.get(url("matrix", qxg_notice.pk, fmt)).status_code == 404


def test_matrix_prints_with_the_pages_filters(matrix_campaign, users, client_for):
    response = client_for(users.city_admin).get(url("matrix", matrix_campaign.pk, "docx", "signed=no"))
    assert matrix_units(response) == ["七星关区市西街道妇联", "大方县妇联"]
    page = client_for(users.city_admin).get(reverse("dashboard:matrix", args=[matrix_campaign.pk]) + "?signed=no")
    assert f'href="{url("matrix", matrix_campaign.pk, "pdf", "signed=no")}"' in page.content.decode()


def _campaign_with_targets(tree, users, count: int) -> Campaign:
    units = [make_org(f"测试镇{i}妇联", Org.Kind.TOWNSHIP, tree.qxg) for i in range(count)]
    return make_campaign(issuer=tree.city, by=users.city_admin, targets=units, title=f"{count}个单位")


def test_matrix_document_query_count_does_not_grow_with_rows(tree, users, client_for):
    small, big = _campaign_with_targets(tree, users, 1), _campaign_with_targets(tree, users, 40)
    client = client_for(users.city_admin)
    counts = []
    for campaign in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url("matrix", campaign.pk, "docx"))
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_matrix_print_stops_at_its_limit_and_says_so(matrix_campaign, users, client_for, monkeypatch):
    monkeypatch.setattr(builders, "MATRIX_PRINT_LIMIT", 2)
    response = client_for(users.city_admin).get(url("matrix", matrix_campaign.pk, "docx"))
    assert matrix_units(response) == ["七星关区妇联", "七星关区市西街道妇联"]
    assert docx_paragraphs(response)[-1] == "另有 1 个单位未列出（打印版最多列 2 个），完整名单请导出 Excel。"
