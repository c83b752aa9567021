"""A student adds a variable-credit course and sees its credits on the progress page; a page of nested groups is
accessible (axe), fits a phone and works by keyboard."""
from __future__ import annotations

import re
from decimal import Decimal

import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tracker.extensions import db
from tracker.models import Course

from ..fixtures.app import PASSWORD
from .journey_support import OPEN_DETAILS, log_in, serious_violations


def test_a_student_adds_a_variable_credit_course_and_sees_its_credits(page, browser_login, demo_program, terms,
                                                                      make_student):
    elective = db.session.scalar(sa.select(Course).where(Course.code == "MPT 663"))
    elective.credits, elective.max_credits = Decimal(1), Decimal(3)
    db.session.commit()
    student = make_student(name="Maya Chen")
    browser_login(student.email, PASSWORD)

    page.goto("/courses")
    page.get_by_role("link", name="Add a course").click()
    credits = page.get_by_label("Credits (variable-credit courses only)")
    course = page.get_by_label("Course", exact=True)
    # The credits field is asked for only while a variable-credit course is chosen.
    expect(credits).to_be_hidden()
    course.select_option(label="MPT 601 Record Analysis (3 cr)")
    expect(credits).to_be_hidden()
    course.select_option(label="MPT 663 Music Business & Copyright (1–3 cr)")
    expect(credits).to_be_visible()
    page.get_by_label("Term").select_option(label="Past term B")
    page.get_by_label("Status").select_option(label="Completed")
    page.get_by_label("Grade").select_option(label="A")

    # Out of range: refused at the field, what was typed kept.
    credits.fill("4")
    page.get_by_role("button", name="Add course").click()
    expect(page.locator("#credits-error")).to_contain_text("MPT 663 carries from 1 to 3 credits")
    expect(credits).to_have_value("4")
    expect(credits).to_be_visible()

    credits.fill("2.5")
    page.get_by_role("button", name="Add course").click()
    expect(page.get_by_text("Added MPT 663 in Past term B.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"MPT 663 .* 2\.5"))).to_be_visible()

    page.get_by_role("link", name="Progress").first.click()
    electives = page.locator("#req-electives")
    expect(electives).to_contain_text("2.5 of 6 credits done")
    electives.get_by_text("Records counted (1)").click()
    expect(electives.get_by_text(re.compile(r"MPT 663 .*\(Past term B\) — 2\.5 cr"))).to_be_visible()


def test_nested_groups_are_accessible_fit_a_phone_and_work_by_keyboard(browser, live_server, demo_program,
                                                                      make_student, handmade):
    student = make_student(name="Maya Chen")
    context = browser.new_context(base_url=live_server, viewport={"width": 375, "height": 740})
    try:
        page = context.new_page()
        log_in(page, student.email)
        page.goto("/progress")
        culminating = page.locator("#req-culminating")
        expect(culminating.get_by_role("heading", name="Thesis or portfolio")).to_be_visible()
        options = culminating.get_by_role("list", name="Options of Thesis or portfolio")
        expect(options.get_by_role("listitem", name="Thesis option")).to_contain_text("Counts")
        expect(options.get_by_role("listitem", name="Portfolio option")).to_contain_text("Not counted")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the progress page scrolls sideways by {overflow}px at phone width"

        # By keyboard: focus the not-counted option's details summary and open it with Enter.
        summary = page.locator("#req-portfolio-option summary")
        summary.focus()
        expect(summary).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#req-portfolio-option").get_by_text("Recital")).to_be_visible()

        page.evaluate(OPEN_DETAILS)
        problems = serious_violations(Axe().run(page))
        assert not problems, "\n".join(problems)
        page.goto("/progress/what-if?concentration=technical&track=thesis")
        page.evaluate(OPEN_DETAILS)
        problems = serious_violations(Axe().run(page))
        assert not problems, "\n".join(problems)
    finally:
        context.close()
