"""Photos: the pixel count is checked from the header, before anything is decoded."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from jinguo.lib.images import PHOTO_MAX_PIXELS, PhotoError, clean_photo


def _png_header(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (its pixel data is a few bytes)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(20000, 20000), (6000, 5000), (100_000, 300)])
def test_header_claiming_too_many_pixels_is_refused_in_chinese(size):
    data = _png_header(*size)
    assert len(data) < 4096
    with pytest.raises(PhotoError, match="分辨率过大"):
        clean_photo(data, "PNG", "大图.png")


def test_limit_is_about_25_megapixels():
    assert 20_000_000 <= PHOTO_MAX_PIXELS <= 30_000_000


def test_photo_under_the_limit_is_cleaned_and_keeps_its_size():
    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 30, 60)).save(buf, "JPEG")
    clean = clean_photo(buf.getvalue(), "JPEG", "合影.jpg")
    assert (clean.width, clean.height, clean.format) == (1200, 800, "JPEG")


def test_truncated_png_is_a_chinese_error_not_a_500():
    buf = io.BytesIO()
    Image.new("RGB", (300, 300), (1, 2, 3)).save(buf, "PNG")
    with pytest.raises(PhotoError, match="无法识别为图片"):
        clean_photo(buf.getvalue()[:200], "PNG", "坏图.png")
