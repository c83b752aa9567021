"""Accessibility: axe-core (bundled, offline) finds no serious or critical problems on the main pages,
and the pages fit a phone's width without sideways scrolling."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tracker.demo import DEMO_PASSWORD, seed

PAGES = {
    "maya@demo.mmtracker.test": ["/student", "/courses", "/courses/add", "/ensembles", "/studio", "/studio/log",
                                 "/studio/hours", "/progress", "/progress/what-if", "/notifications",
                                 "/auth/password"],
    "amoreno@demo.mmtracker.test": ["/faculty", "/review", "/advising"],
    "director@demo.mmtracker.test": ["/admin", "/manage/", "/manage/users", "/manage/terms", "/manage/history",
                                     "/reports/"],
}


@pytest.fixture
def demo():
    seed()


def _serious(results) -> list[str]:
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes, e.g. {v['nodes'][0]['target']})"
            for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


@pytest.mark.parametrize("email", list(PAGES))
def test_main_pages_have_no_serious_accessibility_violations(page, browser_login, demo, email):
    axe = Axe()
    browser_login(email, DEMO_PASSWORD)
    problems = {}
    for url in PAGES[email]:
        response = page.goto(url)
        assert response.status == 200, url
        found = _serious(axe.run(page))
        if found:
            problems[url] = found
    assert problems == {}


def test_login_page_is_accessible(page):
    page.goto("/auth/login")
    assert _serious(Axe().run(page)) == []


@pytest.mark.parametrize("email, url", [("maya@demo.mmtracker.test", "/progress"),
                                        ("maya@demo.mmtracker.test", "/studio/hours"),
                                        ("amoreno@demo.mmtracker.test", "/review")])
def test_pages_fit_a_phone_screen(browser, live_server, demo, email, url):
    context = browser.new_context(base_url=live_server, viewport={"width": 375, "height": 740})
    page = context.new_page()
    try:
        page.goto("/auth/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{url} scrolls sideways by {overflow}px at phone width"
    finally:
        context.close()
