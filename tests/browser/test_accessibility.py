"""Accessibility: axe-core (bundled, offline) finds no serious or critical problems on any page a demo user can reach
by following links, nor on the states that only appear after an action (form errors, flash messages), and the pages
fit a phone's width without sideways scrolling."""
from __future__ import annotations

import re
import time
from collections import deque
from urllib.parse import parse_qsl, urldefrag, urlsplit

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from tracker.demo import DEMO_PASSWORD, seed
from tracker.extensions import db
from tracker.models import Program, SessionStatus, StudioSession, Term, User
from tracker.services import notifications

from .journey_support import OPEN_DETAILS, log_in, serious_violations

ROLES = {
    "anonymous": None,
    "student": "maya@demo.mmtracker.test",
    "faculty": "amoreno@demo.mmtracker.test",
    "admin": "director@demo.mmtracker.test",
}
# Where each crawl begins. Anonymous visitors reach only the login page by links; the error page and the page for a
# dead password-reset link are added because a visitor meets them from outside the app (a typo, an old e-mail).
STARTS = {"anonymous": ["/", "/auth/login", "/auth/reset/not-a-valid-token", "/no-such-page"]}
MAX_PATTERNS = 150  # a safety net: the admin, who sees most, reaches about 40 page patterns

LINKS = "anchors => anchors.map(a => a.href)"
# Empty every visible field of a form with a required field and submit it with the browser's own checks off, so the
# server's validation messages are shown. A form with a required field left empty cannot change anything.
SUBMIT_EMPTY = """form => {
  form.noValidate = true;
  for (const el of form.elements) {
    if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') continue;
    if (el.type === 'checkbox' || el.type === 'radio') { el.checked = false; }
    else if (el.tagName === 'SELECT') { el.selectedIndex = -1; }
    else if (el.type !== 'file') { el.value = ''; }
  }
  const button = form.querySelector('[type=submit]');
  form.requestSubmit(button || undefined);
}"""
# The indexes of the forms (among main's POST forms) that have a required field.
REQUIRED_FORMS = "forms => forms.flatMap((form, i) => form.querySelector('[required]') ? [i] : [])"


@pytest.fixture
def demo():
    seed()


class Auditor:
    """Runs axe on the browser's current page and keeps every serious finding, keyed by what was looked at."""

    def __init__(self, page):
        self.page = page
        self.axe = Axe()
        self.problems: dict[str, list[str]] = {}
        self.checked: list[str] = []

    def check(self, label: str) -> None:
        self.page.evaluate(OPEN_DETAILS)
        found = serious_violations(self.axe.run(self.page))
        self.checked.append(label)
        if found:
            self.problems[label] = found

    def report(self) -> str:
        return "\n".join(f"{label}\n    " + "\n    ".join(found) for label, found in self.problems.items())


def _pattern(app, url: str) -> str:
    """The endpoint pattern a URL belongs to (its rule plus the names of its query arguments), so that fifty student
    pages, or every page of a paginated list, count once."""
    parts = urlsplit(url)
    try:
        rule, _ = app.url_map.bind("localhost").match(parts.path, method="GET", return_rule=True)
        name = rule.rule
    except RequestRedirect:
        name = parts.path
    except HTTPException:
        name = parts.path  # an unknown or wrong-method URL: the crawl test reports those
    query = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return name + ("?" + "&".join(query) if query else "")


