"""A student's week in the browser: add a course from the catalog, log a studio session, fix a refused field and
see the session waiting for review."""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from ..fixtures.app import PASSWORD


def test_student_adds_a_course_and_logs_a_studio_session(page, browser_login, make_student, make_user, make_course,
                                                         make_term, make_studio):
    advisor = make_user("faculty", name="Prof. Alicia Moreno")
    student = make_student(advisor=advisor, name="Maya Chen")
    make_term("Current term")
    make_course(code="MPT 601", title="Critical Listening", credits=3)
    make_course(code="MPT 602", title="Recording Techniques", credits=3)
    make_studio("Studio A")
    browser_login(student.email, PASSWORD)

    # A course from the catalog, found by typing in the filter.
    page.get_by_role("link", name="Courses").click()
    page.get_by_role("link", name="Add a course").click()
    page.wait_for_load_state("load")  # the filter is app.js's: typing before it runs would filter nothing
    page.get_by_label("Find a course").fill("recording")
    expect(page.locator("#course_id option", has_text="Critical Listening")).to_have_attribute("hidden", "")
    course_select = page.get_by_label("Course", exact=True)
    course_select.select_option(label="MPT 602 Recording Techniques (3 cr)")
    page.get_by_label("Status").select_option(label="Completed")
    page.get_by_label("Grade").select_option("A-")
    page.get_by_role("button", name="Add course").click()
    expect(page.get_by_text("Added MPT 602 in Current term.")).to_be_visible()
    expect(page.get_by_role("cell", name="Recording Techniques")).to_be_visible()
    expect(page.get_by_text("Completed 3 cr")).to_be_visible()

    # A studio session whose end is before its start: refused at the field, the typed values stay.
    page.get_by_role("link", name="Studio").click()
    page.get_by_role("link", name="Log a session").click()
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    page.get_by_label("Date").fill(yesterday)
    page.get_by_label("Studio", exact=True).select_option(label="Studio A")
    page.get_by_label("Start", exact=True).fill("14:00")
    page.get_by_label("End", exact=True).fill("12:00")
    page.get_by_label("Activity").select_option(label="Tracking")
    page.get_by_label("Project title").fill("Lanterns EP")
    page.get_by_label("Your role").select_option(label="Engineer")
    expect(page.get_by_label("Supervising faculty member")).to_have_value(str(advisor.id))
    page.get_by_role("button", name="Log session").click()

    end = page.get_by_label("End", exact=True)
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#end_time-error")).to_contain_text("The end time must be after the start time")
    expect(page.get_by_label("Project title")).to_have_value("Lanterns EP")
    expect(page.get_by_label("Start", exact=True)).to_have_value("14:00")
    expect(page.get_by_label("Date")).to_have_value(yesterday)

    end.fill("17:30")
    page.get_by_role("button", name="Log session").click()
    expect(page).to_have_url(re.compile(r"/studio$"))
    expect(page.get_by_text("Session logged: 3.5 hours, waiting for review.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Lanterns EP"))
    expect(row).to_contain_text("14:00–17:30")
    expect(row).to_contain_text("Waiting for review")

    # The session's page tells the same story, with its history.
    row.get_by_role("link").first.click()
    expect(page.get_by_text("Waiting for review by Prof. Alicia Moreno")).to_be_visible()
    expect(page.get_by_role("cell", name="Maya Chen")).to_be_visible()
