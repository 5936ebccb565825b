import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jinguo.audit.models import AuditEntry
from jinguo.campaigns import services
from jinguo.campaigns.models import Attachment
from jinguo.campaigns.services import CampaignError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


def office_file(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("活动方案.pdf", PDF),
        ("活动方案.docx", office_file("word/document.xml")),
        ("报名表.xlsx", office_file("xl/workbook.xml")),
        ("海报.JPG", JPG),
        ("海报.png", PNG),
    ],
)
def test_add_attachment_allowed_types_stored_with_audit(draft, users, media, name, content):
    attachment = services.add_attachment(draft, by=users.city_admin, upload=SimpleUploadedFile(name, content))
    assert attachment.original_name == name
    assert attachment.size == len(content)
    assert name not in attachment.file.name  # stored under a random name
    with attachment.file.open("rb") as f:
        assert f.read() == content
    entry = AuditEntry.objects.get(action="campaigns.attachment.added")
    assert entry.data["name"] == name


@pytest.mark.parametrize("name", ["脚本.exe", "页面.html", "旧版.doc", "无扩展名"])
def test_add_attachment_bad_type_rejected(draft, users, media, name):
    with pytest.raises(CampaignError, match="文件类型不允许上传"):
        services.add_attachment(draft, by=users.city_admin, upload=SimpleUploadedFile(name, PDF))
    assert Attachment.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("伪装.pdf", b"MZ\x90\x00 not a pdf"),
        ("伪装.png", JPG),
        ("伪装.jpg", b"<html><script>alert(1)</script>"),
        ("伪装.docx", office_file("xl/workbook.xml")),
        ("伪装.xlsx", b"PK\x03\x04 broken zip"),
    ],
)
def test_add_attachment_fake_magic_bytes_rejected(draft, users, media, name, content):
    with pytest.raises(CampaignError, match="内容与扩展名不符"):
        services.add_attachment(draft, by=users.city_admin, upload=SimpleUploadedFile(name, content))
    assert Attachment.objects.count() == 0


def test_add_attachment_too_big_rejected(draft, users, media, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    upload = SimpleUploadedFile("大文件.pdf", PDF + b"0" * 1024)
    with pytest.raises(CampaignError, match="超过大小上限"):
        services.add_attachment(draft, by=users.city_admin, upload=upload)
    assert Attachment.objects.count() == 0


def test_add_attachment_at_limit_accepted(draft, users, media, settings):
    settings.ATTACHMENT_MAX_BYTES = len(PDF)
    services.add_attachment(draft, by=users.city_admin, upload=SimpleUploadedFile("刚好.pdf", PDF))
    assert Attachment.objects.count() == 1
