"""A student watches their studio bar grow: a faculty member approves a pending session in the review queue."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from ..fixtures.app import PASSWORD
from ..progress_support import add_course, add_sessions
from .journey_support import log_in


def _studio_bars(page) -> tuple[int, int]:
    """(done, in progress) aria-valuenow of the studio requirement's bar."""
    done = page.get_by_role("progressbar", name="Studio hours: done", exact=True)
    in_progress = page.get_by_role("progressbar", name="Studio hours: in progress", exact=True)
    expect(done).to_have_count(1)  # a 0% bar is attached but has no width
    waiting = int(in_progress.get_attribute("aria-valuenow")) if in_progress.count() else 0
    return int(done.get_attribute("aria-valuenow")), waiting


def test_the_studio_bar_grows_after_a_faculty_approval(page, browser, live_server, browser_login, demo_program,
                                                      terms, make_user, make_student):
    advisor = make_user("faculty", name="Prof. Alicia Moreno")
    student = make_student(advisor=advisor, name="Maya Chen", start_term=terms.current)
    add_course(student, "MPT 601", terms.current, status="in_progress")
    add_sessions(student, advisor, terms.current, count=9, hours=4)                    # 36 h approved
    add_sessions(student, advisor, terms.current, count=1, hours=4, status="pending")  # 4 h waiting

    browser_login(student.email, PASSWORD)
    page.get_by_role("link", name="Progress").click()
    expect(page.get_by_role("heading", name="Your degree progress")).to_be_visible()
    studio = page.locator("#req-studio")
    expect(studio.get_by_text("Pending review")).to_be_visible()
    done_before, waiting_before = _studio_bars(page)
    assert (done_before, waiting_before) == (0, 33)
    overall_before = int(page.locator("[data-overall-percent]").inner_text().rstrip("%"))

    # The supervisor approves the pending session from the review queue, in another browser.
    faculty = browser.new_context(base_url=live_server)
    try:
        fpage = faculty.new_page()
        log_in(fpage, advisor.email)
        fpage.get_by_role("link", name=re.compile("Review queue")).click()
        fpage.get_by_role("button", name=re.compile("Approve the session of Maya Chen")).click()
        expect(fpage.get_by_text(re.compile(r"Approved Maya Chen's 4-hour session"))).to_be_visible()
    finally:
        faculty.close()

    page.reload()
    done_after, waiting_after = _studio_bars(page)
    assert done_after > done_before and (done_after, waiting_after) == (33, 0)
    expect(studio.get_by_text("Complete", exact=True)).to_be_visible()
    assert int(page.locator("[data-overall-percent]").inner_text().rstrip("%")) > overall_before
