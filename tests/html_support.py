"""Reading the pages the test client gets back: the HTML, its text as a reader sees it, and a form field's error."""
from __future__ import annotations

import html
import re


def page_html(response) -> str:
    """The response's body as served (the page's HTML)."""
    return response.get_data(as_text=True)


def page_text(response) -> str:
    """The page's HTML with its entities decoded (tags kept), for looking for text that holds quotes or ampersands."""
    return html.unescape(page_html(response))


def visible_text(page) -> str:
    """The text of a page (a response) or of a piece of HTML (a str) as a reader sees it: no tags, single spaces."""
    markup = page if isinstance(page, str) else page_html(page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def field_error(response, field: str) -> str:
    """The error text shown under a form field ('' if none)."""
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</div>', page_html(response), re.S)
    return html.unescape(match.group(1)).strip() if match else ""
