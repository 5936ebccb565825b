"""Phone numbers as federations write them: a mainland mobile, or a landline with its area code."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Area codes are 3 or 4 digits starting with 0 (010, 0857); local numbers 7 or 8 digits;
# an optional extension after a second hyphen (0857-8221234-801).
LANDLINE_RE = re.compile(r"^0\d{2,3}-\d{7,8}(-\d{1,6})?$")

PHONE_ERROR = "联系电话格式不正确：请填写 11 位手机号（如 13812345678）或带区号的座机号（如 0857-8221234）。"


def normalize_phone(value: str) -> str:
    """Drop the spaces people type into numbers and use ASCII hyphens ("0857 — 8221234" → "0857-8221234")."""
    value = (value or "").strip().replace(" ", "").replace("\u3000", "")
    for dash in ("－", "—", "–", "‐"):
        value = value.replace(dash, "-")
    if value.startswith("+86"):
        value = value[3:].lstrip("-")
    return value


def is_valid_phone(value: str) -> bool:
    value = normalize_phone(value)
    return bool(MOBILE_RE.match(value) or LANDLINE_RE.match(value))


def validate_phone(value: str) -> str:
    """Return the normalised number, or raise ``ValidationError`` with a Chinese message."""
    normalized = normalize_phone(value)
    if not (MOBILE_RE.match(normalized) or LANDLINE_RE.match(normalized)):
        raise ValidationError(PHONE_ERROR, code="invalid_phone")
    return normalized
