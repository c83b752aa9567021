"""First journeys: a student and a faculty member log in through the form and see their own dashboard."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from ..fixtures.app import PASSWORD


def test_student_logs_in_and_sees_their_dashboard(page, browser_login, make_student, make_user):
    advisor = make_user("faculty", name="Prof. Alicia Moreno")
    student = make_student(concentration="technical", track="non_thesis", advisor=advisor, name="Jonah Park")
    browser_login(student.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/student$"))
    expect(page.get_by_role("heading", name="Welcome, Jonah Park")).to_be_visible()
    expect(page.get_by_text("Technical")).to_be_visible()
    expect(page.get_by_text("Non-thesis")).to_be_visible()
    expect(page.get_by_text("Prof. Alicia Moreno")).to_be_visible()


def test_faculty_logs_in_and_sees_their_dashboard(page, browser_login, make_student, make_user):
    faculty = make_user("faculty", name="Dr. Ben Okafor")
    make_student(advisor=faculty, name="Priya Raman")
    browser_login(faculty.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/faculty$"))
    expect(page.get_by_role("heading", name="Welcome, Dr. Ben Okafor")).to_be_visible()
    expect(page.get_by_role("cell", name="Priya Raman")).to_be_visible()


def test_wrong_password_keeps_the_email_and_says_why(page, browser_login, make_student):
    student = make_student()
    browser_login(student.email, "not-the-password")
    expect(page.get_by_text("Email or password is incorrect.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(student.email)


def test_logout_from_the_menu(page, browser_login, make_student):
    student = make_student(name="Maya Chen")
    browser_login(student.email, PASSWORD)
    page.get_by_role("button", name=re.compile("Maya Chen")).click()  # the account menu
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    page.goto("/dashboard/student")
    expect(page).to_have_url(re.compile(r"/auth/login"))
