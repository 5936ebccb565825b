"""Rates (签收率, 备案率, 采用率): computed and shown one way everywhere.

A rate of nothing — no receipts, no decided reports — is not 0 %: it is unknown, and shows "—".
Pages use the ``pct`` filter (``{% load rates %}{{ row.signed_rate|pct }}``), exports ``rate_cell``,
so a page and its spreadsheet cannot disagree. Registered as the template library ``rates`` in
settings (``jinguo/lib`` is not an app).
"""

from __future__ import annotations

from django import template

NO_RATE = "—"

register = template.Library()


def rate(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, one decimal; ``None`` when ``whole`` is 0.

    Parts are counted over the same rows as the whole, so this never exceeds 100.
    """
    if not whole:
        return None
    return round(100 * min(part, whole) / whole, 1)


@register.filter(name="pct")
def format_rate(value: float | None) -> str:
    """ "50.0%", or "—" for no rate."""
    return NO_RATE if value is None else f"{value:.1f}%"


def rate_cell(value: float | None) -> float | str:
    """A spreadsheet cell under a "…率（%）" header: the number, or "—" for no rate."""
    return NO_RATE if value is None else value
