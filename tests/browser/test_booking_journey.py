"""A student books studio time in the browser: the week calendar, a free slot, the pre-filled form, My bookings;
then logs a booking that has taken place from the dashboard's "Log this session", the form filled from it."""
from __future__ import annotations

import re
from datetime import date, time, timedelta

from playwright.sync_api import expect

from tracker.extensions import db
from tracker.models import StudioBooking, StudioOpeningHours

from ..fixtures.app import PASSWORD


def test_student_books_a_free_slot_then_logs_a_past_booking(page, browser_login, make_student, make_user,
                                                           make_studio, make_term):
    advisor = make_user("faculty", name="Prof. Alicia Moreno")
    student = make_student(advisor=advisor, name="Maya Chen")
    other = make_student(name="Ethan Brooks")
    make_term("Current term")
    studio = make_studio("Studio A")
    for weekday in range(7):
        db.session.add(StudioOpeningHours(studio_id=studio.id, weekday=weekday, opens_at=time(9),
                                          closes_at=time(21)))
    next_monday = date.today() + timedelta(days=7 - date.today().weekday())
    two_days_ago = date.today() - timedelta(days=2)
    db.session.add_all([
        # Ethan holds Monday 10:00-12:00: Maya sees it as "Booked".
        StudioBooking(studio_id=studio.id, user_id=other.id, booked_by_id=other.id, date=next_monday,
                      start_time=time(10), end_time=time(12), purpose="Drums"),
        # Maya's booking of two days ago, which she has not logged yet.
        StudioBooking(studio_id=studio.id, user_id=student.id, booked_by_id=student.id, date=two_days_ago,
                      start_time=time(13), end_time=time(16), purpose="Vocal comping", project="Lanterns EP"),
    ])
    db.session.commit()
    browser_login(student.email, PASSWORD)

    # The week calendar: next week, the taken slot says only "Booked", a free slot is a link.
    page.get_by_role("link", name="Bookings", exact=True).click()
    expect(page.get_by_role("heading", name="Book a studio")).to_be_visible()
    page.get_by_role("link", name="Next week →").click()
    grid = page.locator("#booking-grid")
    expect(grid.get_by_text("Booked 10:00–12:00").first).to_be_visible()
    expect(grid).not_to_contain_text("Ethan Brooks")
    slot = grid.get_by_role("link", name=re.compile(f"^Free slot: book {next_monday:%a %-d %b %Y} 14:00–15:00$"))
    slot.focus()
    page.keyboard.press("Enter")

    # The form comes filled in with the slot; Maya makes it two hours and says what it is for.
    expect(page.get_by_label("Date")).to_have_value(next_monday.isoformat())
    expect(page.get_by_label("Start", exact=True)).to_have_value("14:00")
    expect(page.get_by_label("Studio", exact=True)).to_have_value(str(studio.id))
    page.get_by_label("End", exact=True).fill("16:00")
    page.get_by_label("Purpose").fill("Guitar overdubs")
    page.get_by_role("button", name="Book").click()
    expect(page).to_have_url(re.compile(r"/bookings/mine$"))
    expect(page.get_by_text(f"Booked Studio A on {next_monday:%a %-d %b %Y}, 14:00–16:00.")).to_be_visible()
    row = page.locator("#upcoming-bookings").get_by_role("row", name=re.compile("Guitar overdubs"))
    expect(row).to_contain_text("14:00–16:00")
    expect(row.get_by_role("button", name="Cancel")).to_be_visible()

    # At phone width the week is a list, day by day, with the booking in it.
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"/bookings?studio={studio.id}&week={next_monday.isoformat()}")
    expect(page.locator("#booking-grid")).to_be_hidden()
    expect(page.locator("#booking-list").get_by_text("Your booking 14:00–16:00")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 800})

    # The dashboard offers to log the booking of two days ago; the form comes filled in from it.
    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name=re.compile("Log this session")).click()
    expect(page.get_by_label("Date")).to_have_value(two_days_ago.isoformat())
    expect(page.get_by_label("Studio", exact=True)).to_have_value(str(studio.id))
    expect(page.get_by_label("Start", exact=True)).to_have_value("13:00")
    expect(page.get_by_label("End", exact=True)).to_have_value("16:00")
    expect(page.get_by_label("Project title")).to_have_value("Lanterns EP")
    page.get_by_label("Activity").select_option(label="Tracking")
    page.get_by_label("Your role").select_option(label="Engineer")
    page.get_by_role("button", name="Log session").click()
    expect(page).to_have_url(re.compile(r"/studio$"))
    expect(page.get_by_text("Session logged: 3 hours, waiting for review.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Lanterns EP"))).to_contain_text("13:00–16:00")

    # The booking now points at its session, and the dashboard no longer asks.
    page.get_by_role("link", name="Bookings", exact=True).click()
    page.get_by_role("link", name="My bookings").click()
    expect(page.locator("#past-bookings").get_by_role("link", name="Session logged")).to_be_visible()
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_role("link", name=re.compile("Log this session"))).to_have_count(0)
