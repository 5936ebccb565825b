"""Masks for personal data shown to people who may not see it whole: one rule for each kind, used
by pages, exports and the API alike (templates through the ``masking`` filter library).

Each mask keeps only enough to recognise one's own entry and never shows a value whole: a value too
short to keep a head and a tail keeps less, or nothing. Empty input (or ``None``) masks to "".
"""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def mask_phone(phone: str | None) -> str:
    """The first 3 and last 4 characters around four stars, whatever the length between.

    13800138000 → 138****8000; 0857-8221234 → 085****1234. Numbers shorter than 11 characters keep
    only their last two (12345 → ***45), and one or two characters are all stars (12 → **).
    """
    phone = (phone or "").strip()
    if len(phone) >= 11:
        return phone[:3] + "****" + phone[-4:]
    if len(phone) > 2:
        return "*" * (len(phone) - 2) + phone[-2:]
    return "*" * len(phone)


@register.filter
def mask_name(name: str | None) -> str:
    """The first and last character with a star for each one between; two characters keep the first.

    张小丽 → 张*丽, 欧阳娜娜 → 欧**娜, 张丽 → 张*; a single character is a single star.
    """
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@register.filter
def mask_id_number(number: str | None) -> str:
    """A 居民身份证 number keeps its region code (first 6) and the part after the birth date.

    18 characters: 520502199001011234 → 520502********1234 (the last 4: sequence and check
    character, the common practice on Chinese forms and receipts); the older 15-digit form keeps its
    last 3 (520502900101123 → 520502******123). The birth date is always hidden. Anything of
    another length is not an ID number we can read, so it is all stars.
    """
    number = (number or "").strip()
    if len(number) == 18:
        return number[:6] + "*" * 8 + number[-4:]
    if len(number) == 15:
        return number[:6] + "*" * 6 + number[-3:]
    return "*" * len(number)