def _local(url: str, origin: str) -> str | None:
    """The path (and query) of a same-origin page link, or None for anything else."""
    url = urldefrag(url)[0]
    if not url.startswith(origin + "/"):
        return None
    parts = urlsplit(url)
    if parts.path.startswith("/static/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _crawl(page, app, origin: str, auditor: Auditor, starts: list[str]) -> list[str]:
    """Breadth-first over same-origin GET links, one page per endpoint pattern; axe on each HTML page.
    Returns the pages that hold a form with a required field, for the form-error pass."""
    seen: set[str] = set()
    queue = deque(starts)
    with_forms: list[str] = []
    while queue:
        url = queue.popleft()
        key = _pattern(app, url)
        if key in seen:
            continue
        assert len(seen) < MAX_PATTERNS, f"more than {MAX_PATTERNS} page patterns: is the de-duplication broken?"
        seen.add(key)
        try:
            response = page.goto(url)
        except PlaywrightError as exc:  # a CSV or TOML download, not a page
            if "Download is starting" in str(exc):
                continue
            raise
        landed = _local(page.url, origin)
        if landed:
            seen.add(_pattern(app, landed))
        if response is None or not response.headers.get("content-type", "").startswith("text/html"):
            continue
        if response.status >= 500:
            auditor.problems[url] = [f"HTTP {response.status}"]
        auditor.check(f"{url} (as shown{f', redirected to {landed}' if landed != url else ''}, "
                      f"HTTP {response.status})")
        if page.eval_on_selector_all("main form[method=post i]", REQUIRED_FORMS):
            with_forms.append(landed or url)
        for href in page.eval_on_selector_all("a[href]", LINKS):
            local = _local(href, origin)
            if local and _pattern(app, local) not in seen:
                queue.append(local)
    return with_forms


def _check_form_errors(page, auditor: Auditor, urls: list[str]) -> None:
    """Each form with a required field, submitted empty: the page with its error messages."""
    for url in urls:
        page.goto(url)
        for index in page.eval_on_selector_all("main form[method=post i]", REQUIRED_FORMS):
            if index:
                page.goto(url)
            form = page.locator("main form[method=post i]").nth(index)
            with page.expect_navigation():
                form.evaluate(SUBMIT_EMPTY)
            assert page.locator(".invalid-feedback, .alert-danger").count(), f"{url} form {index}: no error shown"
            auditor.check(f"{url} (form {index} submitted empty)")


def _login(page, email: str, password: str = DEMO_PASSWORD) -> None:
    log_in(page, email, password)
    page.wait_for_load_state("load")


def _give_unread_notifications(email: str) -> None:
    """The demo has no notifications; a reviewed session or a sign-off leaves unread ones, with and without a link."""
    user = db.session.scalar(sa.select(User).where(User.email == email))
    session_id = db.session.scalar(sa.select(StudioSession.id).order_by(StudioSession.id))
    notifications.notify(user.id, "Prof. Alicia Moreno approved your 3-hour session.", f"/studio/sessions/{session_id}")
    notifications.notify(user.id, "Your advisor signed off your thesis proposal.")
    db.session.commit()


def _after(page, auditor: Auditor, label: str, expect: str) -> None:
    """Axe on the state an action left, once it is really there."""
    page.locator(expect).first.wait_for()
    auditor.check(label)


def _flash_info_after_logout(page, auditor: Auditor) -> None:
    # The account menu: "Name (Role)" (notification buttons name a studio in brackets too).
    page.get_by_role("button", name=re.compile(r"\((Student|Faculty|Administrator)\)$")).click()
    _after(page, auditor, f"{urlsplit(page.url).path} with the account menu open", ".dropdown-menu.show")
    page.get_by_role("button", name="Log out").click()
    _after(page, auditor, "/auth/login after logging out (info flash)", ".alert-info")


def _flash_success_mark_all_read(page, auditor: Auditor) -> None:
    page.goto("/notifications")
    page.get_by_role("button", name="Mark all read").click()
    _after(page, auditor, "/notifications after 'Mark all read' (success flash)", ".alert-success")


def _student_states(page, auditor: Auditor) -> None:
    approved = db.session.scalar(
        sa.select(StudioSession.id).join(User, StudioSession.student_id == User.id)
        .where(User.email == ROLES["student"], StudioSession.status == SessionStatus.APPROVED))
    page.goto(f"/studio/sessions/{approved}/edit")  # an approved session cannot change: sent back with a warning
    _after(page, auditor, f"/studio/sessions/{approved}/edit on an approved session (warning flash)", ".alert-warning")
    _flash_success_mark_all_read(page, auditor)


def _admin_states(page, auditor: Auditor) -> None:
    _flash_success_mark_all_read(page, auditor)
    # A term with records has no Delete button; a stale page or a second tab can still ask, and is refused.
    page.goto("/admin/terms")
    used = db.session.scalar(sa.select(StudioSession.term_id).order_by(StudioSession.id))
    token = page.locator("input[name=csrf_token]").first.input_value()
    page.request.post(f"/admin/terms/{used}/delete", form={"csrf_token": token}, max_redirects=0)
    page.goto("/admin/terms")
    _after(page, auditor, "/admin/terms after deleting a term in use (danger flash)", ".alert-danger")
    # Pages that only a POST shows: a one-time password link, an import's check, a definition's preview.
    student = db.session.scalar(sa.select(User.id).where(User.email == ROLES["student"]))
    page.goto(f"/admin/users/{student}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Make a password link").click()
    _after(page, auditor, f"/admin/users/{student}/reset-link (the one-time link)", ".alert-info")
    program = db.session.scalar(sa.select(Program.id).order_by(Program.id))
    term = db.session.scalar(sa.select(Term.name).order_by(Term.start_date))
    good = f"{IMPORT_HEADER}new.student@example.edu,New Student,production,thesis,{term},{ROLES['faculty']}\n"
    bad = f"{IMPORT_HEADER}not-an-email,,nowhere,sometimes,no such term,nobody\n"
    for label, csv, shown in [("correct", good, ".alert-success"), ("with problems", bad, ".alert-danger")]:
        page.goto("/admin/users/import")
        page.get_by_label("Program the students join").select_option(str(program))
        page.locator("input[type=file]").set_input_files(
            {"name": "students.csv", "mimeType": "text/csv", "buffer": csv.encode()})
        page.get_by_role("button", name="Check the file").click()
        _after(page, auditor, f"/admin/users/import with a file {label}", shown)
    page.goto(f"/admin/programs/{program}/definition")
    page.get_by_role("button", name="Preview changes").click()
    _after(page, auditor, f"/admin/programs/{program}/definition preview", "h1:text-matches('^Preview')")


IMPORT_HEADER = "email,name,concentration,track,start term,advisor\n"
STATES = {"student": _student_states, "admin": _admin_states, "faculty": _flash_success_mark_all_read}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_reachable_page_has_no_serious_accessibility_violations(page, app, live_server, demo, role):
    """Each role's crawl (one page per endpoint pattern), each form submitted empty, and each flash category."""
    started = time.monotonic()
    auditor = Auditor(page)
    if ROLES[role]:
        _give_unread_notifications(ROLES[role])
        _login(page, ROLES[role])
    with_forms = _crawl(page, app, live_server, auditor, STARTS.get(role, ["/"]))
    _check_form_errors(page, auditor, with_forms)
    if role in STATES:
        STATES[role](page, auditor)
    if ROLES[role]:
        _flash_info_after_logout(page, auditor)
    print(f"\n{role}: {len(auditor.checked)} states checked in {time.monotonic() - started:.1f}s")
    print("\n".join(auditor.checked))
    assert len(auditor.checked) > 1
    assert not auditor.problems, f"serious accessibility violations as {role}:\n{auditor.report()}"


@pytest.mark.parametrize("email, url", [("maya@demo.mmtracker.test", "/progress"),
                                        ("maya@demo.mmtracker.test", "/studio/hours"),
                                        ("maya@demo.mmtracker.test", "/bookings"),
                                        ("amoreno@demo.mmtracker.test", "/review")])
def test_pages_fit_a_phone_screen(browser, live_server, demo, email, url):
    context = browser.new_context(base_url=live_server, viewport={"width": 375, "height": 740})
    page = context.new_page()
    try:
        log_in(page, email, DEMO_PASSWORD)
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{url} scrolls sideways by {overflow}px at phone width"
    finally:
        context.close()
