"""The reconciliation report: sessions without a booking, no-shows, sessions at other times than booked and late
cancellations; its filters, CSV, who sees what, hostile query arguments, its query count; and the review queue's
"No booking" flag. Bookings are inserted as rows (the booking service is not what is tested here)."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import (BookingKind, BookingStatus, Confirmation, Program, StudioBooking, StudioSession,
                            StudioSessionGroup)
from tracker.services import reconciliation

from .fixtures import saved
from .html_support import page_html, visible_text

DAY = date.today() - timedelta(days=2)


@pytest.fixture
def make_booking():
    """make_booking(student, studio, day=DAY, start='10:00', end='14:00', status='active', kind='booking', late=False)."""

    def _make(student, studio, day: date = DAY, start="10:00", end="14:00", status="active", kind="booking",
              late=False, purpose="Mixing the EP") -> StudioBooking:
        cancelled = status == "cancelled"
        return saved(StudioBooking(
            studio_id=studio.id, user_id=student.id if student else None, booked_by_id=student.id,
            kind=BookingKind(kind), date=day, start_time=time.fromisoformat(start), end_time=time.fromisoformat(end),
            purpose=purpose, status=BookingStatus(status), late_cancellation=late,
            cancelled_at=datetime.now(timezone.utc) if cancelled else None,
            cancelled_by_id=student.id if cancelled and student else None))

    return _make


@pytest.fixture
def people(make_user, make_student, make_term, make_studio):
    """A term around today, two studios, faculty A advising student A and supervising everyone's sessions."""
    faculty = make_user("faculty", name="Prof. Ada")
    return {"term": make_term("Current"), "studio": make_studio("Studio A"), "other_studio": make_studio("Studio B"),
            "faculty": faculty, "student": make_student(name="Robin Vega", advisor=faculty),
            "other": make_student(name="Kai Other")}


def _report(user, now: datetime | None = None, **filters) -> reconciliation.Report:
    db.session.expire_all()
    return reconciliation.build(user, reconciliation.Filters(**filters), now=now)


def _ids(rows) -> set[int]:
    return {(row.session if isinstance(row, reconciliation.Mismatch) else row).id for row in rows}


# ---------------------------------------------------------------- (a) sessions without a booking

def test_a_session_with_an_overlapping_booking_is_booked(people, make_user, make_session, make_booking):
    s, studio = people["student"], people["studio"]
    booked = make_session(s, people["faculty"], day=DAY, start="10:00", hours=4, studio=studio)
    make_booking(s, studio, DAY, "10:00", "14:00")
    report = _report(make_user("admin"))
    assert booked.id not in _ids(report.unbooked) and not report.mismatches


@pytest.mark.parametrize("case", ["nothing", "other studio", "other student", "cancelled", "blocked time",
                                  "touching", "other day"])
def test_a_session_without_a_matching_booking_is_listed(people, make_user, make_session, make_booking, case):
    s, studio, other_studio = people["student"], people["studio"], people["other_studio"]
    session = make_session(s, people["faculty"], day=DAY, start="10:00", hours=2, studio=studio)
    if case == "other studio":
        make_booking(s, other_studio, DAY, "10:00", "12:00")
    elif case == "other student":
        make_booking(people["other"], studio, DAY, "10:00", "12:00")
    elif case == "cancelled":
        make_booking(s, studio, DAY, "10:00", "12:00", status="cancelled")
    elif case == "blocked time":
        make_booking(s, studio, DAY, "10:00", "12:00", kind="block")
    elif case == "touching":  # ends when the session starts, and starts when it ends
        make_booking(s, studio, DAY, "08:00", "10:00")
        make_booking(s, studio, DAY, "12:00", "13:00")
    elif case == "other day":
        make_booking(s, studio, DAY - timedelta(days=1), "10:00", "12:00")
    assert _ids(_report(make_user("admin")).unbooked) == {session.id}


