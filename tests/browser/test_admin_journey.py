"""Administration journeys in a real browser: importing students from CSV, and a substitution reaching the student's
progress page."""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from ..fixtures.app import PASSWORD
from ..progress_support import course
from .journey_support import log_in

HEADER = "email,name,concentration,track,start term,advisor\n"


def csv_file(text: str) -> dict:
    return {"name": "students.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")}


def test_admin_imports_students_after_fixing_a_bad_row(page, browser_login, make_user, make_program, make_term):
    admin = make_user("admin", name="Program Office")
    make_program()
    make_term("Fall 2030", date(2030, 8, 26), date(2030, 12, 13))
    make_user("faculty", email="moreno@example.edu", name="Alicia Moreno")
    browser_login(admin.email, PASSWORD)

    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="Import students", exact=True).first.click()
    expect(page.get_by_role("heading", name="Import students from a CSV file")).to_be_visible()

    bad = HEADER + (
        "ana.silva@example.edu,Ana Silva,production,thesis,Fall 2030,moreno@example.edu\n"
        "leo.brandt@example.edu,Leo Brandt,jazz,thesis,Fall 2030,moreno@example.edu\n"
    )
    page.get_by_label("CSV file").set_input_files(files=[csv_file(bad)])
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("1 problem found; nothing was imported.")).to_be_visible()
    problems = page.locator("#import-problems")
    expect(problems.get_by_role("cell", name="3", exact=True)).to_be_visible()
    expect(problems.get_by_role("cell", name="concentration", exact=True)).to_be_visible()
    expect(problems.get_by_text("unknown concentration “jazz”")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Import \d"))).to_have_count(0)

    fixed = bad.replace(",jazz,", ",Technical,")
    page.get_by_label("CSV file").set_input_files(files=[csv_file(fixed)])
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("All 2 rows are correct.")).to_be_visible()
    page.get_by_role("button", name="Import 2 students").click()

    expect(page.get_by_role("heading", name=re.compile("2 students imported"))).to_be_visible()
    links = page.locator("#imported-students code")
    expect(links).to_have_count(2)
    expect(links.first).to_contain_text("/auth/reset/")

    page.get_by_role("link", name="See all students").click()
    expect(page.get_by_role("link", name="Ana Silva")).to_be_visible()
    expect(page.get_by_role("link", name="Leo Brandt")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Leo Brandt"))
    expect(row).to_contain_text("Technical · Thesis")
    expect(row).to_contain_text("Alicia Moreno")
    expect(row).to_contain_text("No password yet")


def test_a_substitution_shows_on_the_students_progress_page(page, browser, live_server, browser_login, demo_program,
                                                            make_user, make_student, make_term, make_course_record):
    advisor = make_user("faculty", name="Alicia Moreno")
    student = make_student(program=demo_program, concentration="production", track="thesis", advisor=advisor,
                           name="Maya Chen")
    past = make_term("Spring 2026", date.today() - timedelta(days=200), date.today() - timedelta(days=100))
    record = make_course_record(student, course("MPT 621"), past, grade="A")  # a technical-concentration course

    browser_login(advisor.email, PASSWORD)
    page.goto(f"/advising/students/{student.id}/exceptions")
    expect(page.get_by_role("heading", name="Exceptions for Maya Chen")).to_be_visible()
    page.get_by_label("Course taken").select_option(str(record.id))
    page.get_by_label("Counts toward").select_option("concentration")
    page.locator("#sub-justification").fill("Signal processing content matches the production seminar.")
    page.get_by_role("button", name="Record substitution").click()
    expect(page.get_by_text("The exception is recorded")).to_be_visible()
    expect(page.locator("#exception-list")).to_contain_text("MPT 621")

    context = browser.new_context(base_url=live_server)
    student_page = context.new_page()
    try:
        log_in(student_page, student.email)
        student_page.goto("/progress")
        block = student_page.locator("#req-concentration")  # the concentration requirement's block
        expect(block.get_by_text("Exception · Substitution")).to_be_visible()
        expect(block).to_contain_text("MPT 621")
        expect(block).to_contain_text("Signal processing content matches the production seminar.")
    finally:
        context.close()
