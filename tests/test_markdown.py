"""The small Markdown renderer of the docs pages: the subset they use, and nothing that could carry markup."""
from __future__ import annotations

from tracker.markdown import render_markdown


def test_the_subset_renders():
    html = render_markdown(
        "# Title {#top}\n\nSome *text* with `code` and **bold**,\nwrapped. [A link](#top)\n\n"
        "- one\n- two\n  continued\n\n1. first\n2. second\n\n| a | b |\n| --- | --- |\n| `x` | y |\n\n"
        "```toml\nkey = \"<v>\"\n```\n")
    assert html == (
        '<h1 id="top">Title</h1>\n'
        '<p>Some <em>text</em> with <code>code</code> and <strong>bold</strong>, wrapped. <a href="#top">A link</a></p>\n'
        "<ul><li>one</li><li>two continued</li></ul>\n"
        "<ol><li>first</li><li>second</li></ol>\n"
        '<div class="table-responsive"><table class="table table-sm align-top"><thead><tr><th scope="col">a</th>'
        '<th scope="col">b</th></tr></thead><tbody><tr><td><code>x</code></td><td>y</td></tr></tbody></table></div>\n'
        '<pre><code class="language-toml">key = &#34;&lt;v&gt;&#34;</code></pre>')


def test_html_and_unsafe_links_are_escaped():
    html = render_markdown('<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](javascript:void) '
                           '[z](" onmouseover="x)\n\n## <b>h</b>')
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html
    assert "href" not in html
