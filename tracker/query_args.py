"""Hostile-input guards for URLs: a bounded id converter, a NUL guard and one parser for query and form arguments.

Every id in a URL or a query string ends up in SQL, where a number above 2^63-1 overflows the database's integer
(a 500 on PostgreSQL and SQLite alike). The `int` URL converter is replaced by one with that bound, so every route's
`<int:...>` answers 404 for an impossible id; query arguments (and the few raw form values routes read) go through
the parsers below, which answer None ("not given") for anything garbled, oversized or outside the dates we keep.
PostgreSQL refuses strings holding NUL, so a request with one in its path or query string is refused up front.

Routes never pass raw query arguments to `url_for` either (`_method`, `_external`, `_anchor`... are url_for's own
keywords): `filter_args()` keeps only the known filter keys, which is what `url_with` and redirects use.
"""
from __future__ import annotations

import re
from datetime import date

from flask import Flask, abort, request
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from .services.values import ID_DIGITS, MAX_DATE, MAX_ID, MIN_DATE, parse_id  # noqa: F401 (re-exported)

# No list is that long; the bound keeps OFFSET far below what the database accepts.
MAX_PAGE = 100_000
# Longest free-text filter (a search box) worth sending to the database.
MAX_TEXT = 200

_NUMBER = re.compile(r"[0-9]{1,1000}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# Every query-string key a page reads as a filter or a view option. Anything else (above all url_for's own keywords,
# which start with "_") is dropped when a URL is rebuilt from the current one.
FILTER_KEYS = frozenset({
    "page", "q", "role", "program", "state", "actor", "entity_type", "date_from", "date_to", "subject",
    "student_id", "studio_id", "term_id", "advisor", "concentration", "track", "start_term", "term", "studio",
    "format", "submit",
})


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` with a ceiling: ids above MAX_ID never match, so the route answers 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)


# ---------------------------------------------------------------- parsers (pure: they take the raw string)

def parse_count(value, default: int | None = None) -> int | None:
    """A non-negative whole number up to MAX_ID (a version counter) from a string, or `default`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= MAX_ID else default
    if not isinstance(value, str) or not ID_DIGITS.fullmatch(value):
        return default
    number = int(value)
    return number if number <= MAX_ID else default


def parse_date(value) -> date | None:
    """An ISO date (YYYY-MM-DD) between MIN_DATE and MAX_DATE, or None."""
    if isinstance(value, date):
        return value if MIN_DATE <= value <= MAX_DATE else None
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if MIN_DATE <= day <= MAX_DATE else None


def parse_text(value, max_length: int = MAX_TEXT) -> str:
    """A stripped string without NUL, cut to max_length ('' when missing)."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "").strip()[:max_length]


# ---------------------------------------------------------------- the current request's arguments

def page_arg(name: str = "page") -> int:
    """The page number asked for: 1 when missing or garbled, at most MAX_PAGE (a page past the end is empty)."""
    value = request.args.get(name, "")
    if not _NUMBER.fullmatch(value):
        return 1
    # Any run of digits longer than MAX_PAGE's is past the end: the last possible page, without int() of it.
    return MAX_PAGE if len(value) > len(str(MAX_PAGE)) else max(1, min(int(value), MAX_PAGE))


def id_arg(name: str) -> int | None:
    """A query argument naming a row, or None (missing, garbled or impossible: nothing can have that id)."""
    return parse_id(request.args.get(name))


def date_arg(name: str) -> date | None:
    """A query argument holding a date in the range the app keeps, or None."""
    return parse_date(request.args.get(name))


def text_arg(name: str, max_length: int = MAX_TEXT) -> str:
    """A free-text query argument, stripped, NUL-free and bounded ('' when missing)."""
    return parse_text(request.args.get(name), max_length)


def choice_arg(name: str, allowed) -> str | None:
    """A query argument that must be one of `allowed` (strings), or None."""
    value = request.args.get(name)
    return value if value in allowed else None


def form_id(name: str) -> int | None:
    """A raw form value naming a row (hidden fields a route reads itself), or None."""
    return parse_id(request.form.get(name))


def form_count(name: str, default: int = -1) -> int:
    """A raw non-negative form integer (a version counter), or `default` when missing or garbled."""
    return parse_count(request.form.get(name), default)


def filter_args(keys=FILTER_KEYS, args: MultiDict | None = None) -> dict[str, str]:
    """The current query string reduced to known filter keys, safe to pass to url_for as keywords."""
    source = request.args if args is None else args
    return {key: value for key, value in source.items()
            if key in keys and not key.startswith("_") and "\x00" not in value}


# ---------------------------------------------------------------- registration

def _refuse_nul() -> None:
    """NUL never belongs in a URL, and PostgreSQL refuses it in any string: refuse it before any view runs."""
    if "\x00" in request.path:
        abort(404)
    raw = request.query_string
    if b"\x00" in raw or b"%00" in raw.lower():
        abort(400)


def register(app: Flask) -> None:
    """Install the bounded converter before any blueprint registers its routes, and the NUL guard."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_refuse_nul)


def paginate(select, per_page: int):
    """One page of `select` for the page asked for; a page past the end shows the last page, not an empty one.

    Two queries whatever the page: the count first (to know the last page), then that page's rows.
    """
    import sqlalchemy as sa

    from .extensions import db

    total = db.session.scalar(sa.select(sa.func.count()).select_from(select.order_by(None).subquery()))
    last = max(1, -(-total // per_page))
    page = db.paginate(select, page=min(page_arg(), last), per_page=per_page, error_out=False, count=False)
    page.total = total
    return page
