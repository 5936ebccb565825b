"""What an uploaded work is, its text, and the judges' redacted copy. Plain functions, no database.

- ``sniff`` decides a file's type by its bytes (a .docx that is really a picture or an old .doc is
  refused, in Chinese, before anything parses it);
- ``extract_text`` reads the text of a .docx (python-docx), a .pdf (pypdf) or a .txt;
- ``han_count`` is the one definition of an essay's length: Chinese characters (汉字), the unit
  征文 limits are written in;
- ``redact_text`` / ``redact_docx`` / ``strip_pdf`` make the judges' copy: the author's name,
  units and phone replaced by ■■, and the documents' metadata (who wrote it, who saved it last,
  the company) stripped.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

MASK = "■■"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCUMENT_TYPES = {".docx": DOCX_TYPE, ".pdf": "application/pdf", ".txt": "text/plain"}
DOCUMENT_LABEL = "Word（.docx）、PDF、纯文本（.txt）"
# A ZIP bomb in a .docx: the text of a 3,000-character essay is a few hundred KB unpacked.
DOCX_MAX_UNPACKED = 50 * 1024 * 1024

# Media by extension: (media kind, content type, how its first bytes look).
MEDIA_TYPES = {
    ".jpg": ("image", "image/jpeg"),
    ".jpeg": ("image", "image/jpeg"),
    ".png": ("image", "image/png"),
    ".webp": ("image", "image/webp"),
    ".mp3": ("audio", "audio/mpeg"),
    ".m4a": ("audio", "audio/mp4"),
    ".wav": ("audio", "audio/wav"),
    ".ogg": ("audio", "audio/ogg"),
    ".mp4": ("video", "video/mp4"),
    ".mov": ("video", "video/quicktime"),
    ".webm": ("video", "video/webm"),
}
MEDIA_LABELS = {
    "image": "图片（JPG、PNG、WebP）",
    "audio": "音频（MP3、M4A、WAV、OGG）",
    "video": "视频（MP4、MOV、WebM）",
}

HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")
# A mainland mobile or a landline with its area code, however people space it.
PHONE_RE = re.compile(r"(?<!\d)(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}[\s-]?\d{7,8})(?!\d)")
ORG_SUFFIXES = ("妇女联合会", "妇联", "妇委会", "妇女小组")


class DocumentError(ValueError):
    """The file cannot be taken; the message is for the user."""


@dataclass(frozen=True)
class Sniffed:
    kind: str  # "document", "image", "audio", "video"
    extension: str
    content_type: str


def _zip_has(data: bytes, member: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if sum(info.file_size for info in archive.infolist()) > DOCX_MAX_UNPACKED:
                return False
            return member in names
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _media_matches(ext: str, head: bytes) -> bool:
    if ext in (".jpg", ".jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if ext == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext == ".webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if ext == ".wav":
        return head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    if ext == ".mp3":
        return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    if ext == ".ogg":
        return head.startswith(b"OggS")
    if ext == ".webm":
        return head.startswith(b"\x1a\x45\xdf\xa3")
    if ext in (".mp4", ".m4a", ".mov"):
        return head[4:8] == b"ftyp"
    return False


def sniff(name: str, data: bytes, *, allowed: Iterable[str]) -> Sniffed:
    """The type of an upload by its extension AND its bytes; ``allowed`` names the kinds the contest
    takes ("document", "image", "audio", "video"). Raises ``DocumentError`` in Chinese."""
    allowed = set(allowed)
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    labels = ([DOCUMENT_LABEL] if "document" in allowed else []) + [
        MEDIA_LABELS[k] for k in ("image", "audio", "video") if k in allowed
    ]
    accepted = "、".join(labels)
    if not data:
        raise DocumentError(f"“{name}”是空文件")
    if ext in DOCUMENT_TYPES and "document" in allowed:
        if ext == ".docx":
            if not (data.startswith(b"PK\x03\x04") and _zip_has(data, "word/document.xml")):
                if data.startswith(b"\xd0\xcf\x11\xe0"):
                    raise DocumentError(
                        f"“{name}”实际上是旧版 Word（.doc）文件，只是改了扩展名。请在 Word 中“另存为” .docx 后再上传"
                    )
                raise DocumentError(f"“{name}”不是真正的 Word（.docx）文件（文件内容与扩展名不符），请检查后重新上传")
        elif ext == ".pdf":
            if not data.startswith(b"%PDF-"):
                raise DocumentError(f"“{name}”不是真正的 PDF 文件（文件内容与扩展名不符），请检查后重新上传")
        else:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                try:
                    data.decode("gb18030")
                except UnicodeDecodeError:
                    raise DocumentError(f"“{name}”不是纯文本文件，请检查后重新上传") from None
        return Sniffed("document", ext, DOCUMENT_TYPES[ext])
    if ext in MEDIA_TYPES and MEDIA_TYPES[ext][0] in allowed:
        kind, content_type = MEDIA_TYPES[ext]
        if not _media_matches(ext, data[:16]):
            raise DocumentError(f"“{name}”的内容与扩展名不符，文件可能已损坏或被改名，请检查后重新上传")
        return Sniffed(kind, ext, content_type)
    raise DocumentError(f"“{name}”的文件类型不能上传。本赛事接受：{accepted}")


def han_count(text: str) -> int:
    """The length of an essay: its Chinese characters (汉字), punctuation and Latin letters aside."""
    return len(HAN_RE.findall(text or ""))


def _docx_paragraphs(document) -> Iterable:
    """Every paragraph of a document: body, tables (nested too), headers and footers."""

    def walk(container):
        yield from container.paragraphs
        for table in getattr(container, "tables", []):
            for row in table.rows:
                for cell in row.cells:
                    yield from walk(cell)

    yield from walk(document)
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer):
            if not part.is_linked_to_previous:
                yield from walk(part)


def extract_text(sniffed: Sniffed, data: bytes, name: str) -> str:
    """The text of a document, paragraphs on their own lines. Raises ``DocumentError``."""
    if sniffed.extension == ".txt":
        try:
            return data.decode("utf-8-sig").replace("\r\n", "\n")
        except UnicodeDecodeError:
            return data.decode("gb18030").replace("\r\n", "\n")
    if sniffed.extension == ".docx":
        import docx

        try:
            document = docx.Document(io.BytesIO(data))
        except Exception as exc:  # python-docx raises many kinds on a damaged file
            raise DocumentError(f"“{name}”无法打开，文件可能已损坏。请在 Word 中重新保存后上传") from exc
        body = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                body.append("\t".join(cell.text for cell in row.cells))
        return "\n".join(body).strip()
    if sniffed.extension == ".pdf":
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise DocumentError(f"“{name}”设置了密码，请去掉密码后再上传")
            text = "\n".join((page.extract_text() or "") for page in reader.pages).strip()
        except DocumentError:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
            raise DocumentError(f"“{name}”无法读取，PDF 文件可能已损坏") from exc
        if not text:
            raise DocumentError(f"“{name}”中读不到文字（可能是扫描件）。请上传 Word 文件，或在页面中直接粘贴正文")
        return text
    return ""


# ---- redaction ---------------------------------------------------------------------------------


def identity_terms(*, author_name: str, unit_names: Iterable[str], phone: str) -> list[str]:
    """What must not reach a judge: the author's name (and a compound given name), each unit's
    name with and without its 妇联 suffix, and the phone; longest first, so a unit's full name is
    masked before the county name inside it."""
    terms = set()
    name = (author_name or "").strip()
    if len(name) >= 2:
        terms.add(name)
    if len(name) >= 3:
        terms.add(name[1:])  # 王小芳 also signs as 小芳
    for unit in unit_names:
        unit = (unit or "").strip()
        if len(unit) < 2:
            continue
        terms.add(unit)
        for suffix in ORG_SUFFIXES:
            if unit.endswith(suffix) and len(unit) - len(suffix) >= 2:
                terms.add(unit[: -len(suffix)])
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) >= 7:
        terms.add(digits)
    return sorted(terms, key=lambda t: (-len(t), t))


def _pattern(terms: list[str]) -> re.Pattern | None:
    if not terms:
        return None
    return re.compile("|".join(re.escape(t) for t in terms))


def redact_text(text: str, terms: list[str]) -> str:
    """``text`` with every identity term and every phone number replaced by ■■."""
    pattern = _pattern(terms)
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return PHONE_RE.sub(MASK, text)


def contains_identity(text: str, terms: list[str]) -> bool:
    pattern = _pattern(terms)
    return bool(PHONE_RE.search(text) or (pattern and pattern.search(text)))


# Core properties python-docx exposes; every one may name the author or the unit.
CORE_FIELDS = ("author", "last_modified_by", "comments", "keywords", "subject", "category", "identifier", "title")
_AUTHOR_ATTR = re.compile(rb'(w:author|w:initials)="[^"]*"')
_APP_FIELDS = re.compile(rb"<(Company|Manager)>[^<]*</\1>")
_CUSTOM_VALUE = re.compile(rb"(<vt:lpwstr>)[^<]*(</vt:lpwstr>)")


def redact_docx(data: bytes, terms: list[str]) -> bytes:
    """A copy of a .docx with its metadata stripped (core properties; the company and manager of
    app.xml; custom properties; the authors of comments and tracked changes) and every identity
    term in its paragraphs replaced by ■■. A paragraph that needed a change keeps the formatting
    of its first run."""
    import docx

    document = docx.Document(io.BytesIO(data))
    core = document.core_properties
    for field in CORE_FIELDS:
        setattr(core, field, "")
    core.revision = 1
    for paragraph in _docx_paragraphs(document):
        original = paragraph.text
        changed = redact_text(original, terms)
        if changed == original or not paragraph.runs:
            continue
        runs = paragraph.runs
        runs[0].text = changed
        for run in runs[1:]:
            run.text = ""
    out = io.BytesIO()
    document.save(out)
    # python-docx does not reach app.xml, custom.xml or the w:author attributes: rewrite the parts.
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    cleaned = io.BytesIO()
    with zipfile.ZipFile(cleaned, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "docProps/app.xml":
                body = _APP_FIELDS.sub(rb"<\1></\1>", body)
            elif info.filename == "docProps/custom.xml":
                body = _CUSTOM_VALUE.sub(rb"\1\2", body)
            elif info.filename.startswith("word/") and info.filename.endswith(".xml"):
                body = _AUTHOR_ATTR.sub(rb'\1=""', body)
            target.writestr(info, body)
    return cleaned.getvalue()


def strip_pdf(data: bytes) -> bytes:
    """A copy of a PDF without its document info (author, creator, title …) and XMP metadata.
    Its pages are unchanged: a PDF's visible text cannot be masked reliably, so a PDF whose text
    names the author is shown to judges only as the redacted text (``services``)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.metadata = None
    root = writer._root_object
    if NameObject("/Metadata") in root:
        del root[NameObject("/Metadata")]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
