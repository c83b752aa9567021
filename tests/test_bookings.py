"""Studio bookings: booking a slot and every refusal, blocked time, cancelling (and late cancelling), who sees and
cancels what, the week calendar and its query count, "Log this session" from a booking, and two students booking
the same slot at the same moment (PostgreSQL)."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import (
    BookingKind,
    BookingStatus,
    Enrollment,
    HistoryEvent,
    Program,
    StudioBooking,
    StudioClosure,
    StudioOpeningHours,
    StudioSession,
    User,
)
from tracker.services import ServiceError, bookings

from .db_support import at_once
from .html_support import field_error, page_text, visible_text

TODAY = date.today()
TOMORROW = TODAY + timedelta(days=1)
NOW = datetime.combine(TODAY, time(12, 0))  # the services' clock in the tests that pass it
T = time.fromisoformat


def open_every_day(studio, opens="08:00", closes="22:00"):
    for weekday in range(7):
        db.session.add(StudioOpeningHours(studio_id=studio.id, weekday=weekday, opens_at=T(opens), closes_at=T(closes)))
    db.session.commit()
    return studio


@pytest.fixture
def studio(make_studio):
    return open_every_day(make_studio("Studio A"))


@pytest.fixture
def people(make_user, make_student):
    advisor = make_user("faculty", name="Prof. Alicia Moreno")
    return {
        "maya": make_student(name="Maya Chen", advisor=advisor),
        "ethan": make_student(name="Ethan Brooks"),
        "advisor": advisor,
        "faculty": make_user("faculty", name="Dr. Ben Okafor"),
        "admin": make_user("admin", name="Dr. Helena Voss"),
    }


def book(actor, studio, day=TOMORROW, start="14:00", end="16:00", purpose="Tracking drums", project="Lanterns EP",
         for_user=None, now=NOW):
    return bookings.book(actor, studio.id, for_user.id if for_user else None, day, T(start), T(end), purpose,
                         project, now=now)


def refusal(actor, studio, **kwargs) -> list[tuple[str | None, str]]:
    with pytest.raises(ServiceError) as err:
        book(actor, studio, **kwargs)
    return err.value.problems


def set_program(student, **settings):
    program = db.session.scalar(sa.select(Program).join(Enrollment).where(Enrollment.student_id == student.id))
    for name, value in settings.items():
        setattr(program, name, value)
    db.session.commit()


def events(booking_id):
    return db.session.scalars(sa.select(HistoryEvent).where(
        HistoryEvent.entity_type == "studio_booking", HistoryEvent.entity_id == booking_id)
        .order_by(HistoryEvent.id)).all()


def client_of(app, user):
    """A browser of its own, logged in as `user`."""
    client = app.test_client()
    assert client.login(user.email).status_code == 302
    return client


def past_booking(student, studio, day=None, start="10:00", end="13:00", purpose="Mixing the single", project=""):
    """A booking that has already taken place (made by a fixture: the service refuses the past)."""
    row = StudioBooking(studio_id=studio.id, user_id=student.id, booked_by_id=student.id, kind=BookingKind.BOOKING,
                        date=day or TODAY - timedelta(days=2), start_time=T(start), end_time=T(end),
                        purpose=purpose, project=project)
    db.session.add(row)
    db.session.commit()
    return row


# ---------------------------------------------------------------- booking

def test_a_student_books_a_free_slot_and_the_history_records_it(studio, people):
    booking = book(people["maya"], studio)
    assert (booking.user_id, booking.booked_by_id, booking.kind, booking.status) == (
        people["maya"].id, people["maya"].id, BookingKind.BOOKING, BookingStatus.ACTIVE)
    assert (booking.minutes, booking.project) == (120, "Lanterns EP")
    [event] = events(booking.id)
    assert event.action == "studio_booking.booked" and event.actor_id == people["maya"].id
    assert event.subject_id == people["maya"].id and "Studio A" in event.summary


def test_an_overlap_names_who_has_the_slot(studio, people):
    book(people["maya"], studio, start="14:00", end="16:00")
    assert refusal(people["ethan"], studio, start="15:00", end="17:00") == [
        ("start_time", "Already booked by Maya Chen 14:00–16:00.")]
    # Touching is not overlapping.
    assert book(people["ethan"], studio, start="16:00", end="17:00").id


def test_blocked_time_cannot_be_booked(studio, people):
    bookings.block(people["admin"], studio, TOMORROW, T("09:00"), T("12:00"), "Maintenance", now=NOW)
    assert refusal(people["maya"], studio, start="11:00", end="13:00") == [
        ("start_time", "Studio A is blocked 09:00–12:00: Maintenance.")]


def test_outside_opening_hours_is_refused(make_studio, people):
    studio = open_every_day(make_studio("Studio B"), "09:00", "18:00")
    [(field, message)] = refusal(people["maya"], studio, start="17:00", end="19:00")
    assert field == "start_time" and "Studio B is open 09:00–18:00 on" in message


def test_a_weekday_without_opening_hours_is_closed(make_studio, people):
    studio = make_studio("Studio C")
    db.session.add(StudioOpeningHours(studio_id=studio.id, weekday=(TOMORROW.weekday() + 1) % 7,
                                      opens_at=T("09:00"), closes_at=T("18:00")))
    db.session.commit()
    weekday = TOMORROW.strftime("%A")
    assert refusal(people["maya"], studio) == [("date", f"Studio C is closed on {weekday}s.")]


def test_a_closure_day_is_refused(studio, people):
    db.session.add(StudioClosure(studio_id=studio.id, starts_on=TODAY, ends_on=TOMORROW, reason="Console service",
                                 created_by_id=people["admin"].id))
    db.session.commit()
    [(field, message)] = refusal(people["maya"], studio)
    assert field == "date" and message.endswith("Console service.") and "Studio A is closed on" in message


def test_longer_than_the_studios_longest_booking_is_refused(studio, people):
    studio.max_booking_minutes = 180
    db.session.commit()
    assert refusal(people["maya"], studio, start="10:00", end="13:30") == [
        ("end_time", "A booking of Studio A lasts at most 3 h; this one is 3 h 30 min. Book a shorter slot.")]


def test_the_past_is_refused(studio, people):
    [(field, message)] = refusal(people["maya"], studio, day=TODAY - timedelta(days=1))
    assert field == "date" and "is in the past" in message
    # Earlier today (the clock says 12:00).
    assert refusal(people["maya"], studio, day=TODAY, start="10:00", end="11:00") == [
        ("start_time", "10:00 today has already passed: book a time from now on.")]


def test_more_than_the_weeks_ahead_is_refused(studio, people):
    studio.booking_weeks_ahead = 2
    db.session.commit()
    assert book(people["maya"], studio, day=TODAY + timedelta(weeks=2)).id
    [(field, message)] = refusal(people["maya"], studio, day=TODAY + timedelta(weeks=2, days=1))
    assert field == "date" and message.startswith("Studio A can be booked at most 2 weeks ahead, up to")


def test_the_weekly_quota_counts_the_iso_week_over_every_studio(studio, make_studio, people):
    other = open_every_day(make_studio("Studio B"))
    set_program(people["maya"], booking_weekly_quota_minutes=300)
    monday = bookings.week_of(TODAY) + timedelta(weeks=1)
    book(people["maya"], studio, day=monday, start="10:00", end="13:00")
    book(people["maya"], other, day=monday + timedelta(days=2), start="10:00", end="11:00")
    [(field, message)] = refusal(people["maya"], studio, day=monday + timedelta(days=6), start="10:00", end="12:00")
    assert field == "end_time"
    assert message.startswith("Your program allows 5 h of studio bookings a week; 4 h are already booked in the "
                              "week of") and message.endswith("so at most 1 h more.")
    # The next ISO week starts afresh; a cancelled booking frees its minutes.
    assert book(people["maya"], studio, day=monday + timedelta(days=7), start="10:00", end="14:00").id
    bookings.cancel(people["maya"], db.session.scalar(sa.select(StudioBooking).where(
        StudioBooking.date == monday + timedelta(days=2))), now=NOW)
    assert book(people["maya"], studio, day=monday + timedelta(days=6), start="10:00", end="12:00").id


def test_an_admin_booking_for_a_student_is_held_to_their_quota(studio, people):
    set_program(people["maya"], booking_weekly_quota_minutes=60)
    [(field, message)] = refusal(people["admin"], studio, for_user=people["maya"])
    assert field == "end_time" and message.startswith("Maya Chen's program allows 1 h")
    booking = book(people["admin"], studio, for_user=people["maya"], start="14:00", end="15:00")
    assert (booking.user_id, booking.booked_by_id) == (people["maya"].id, people["admin"].id)


def test_end_not_after_start_and_off_quarter_times_are_refused(studio, people):
    assert refusal(people["maya"], studio, start="16:00", end="16:00")[0][0] == "end_time"
    assert ("start_time", "Use a time on the quarter hour (:00, :15, :30 or :45).") in refusal(
        people["maya"], studio, start="14:10", end="16:00")


def test_an_inactive_studio_cannot_be_booked(studio, people):
    studio.active = False
    db.session.commit()
    assert refusal(people["maya"], studio) == [("studio_id", "Studio A is no longer in use, so it cannot be booked.")]


def test_students_and_faculty_book_only_for_themselves(studio, people):
    assert refusal(people["maya"], studio, for_user=people["ethan"]) == [
        ("for_user_id", "You can book only for yourself.")]
    assert refusal(people["faculty"], studio, for_user=people["maya"]) == [
        ("for_user_id", "You can book only for yourself.")]
    assert book(people["faculty"], studio).user_id == people["faculty"].id


def test_every_problem_is_reported_at_once(studio, people):
    studio.max_booking_minutes = 60
    db.session.commit()
    # Booked while the studio still took bookings six weeks ahead.
    book(people["ethan"], studio, day=TODAY + timedelta(weeks=6), start="10:00", end="11:00",
         now=NOW + timedelta(weeks=3))
    problems = refusal(people["maya"], studio, day=TODAY + timedelta(weeks=6), start="10:00", end="12:00",
                       purpose=" ")
    fields = sorted(field for field, _ in problems)
    assert fields == ["date", "end_time", "purpose", "start_time"], problems
    assert ("start_time", "Already booked by Ethan Brooks 10:00–11:00.") in problems


# ---------------------------------------------------------------- blocks

def test_an_admin_blocks_time_that_belongs_to_nobody(studio, people):
    blocked = bookings.block(people["admin"], studio, TOMORROW, T("08:00"), T("22:00"), "Annual service", now=NOW)
    assert (blocked.kind, blocked.user_id, blocked.purpose) == (BookingKind.BLOCK, None, "Annual service")
    assert [e.action for e in events(blocked.id)] == ["studio_booking.blocked"]
    with pytest.raises(ServiceError, match="Only an administrator"):
        bookings.block(people["faculty"], studio, TOMORROW + timedelta(days=1), T("08:00"), T("09:00"), "x", now=NOW)


def test_a_block_may_not_overlap_a_booking(studio, people):
    book(people["maya"], studio)
    with pytest.raises(ServiceError) as err:
        bookings.block(people["admin"], studio, TOMORROW, T("12:00"), T("15:00"), "Maintenance", now=NOW)
    assert err.value.problems == [("start_time", "Already booked by Maya Chen 14:00–16:00.")]


# ---------------------------------------------------------------- cancelling

def test_cancelling_frees_the_slot_at_once(studio, people):
    booking = book(people["maya"], studio, day=TODAY + timedelta(days=5))
    cancelled = bookings.cancel(people["maya"], booking, now=NOW)
    assert (cancelled.status, cancelled.late_cancellation, cancelled.cancelled_by_id) == (
        BookingStatus.CANCELLED, False, people["maya"].id)
    assert [e.action for e in events(booking.id)] == ["studio_booking.booked", "studio_booking.cancelled"]
    assert book(people["ethan"], studio, day=TODAY + timedelta(days=5)).id
    with pytest.raises(ServiceError, match="already cancelled"):
        bookings.cancel(people["maya"], booking, now=NOW)


def test_a_cancellation_inside_the_programs_window_is_recorded_as_late(studio, people):
    set_program(people["maya"], late_cancellation_hours=48)
    soon = book(people["maya"], studio, day=TOMORROW)                       # 26 hours ahead
    later = book(people["maya"], studio, day=TODAY + timedelta(days=3))     # 74 hours ahead
    assert bookings.cancel(people["maya"], soon, now=NOW).late_cancellation is True
    assert bookings.cancel(people["maya"], later, now=NOW).late_cancellation is False
    assert "(late)" in events(soon.id)[-1].summary


def test_only_the_person_or_an_admin_cancels_and_an_ended_booking_stays(studio, people):
    booking = book(people["maya"], studio)
    with pytest.raises(ServiceError, match="only your own"):
        bookings.cancel(people["ethan"], booking, now=NOW)
    with pytest.raises(ServiceError, match="already ended"):
        bookings.cancel(people["maya"], booking, now=datetime.combine(TOMORROW, time(17)))
    assert bookings.cancel(people["admin"], booking, now=NOW).status == BookingStatus.CANCELLED


# ---------------------------------------------------------------- the pages

def test_a_student_books_from_the_calendar_and_sees_it_in_my_bookings(client, studio, people):
    client.login(people["maya"].email)
    page = client.get(f"/bookings?studio={studio.id}&week={TOMORROW.isoformat()}")
    assert page.status_code == 200
    link = f"/bookings/new?studio={studio.id}&amp;date={TOMORROW.isoformat()}&amp;start=14:00&amp;end=15:00"
    assert link in page.get_data(as_text=True)
    assert "How booking works" in visible_text(page)
    form = client.get(link.replace("&amp;", "&"))
    text = page_text(form)
    assert f'value="{TOMORROW.isoformat()}"' in text and 'value="14:00"' in text and 'value="15:00"' in text
    assert "For" not in re.findall(r"<label[^>]*>([^<]*)</label>", text)  # no person select for students
    response = client.post_form("/bookings/new", {
        "studio_id": studio.id, "date": TOMORROW.isoformat(), "start_time": "14:00", "end_time": "15:30",
        "purpose": "Vocals", "project": ""})
    assert response.status_code == 302 and response.location.endswith("/bookings/mine")
    mine = visible_text(client.get("/bookings/mine"))
    assert "Studio A" in mine and "14:00–15:30" in mine and "Vocals" in mine


def test_a_refused_booking_keeps_the_input_and_shows_each_message_at_its_field(client, studio, people):
    book(people["ethan"], studio)
    client.login(people["maya"].email)
    response = client.post_form("/bookings/new", {
        "studio_id": studio.id, "date": TOMORROW.isoformat(), "start_time": "15:00", "end_time": "23:00",
        "purpose": "Overdubs"})
    assert response.status_code == 200
    assert "Already booked by Ethan Brooks 14:00–16:00." in field_error(response, "start_time")
    assert "at most 4 h" in field_error(response, "end_time")
    assert 'value="Overdubs"' in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count(StudioBooking.id))) == 1


def test_the_calendar_shows_who_to_staff_and_only_booked_to_other_students(app, studio, people):
    book(people["maya"], studio, purpose="Secret project")
    week = f"/bookings?studio={studio.id}&week={TOMORROW.isoformat()}"
    ethan_sees = visible_text(client_of(app, people["ethan"]).get(week))
    assert "Booked 14:00–16:00" in ethan_sees and "Maya Chen" not in ethan_sees
    assert "Your booking 14:00–16:00" in visible_text(client_of(app, people["maya"]).get(week))
    assert "Maya Chen 14:00–16:00" in visible_text(client_of(app, people["faculty"]).get(week))


def test_a_student_cannot_see_or_cancel_another_students_booking(app, studio, people):
    booking = book(people["maya"], studio)
    ethan = client_of(app, people["ethan"])
    assert ethan.get(f"/bookings/{booking.id}").status_code == 404
    assert ethan.post_form(f"/bookings/{booking.id}/cancel").status_code == 404
    db.session.expire_all()
    assert db.session.get(StudioBooking, booking.id).status == BookingStatus.ACTIVE
    assert "Tracking drums" in visible_text(client_of(app, people["maya"]).get(f"/bookings/{booking.id}"))
    # Her advisor sees it; another faculty member does not.
    assert client_of(app, people["advisor"]).get(f"/bookings/{booking.id}").status_code == 200
    assert client_of(app, people["faculty"]).get(f"/bookings/{booking.id}").status_code == 404


@pytest.mark.parametrize("url", ["/bookings/99999999999999999999", "/bookings/9223372036854775808/cancel",
                                 "/bookings?studio=99999999999999999999", "/bookings?studio=abc",
                                 "/studio/log?booking=99999999999999999999", "/studio/log?booking=x"])
def test_oversized_or_garbled_ids_are_404(client, studio, people, url):
    client.login(people["maya"].email)
    response = client.post_form(url) if url.endswith("/cancel") else client.get(url)
    assert response.status_code == 404


def test_cancel_from_my_bookings_by_post(client, studio, people):
    booking = book(people["maya"], studio, day=TODAY + timedelta(days=4))
    client.login(people["maya"].email)
    assert client.get(f"/bookings/{booking.id}/cancel").status_code == 405
    response = client.post_form(f"/bookings/{booking.id}/cancel")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(StudioBooking, booking.id).status == BookingStatus.CANCELLED
    assert "Cancelled" in visible_text(client.get("/bookings/mine"))


def test_an_admin_books_for_a_student_and_blocks_time_from_the_form(app, client, studio, people):
    client.login(people["admin"].email)
    form = page_text(client.get("/bookings/new"))
    assert "Maya Chen (Student)" in form and "Block this time" in form
    response = client.post_form("/bookings/new", {
        "studio_id": studio.id, "date": TOMORROW.isoformat(), "start_time": "10:00", "end_time": "12:00",
        "purpose": "Masterclass prep", "for_user_id": people["maya"].id})
    assert response.status_code == 302
    response = client.post_form("/bookings/new", {
        "studio_id": studio.id, "date": TOMORROW.isoformat(), "start_time": "12:00", "end_time": "20:00",
        "purpose": "Console maintenance", "block": "y"})
    assert response.status_code == 302
    rows = db.session.scalars(sa.select(StudioBooking).order_by(StudioBooking.start_time)).all()
    assert [(r.kind, r.user_id) for r in rows] == [(BookingKind.BOOKING, people["maya"].id), (BookingKind.BLOCK, None)]
    assert "Blocked: Console maintenance 12:00–20:00" in visible_text(
        client_of(app, people["ethan"]).get(f"/bookings?studio={studio.id}&week={TOMORROW.isoformat()}"))


def test_the_calendar_runs_the_same_queries_at_two_sizes(client, studio, people, make_student, count_queries):
    client.login(people["faculty"].email)
    url = f"/bookings?studio={studio.id}&week={TOMORROW.isoformat()}"
    monday = bookings.week_of(TOMORROW)

    def fill(count):
        for i in range(count):
            student = make_student()
            db.session.add(StudioBooking(studio_id=studio.id, user_id=student.id, booked_by_id=student.id,
                                         date=monday + timedelta(days=i % 7), start_time=time(8 + i // 7),
                                         end_time=time(9 + i // 7), purpose="Work"))
        db.session.add(StudioClosure(studio_id=studio.id, starts_on=monday, ends_on=monday, reason="Holiday",
                                     created_by_id=people["admin"].id))
        db.session.commit()

    fill(2)
    client.get(url)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    fill(30)
    with count_queries() as large:
        page = client.get(url)
    assert page.status_code == 200 and visible_text(page).count("Student ") >= 30
    assert large.count == small.count


def test_the_rules_page_is_the_doc(client, people):
    client.login(people["maya"].email)
    text = visible_text(client.get("/bookings/rules"))
    assert "Why a booking is refused" in text and "late-cancellation window" in text


# ---------------------------------------------------------------- log this session

@pytest.fixture
def ended(studio, people, make_term):
    """Maya's booking of two days ago, never logged, and a term around today."""
    make_term("Current term")
    return past_booking(people["maya"], studio, project="Lanterns EP", purpose="Mixing the single")