@pytest.mark.parametrize("status, confirmation, listed", [
    ("pending", "confirmed", True), ("approved", "confirmed", True), ("rejected", "confirmed", True),
    ("needs_changes", "confirmed", True), ("pending", "awaiting", True),
    ("withdrawn", "confirmed", False), ("pending", "declined", False),
])
def test_withdrawn_sessions_and_declined_invitations_do_not_count(people, make_user, make_session, status,
                                                                  confirmation, listed):
    session = make_session(people["student"], people["faculty"], status=status, studio=people["studio"])
    session.confirmation = Confirmation(confirmation)
    db.session.commit()
    assert (session.id in _ids(_report(make_user("admin")).unbooked)) is listed


# ---------------------------------------------------------------- (b) no-shows

def test_an_ended_booking_without_a_session_is_a_no_show(people, make_user, make_session, make_booking):
    s, studio = people["student"], people["studio"]
    missed = make_booking(s, studio, DAY, "10:00", "12:00")
    used = make_booking(s, studio, DAY, "14:00", "16:00")
    make_session(s, people["faculty"], day=DAY, start="14:30", hours=1, studio=studio)
    # a session in another studio, or of another student, does not make it used
    other_studio = make_booking(s, studio, DAY, "18:00", "19:00")
    make_session(s, people["faculty"], day=DAY, start="18:00", hours=1, studio=people["other_studio"])
    other_student = make_booking(s, studio, DAY - timedelta(days=1), "10:00", "11:00")
    make_session(people["other"], people["faculty"], day=DAY - timedelta(days=1), start="10:00", hours=1,
                 studio=studio)
    # a withdrawn session does not count either; a cancelled booking is no no-show
    withdrawn = make_booking(s, studio, DAY - timedelta(days=3), "10:00", "11:00")
    make_session(s, people["faculty"], day=DAY - timedelta(days=3), start="10:00", hours=1, studio=studio,
                 status="withdrawn")
    make_booking(s, studio, DAY - timedelta(days=4), "10:00", "11:00", status="cancelled")
    report = _report(make_user("admin"))
    assert _ids(report.no_shows) == {missed.id, other_studio.id, other_student.id, withdrawn.id}
    assert used.id not in _ids(report.no_shows)


def test_a_booking_is_a_no_show_only_once_it_has_ended(people, make_user, make_booking):
    s, studio = people["student"], people["studio"]
    today = date.today()
    booking = make_booking(s, studio, today, "10:00", "12:00")
    later = make_booking(s, studio, today + timedelta(days=1), "10:00", "12:00")
    admin = make_user("admin")
    assert _ids(_report(admin, now=datetime.combine(today, time(11, 59))).no_shows) == set()
    assert _ids(_report(admin, now=datetime.combine(today, time(12, 0))).no_shows) == {booking.id}
    assert later.id not in _ids(_report(admin, now=datetime.combine(today, time(23, 59))).no_shows)


# ---------------------------------------------------------------- (c) other times than booked

@pytest.mark.parametrize("start, hours, listed", [
    ("10:00", 2, False),    # exactly as booked
    ("10:15", 1.75, False),  # 15 minutes late: exactly the tolerance is fine
    ("09:45", 2.25, False),  # 15 minutes early
    ("10:00", 2.25, False),  # ends 15 minutes after
    ("10:30", 1.5, True),   # 30 minutes late
    ("10:00", 2.5, True),   # ends 30 minutes after
    ("09:30", 1.5, True),   # early start and early end
])
def test_times_are_compared_with_the_programs_tolerance(people, make_user, make_session, make_booking, start,
                                                        hours, listed):
    s, studio = people["student"], people["studio"]
    make_booking(s, studio, DAY, "10:00", "12:00")
    session = make_session(s, people["faculty"], day=DAY, start=start, hours=hours, studio=studio)
    report = _report(make_user("admin"))
    assert (session.id in _ids(report.mismatches)) is listed
    assert session.id not in _ids(report.unbooked)
    if listed:
        [m] = report.mismatches
        assert m.tolerance == 15
        assert (m.start_difference, m.end_difference) == {
            "10:30": (30, 0), "10:00": (0, 30), "09:30": (-30, -60)}[start]


def test_each_students_own_programs_tolerance_applies(people, make_user, make_session, make_booking):
    s, studio = people["student"], people["studio"]
    program = db.session.get(Program, s.enrollment.program_id)
    program.reconciliation_tolerance_minutes = 30
    db.session.commit()
    make_booking(s, studio, DAY, "10:00", "12:00")
    thirty = make_session(s, people["faculty"], day=DAY, start="10:30", hours=1.5, studio=studio)
    assert _report(make_user("admin")).mismatches == []
    program.reconciliation_tolerance_minutes = 0
    db.session.commit()
    assert _ids(_report(make_user("admin")).mismatches) == {thirty.id}


