"""Reports: studio usage, review turnaround and cohort progress — pages, CSV exports safe from formula injection,
and a constant number of queries whatever the amount of data."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tracker.csv_export import csv_text, safe_cell
from tracker.extensions import db

from .progress_support import course


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


# ---------------------------------------------------------------- the CSV helper

@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("Studio A", "Studio A"),
    ("a=b", "a=b"),
    ("", ""),
    (None, ""),
    (12, "12"),
    (Decimal("3.50"), "3.50"),
    (True, "yes"),
])
def test_csv_cells_are_neutralised(value, expected):
    assert safe_cell(value) == expected


def test_csv_text_neutralises_every_cell_including_the_header():
    rows = list(csv.reader(io.StringIO(csv_text(["=bad header"], [["@x", "ok"]]))))
    assert rows == [["'=bad header"], ["'@x", "ok"]]


# ---------------------------------------------------------------- studio usage

@pytest.fixture
def usage_data(make_term, make_studio, make_student, make_user, make_session):
    today = date.today()
    past = make_term("Spring", today - timedelta(days=200), today - timedelta(days=100))
    now = make_term("Fall", today - timedelta(days=60), today + timedelta(days=40))
    a, b = make_studio("Studio A"), make_studio("=cmd|' /C calc'!A0")
    student, faculty = make_student(), make_user("faculty")
    for hours, status, studio, term, day in [
        (4, "approved", a, now, today - timedelta(days=3)), (2, "pending", a, now, today - timedelta(days=2)),
        (3, "rejected", a, now, today - timedelta(days=4)), (1, "withdrawn", a, now, today - timedelta(days=5)),
        (5, "approved", b, now, today - timedelta(days=6)), (2.5, "approved", a, past, today - timedelta(days=150)),
    ]:
        make_session(student, faculty, day=day, hours=hours, status=status, studio=studio, term=term)
    return past, now, a, b


def test_studio_usage_page(client, admin, usage_data):
    page = client.get("/reports/studio-usage").get_data(as_text=True)
    assert "Studio A" in page
    rows = read_csv(client.get("/reports/studio-usage?format=csv"))
    assert rows[0] == ["Term", "Studio", "Sessions", "Approved hours", "Pending hours"]
    assert ["Fall", "Studio A", "3", "4.00", "2.00"] in rows  # withdrawn left out, rejected counted as a session
    assert ["Fall", "'=cmd|' /C calc'!A0", "1", "5.00", "0.00"] in rows
    assert ["Spring", "Studio A", "1", "2.50", "0.00"] in rows


def test_studio_usage_filters(client, admin, usage_data):
    past, now, a, b = usage_data
    rows = read_csv(client.get(f"/reports/studio-usage?format=csv&term={past.id}"))
    assert [r[0] for r in rows[1:]] == ["Spring"]
    rows = read_csv(client.get(f"/reports/studio-usage?format=csv&studio={b.id}"))
    assert len(rows) == 2 and rows[1][2] == "1"


def test_studio_usage_queries_do_not_grow(client, admin, make_term, make_student, make_user, make_session,
                                          count_queries):
    term = make_term()
    student, faculty = make_student(), make_user("faculty")
    for _ in range(5):
        make_session(student, faculty, term=term)
    client.csrf_token()
    with count_queries() as small:
        client.get("/reports/studio-usage")
    for _ in range(200):
        make_session(student, faculty, term=term)
    with count_queries() as large:
        page = client.get("/reports/studio-usage").get_data(as_text=True)
    assert large.count == small.count
    assert ">205<" in page


# ---------------------------------------------------------------- review turnaround

def ago(days: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


def test_review_turnaround(client, admin, make_student, make_user, make_session):
    busy = make_user("faculty", name="Busy Prof")
    idle = make_user("faculty", name="Idle Prof")
    student = make_student()
    make_session(student, busy, status="pending", created_at=ago(10.2))
    make_session(student, busy, status="pending", created_at=ago(3))
    for days in (2, 4, 6):
        make_session(student, busy, status="approved", created_at=ago(days))  # reviewed now
    make_session(student, busy, status="approved", created_at=ago(200))  # waited 200 days, decided now
    old = make_session(student, busy, status="rejected", created_at=ago(300))
    old.reviewed_at = ago(100)  # decided before the 90-day window: left out
    db.session.commit()
    page = client.get("/reports/review-turnaround").get_data(as_text=True)
    assert "Busy Prof" in page and "Idle Prof" in page
    rows = read_csv(client.get("/reports/review-turnaround?format=csv"))
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Busy Prof"][2:] == ["2", "10", "4", "5.0"]  # median of 2, 4, 6 and 200 days
    assert by_name["Idle Prof"][2:] == ["0", "", "0", ""]
    assert rows[1][0] == "Busy Prof"  # most waiting first


def test_review_turnaround_median(make_student, make_user, make_session):
    from tracker.services.reports import review_turnaround

    prof = make_user("faculty")
    student = make_student()
    for days in (1, 2, 9):
        make_session(student, prof, status="approved", created_at=ago(days))
    [row] = [r for r in review_turnaround() if r.user_id == prof.id]
    assert row.decided == 3 and row.median_days == Decimal("2.0")
    assert row.pending == 0 and row.oldest_pending_days is None


def test_review_turnaround_queries_do_not_grow(client, admin, make_student, make_user, make_session, count_queries):
    student = make_student()
    profs = [make_user("faculty") for _ in range(2)]
    for prof in profs:
        make_session(student, prof, status="pending")
        make_session(student, prof, status="approved", created_at=ago(2))
    client.csrf_token()
    with count_queries() as small:
        client.get("/reports/review-turnaround")
    profs += [make_user("faculty") for _ in range(20)]
    for prof in profs:
        for status in ("pending", "approved", "rejected"):
            make_session(student, prof, status=status, created_at=ago(3))
    with count_queries() as large:
        client.get("/reports/review-turnaround")
    assert large.count == small.count


# ---------------------------------------------------------------- cohort progress

@pytest.fixture
def cohort(demo_program, make_student, make_user, make_term, make_course_record):
    fall = make_term("Fall 2025", date.today() - timedelta(days=300), date.today() - timedelta(days=200))
    spring = make_term("Spring 2026", date.today() - timedelta(days=150), date.today() - timedelta(days=50))
    moreno, okafor = make_user("faculty", name="Alicia Moreno"), make_user("faculty", name="Ben Okafor")
    maya = make_student(program=demo_program, concentration="production", track="thesis", advisor=moreno,
                        start_term=fall, name="Maya Chen")
    jonah = make_student(program=demo_program, concentration="technical", track="non_thesis", advisor=okafor,
                         start_term=spring, name="=Jonah Park")
    for code in ("MPT 601", "MPT 602", "MPT 603", "MPT 604"):
        make_course_record(maya, course(code), fall, grade="A")
    return {"maya": maya, "jonah": jonah, "fall": fall, "spring": spring, "moreno": moreno, "okafor": okafor}


def test_cohort_page_shows_every_student_against_every_requirement(client, admin, cohort):
    page = client.get("/reports/cohort").get_data(as_text=True)
    assert "Maya Chen" in page and "=Jonah Park" in page
    for title in ("Core courses", "Thesis milestones", "Capstone", "Studio"):
        assert title in page
    assert "n/a" in page


def test_cohort_csv(client, admin, cohort):
    rows = read_csv(client.get("/reports/cohort?format=csv"))
    header = rows[0]
    assert header[:8] == ["Student", "Email", "Concentration", "Track", "Start term", "Advisor", "Overall %", "GPA"]
    by_name = {r[0]: dict(zip(header, r)) for r in rows[1:]}
    maya = by_name["Maya Chen"]
    assert maya["Core courses %"] == "100" and maya["Core courses status"] == "complete"
    assert maya["Capstone project %"] == "n/a"
    assert maya["GPA"] == "4.00" or maya["GPA"].startswith("4")
    jonah = by_name["'=Jonah Park"]  # neutralised
    assert jonah["Thesis milestones %"] == "n/a" and jonah["Core courses %"] == "0"


@pytest.mark.parametrize("query, expected", [
    ("concentration={technical}", {"=Jonah Park"}),
    ("track=thesis", {"Maya Chen"}),
    ("start_term={spring}", {"=Jonah Park"}),
    ("advisor={moreno}", {"Maya Chen"}),
    ("", {"Maya Chen", "=Jonah Park"}),
])
def test_cohort_filters(client, admin, cohort, query, expected):
    from sqlalchemy import select

    from tracker.models import Concentration

    technical = db.session.scalar(select(Concentration.id).where(Concentration.code == "technical"))
    query = query.format(technical=technical, spring=cohort["spring"].id, moreno=cohort["moreno"].id)
    rows = read_csv(client.get(f"/reports/cohort?format=csv&{query}"))
    assert {r[0].lstrip("'") for r in rows[1:]} == expected


def test_cohort_queries_do_not_grow(client, admin, cohort, demo_program, make_student, make_term,
                                    make_course_record, count_queries):
    client.csrf_token()
    with count_queries() as small:
        assert client.get("/reports/cohort").status_code == 200
    term = cohort["fall"]
    for i in range(30):
        student = make_student(program=demo_program, concentration="education", track="non_thesis",
                               advisor=cohort["okafor"], start_term=term)
        make_course_record(student, course("MPT 601"), term)
    with count_queries() as large:
        page = client.get("/reports/cohort").get_data(as_text=True)
    assert large.count == small.count
    assert "32 students" in page