def test_the_dashboard_offers_to_log_an_ended_booking(client, ended, people):
    client.login(people["maya"].email)
    page = client.get("/dashboard/student")
    assert f'href="/studio/log?booking={ended.id}"' in page.get_data(as_text=True)
    assert "Log this session" in visible_text(page)


def test_logging_from_a_booking_prefills_the_form_and_links_the_session(client, ended, people, studio):
    client.login(people["maya"].email)
    form = page_text(client.get(f"/studio/log?booking={ended.id}"))
    assert f'value="{ended.date.isoformat()}"' in form and 'value="10:00"' in form and 'value="13:00"' in form
    assert 'value="Lanterns EP"' in form and "Mixing the single</textarea>" in form
    assert re.search(rf'<option selected value="{studio.id}">|<option value="{studio.id}" selected', form)
    response = client.post_form(f"/studio/log?booking={ended.id}", {
        "date": ended.date.isoformat(), "studio_id": studio.id, "start_time": "10:00", "end_time": "12:45",
        "activity": "mixing", "project": "Lanterns EP", "role": "engineer", "supervisor_id": people["advisor"].id,
        "notes": ""})
    assert response.status_code == 302
    db.session.expire_all()
    session = db.session.scalar(sa.select(StudioSession).where(StudioSession.student_id == people["maya"].id))
    assert db.session.get(StudioBooking, ended.id).session_id == session.id
    assert "Log this session" not in visible_text(client.get("/dashboard/student"))
    assert "Session logged" in visible_text(client.get("/bookings/mine"))


