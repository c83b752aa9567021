"""The docs pages' Markdown: anchors on headings, Bootstrap tables, and nothing that could carry markup."""
from __future__ import annotations

from tracker.markdown import render_markdown


def test_headings_take_their_anchor_and_tables_their_classes():
    html = render_markdown(
        "# Title {#top}\n\nSome *text* with `code` and **bold**. [A link](#top)\n\n"
        "| a | b |\n| --- | --- |\n| `x` | y |\n\n```toml\nkey = \"<v>\"\n```\n")
    assert '<h1 id="top">Title</h1>' in html
    assert '<a href="#top">A link</a>' in html and "<em>text</em>" in html and "<strong>bold</strong>" in html
    assert '<div class="table-responsive" tabindex="0" role="region" aria-label="Table"><table class="table' in html
    assert "<td><code>x</code></td>" in html
    assert '<pre tabindex="0"><code class="language-toml">key = &quot;&lt;v&gt;&quot;' in html


def test_html_and_unsafe_links_are_escaped():
    html = render_markdown('<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](data:text/html,x)\n\n'
                           '## <b>h</b>')
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html
    assert "href" not in html