def test_a_session_over_back_to_back_bookings_is_compared_with_their_span(people, make_user, make_session,
                                                                         make_booking):
    s, studio = people["student"], people["studio"]
    make_booking(s, studio, DAY, "10:00", "12:00")
    make_booking(s, studio, DAY, "12:00", "14:00")
    make_session(s, people["faculty"], day=DAY, start="10:00", hours=4, studio=studio)
    report = _report(make_user("admin"))
    assert report.mismatches == [] and report.unbooked == [] and report.no_shows == []


# ---------------------------------------------------------------- (d) late cancellations

def test_late_cancellations_are_listed(people, make_user, make_booking):
    s, studio = people["student"], people["studio"]
    late = make_booking(s, studio, DAY, "10:00", "12:00", status="cancelled", late=True)
    make_booking(s, studio, DAY, "14:00", "16:00", status="cancelled", late=False)
    report = _report(make_user("admin"))
    assert _ids(report.late_cancellations) == {late.id} and report.no_shows == []


# ---------------------------------------------------------------- the page and the CSV

def _world(people, make_session, make_booking):
    """One row in each section."""
    s, studio, faculty = people["student"], people["studio"], people["faculty"]
    rows = {
        "unbooked": make_session(s, faculty, day=DAY, start="08:00", hours=1, studio=studio),
        "no_show": make_booking(s, studio, DAY - timedelta(days=1), "10:00", "12:00", purpose="=HYPERLINK(x)"),
        "mismatch": make_session(s, faculty, day=DAY, start="14:30", hours=1.5, studio=studio),
        "late": make_booking(s, studio, DAY - timedelta(days=3), "10:00", "12:00", status="cancelled", late=True),
    }
    make_booking(s, studio, DAY, "14:00", "16:00")
    return rows


def test_the_page_shows_each_section(client, login_as, people, make_session, make_booking):
    rows = _world(people, make_session, make_booking)
    login_as("admin")
    response = client.get("/reconciliation")
    page = page_html(response)
    assert response.status_code == 200
    assert f'id="unbooked-{rows["unbooked"].id}"' in page
    assert f'id="no-show-{rows["no_show"].id}"' in page
    assert f'id="mismatch-{rows["mismatch"].id}"' in page
    assert f'id="late-{rows["late"].id}"' in page
    text = visible_text(response)
    assert "14:30–16:00 14:00–16:00 +30 min 0 min 15 min" in text
    assert "How the report works" in text and "in Current" in text


