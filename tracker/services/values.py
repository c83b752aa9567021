"""Bounded parsing of the numbers, dates and ids services accept, refusing the rest with a message at the field.

A form hands services what a browser sent: `1e400` is a valid Decimal that no column holds (and that `quantize`
refuses with InvalidOperation), `9999-12-31` a valid date a day past which Python cannot count, `' '` or a 20-digit
string an "id" that int() or the database refuses. Each helper returns a value the database and the audit can use,
or raises ServiceError(message, field).
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from . import ServiceError

# Dates the app keeps: wide enough for any real record, narrow enough that date arithmetic (a day after, a term's
# span) never overflows and every database stores them.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)
# The largest value the id, count and version columns hold on every database: they are INTEGER, which PostgreSQL
# keeps in 32 bits (SQLite's INTEGER would take 2^63-1). A bigger number compared with such a column is an error
# on PostgreSQL ("integer out of range"), so nothing above it is ever sent to the database.
MAX_ID = 2**31 - 1

ID_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() also accepts '²', which int() refuses


def parse_id(value) -> int | None:
    """A database id (1..MAX_ID) from an int or a string of digits, or None for anything else (blank, signs,
    spaces, NUL, too big)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= MAX_ID else None
    if not isinstance(value, str) or not ID_DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def parse_decimal(value, field: str, *, places: int, maximum: Decimal | int, minimum: Decimal | int = 0,
                  allow_minimum: bool = False, message: str | None = None) -> Decimal:
    """A finite Decimal with at most `places` decimals, above `minimum` (or equal, with allow_minimum) and at most
    `maximum`; anything else raises ServiceError(message, field)."""
    maximum, minimum = Decimal(maximum), Decimal(minimum)
    bound = "at least" if allow_minimum else "more than"
    message = message or f"Enter a number {bound} {minimum.normalize():f} and at most {maximum.normalize():f}."
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise ServiceError(message, field)
    try:
        # str() of a float is its shortest repr; a string is parsed as written (up to a sane length).
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip()[:64])
    except (InvalidOperation, ValueError, TypeError):
        raise ServiceError(message, field) from None
    # Comparisons are safe at any magnitude; quantize is not, so the range is checked first.
    if not number.is_finite() or number > maximum or number < minimum or (number == minimum and not allow_minimum):
        raise ServiceError(message, field)
    if number != number.quantize(Decimal(1).scaleb(-places)):
        words = {0: "Enter a whole number.", 1: "Use at most one decimal.", 2: "Use at most two decimals."}
        raise ServiceError(words.get(places, f"Use at most {places} decimals."), field)
    return number


def optional_decimal(value, field: str, **bounds) -> Decimal | None:
    """parse_decimal, with None or a blank value meaning 'not given'."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_decimal(value, field, **bounds)


def check_date(value: date | None, field: str, message: str | None = None) -> date | None:
    """None stays None; a date outside MIN_DATE..MAX_DATE raises ServiceError(message, field)."""
    if value is None:
        return None
    if not isinstance(value, date) or not MIN_DATE <= value <= MAX_DATE:
        raise ServiceError(message or f"Enter a date between {MIN_DATE.year} and {MAX_DATE.year}.", field)
    return value


def optional_id(value, field: str, message: str) -> int | None:
    """An id chosen in a form: None for a blank choice; a garbled or impossible one raises ServiceError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = parse_id(value.strip() if isinstance(value, str) else value)
    if number is None:
        raise ServiceError(message, field)
    return number
