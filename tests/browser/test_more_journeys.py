"""More journeys in a real browser: a new student's first password, milestone sign-off and undo, what-if, a closed
term refusing a studio session, and logging in and navigating with the keyboard only."""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from ..fixtures.app import PASSWORD
from ..progress_support import add_course
from .journey_support import fill_session_form, log_in

TAB_LIMIT = 30


def _log_in(page, email: str, password: str = PASSWORD) -> None:
    """Log in through the form (for a page in a second browser context)."""
    log_in(page, email, password)
    expect(page.get_by_role("heading", name=re.compile(r"^Welcome, "))).to_be_visible()


def _accept_dialogs(page) -> list[str]:
    """Accept every confirmation dialog, keeping the messages so the test can say what was asked."""
    asked: list[str] = []

    def _accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", _accept)
    return asked


def _active_text(page) -> str:
    return page.evaluate("(document.activeElement && document.activeElement.innerText || '').trim()")


def _tab_until(page, predicate, what: str) -> None:
    """Press Tab (at most TAB_LIMIT times) until predicate(page) holds."""
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if predicate(page):
            return
    raise AssertionError(f"{what} was not reached with {TAB_LIMIT} Tab presses")


# ---------------------------------------------------------------- 1. a new account's one-time link

def test_admin_creates_a_student_who_sets_a_password_through_the_one_time_link(
        page, browser, live_server, browser_login, demo_program, make_user, make_term):
    admin = make_user("admin", name="Program Office")
    make_user("faculty", name="Prof. Alicia Moreno", email="moreno@example.edu")
    make_term("Fall 2031", date(2031, 8, 25), date(2031, 12, 19))
    browser_login(admin.email, PASSWORD)

    page.get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration sections").get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_label("Email").fill("nina.holt@example.edu")
    page.get_by_label("Name").fill("Nina Holt")
    page.get_by_label("Role").select_option(label="Student")
    expect(page.get_by_label("Program")).to_have_value(str(demo_program.id))  # the only program is preselected
    page.get_by_label("Concentration").select_option(label=f"Technical ({demo_program.code})")
    page.get_by_label("Track").select_option(label="Non-thesis")
    page.get_by_label("Start term").select_option(label="Fall 2031")
    page.get_by_label("Advisor").select_option(label="Prof. Alicia Moreno (moreno@example.edu)")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", name="Account created: Nina Holt")).to_be_visible()
    link_box = page.get_by_label("One-time link")
    expect(link_box).to_have_value(re.compile(r"/auth/reset/\S+$"))
    link = link_box.input_value()

    # Nina opens the link in her own browser (no cookies shared with the admin).
    context = browser.new_context(base_url=live_server)
    try:
        nina = context.new_page()
        nina.goto(link)
        expect(nina.get_by_role("heading", name="Set your password")).to_be_visible()
        expect(nina.get_by_text("nina.holt@example.edu")).to_be_visible()

        # Too short: refused at the field; the link still works and the form is there to try again.
        nina.get_by_label("New password", exact=True).fill("short")
        nina.get_by_label("Repeat the new password").fill("short")
        nina.get_by_role("button", name="Set password").click()
        new_password = nina.get_by_label("New password", exact=True)
        expect(new_password).to_have_attribute("aria-invalid", "true")
        expect(nina.locator("#new_password-error")).to_have_text("Use at least 10 characters.")
        expect(nina).to_have_url(link)
        expect(nina.get_by_text("nina.holt@example.edu")).to_be_visible()
        # Password inputs are deliberately not echoed back into the page; she types them again.
        new_password.fill("harbour lights at dawn")
        nina.get_by_label("Repeat the new password").fill("harbour lights at dawn")
        nina.get_by_role("button", name="Set password").click()
        expect(nina.get_by_text("Your password is set. Log in with it now.")).to_be_visible()

        nina.get_by_label("Email").fill("nina.holt@example.edu")
        nina.get_by_label("Password", exact=True).fill("harbour lights at dawn")
        nina.get_by_role("button", name="Log in").click()
        expect(nina).to_have_url(re.compile(r"/student$"))
        expect(nina.get_by_role("heading", name="Welcome, Nina Holt")).to_be_visible()
        expect(nina.get_by_text("Prof. Alicia Moreno")).to_be_visible()

        # The link worked once.
        nina.goto(link)
        expect(nina.get_by_role("alert")).to_contain_text("This password link has already been used.")
        expect(nina.get_by_label("New password", exact=True)).to_have_count(0)
    finally:
        context.close()