def test_someone_elses_booking_cannot_be_logged(app, ended, people, studio):
    assert client_of(app, people["ethan"]).get(f"/studio/log?booking={ended.id}").status_code == 404
    blocked = bookings.block(people["admin"], studio, TOMORROW, T("08:00"), T("09:00"), "Service", now=NOW)
    assert client_of(app, people["maya"]).get(f"/studio/log?booking={blocked.id}").status_code == 404


def test_a_refused_session_leaves_the_booking_unlinked(client, ended, people, studio):
    client.login(people["maya"].email)
    response = client.post_form(f"/studio/log?booking={ended.id}", {
        "date": ended.date.isoformat(), "studio_id": studio.id, "start_time": "10:00", "end_time": "13:00",
        "activity": "mixing", "project": "", "role": "engineer", "supervisor_id": people["advisor"].id})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(StudioBooking, ended.id).session_id is None
    assert db.session.scalar(sa.select(sa.func.count(StudioSession.id))) == 0


# ---------------------------------------------------------------- two students, one slot, one moment

@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(3))
def test_two_students_booking_the_same_slot_at_once_one_wins(app, studio, people, round_):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): SQLite serialises writing requests with BEGIN "
                    "IMMEDIATE, so the two can never both be inside the check; the sequential overlap refusal is "
                    "tested on SQLite too (test_an_overlap_names_who_has_the_slot)")
    studio_id = studio.id
    ids = {"maya": people["maya"].id, "ethan": people["ethan"].id}

    def load(name):
        actor = db.session.get(User, ids[name])
        _ = actor.display_name, actor.role
        db.session.commit()  # as a request would: nothing held before the barrier
        return actor

    def book(name, actor):
        bookings.book(actor, studio_id, None, TOMORROW, T("14:00"), T("16:00"), "Tracking", "", now=NOW)
        return "booked"

    results = at_once(app, ids, load, book)
    winners = [name for name, result in results.items() if result == "booked"]
    assert len(winners) == 1, results
    loser = "ethan" if winners == ["maya"] else "maya"
    winner_name = {"maya": "Maya Chen", "ethan": "Ethan Brooks"}[winners[0]]
    assert results[loser] == f"Already booked by {winner_name} 14:00–16:00.", results
    db.session.expire_all()
    rows = db.session.scalars(sa.select(StudioBooking).where(StudioBooking.status == BookingStatus.ACTIVE)).all()
    assert len(rows) == 1 and rows[0].user_id == ids[winners[0]]
    assert len(db.session.scalars(sa.select(HistoryEvent).where(
        HistoryEvent.entity_type == "studio_booking")).all()) == 1


