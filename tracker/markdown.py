"""Markdown to HTML for the docs/ pages the app shows, so the file in docs/ and the page are one source.

markdown-it-py does the parsing (CommonMark plus tables) with raw HTML turned off, so a page can carry no markup
of its own and links go through the library's URL validation (no javascript: or data:). Two small additions fit
the docs to the app: a heading may end in `{#anchor}` to give it a stable id that other pages link to, and tables
get Bootstrap's classes inside a scrollable, keyboard-reachable box.
"""
from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

__all__ = ["render_doc", "render_markdown"]

# The repository's docs/ folder, beside the tracker package.
DOCS = Path(__file__).resolve().parent.parent / "docs"

_ANCHOR = re.compile(r"\s*\{#([a-z0-9_-]+)\}\s*$")


def _heading_anchors(state) -> None:
    """Move a trailing `{#id}` of a heading's text into the heading's id attribute."""
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or index + 1 >= len(tokens):
            continue
        inline = tokens[index + 1]
        match = _ANCHOR.search(inline.content)
        if match is None:
            continue
        token.attrSet("id", match.group(1))
        inline.content = inline.content[:match.start()]
        last = inline.children[-1] if inline.children else None
        if last is not None and last.type == "text":
            last.content = _ANCHOR.sub("", last.content)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.core.ruler.push("heading_anchors", _heading_anchors)
    md.add_render_rule("table_open", lambda self, tokens, idx, options, env: (
        '<div class="table-responsive" tabindex="0" role="region" aria-label="Table">'
        '<table class="table table-sm align-top">\n'))
    md.add_render_rule("table_close", lambda self, tokens, idx, options, env: "</table></div>\n")
    return md


_MARKDOWN = _parser()


def render_markdown(text: str) -> Markup:
    """The HTML of a Markdown text, safe to put in a page as it is. A code block may scroll sideways, so it takes
    keyboard focus (raw HTML is off, so every <pre> here is one of ours)."""
    return Markup(_MARKDOWN.render(text).replace("<pre>", '<pre tabindex="0">'))


def render_doc(name: str) -> Markup:
    """A page of the docs/ folder as HTML: the file is the one source, the app shows it."""
    return render_markdown((DOCS / name).read_text(encoding="utf-8"))
