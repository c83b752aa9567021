"""A small Markdown subset to HTML, for the docs/ pages the app shows (one source for the file and the page).

No Markdown library is installed, and these pages need little: headings (with `{#id}` anchors), paragraphs,
lists, fenced code, tables, `code`, **bold**, *emphasis* and links. Every piece of text is escaped and raw HTML
is never passed through, so a page cannot inject markup or scripts (the CSP forbids inline ones anyway); links
may only be relative, #anchors or http(s).
"""
from __future__ import annotations

import re

from markupsafe import Markup, escape

__all__ = ["render_markdown"]

_HEADING = re.compile(r"^(#{1,4})\s+(.*?)(?:\s+\{#([a-z0-9_-]+)\})?\s*$")
_LIST_ITEM = re.compile(r"^(\s*)([-*]|\d+\.)\s+(.*)$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_INLINE = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|\*([^*\s][^*]*?)\*|\[([^\]]+)\]\(([^)\s]+)\)")
_SAFE_URL = re.compile(r"^(?:https?://|/|#|\.{0,2}/)?[A-Za-z0-9_./#?=&%:+-]*$")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _inline(text: str) -> str:
    """Escaped text with inline code, bold, emphasis and links."""
    out, pos = [], 0
    for match in _INLINE.finditer(text):
        out.append(str(escape(text[pos:match.start()])))
        code, bold, em, label, url = match.groups()
        if code is not None:
            out.append(f"<code>{escape(code)}</code>")
        elif bold is not None:
            out.append(f"<strong>{_inline(bold)}</strong>")
        elif em is not None:
            out.append(f"<em>{_inline(em)}</em>")
        elif _SAFE_URL.match(url) and not url.lower().startswith(("javascript:", "data:")):
            out.append(f'<a href="{escape(url)}">{_inline(label)}</a>')
        else:
            out.append(str(escape(match.group(0))))
        pos = match.end()
    out.append(str(escape(text[pos:])))
    return "".join(out)


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)]


def render_markdown(text: str) -> Markup:
    """The HTML of a Markdown text (the subset above)."""
    lines = text.splitlines()
    html: list[str] = []
    paragraph: list[str] = []
    i = 0

    def flush() -> None:
        if paragraph:
            html.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            language = stripped[3:].strip()
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            cls = f' class="language-{escape(_slug(language))}"' if language else ""
            html.append(f"<pre><code{cls}>{escape(chr(10).join(body))}</code></pre>")
            i += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            anchor = heading.group(3) or _slug(heading.group(2))
            html.append(f'<h{level} id="{escape(anchor)}">{_inline(heading.group(2))}</h{level}>')
            i += 1
            continue
        if stripped.startswith("|") and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1].strip()):
            flush()
            head = "".join(f'<th scope="col">{_inline(c)}</th>' for c in _cells(line))
            rows = []
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in _cells(lines[i])) + "</tr>")
                i += 1
            html.append(f'<div class="table-responsive"><table class="table table-sm align-top">'
                        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
            continue
        item = _LIST_ITEM.match(line)
        if item and not item.group(1):
            flush()
            ordered = item.group(2)[0].isdigit()
            items: list[str] = []
            while i < len(lines):
                item = _LIST_ITEM.match(lines[i])
                if item and not item.group(1) and item.group(2)[0].isdigit() == ordered:
                    items.append(item.group(3))
                elif items and lines[i].startswith("  ") and lines[i].strip():
                    items[-1] += " " + lines[i].strip()  # a wrapped line of the item
                else:
                    break
                i += 1
            tag = "ol" if ordered else "ul"
            html.append(f"<{tag}>" + "".join(f"<li>{_inline(x)}</li>" for x in items) + f"</{tag}>")
            continue
        if not stripped:
            flush()
        else:
            paragraph.append(stripped)
        i += 1
    flush()
    return Markup("\n".join(html))
