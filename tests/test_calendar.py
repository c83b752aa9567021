"""Calendar feeds: a user makes their secret feed addresses, subscribes to their own studio time and to each studio's
bookings (read back here with the icalendar library, as a calendar app would), and rotates the addresses so the old
ones stop working; another student is never named in a student's studio feed."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from tracker import create_app
from tracker.extensions import db
from tracker.models import (
    BookingKind,
    BookingStatus,
    Confirmation,
    HistoryEvent,
    StudioBooking,
    StudioClosure,
    User,
)
from tracker.services import ServiceError
from tracker.services import calendar_feeds as service

from .html_support import page_text, visible_text

BERLIN = ZoneInfo("Europe/Berlin")
SOON = date.today() + timedelta(days=3)


@pytest.fixture
def berlin(app, monkeypatch):
    """The school keeps its studio times in Berlin."""
    monkeypatch.setitem(app.config, "APP_TIMEZONE", "Europe/Berlin")


@pytest.fixture
def studio(make_studio):
    return make_studio("Studio A")


def book(user, studio, day=SOON, start="10:00", end="12:00", purpose="Mixing thesis tracks", *, kind="booking",
         status="active", booked_by=None, project="", session=None) -> StudioBooking:
    """A booking row, inserted directly (the booking service is not what these tests are about)."""
    booking = StudioBooking(
        studio_id=studio.id, user_id=user.id if user is not None else None,
        booked_by_id=(booked_by or user).id, kind=BookingKind(kind), date=day, start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end), purpose=purpose, project=project, status=BookingStatus(status),
        cancelled_at=datetime.now(timezone.utc) if status == "cancelled" else None,
        session_id=session.id if session is not None else None)
    db.session.add(booking)
    db.session.commit()
    return booking


def token_for(user: User) -> str:
    return service.issue_token(db.session.get(User, user.id))


def fetch(client, url: str):
    """GET a feed and parse it as a calendar app would; returns (response, calendar, events by UID prefix)."""
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    events = {str(event["UID"]).split("@")[0]: event for event in calendar.walk("VEVENT")}
    return response, calendar, events


def mine_url(token: str) -> str:
    return f"/calendar/{token}/mine.ics"


def studio_url(token: str, studio) -> str:
    return f"/calendar/{token}/studio/{studio.id}.ics"


# ---------------------------------------------------------------- the page and the token

def test_a_user_makes_their_addresses_from_the_page_and_the_history_records_it(app, client, login_as, studio):
    student = login_as("student")
    page = client.get("/calendar")
    assert page.status_code == 200
    assert "Make my calendar addresses" in page_text(page)
    assert 'href="/calendar">Calendar feeds</a>' in page_text(client.get("/", follow_redirects=True))  # the menu
    response = client.post_form("/calendar/token")
    assert response.status_code == 302 and response.location == "/calendar"
    token = db.session.scalar(sa.select(User.calendar_token).where(User.id == student.id))
    assert token and len(token) >= 32
    text = page_text(client.get("/calendar"))
    assert f"http://localhost/calendar/{token}/mine.ics" in text
    assert f"http://localhost/calendar/{token}/studio/{studio.id}.ics" in text
    assert f"webcal://localhost/calendar/{token}/mine.ics" in text
    assert "Google Calendar" in text and "Apple Calendar" in text and "Outlook" in text
    assert 'href="/calendar/guide"' in text
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "user.calendar_token_issued"))
    assert event.actor_id == student.id and event.subject_id == student.id


def test_making_the_addresses_twice_keeps_the_first_token(app, make_student):
    student = make_student()
    first = token_for(student)
    assert token_for(student) == first
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HistoryEvent)
                             .where(HistoryEvent.action == "user.calendar_token_issued")) == 1


def test_the_guide_page_shows_the_docs(client, login_as):
    login_as("faculty")
    page = client.get("/calendar/guide")
    assert page.status_code == 200
    assert "Keeping the addresses private" in visible_text(page)


def test_rotating_replaces_the_token_and_the_old_links_stop_working_at_once(app, client, login_as, studio):
    student = login_as("student")
    client.post_form("/calendar/token")
    old = db.session.scalar(sa.select(User.calendar_token).where(User.id == student.id))
    anonymous = app.test_client()
    assert anonymous.get(mine_url(old)).status_code == 200
    client._csrf = None
    response = client.post_form("/calendar/token/rotate")
    assert response.status_code == 302
    new = db.session.scalar(sa.select(User.calendar_token).where(User.id == student.id))
    assert new and new != old
    assert anonymous.get(mine_url(old)).status_code == 404
    assert anonymous.get(studio_url(old, studio)).status_code == 404
    assert anonymous.get(mine_url(new)).status_code == 200
    assert old not in page_text(client.get("/calendar")) and new in page_text(client.get("/calendar"))
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "user.calendar_token_rotated"))
    assert event.actor_id == student.id and event.subject_id == student.id
    assert old not in str(event.changes) and new not in str(event.changes)


def test_rotating_before_there_is_a_token_is_refused(make_student):
    with pytest.raises(ServiceError, match="nothing to replace"):
        service.rotate_token(make_student())


def test_a_post_without_its_csrf_token_changes_nothing(client, login_as):
    student = login_as("student")
    assert client.post("/calendar/token", data={}).status_code == 400
    assert db.session.scalar(sa.select(User.calendar_token).where(User.id == student.id)) is None


# ---------------------------------------------------------------- the student's own feed

def test_the_students_feed_holds_their_bookings_and_sessions_at_local_times(app, berlin, make_student, make_user,
                                                                             make_session, studio):
    supervisor = make_user("faculty", name="Prof. Alicia Moreno")
    maya = make_student(name="Maya Chen")
    other = make_student(name="Jonah Park")
    booking = book(maya, studio, SOON, "10:00", "12:30", "Mixing thesis tracks", project="Thesis EP")
    cancelled = book(maya, studio, SOON, "14:00", "15:00", "Cancelled one", status="cancelled")
    theirs = book(other, studio, SOON, "16:00", "17:00", "Jonah's tracking")
    stale = book(maya, studio, date.today() - timedelta(days=service.PAST_DAYS + 5), purpose="Long ago")
    session = make_session(maya, supervisor, day=date.today() - timedelta(days=2), start="13:00", hours=3,
                           studio=studio, project="Thesis EP", activity="mixing", status="approved")
    withdrawn = make_session(maya, supervisor, day=date.today() - timedelta(days=3), studio=studio,
                             status="withdrawn")
    logged = make_session(maya, supervisor, day=date.today() - timedelta(days=4), start="09:00", hours=2,
                          studio=studio)
    logged_booking = book(maya, studio, logged.date, "09:00", "11:00", "Logged afterwards", session=logged)

    response, calendar, events = fetch(app.test_client(), mine_url(token_for(maya)))

    assert set(events) == {f"booking-{booking.id}", f"session-{session.id}", f"session-{logged.id}"}
    assert f"booking-{cancelled.id}" not in events and f"booking-{theirs.id}" not in events
    assert f"booking-{stale.id}" not in events and f"session-{withdrawn.id}" not in events
    assert f"booking-{logged_booking.id}" not in events  # logged as a session: shown once, as the session
    assert "Jonah" not in response.get_data(as_text=True)

    event = events[f"booking-{booking.id}"]
    assert event.start == datetime(SOON.year, SOON.month, SOON.day, 10, 0, tzinfo=BERLIN)
    assert event.end == datetime(SOON.year, SOON.month, SOON.day, 12, 30, tzinfo=BERLIN)
    assert event.start.tzinfo.key == "Europe/Berlin"
    assert str(event["SUMMARY"]) == "Studio A booking: Mixing thesis tracks"
    assert str(event["LOCATION"]) == "Studio A, Building M"
    assert "Thesis EP" in str(event["DESCRIPTION"])
    assert event["DTSTAMP"].dt.tzinfo is not None

    event = events[f"session-{session.id}"]
    day = session.date
    assert event.start == datetime(day.year, day.month, day.day, 13, 0, tzinfo=BERLIN)
    assert event.end == datetime(day.year, day.month, day.day, 16, 0, tzinfo=BERLIN)
    assert str(event["SUMMARY"]) == "Studio A session: Mixing, Thesis EP"
    assert str(event["LOCATION"]) == "Studio A, Building M"
    assert "Approved" in str(event["DESCRIPTION"]) and "Prof. Alicia Moreno" in str(event["DESCRIPTION"])

    # The file carries the zone's definition, so a calendar app anywhere places the times right.
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert str(calendar["X-WR-CALNAME"]) == "Studio time: Maya Chen"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_uids_stay_the_same_from_one_fetch_to_the_next(app, make_student, make_user, make_session, studio):
    maya = make_student()
    book(maya, studio)
    make_session(maya, make_user("faculty"), studio=studio)
    token = token_for(maya)
    first = fetch(app.test_client(), mine_url(token))
    second = fetch(app.test_client(), mine_url(token))
    assert set(first[2]) == set(second[2]) and len(first[2]) == 2
    assert all(str(event["UID"]).endswith("@localhost") for event in first[2].values())
    assert str(first[1]["UID"]) == str(second[1]["UID"])
    assert [str(e["DTSTAMP"].to_ical()) for e in first[2].values()] == \
        [str(e["DTSTAMP"].to_ical()) for e in second[2].values()]


def test_group_sessions_show_until_declined_and_a_session_past_midnight_ends_the_next_day(app, make_student,
                                                                                         make_user, make_session,
                                                                                         studio):
    maya = make_student()
    supervisor = make_user("faculty")
    awaiting = make_session(maya, supervisor, studio=studio)
    awaiting.confirmation = Confirmation.AWAITING
    declined = make_session(maya, supervisor, studio=studio, start="16:00", hours=1)
    declined.confirmation = Confirmation.DECLINED
    late = make_session(maya, supervisor, studio=studio, day=date.today() - timedelta(days=5), start="22:00",
                        hours=3)
    db.session.commit()
    _, _, events = fetch(app.test_client(), mine_url(token_for(maya)))
    assert set(events) == {f"session-{awaiting.id}", f"session-{late.id}"}
    assert "confirm or decline" in str(events[f"session-{awaiting.id}"]["DESCRIPTION"])
    assert events[f"session-{late.id}"].end.date() == late.date + timedelta(days=1)
    assert events[f"session-{late.id}"].end.hour == 1


def test_in_utc_the_times_end_in_z(app, make_student, studio):
    maya = make_student()
    book(maya, studio, SOON, "10:00", "11:00")
    response, calendar, events = fetch(app.test_client(), mine_url(token_for(maya)))
    assert f"DTSTART:{SOON:%Y%m%d}T100000Z" in response.get_data(as_text=True)
    assert calendar.walk("VTIMEZONE") == []


# ---------------------------------------------------------------- a studio's feed

@pytest.fixture
def busy_studio(studio, make_student, make_user):
    """Studio A with Maya's booking, Jonah's, one cancelled, blocked time and a closure."""
    admin = make_user("admin")
    maya, jonah = make_student(name="Maya Chen"), make_student(name="Jonah Park")
    rows = {
        "maya": book(maya, studio, SOON, "10:00", "12:00", "Mixing thesis tracks"),
        "jonah": book(jonah, studio, SOON, "13:00", "15:00", "Jonah's secret album", project="Secret album"),
        "cancelled": book(jonah, studio, SOON, "16:00", "17:00", "Cancelled by Jonah", status="cancelled"),
        "block": book(None, studio, SOON + timedelta(days=1), "09:00", "13:00", "Maintenance", kind="block",
                      booked_by=admin),
    }
    closure = StudioClosure(studio_id=studio.id, starts_on=SOON + timedelta(days=7),
                            ends_on=SOON + timedelta(days=9), reason="Holidays", created_by_id=admin.id)
    db.session.add(closure)
    db.session.commit()
    return {"studio": studio, "maya": maya, "jonah": jonah, "rows": rows, "closure": closure}


def test_a_students_studio_feed_never_names_another_student(app, berlin, busy_studio):
    rows = busy_studio["rows"]
    response, _, events = fetch(app.test_client(), studio_url(token_for(busy_studio["maya"]),
                                                              busy_studio["studio"]))
    body = response.get_data(as_text=True)
    assert "Jonah" not in body and "secret album" not in body.lower()
    assert set(events) == {f"studio-booking-{rows['maya'].id}", f"studio-booking-{rows['jonah'].id}",
                           f"studio-booking-{rows['block'].id}", f"closure-{busy_studio['closure'].id}"}
    assert str(events[f"studio-booking-{rows['jonah'].id}"]["SUMMARY"]) == "Booked"
    assert str(events[f"studio-booking-{rows['maya'].id}"]["SUMMARY"]) == "You: Mixing thesis tracks"
    assert str(events[f"studio-booking-{rows['block'].id}"]["SUMMARY"]) == "Blocked: Maintenance"
    jonahs = events[f"studio-booking-{rows['jonah'].id}"]
    assert jonahs.start == datetime.combine(SOON, time(13, 0), tzinfo=BERLIN)
    assert jonahs.end == datetime.combine(SOON, time(15, 0), tzinfo=BERLIN)
    assert str(jonahs["LOCATION"]) == "Studio A, Building M"
    closure = events[f"closure-{busy_studio['closure'].id}"]
    assert str(closure["SUMMARY"]) == "Closed: Holidays"
    assert closure.start == SOON + timedelta(days=7) and closure.end == SOON + timedelta(days=10)  # whole days


def test_staff_see_who_booked_in_a_studio_feed(app, busy_studio, make_user):
    rows = busy_studio["rows"]
    _, _, events = fetch(app.test_client(), studio_url(token_for(make_user("faculty")), busy_studio["studio"]))
    assert str(events[f"studio-booking-{rows['jonah'].id}"]["SUMMARY"]) == "Jonah Park: Jonah's secret album"
    assert str(events[f"studio-booking-{rows['maya'].id}"]["SUMMARY"]) == "Maya Chen: Mixing thesis tracks"
    assert f"studio-booking-{rows['cancelled'].id}" not in events


# ---------------------------------------------------------------- refusals: 404, never a 500

@pytest.mark.parametrize("token", ["not-a-real-token", "x" * 65, "x" * 5000, "a%00b", "%00"])
def test_an_unknown_oversized_or_nul_token_is_not_found(app, make_student, studio, token):
    token_for(make_student())
    client = app.test_client()
    assert client.get(f"/calendar/{token}/mine.ics").status_code == 404
    assert client.get(f"/calendar/{token}/studio/{studio.id}.ics").status_code == 404


def test_a_deactivated_users_addresses_stop_working(app, make_student, studio):
    maya = make_student()
    token = token_for(maya)
    db.session.get(User, maya.id).active = False
    db.session.commit()
    client = app.test_client()
    assert client.get(mine_url(token)).status_code == 404
    assert client.get(studio_url(token, studio)).status_code == 404


@pytest.mark.parametrize("studio_id", ["0", "999999", "99999999999999999999999"])
def test_an_unknown_or_impossible_studio_is_not_found(app, make_student, studio, studio_id):
    token = token_for(make_student())
    assert app.test_client().get(f"/calendar/{token}/studio/{studio_id}.ics").status_code == 404


def test_an_unknown_time_zone_refuses_to_start():
    with pytest.raises(RuntimeError, match="APP_TIMEZONE"):
        create_app("testing", {"APP_TIMEZONE": "Mars/Olympus_Mons"})


# ---------------------------------------------------------------- the feeds' queries do not grow with the data

def _fill(student, studio, supervisor, make_session, n: int) -> None:
    for i in range(n):
        book(student, studio, SOON + timedelta(days=i), "10:00", "11:00", f"Booking {i}")
        make_session(student, supervisor, day=date.today() - timedelta(days=i + 1), studio=studio)


@pytest.mark.parametrize("feed", ["mine", "studio"])
def test_a_feed_runs_the_same_queries_at_two_sizes(app, count_queries, make_student, make_user, make_session,
                                                   make_studio, feed):
    supervisor = make_user("faculty")
    counts = []
    for n in (1, 6):
        student = make_student()
        studio = make_studio()
        _fill(student, studio, supervisor, make_session, n)
        book(make_student(), studio, SOON, "15:00", "16:00", "Someone else's")
        db.session.add(StudioClosure(studio_id=studio.id, starts_on=SOON, ends_on=SOON, reason="Closed",
                                     created_by_id=supervisor.id))
        db.session.commit()
        url = mine_url(token_for(student)) if feed == "mine" else studio_url(token_for(student), studio)
        client = app.test_client()
        with count_queries() as queries:
            response, _, events = fetch(client, url)
        assert len(events) == (2 * n if feed == "mine" else n + 2)
        counts.append(queries.count)
    assert counts[0] == counts[1] <= 4, counts
