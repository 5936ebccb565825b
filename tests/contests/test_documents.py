import io
import zipfile

import docx
import pytest
from pypdf import PdfReader

from jinguo.contests import documents
from jinguo.contests.documents import DocumentError, han_count, identity_terms, redact_docx, redact_text, sniff
from tests.contests.files import docx_bytes, pdf_bytes, png_bytes

TERMS = identity_terms(author_name="王小芳", unit_names=["七星关区市西街道妇联", "七星关区妇联"], phone="13800138000")


def test_han_count_counts_chinese_characters_only():
    assert han_count("巾帼心向党，奋进新征程！ABC 123") == 10


def test_a_picture_named_docx_is_refused_in_chinese():
    with pytest.raises(DocumentError, match="不是真正的 Word（.docx）文件"):
        sniff("我的征文.docx", png_bytes(), allowed=["document"])


def test_an_old_doc_renamed_docx_is_told_to_save_as_docx():
    with pytest.raises(DocumentError, match="另存为"):
        sniff("征文.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, allowed=["document"])


def test_a_zip_without_a_document_is_not_a_docx():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("hello.txt", "x")
    with pytest.raises(DocumentError, match="不是真正的 Word"):
        sniff("征文.docx", buf.getvalue(), allowed=["document"])


def test_media_in_an_essay_contest_is_refused_with_what_it_takes():
    with pytest.raises(DocumentError, match="本赛事接受：Word"):
        sniff("photo.png", png_bytes(), allowed=["document"])


def test_a_png_named_jpg_is_refused():
    with pytest.raises(DocumentError, match="内容与扩展名不符"):
        sniff("photo.jpg", png_bytes(), allowed=["image"])


def test_docx_text_is_extracted():
    data = docx_bytes(["第一段：巾帼心向党。", "第二段：奋进新征程。"])
    sniffed = sniff("a.docx", data, allowed=["document"])
    assert documents.extract_text(sniffed, data, "a.docx") == "第一段：巾帼心向党。\n第二段：奋进新征程。"


def test_pdf_text_is_extracted():
    data = pdf_bytes("Women hold up half the sky")
    sniffed = sniff("a.pdf", data, allowed=["document"])
    assert documents.extract_text(sniffed, data, "a.pdf") == "Women hold up half the sky"


def test_redaction_masks_name_given_name_units_and_phones():
    text = "作者：王小芳（七星关区市西街道妇联），电话 138 0013 8000。小芳生在七星关区，座机 0857-8221234。"
    assert redact_text(text, TERMS) == "作者：■■（■■），电话 ■■。■■生在■■，座机 ■■。"


def test_redacted_docx_loses_core_properties_company_and_names_in_the_text():
    data = docx_bytes(
        ["我叫王小芳，在七星关区市西街道妇联工作。", "联系电话：13800138000"],
        author="王小芳",
        last_modified_by="七星关区妇联",
        company="七星关区妇联",
    )
    redacted = redact_docx(data, TERMS)
    document = docx.Document(io.BytesIO(redacted))
    assert (document.core_properties.author, document.core_properties.last_modified_by) == ("", "")
    assert [p.text for p in document.paragraphs] == ["我叫■■，在■■工作。", "联系电话：■■"]
    with zipfile.ZipFile(io.BytesIO(redacted)) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
    for secret in ("王小芳", "七星关区", "13800138000"):
        assert secret.encode() not in everything


def test_stripped_pdf_has_no_author():
    data = pdf_bytes("An essay", author="Wang Xiaofang")
    assert b"Wang Xiaofang" in data
    stripped = documents.strip_pdf(data)
    assert b"Wang Xiaofang" not in stripped
    assert PdfReader(io.BytesIO(stripped)).metadata is None
    assert PdfReader(io.BytesIO(stripped)).pages[0].extract_text() == "An essay"
