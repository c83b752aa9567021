"""Numbers as the pages and messages show them: plain functions for templates, views and services alike."""
from __future__ import annotations

from decimal import Decimal


def format_number(value) -> str:
    """Credits, studio hours or a requirement's figure, to the hundredth without trailing zeros: 3.5 -> '3.5',
    4.00 -> '4', 2.25 -> '2.25'; '' for None."""
    if value is None:
        return ""
    d = Decimal(value).quantize(Decimal("0.01"))
    text = format(d, "f").rstrip("0").rstrip(".")
    return text or "0"
