"""The booking-settings and reconciliation journey in a real browser: an admin sets a studio's week, closes it for
a few days and takes the closure back, then reads the reconciliation report; axe finds nothing serious on either page,
and both fit a phone's width."""
from __future__ import annotations

import os
from datetime import date, time, timedelta

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tracker.models import BookingKind, BookingStatus, StudioBooking

from ..fixtures import saved
from ..fixtures.app import PASSWORD
from .journey_support import log_in, serious_violations

SHOTS = os.environ.get("SCREENSHOT_DIR")  # set it to keep screenshots of the pages for a look


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_an_admin_sets_the_week_closes_the_studio_and_reads_the_report(page, browser, live_server, make_user,
                                                                      make_student, make_studio, make_term,
                                                                      make_session):
    admin = make_user("admin", name="Dana Director")
    faculty = make_user("faculty", name="Prof. Ada")
    student = make_student(name="Robin Vega", advisor=faculty)
    studio = make_studio("Studio A")
    make_term("Current term")
    day = date.today() - timedelta(days=2)
    make_session(student, faculty, day=day, start="10:30", hours=1.5, studio=studio)
    saved(StudioBooking(studio_id=studio.id, user_id=student.id, booked_by_id=student.id, kind=BookingKind.BOOKING,
                        date=day, start_time=time(10), end_time=time(12), purpose="Mix", status=BookingStatus.ACTIVE))
    saved(StudioBooking(studio_id=studio.id, user_id=student.id, booked_by_id=student.id, kind=BookingKind.BOOKING,
                        date=day - timedelta(days=1), start_time=time(10), end_time=time(12), purpose="Overdubs",
                        status=BookingStatus.ACTIVE))
    log_in(page, admin.email, PASSWORD)

    page.goto("/admin/studios")
    page.get_by_role("link", name="Booking settings Studio A").click()
    for day_name in ("Monday", "Tuesday"):
        page.get_by_label(f"Closed on {day_name}").uncheck()
        page.get_by_label(f"Opens on {day_name}").fill("09:00")
        page.get_by_label(f"Closes on {day_name}").fill("08:00")
    page.get_by_role("button", name="Save booking settings").click()
    expect(page.locator("#day0_closes_at-error")).to_contain_text("closing time must be after")
    expect(page.locator("#day1_closes_at-error")).to_contain_text("closing time must be after")
    _shot(page, "studio-settings-errors")
    page.get_by_label("Closes on Monday").fill("22:00")
    page.get_by_label("Closes on Tuesday").fill("22:00")
    page.get_by_role("button", name="Save booking settings").click()
    expect(page.get_by_text("Saved the booking settings of Studio A.")).to_be_visible()

    page.get_by_label("First day").fill("2030-12-24")
    page.get_by_label("Last day").fill("2030-12-26")
    page.get_by_label("Reason").fill("Winter break")
    page.get_by_role("button", name="Add closure").click()
    expect(page.locator("#closure-list")).to_contain_text("Winter break")
    _shot(page, "studio-settings")
    results = Axe().run(page)
    assert serious_violations(results) == []
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#closure-list").get_by_role("button", name="Remove").click()
    expect(page.get_by_text("Removed the closure")).to_be_visible()
    expect(page.locator("#closure-list")).to_contain_text("No closures.")

    page.goto("/dashboard/admin")
    page.get_by_role("link", name="Reconciliation: no-shows, unbooked sessions, late cancellations").click()
    expect(page.locator("#mismatches")).to_contain_text("+30 min")
    expect(page.locator("#no-shows")).to_contain_text("Overdubs")
    _shot(page, "reconciliation")
    results = Axe().run(page)
    assert serious_violations(results) == []

    phone = browser.new_context(base_url=live_server, viewport={"width": 375, "height": 800})
    small = phone.new_page()
    log_in(small, admin.email, PASSWORD)
    for url in (f"/admin/studios/{studio.id}/settings", "/reconciliation"):
        small.goto(url)
        assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), url
    _shot(small, "reconciliation-phone")
    phone.close()