def test_the_csv_has_every_row_with_its_section(client, login_as, people, make_session, make_booking):
    rows = _world(people, make_session, make_booking)
    login_as("admin")
    response = client.get("/reconciliation?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment; filename=\"reconciliation-" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert tuple(table[0]) == reconciliation.CSV_HEADER
    by_section = {row[0]: dict(zip(table[0], row)) for row in table[1:]}
    assert set(by_section) == {"No booking", "No-show", "Times differ", "Late cancellation"}
    assert by_section["No booking"]["Session start"] == "08:00"
    assert by_section["No booking"]["Student"] == "Robin Vega"
    assert by_section["No-show"]["Booking start"] == "10:00"
    assert by_section["No-show"]["Booking purpose"] == "'=HYPERLINK(x)"  # neutralised for spreadsheets
    differ = by_section["Times differ"]
    assert (differ["Start differs (min)"], differ["End differs (min)"], differ["Tolerance (min)"]) == ("30", "0", "15")
    assert by_section["Late cancellation"]["Cancelled at"].endswith("UTC")
    assert len(table) == 5
    assert rows["late"].id


def test_the_report_defaults_to_the_current_term_and_filters(client, login_as, people, make_session, make_booking,
                                                             make_term):
    s, other, studio, faculty = people["student"], people["other"], people["studio"], people["faculty"]
    past = make_term("Past", date.today() - timedelta(days=300), date.today() - timedelta(days=200))
    old_day = date.today() - timedelta(days=250)
    now_a = make_session(s, faculty, day=DAY, studio=studio)
    now_b = make_session(other, faculty, day=DAY, studio=people["other_studio"])
    old = make_session(s, faculty, day=old_day, term=past, studio=studio)
    old_booking = make_booking(s, studio, old_day - timedelta(days=1), "10:00", "11:00")
    login_as("admin")

    def shown(query: str) -> tuple[set[int], set[int]]:
        page = page_html(client.get("/reconciliation" + query))
        return ({int(n) for n in re.findall(r'id="unbooked-(\d+)"', page)},
                {int(n) for n in re.findall(r'id="no-show-(\d+)"', page)})

    assert shown("") == ({now_a.id, now_b.id}, set())
    assert shown("?term_id=") == ({now_a.id, now_b.id, old.id}, {old_booking.id})
    assert shown(f"?term_id={past.id}") == ({old.id}, {old_booking.id})
    assert shown(f"?term_id=&studio_id={studio.id}") == ({now_a.id, old.id}, {old_booking.id})
    assert shown(f"?term_id=&student_id={other.id}") == ({now_b.id}, set())
    assert shown(f"?term_id={past.id}&student_id={other.id}") == (set(), set())
    # the choices keep what was chosen
    page = page_html(client.get(f"/reconciliation?term_id={past.id}&student_id={other.id}"))
    assert re.search(rf'<option selected value="{past.id}">Past</option>', page)
    assert re.search(rf'<option selected value="{other.id}">Kai Other</option>', page)
    # filters carry into the CSV link
    assert f"format=csv" in page and f"term_id={past.id}" in page


@pytest.mark.parametrize("query", [
    f"?term_id={2**63}", f"?studio_id={10**30}", "?student_id=-1", "?term_id=abc&studio_id=²",
    "?student_id=1e9", f"?term_id={2**63 - 1}&format=csv", "?format=xml", "?_method=DELETE&_external=1",
    "?term_id=" + "9" * 5000,
])
def test_hostile_query_arguments_never_fail(client, login_as, people, make_session, query):
    make_session(people["student"], people["faculty"], studio=people["studio"])
    login_as("admin")
    assert client.get("/reconciliation" + query).status_code == 200


def test_a_nul_in_the_query_string_is_refused_not_a_server_error(client, login_as):
    login_as("admin")
    assert client.get("/reconciliation?student_id=1%00").status_code == 400


# ---------------------------------------------------------------- who sees what

def test_students_are_refused_and_visitors_sent_to_log_in(client, login_as):
    for url in ("/reconciliation", "/reconciliation?format=csv", "/reconciliation/help"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login_as("student")
    for url in ("/reconciliation", "/reconciliation?format=csv", "/reconciliation/help"):
        assert client.get(url).status_code == 403


def test_faculty_see_the_sessions_they_supervise_and_their_advisees_bookings(app, client, people, make_user,
                                                                           make_session, make_booking):
    s, other, studio = people["student"], people["other"], people["studio"]
    someone_else = make_user("faculty")
    mine = make_session(s, people["faculty"], day=DAY, start="08:00", hours=1, studio=studio)
    not_mine = make_session(other, someone_else, day=DAY, start="08:00", hours=1, studio=studio)
    # supervised by this faculty member, of a student they do not advise, booked: not "without a booking"
    booked_other = make_session(other, people["faculty"], day=DAY, start="12:00", hours=1, studio=studio)
    make_booking(other, studio, DAY, "12:00", "13:00")
    advisee_no_show = make_booking(s, studio, DAY - timedelta(days=1), "10:00", "11:00")
    other_no_show = make_booking(other, studio, DAY - timedelta(days=1), "10:00", "11:00")
    # the advisee's booking is used by a session someone else supervises: still no no-show
    used = make_booking(s, studio, DAY - timedelta(days=5), "10:00", "11:00")
    make_session(s, someone_else, day=DAY - timedelta(days=5), start="10:00", hours=1, studio=studio)

    client.login(people["faculty"].email)
    page = page_html(client.get("/reconciliation"))
    assert f'id="unbooked-{mine.id}"' in page
    assert f'id="unbooked-{not_mine.id}"' not in page and f'id="unbooked-{booked_other.id}"' not in page
    assert f'id="no-show-{advisee_no_show.id}"' in page
    assert f'id="no-show-{other_no_show.id}"' not in page and f'id="no-show-{used.id}"' not in page
    assert "your advisees" in page
    # the student filter offers only students this faculty member sees; another student's id shows nothing
    assert "Kai Other" in page  # supervised sessions of Kai
    lonely = make_session(make_user("student"), someone_else, studio=studio)
    csv_text = client.get("/reconciliation?format=csv&term_id=").get_data(as_text=True)
    # (the CSV names students by name and e-mail; a bare id would match any digit in the file)
    assert "Robin Vega" in csv_text and lonely.student.email not in csv_text
    assert lonely.student.display_name not in csv_text
    page = page_html(client.get(f"/reconciliation?student_id={lonely.student_id}"))
    assert not re.search(r'id="unbooked-[0-9]', page)
    # an admin sees all of it
    admin = app.test_client()
    admin.login(make_user("admin").email)
    page = page_html(admin.get("/reconciliation"))
    for row in (mine, not_mine, lonely):
        assert f'id="unbooked-{row.id}"' in page
    assert f'id="no-show-{other_no_show.id}"' in page


def test_the_admin_dashboard_links_the_report_and_the_help_page_renders(client, login_as):
    login_as("admin")
    assert 'href="/reconciliation"' in page_html(client.get("/dashboard/admin"))
    response = client.get("/reconciliation/help")
    assert response.status_code == 200 and "How a session and a booking are matched" in visible_text(response)


def test_the_faculty_dashboard_links_the_report(client, login_as):
    login_as("faculty")
    assert 'href="/reconciliation"' in page_html(client.get("/dashboard/faculty"))
    assert 'href="/reconciliation/help"' in page_html(client.get("/reconciliation"))


# ---------------------------------------------------------------- query counts

@pytest.mark.parametrize("role", ["admin", "faculty"])
def test_the_report_costs_the_same_queries_at_any_size(client, login_as, make_user, make_student, make_term,
                                                       make_studio, make_session, make_booking, count_queries, role):
    make_term("Current")
    user = login_as(role)
    supervisor = user if role == "faculty" else make_user("faculty")
    studios = [make_studio() for _ in range(3)]
    students = [make_student(advisor=supervisor) for _ in range(6)]
    made = {"n": 0}

    def add(n: int) -> None:
        for _ in range(n):
            i = made["n"]
            made["n"] += 1
            student, studio = students[i % 6], studios[i % 3]
            day = date.today() - timedelta(days=1 + i // 6)
            make_session(student, supervisor, day=day, start="10:30", hours=2, studio=studio)  # differs
            make_booking(student, studio, day, "10:00", "12:00")
            make_session(student, supervisor, day=day, start="15:00", hours=1, studio=studio)  # unbooked
            make_booking(student, studio, day, "18:00", "19:00")  # no-show
            make_booking(student, studio, day, "20:00", "21:00", status="cancelled", late=True)

    add(2)
    with count_queries() as small:
        assert client.get("/reconciliation").status_code == 200
    with count_queries() as small_csv:
        assert client.get("/reconciliation?format=csv").status_code == 200
    add(40)
    with count_queries() as large:
        page = page_html(client.get("/reconciliation"))
    with count_queries() as large_csv:
        assert client.get("/reconciliation?format=csv").status_code == 200
    for section in ("unbooked", "mismatch", "no-show", "late"):
        assert len(re.findall(rf'id="{section}-[0-9]+"', page)) == 42, section
    assert large.count == small.count, large.statements
    assert large_csv.count == small_csv.count


# ---------------------------------------------------------------- the review queue's flag

def _queue_row(page: str, session_id: int) -> str:
    start = page.index(f'id="session-{session_id}"')
    return page[start:page.index("</tr>", start)]


def test_the_review_queue_flags_a_session_without_a_booking(client, people, make_session, make_booking):
    s, studio = people["student"], people["studio"]
    booked = make_session(s, people["faculty"], day=DAY, start="10:00", hours=2, studio=studio)
    make_booking(s, studio, DAY, "09:00", "11:00")
    unbooked = make_session(s, people["faculty"], day=DAY - timedelta(days=1), start="10:00", hours=2,
                            studio=studio)
    make_booking(s, people["other_studio"], DAY - timedelta(days=1), "10:00", "12:00")  # another studio
    client.login(people["faculty"].email)
    page = page_html(client.get("/review"))
    assert "No booking" not in _queue_row(page, booked.id)
    assert "No booking" in _queue_row(page, unbooked.id)


def test_the_review_queue_with_bookings_costs_the_same_queries(client, app, monkeypatch, people, make_student,
                                                              make_session, make_booking, flat_queries):
    monkeypatch.setitem(app.config, "ITEMS_PER_PAGE", 500)
    studio = people["studio"]
    client.login(people["faculty"].email)

    def add(n: int, offset: int) -> None:
        for i in range(offset, offset + n):
            student = make_student()
            day = date.today() - timedelta(days=1 + i % 30)
            make_session(student, people["faculty"], day=day, start="10:00", hours=1, studio=studio)
            if i % 2:
                make_booking(student, studio, day, "10:00", "11:00")

    add(4, 0)
    page = flat_queries("/review", lambda: add(40, 4))
    assert page.count("No booking") == 22


def test_the_flag_expression_is_a_plain_boolean(people, make_session, make_booking):
    """What the queue reads is True or False on every database (SQLite answers 1 or 0 without the type)."""
    s, studio = people["student"], people["studio"]
    session = make_session(s, people["faculty"], day=DAY, start="10:00", hours=1, studio=studio)
    make_booking(s, studio, DAY, "10:00", "11:00")
    found = db.session.scalar(sa.select(reconciliation.booked_expression()).select_from(StudioSession)
                              .where(StudioSession.id == session.id))
    assert found is True


def test_a_group_session_booked_by_one_participant_is_booked_for_everyone(client, people, make_session,
                                                                         make_booking, make_user):
    s, other, studio, faculty = people["student"], people["other"], people["studio"], people["faculty"]
    group = saved(StudioSessionGroup(created_by_id=s.id))
    booker_row = make_session(s, faculty, day=DAY, start="10:00", hours=2, studio=studio)
    guest_row = make_session(other, faculty, day=DAY, start="10:00", hours=2, studio=studio)
    declined = make_session(make_user("student"), faculty, day=DAY, start="10:00", hours=2, studio=studio)
    for row in (booker_row, guest_row, declined):
        row.group_id = group.id
    declined.confirmation = Confirmation.DECLINED
    db.session.commit()
    booking = make_booking(s, studio, DAY, "10:00", "12:00")
    report = _report(make_user("admin"))
    assert report.unbooked == [] and report.mismatches == [] and booking.id not in _ids(report.no_shows)
    # the queue shows the group once, without the flag
    client.login(faculty.email)
    page = page_html(client.get("/review"))
    assert "No booking" not in page
    # a booking by someone who declined covers nobody
    booking.user_id = declined.student_id
    db.session.commit()
    assert _ids(_report(make_user("admin")).unbooked) == {booker_row.id, guest_row.id}
    assert "No booking" in page_html(client.get("/review"))


def test_a_booking_by_a_member_of_another_group_does_not_cover_a_group_session(client, people, make_session,
                                                                              make_booking, make_user):
    """The group rule reaches only the session's own group: someone who plays in another band books the slot, and
    this band's session is still without a booking, in the report and in the queue."""
    s, other, studio, faculty = people["student"], people["other"], people["studio"], people["faculty"]
    band, other_band = saved(StudioSessionGroup(created_by_id=s.id)), saved(StudioSessionGroup(created_by_id=s.id))
    ours = make_session(s, faculty, day=DAY, start="10:00", hours=2, studio=studio)
    theirs = make_session(other, faculty, day=DAY - timedelta(days=3), start="10:00", hours=2, studio=studio)
    ours.group_id, theirs.group_id = band.id, other_band.id
    db.session.commit()
    make_booking(other, studio, DAY, "10:00", "12:00")  # Kai, of the other band, has this band's slot
    assert ours.id in _ids(_report(make_user("admin")).unbooked)
    found = db.session.scalar(sa.select(reconciliation.booked_expression()).select_from(StudioSession)
                              .where(StudioSession.id == ours.id))
    assert found is False