def test_a_logged_booking_opens_its_session_instead_of_a_second_form(client, ended, people, studio, make_session):
    session = make_session(people["maya"], people["advisor"], day=ended.date, start="10:00", hours=3, studio=studio)
    ended.session_id = session.id
    db.session.commit()
    client.login(people["maya"].email)
    response = client.get(f"/studio/log?booking={ended.id}")
    assert response.status_code == 302 and response.location.endswith(f"/studio/sessions/{session.id}")


# ---------------------------------------------------------------- the demo

def test_the_demo_has_booking_calendars_bookings_a_logged_booking_and_a_no_show(app, count_queries):
    from tracker.demo import DOMAIN, seed

    seed()
    hours = db.session.scalars(sa.select(StudioOpeningHours)).all()
    assert len({h.studio_id for h in hours}) == 4
    assert db.session.scalar(sa.select(sa.func.count(StudioClosure.id))) == 1
    rows = db.session.scalars(sa.select(StudioBooking)).all()
    blocks = [b for b in rows if b.kind == BookingKind.BLOCK]
    upcoming = [b for b in rows if b.kind == BookingKind.BOOKING and b.date > TODAY]
    past = [b for b in rows if b.kind == BookingKind.BOOKING and b.date < TODAY]
    assert len(blocks) == 1 and len(upcoming) >= 3
    ethan = db.session.scalar(sa.select(User).where(User.email == f"ethan@{DOMAIN}"))
    logged = [b for b in past if b.session_id is not None]
    no_show = [b for b in past if b.session_id is None]
    assert [b.user_id for b in no_show] == [ethan.id]
    for booking in logged:  # a sessions entry with booked = true (present once the term is 50 days old)
        session = db.session.get(StudioSession, booking.session_id)
        assert (session.date, session.start_time, session.end_time) == (booking.date, booking.start_time,
                                                                        booking.end_time)
    # Every booking's history event is dated to when it was made.
    booked = db.session.scalars(sa.select(HistoryEvent).where(HistoryEvent.action == "studio_booking.booked")).all()
    assert len(booked) == len(upcoming) + len(past)
    assert seed().count("0 new") == 4  # seeding again adds nothing
    assert db.session.scalar(sa.select(sa.func.count(StudioBooking.id))) == len(rows)
