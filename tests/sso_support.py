"""Walking the test OpenID provider's login form without a browser (the provider itself: tests/fixtures/sso.py)."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests


class _Forms(HTMLParser):
    """The action and inputs of the first form on a page."""

    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("name"):
            self.fields.setdefault(attrs["name"], attrs.get("value") or "")


def log_in_at_provider(authorize_url: str, login: str, agent: requests.Session | None = None) -> str:
    """Follow the provider's pages as a browser would: its login form with `login` (any password), then back.
    Returns the URL the provider redirects to on the app's side (the callback, with code and state)."""
    agent = agent or requests.Session()
    url, provider = authorize_url, urlsplit(authorize_url).netloc
    for _ in range(10):
        response = agent.get(url, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if urlsplit(url).netloc != provider:
                return url
            continue
        form = _Forms()
        form.feed(response.text)
        assert form.action, f"no form on the provider's page: {response.status_code} {response.text[:300]}"
        fields = dict(form.fields, login=login, password="any password")
        response = agent.post(urljoin(url, form.action), data=fields, allow_redirects=False, timeout=10)
        assert response.is_redirect, response.text[:300]
        url = urljoin(url, response.headers["Location"])
        if urlsplit(url).netloc != provider:
            return url
    raise AssertionError("the provider never sent the browser back")


def app_path(url: str) -> str:
    """The path and query of an absolute URL on the app's side, for the test client."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
