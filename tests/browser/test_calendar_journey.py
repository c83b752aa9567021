"""A student finds Calendar feeds in the account menu, makes their addresses, a calendar app fetches the feed, and
rotating (after a confirmation) makes the old address stop working; the page passes axe and fits a phone."""
from __future__ import annotations

import re
from datetime import date, time, timedelta

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tracker.extensions import db
from tracker.models import BookingKind, BookingStatus, StudioBooking

from ..fixtures.app import PASSWORD
from .journey_support import serious_violations

FEED = re.compile(r"https?://[^\s<]+/calendar/[\w-]{32,}/mine\.ics")


def test_make_use_and_rotate_calendar_addresses(page, browser, live_server, browser_login, make_student,
                                                make_studio):
    student = make_student(name="Maya Chen")
    studio = make_studio("Studio A")
    db.session.add(StudioBooking(studio_id=studio.id, user_id=student.id, booked_by_id=student.id,
                                 kind=BookingKind.BOOKING, date=date.today() + timedelta(days=2),
                                 start_time=time(10), end_time=time(12), purpose="Mixing thesis tracks",
                                 status=BookingStatus.ACTIVE))
    db.session.commit()

    browser_login(student.email, PASSWORD)
    page.get_by_role("button", name="Maya Chen (Student)").click()
    page.get_by_role("link", name="Calendar feeds").click()
    page.get_by_role("button", name="Make my calendar addresses").click()
    expect(page.get_by_text("Your calendar addresses are ready.")).to_be_visible()
    address = FEED.search(page.locator("main").inner_text()).group(0)
    expect(page.get_by_role("heading", name="Studio A")).to_be_visible()
    assert serious_violations(Axe().run(page)) == []

    # A calendar app, with no login, fetches the feed.
    app_client = browser.new_context()
    try:
        feed = app_client.request.get(address)
        assert feed.status == 200 and "SUMMARY:Studio A booking: Mixing thesis tracks" in feed.text()

        asked = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        page.get_by_role("button", name="Rotate: replace my addresses").click()
        expect(page.get_by_text("Your calendar addresses were replaced")).to_be_visible()
        assert asked and "stop working" in asked[0]
        new_address = FEED.search(page.locator("main").inner_text()).group(0)
        assert new_address != address
        assert app_client.request.get(address).status == 404
        assert app_client.request.get(new_address).status == 200
    finally:
        app_client.close()

    # At a phone's width the long addresses wrap instead of pushing the page sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
