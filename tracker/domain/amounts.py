"""Numbers as people read them in audit messages and results (shared by the audit's stages)."""
from __future__ import annotations

from decimal import Decimal


def format_amount(value: Decimal | int) -> str:
    """A number for people: 12 not 12.0, 1.5 stays 1.5."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")
