"""Every link a user can see leads somewhere: crawl the demo as each role, no broken links and no server errors."""
from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from tracker.demo import DEMO_PASSWORD, seed

HREF = re.compile(r'href="([^"]+)"')
MAX_PAGES = 400


# Pages linked with a different query string from every free slot of a calendar (the booking form pre-filled with
# that slot): one of each is enough, so the crawl's budget goes to other pages.
SAMPLED_PATHS = {"/bookings/new"}

TOKEN_LABELS: dict[str, str] = {}  # pages that showed a form's hidden token as a labelled field (a bug)


def crawl(client, start: str = "/") -> dict[str, int]:
    """Breadth-first over same-site GET links; returns url -> status (and notes stray token labels)."""
    seen: dict[str, int] = {}
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        path = urlsplit(url).path
        if path in SAMPLED_PATHS and any(urlsplit(known).path == path for known in seen):
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code in (301, 302, 303):
            target = urlsplit(response.headers["Location"])
            if not target.netloc or target.netloc == "localhost":
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
            continue
        if response.mimetype != "text/html":
            continue
        if re.search(r"<label[^>]*>\s*CSRF Token", response.get_data(as_text=True)):
            TOKEN_LABELS[url] = "a visible CSRF Token label"
        for href in HREF.findall(response.get_data(as_text=True)):
            href = urldefrag(urljoin(url, href.replace("&amp;", "&")))[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not href.startswith("/") or href.startswith("/static/"):
                continue
            if href not in seen:
                queue.append(href)
    return seen


@pytest.mark.parametrize("email", ["maya@demo.mmtracker.test", "ethan@demo.mmtracker.test",
                                   "amoreno@demo.mmtracker.test", "director@demo.mmtracker.test"])
def test_every_visible_link_works(app, email):
    seed()
    client = app.test_client()
    assert client.login(email, DEMO_PASSWORD).status_code == 302
    statuses = crawl(client)
    assert len(statuses) > 10
    broken = {url: code for url, code in statuses.items() if code >= 400}
    assert broken == {}
    # Every form's tokens are hidden inputs, never a labelled field (quick_form once showed "CSRF Token").
    assert TOKEN_LABELS == {}
