"""CSV downloads that are safe to open in a spreadsheet: formula-looking cells are neutralised."""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any, Iterable

from flask import Response

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The cell's text, with a leading apostrophe when a spreadsheet would otherwise read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        text = format(value, "f")
    else:
        text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """The whole CSV document as text (CRLF line ends, every cell through safe_cell)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return out.getvalue()


def csv_response(filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Response:
    """A download of the rows as `filename` (UTF-8 with a BOM, so spreadsheets pick the right encoding)."""
    safe_name = "".join(c if c.isalnum() or c in "-_." else "-" for c in filename) or "export.csv"
    response = Response("\ufeff" + csv_text(header, rows), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
