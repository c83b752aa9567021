"""The group-session journey in a real browser: a student logs a session naming another as performer, that student
confirms it from their dashboard, the supervisor approves the group from the review queue, and both students'
progress pages count the hours."""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from ..fixtures.app import PASSWORD
from .journey_support import fill_session_form


def _approved_hours(page, term_name: str):
    """The Approved cell of the term's row in the progress page's studio table."""
    page.goto("/progress")
    row = page.get_by_role("row", name=re.compile(re.escape(term_name)))
    return row.locator("td").nth(0)


def test_a_group_session_is_named_confirmed_approved_and_counted_for_both(page, browser_login, demo_program,
                                                                          make_user, make_student, make_studio,
                                                                          make_term):
    supervisor = make_user("faculty", name="Prof. Lena Adler")
    ana = make_student(name="Ana Logger", advisor=supervisor)
    ben = make_student(name="Ben Player")
    make_studio("Studio A")
    term = make_term("Autumn term")
    day = date.today() - timedelta(days=1)

    # Ana logs the session and names Ben as performer.
    browser_login(ana.email, PASSWORD)
    fill_session_form(page, day.isoformat(), "13:00")
    page.get_by_label("Other student 1", exact=True).select_option(label="Ben Player")
    page.get_by_label("Role of other student 1").select_option(label="Performer")
    page.get_by_role("button", name="Log session").click()
    expect(page.get_by_text("Group session logged: 3 hours, waiting for review.")).to_be_visible()
    expect(_approved_hours(page, term.name)).to_have_text("0 h")
    page.context.clear_cookies()

    # Ben is told, and confirms from his dashboard.
    browser_login(ben.email, PASSWORD)
    expect(page.get_by_role("link", name=re.compile(r"^Notifications"))).to_contain_text("1")
    panel = page.locator("#group-sessions-to-confirm")
    expect(panel).to_contain_text("Ana Logger named you as performer")
    panel.get_by_role("button", name=re.compile(r"^Confirm the session of")).click()
    expect(page.get_by_text("Confirmed: the session now waits for the supervisor's review.")).to_be_visible()
    page.context.clear_cookies()

    # The supervisor sees the group once in the queue, with both roles, and approves it in one step.
    browser_login(supervisor.email, PASSWORD)
    page.get_by_role("link", name=re.compile(r"^Review queue")).click()
    group_row = page.locator("tr.group-session")
    expect(group_row).to_have_count(1)
    for text in ("Ana Logger", "Engineer", "Ben Player", "Performer", "Harbour Lights EP", "10:00–13:00"):
        expect(group_row).to_contain_text(text)
    group_row.get_by_role("button", name=re.compile(r"^Approve all confirmed")).click()
    expect(page.get_by_text("Approved 2 sessions.")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for your review.")).to_be_visible()
    page.context.clear_cookies()

    # Each student's progress page counts the 3 approved hours.
    for student in (ana, ben):
        browser_login(student.email, PASSWORD)
        expect(_approved_hours(page, term.name)).to_have_text("3 h")
        page.context.clear_cookies()