# ---------------------------------------------------------------- 2. milestone sign-off and undo

def test_a_milestone_signed_off_and_undone_by_the_advisor_shows_on_the_students_progress(
        page, browser, live_server, browser_login, demo_program, make_user, make_student):
    advisor = make_user("faculty", name="Prof. Alicia Moreno")
    student = make_student(program=demo_program, concentration="production", track="thesis", advisor=advisor,
                           name="Maya Chen")
    asked = _accept_dialogs(page)
    browser_login(advisor.email, PASSWORD)

    page.goto(f"/advising/students/{student.id}/milestones")
    expect(page.get_by_role("heading", name="Milestones: Maya Chen")).to_be_visible()
    page.get_by_label("Milestone", exact=True).select_option(label="Thesis proposal approved")
    expect(page.get_by_label("Date passed")).to_have_value(date.today().isoformat())
    page.get_by_label("Note").fill("Approved by the committee.")
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_text("Signed off “Thesis proposal approved” for Maya Chen.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Thesis proposal approved"))).to_contain_text("Prof. Alicia Moreno")

    context = browser.new_context(base_url=live_server)
    try:
        maya = context.new_page()
        _log_in(maya, student.email)
        maya.goto("/progress")
        card = maya.locator("#req-thesis-milestones")
        # The ordered milestone list (the "Still needed" list also names open milestones).
        proposal = card.locator("ol.list-group > li").filter(has_text="Thesis proposal approved")
        expect(proposal.get_by_text("Done", exact=True)).to_be_visible()
        expect(proposal).to_contain_text("Signed off by Prof. Alicia Moreno")
        expect(proposal).to_contain_text("Approved by the committee.")
        expect(card.get_by_text("1 of 4 milestones done")).to_be_visible()

        # The advisor undoes it after the browser asks.
        page.get_by_role("row", name=re.compile("Thesis proposal approved")).get_by_role(
            "button", name="Undo sign-off").click()
        expect(page.get_by_text("The sign-off of “Thesis proposal approved” is undone.")).to_be_visible()
        assert asked and "Undo the sign-off of “Thesis proposal approved”" in asked[-1]
        expect(page.get_by_role("row", name=re.compile("Thesis proposal approved"))).to_contain_text("Not signed off")

        maya.reload()
        expect(proposal.get_by_text("Ahead", exact=True)).to_be_visible()
        expect(proposal).to_contain_text("Not signed off yet")
        expect(card.get_by_text("Done", exact=True)).to_have_count(0)
    finally:
        context.close()


# ---------------------------------------------------------------- 3. what-if

def test_what_if_shows_both_audits_and_changes_nothing(page, browser_login, demo_program, terms, make_user,
                                                       make_student):
    advisor = make_user("faculty", name="Dr. Ben Okafor")
    student = make_student(program=demo_program, concentration="production", track="thesis", advisor=advisor,
                           name="Priya Raman", start_term=terms.first)
    for code in ("MPT 601", "MPT 611", "MPT 621", "MPT 622"):
        add_course(student, code, terms.first)
    browser_login(student.email, PASSWORD)

    page.get_by_role("link", name="Progress").click()
    expect(page.get_by_text("Production concentration · Thesis track")).to_be_visible()
    overall_before = page.locator("[data-overall-percent]").inner_text()
    concentration_before = page.locator("#req-concentration").inner_text()

    page.get_by_role("link", name="What if…").click()
    expect(page.get_by_text("Currently: Production, Thesis.")).to_be_visible()
    page.get_by_label("Concentration").select_option(label="Technical")
    page.get_by_label("Track").select_option(label="Non-thesis")
    page.get_by_role("button", name="Compare").click()

    expect(page.get_by_role("heading", name="Now: Production, Thesis")).to_be_visible()
    expect(page.get_by_role("heading", name="What if: Technical, Non-thesis")).to_be_visible()
    expect(page.locator("[data-overall-percent]")).to_have_count(2)
    expect(page.locator("[data-overall-percent]").first).to_have_text(overall_before)
    # Production counts MPT 611 only; Technical counts MPT 621 and MPT 622.
    concentration = page.get_by_role("row", name=re.compile(r"^Concentration courses"))
    expect(concentration.get_by_role("cell").nth(0)).to_contain_text("3 of 12 credits")
    expect(concentration.get_by_role("cell").nth(1)).to_contain_text("6 of 12 credits")
    thesis = page.get_by_role("row", name=re.compile(r"^Thesis milestones"))
    expect(thesis.get_by_role("cell").nth(0)).not_to_contain_text("Does not apply")
    expect(thesis.get_by_role("cell").nth(1)).to_have_text("Does not apply")
    capstone = page.get_by_role("row", name=re.compile(r"^Capstone project"))
    expect(capstone.get_by_role("cell").nth(0)).to_have_text("Does not apply")
    expect(capstone.get_by_role("cell").nth(1)).not_to_contain_text("Does not apply")

    # Nothing was saved: the real progress page and the what-if form still show the real enrollment.
    page.get_by_role("link", name="Your progress").click()
    expect(page.get_by_role("heading", name="Your degree progress")).to_be_visible()
    expect(page.get_by_text("Production concentration · Thesis track")).to_be_visible()
    expect(page.locator("[data-overall-percent]")).to_have_text(overall_before)
    assert page.locator("#req-concentration").inner_text() == concentration_before
    expect(page.locator("#req-thesis-milestones")).to_be_visible()
    expect(page.locator("#req-capstone")).to_have_count(0)
    page.goto("/progress/what-if")
    expect(page.get_by_text("Currently: Production, Thesis.")).to_be_visible()
    expect(page.get_by_label("Concentration")).to_have_value("production")
    expect(page.get_by_label("Track")).to_have_value("thesis")


