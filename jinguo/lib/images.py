"""Photos people upload: checked by their first bytes, re-encoded without metadata.

Phones write the place a photo was taken (GPS) into its EXIF. A photo of a women's event or of a
family in hardship must not carry that, so every stored photo is re-encoded from its pixels only:
EXIF, GPS, XMP and comments are gone, the image is turned upright, and a JPEG thumbnail is made.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

PHOTO_MAX_BYTES = 10 * 1024 * 1024
# Checked from the header, before decoding: decoding and re-encoding cost several bytes a pixel,
# so 25 Mpx bounds one upload to a few hundred MB (phones save 12-16 Mpx pictures by default).
PHOTO_MAX_PIXELS = 25_000_000
THUMBNAIL_SIZE = 400
PHOTO_TYPES_LABEL = "JPG、PNG、WebP"
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A file named .pdf is refused even if its bytes are a picture: the user most likely picked the wrong file.
SUFFIX_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}


class PhotoError(ValueError):
    """The upload is not an acceptable photo; the message is for the user."""


@dataclass(frozen=True)
class CleanPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int
    format: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def check_photo(upload: UploadedFile, *, max_bytes: int = PHOTO_MAX_BYTES) -> str:
    """Raise ``PhotoError`` unless the upload is a JPEG, PNG or WebP (by its first bytes) of at
    most ``PHOTO_MAX_BYTES``. Returns the Pillow format name."""
    name = PurePath(upload.name or "").name
    if PurePath(name).suffix.lower() not in SUFFIX_FORMATS:
        raise PhotoError(f"“{name}”不是照片文件，只能上传 {PHOTO_TYPES_LABEL} 格式的照片")
    if not upload.size:
        raise PhotoError(f"“{name}”是空文件")
    if upload.size > max_bytes:
        raise PhotoError(f"“{name}”超过大小上限（最大 {max_bytes // 1024 // 1024} MB）")
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    if head.startswith(b"\xff\xd8\xff"):
        fmt = "JPEG"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        fmt = "PNG"
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        fmt = "WEBP"
    else:
        raise PhotoError(f"“{name}”不是照片文件，只能上传 {PHOTO_TYPES_LABEL} 格式的照片")
    if SUFFIX_FORMATS[PurePath(name).suffix.lower()] != fmt:
        raise PhotoError(f"“{name}”的内容与扩展名不符，图片可能已损坏或被改名")
    return fmt


def _too_large(name: str, width: int, height: int) -> str:
    return (
        f"“{name}”的分辨率过大（{width}×{height}，最多 {PHOTO_MAX_PIXELS // 1_000_000} 百万像素），"
        "请在手机上选择较小的尺寸或缩小后再上传"
    )


def clean_photo(data: bytes, fmt: str, name: str) -> CleanPhoto:
    """Re-encode the photo without any metadata (EXIF, GPS, XMP, comments), turned upright, and
    make a JPEG thumbnail."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data))  # reads the header only
            if source.format != fmt:
                raise PhotoError(f"“{name}”的内容与格式不符，文件可能已损坏")
            if source.width * source.height > PHOTO_MAX_PIXELS:
                raise PhotoError(_too_large(name, source.width, source.height))
            source.load()
    except PhotoError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        # Pillow's own guard, for a header claiming more pixels than it will open at all.
        raise PhotoError(
            f"“{name}”的分辨率过大（最多 {PHOTO_MAX_PIXELS // 1_000_000} 百万像素），请缩小后再上传"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise PhotoError(f"“{name}”无法识别为图片，文件可能已损坏") from exc
    upright = ImageOps.exif_transpose(source)
    # Copy the pixels into a fresh image: nothing of the source's info (EXIF, XMP, text) comes along.
    if upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA" if "transparency" in source.info or upright.mode == "P" else "RGB")
    if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    clean = Image.new(upright.mode, upright.size)
    clean.paste(upright)
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=90, optimize=True)
    elif fmt == "PNG":
        clean.save(out, "PNG", optimize=True)
    else:
        clean.save(out, "WEBP", quality=90)
    thumb = clean.copy()
    thumb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    if thumb.mode in ("RGBA", "LA"):
        background = Image.new("RGB", thumb.size, (255, 255, 255))
        background.paste(thumb, mask=thumb.getchannel("A"))
        thumb = background
    elif thumb.mode != "RGB":
        thumb = thumb.convert("RGB")
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "JPEG", quality=82)
    return CleanPhoto(out.getvalue(), thumb_out.getvalue(), clean.width, clean.height, fmt)


def read_clean_photo(upload: UploadedFile, *, max_bytes: int = PHOTO_MAX_BYTES) -> CleanPhoto:
    """Check an upload and return it re-encoded without metadata; raises ``PhotoError``."""
    fmt = check_photo(upload, max_bytes=max_bytes)
    upload.seek(0)
    return clean_photo(upload.read(), fmt, PurePath(upload.name or "photo").name)
