"""The studio-hours journey in a real browser: a student logs a session, the supervisor approves it from the queue,
and the student's hours page counts it."""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from ..fixtures.app import PASSWORD
from .journey_support import fill_session_form


def _hours_row(page, term_name: str):
    page.goto("/studio/hours")
    return page.get_by_role("row", name=re.compile(re.escape(term_name)))


def test_a_logged_session_is_approved_from_the_queue_and_counted(page, browser_login, make_user, make_student,
                                                                  make_studio, make_term):
    supervisor = make_user("faculty", name="Prof. Lena Adler")
    make_user("faculty", name="Prof. Someone Else")
    student = make_student(name="Robin Vega", advisor=supervisor)
    make_studio("Studio A")
    term = make_term("Autumn term")
    day = date.today() - timedelta(days=1)

    # The student logs the session through the form.
    browser_login(student.email, PASSWORD)
    fill_session_form(page, day.isoformat(), "13:30", notes="Mix of track 3 with the band present")
    page.get_by_role("button", name="Log session").click()
    expect(page.get_by_text("Session logged: 3.5 hours, waiting for review.")).to_be_visible()

    row = _hours_row(page, term.name)
    expect(row.locator("td").nth(0)).to_have_text("0 h")  # approved
    expect(row.locator("td").nth(1)).to_have_text("3.5 h")  # pending
    page.context.clear_cookies()

    # The supervisor sees the count in the navigation and approves from the queue.
    browser_login(supervisor.email, PASSWORD)
    queue_link = page.get_by_role("link", name=re.compile(r"^Review queue"))
    expect(queue_link).to_contain_text("1")
    queue_link.click()
    session_row = page.get_by_role("row", name=re.compile("Robin Vega"))
    for text in ("10:00–13:30", "3.5", "Studio A", "Mixing", "Harbour Lights EP", "Engineer",
                 "Mix of track 3 with the band present"):
        expect(session_row).to_contain_text(text)
    session_row.get_by_role("button", name=re.compile(r"^Approve the session of Robin Vega")).click()
    expect(page.get_by_text("Approved Robin Vega's 3.5-hour session")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for your review.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Review queue"))).to_have_text("Review queue")
    page.context.clear_cookies()

    # The student is told, and the hours count as approved.
    browser_login(student.email, PASSWORD)
    notifications_link = page.get_by_role("link", name=re.compile(r"^Notifications"))
    expect(notifications_link).to_contain_text("1")
    notifications_link.click()
    expect(page.get_by_text(f"Prof. Lena Adler approved your 3.5-hour session on {day:%a %-d %b} (Studio A)",
                                exact=True)).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Open")).click()
    expect(page).to_have_url(re.compile(r"/studio/sessions/\d+$"))
    expect(page.get_by_text("Approved by Prof. Lena Adler")).to_be_visible()
    row = _hours_row(page, term.name)
    expect(row.locator("td").nth(0)).to_have_text("3.5 h")  # approved
    expect(row.locator("td").nth(1)).to_have_text("0 h")  # pending


def test_select_all_then_reject_with_a_reason(page, browser_login, make_user, make_student, make_session):
    """Sessions made by the factory; the faculty member ticks 'select all' and rejects them together."""
    supervisor = make_user("faculty", name="Prof. Lena Adler")
    student = make_student(name="Robin Vega")
    for n in range(3):
        make_session(student, supervisor, day=date.today() - timedelta(days=n + 1))
    browser_login(supervisor.email, PASSWORD)
    page.goto("/review")
    page.get_by_role("button", name="Reject selected").click()
    expect(page.get_by_text("Select at least one session.")).to_be_visible()
    page.get_by_label("Select all on this page").check()
    expect(page.get_by_role("checkbox", name=re.compile("^Select the session of Robin Vega")).nth(2)).to_be_checked()
    page.get_by_role("button", name="Reject selected").click()
    expect(page.get_by_text("Give the reason for rejecting: the student sees it.")).to_be_visible()
    page.get_by_label("Reason").fill("These were rehearsals, not studio sessions.")
    page.get_by_role("button", name="Reject selected").click()
    expect(page.get_by_text("Rejected 3 sessions.")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for your review.")).to_be_visible()