# ---------------------------------------------------------------- 4. a closed term

def test_after_the_admin_closes_the_term_a_student_cannot_log_a_session_in_it(
        page, browser, live_server, browser_login, make_user, make_student, make_studio, make_term):
    admin = make_user("admin", name="Program Office")
    advisor = make_user("faculty", name="Prof. Lena Adler")
    student = make_student(name="Robin Vega", advisor=advisor)
    make_studio("Studio A")
    term = make_term("Spring term")  # around today
    yesterday = (date.today() - timedelta(days=1)).isoformat()

    asked = _accept_dialogs(page)
    browser_login(admin.email, PASSWORD)
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration sections").get_by_role("link", name="Terms").click()
    row = page.get_by_role("row", name=re.compile(term.name))
    expect(row.get_by_text("Open", exact=True)).to_be_visible()
    row.get_by_role("button", name="Close").click()
    expect(page.get_by_text(f"{term.name} is closed. Only administrators can now log or change its studio "
                            "sessions.")).to_be_visible()
    assert asked and asked[-1].startswith(f"Close {term.name}?")
    expect(row.get_by_text("Closed", exact=True)).to_be_visible()

    context = browser.new_context(base_url=live_server)
    try:
        robin = context.new_page()
        _log_in(robin, student.email)
        fill_session_form(robin, yesterday, "12:30")
        robin.get_by_role("button", name="Log session").click()

        day = robin.get_by_label("Date")
        expect(day).to_have_attribute("aria-invalid", "true")
        expect(robin.locator("#date-error")).to_contain_text(
            f"{term.name} is closed: its sessions can no longer be logged or changed.")
        expect(day).to_have_value(yesterday)
        expect(robin.get_by_label("Start", exact=True)).to_have_value("10:00")
        expect(robin.get_by_label("End", exact=True)).to_have_value("12:30")
        expect(robin.get_by_label("Project title")).to_have_value("Harbour Lights EP")
        expect(robin.get_by_label("Supervising faculty member")).to_have_value(str(advisor.id))

        robin.get_by_role("link", name="Studio", exact=True).click()
        expect(robin.get_by_role("cell", name="Harbour Lights EP")).to_have_count(0)  # nothing was logged
    finally:
        context.close()


# ---------------------------------------------------------------- 5. keyboard only

def test_log_in_and_reach_the_studio_page_with_the_keyboard_only(page, make_user, make_student):
    advisor = make_user("faculty", name="Prof. Alicia Moreno")
    student = make_student(name="Jonah Park", advisor=advisor)

    page.goto("/auth/login")
    _tab_until(page, lambda p: p.evaluate("document.activeElement.id") == "email", "The email field")
    page.keyboard.type(student.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Welcome, Jonah Park")).to_be_visible()

    _tab_until(page, lambda p: _active_text(p) == "Studio", "The Studio link")
    studio_link = page.get_by_role("link", name="Studio", exact=True)
    expect(studio_link).to_be_focused()
    # A visible focus indicator: an outline or a focus ring (box-shadow) on the focused link.
    page.wait_for_function("""() => {
        const s = getComputedStyle(document.activeElement);
        const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
        return outline || s.boxShadow !== 'none';
    }""")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/studio$"))
    expect(page.get_by_role("heading", name="Your studio sessions")).to_be_visible()
