"""The progress page: every requirement kind, both tracks, every concentration, CSV, what-if, access and query counts."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tracker.csv_export import safe_cell
from tracker.extensions import db
from tracker.models import HistoryEvent
from tracker.services import catalog_versions

from .catalog_support import newest
from .html_support import page_html
from .progress_support import (
    CONCENTRATION_COURSES,
    CONCENTRATIONS,
    add_course,
    add_ensemble,
    add_exception,
    add_sessions,
    complete_records,
    sign,
)


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _aria(html: str, label: str) -> int:
    """aria-valuenow of the progressbar labelled `label`."""
    match = re.search(r'aria-label="' + re.escape(label) + r'" aria-valuenow="(\d+)"', html)
    assert match, f"no progress bar labelled {label!r}"
    return int(match.group(1))


def _card(html: str, key: str) -> str:
    """The HTML of one requirement card."""
    start = html.index(f'id="req-{key}"')
    end = html.find('<section class="card h-100 block-card"', start + 10)
    return html[start:end if end != -1 else len(html)]


# ---------------------------------------------------------------- the page, requirement by requirement

def test_every_requirement_kind_is_shown_with_its_figures(client, demo_program, terms, make_user, make_student):
    advisor = make_user("faculty", name="Prof. Alicia Moreno")
    student = make_student(concentration="production", track="thesis", advisor=advisor, start_term=terms.first)
    add_course(student, "MPT 601", terms.first, grade="A")
    add_course(student, "MPT 602", terms.first, grade="C+")          # below the core minimum B-
    add_course(student, "MPT 603", terms.current, status="in_progress")
    add_course(student, "MPT 611", terms.second, grade="B")
    add_course(student, "MPT 612", terms.current, status="planned")
    add_course(student, "MPT 663", terms.second, grade="A-")         # elective
    add_course(student, "MPT 664", terms.second, status="withdrawn")  # counts toward nothing
    add_course(student, "MPT 698", terms.second, grade="A")
    add_ensemble(student, terms.first)
    add_ensemble(student, terms.current)
    add_sessions(student, advisor, terms.second, count=10, hours=4)                   # 40 h: a full term
    add_sessions(student, advisor, terms.current, count=7, hours=4)                   # 28 h approved
    add_sessions(student, advisor, terms.current, count=2, hours=3, status="pending")
    add_sessions(student, advisor, terms.current, count=1, hours=2, status="rejected")
    sign(student, "proposal", terms.second.start_date, advisor, note="Approved unanimously")

    client.login(student.email)
    response = client.get("/progress")
    assert response.status_code == 200
    html = page_html(response)

    core = _card(html, "core")
    assert "In progress" in core and "Music History (at least B-)" in core
    assert "grade C+ below minimum B-" in core                    # the rejected candidate and why
    assert "provisional" in core                                  # MPT 603 in progress
    concentration = _card(html, "concentration")
    assert "<strong>3</strong> of 12 credits done" in concentration and "3 credits in progress" in concentration
    electives = _card(html, "electives")
    assert "MPT 663 Music Business" in electives
    thesis = _card(html, "thesis")
    assert "Thesis II" in thesis                                  # named from the catalog, not taken yet
    milestones = _card(html, "thesis-milestones")
    assert "Thesis proposal approved" in milestones and "Committee formed" in milestones
    assert "Approved unanimously" in milestones
    ensembles = _card(html, "ensembles")
    assert "<strong>1</strong> of 2 terms done" in ensembles and "1 term in progress" in ensembles
    studio = _card(html, "studio")
    assert "Studio hours by term" in studio
    assert re.search(r"Current term</th>\s*<td[^>]*>28 h</td>\s*<td[^>]*>6 h</td>\s*<td[^>]*>2 h</td>", studio)
    assert "12 more approved studio hours in Current term" in studio
    total = _card(html, "total-credits")
    assert "of 36 credits done" in total
    gpa = _card(html, "gpa")
    assert "GPA <strong>" in gpa and "minimum 3.00" in gpa
    # Records that count toward nothing, and warnings.
    assert "Records that count toward no requirement" in html and "withdrawn" in html
    assert 'class="alert alert-warning"' in html and "MPT 602 Music Style: grade C+ below minimum B-" in html
    # Overall figure, GPA against the minimum.
    assert re.search(r"data-overall-percent>\d+%<", html)
    assert "Minimum 3.00" in html
    # Strict CSP: no inline styles or scripts; printing through app.js.
    assert 'style="' not in html and "<script>" not in html
    assert "data-print" in html


def test_bars_have_done_and_in_progress_segments(client, demo_program, terms, make_user, make_student):
    advisor = make_user("faculty")
    student = make_student(advisor=advisor)
    add_course(student, "MPT 601", terms.first)
    add_course(student, "MPT 602", terms.current, status="in_progress")
    client.login(student.email)
    html = page_html(client.get("/progress"))
    assert _aria(html, "Core courses: done") == 25
    assert _aria(html, "Core courses: in progress") == 25
    assert re.search(r'aria-label="Core courses: done" aria-valuenow="25"[^>]*class="progress pct-25"', html)


@pytest.mark.parametrize("track", ["thesis", "non_thesis"])
@pytest.mark.parametrize("concentration", CONCENTRATIONS)
def test_a_complete_record_is_100_percent_in_every_concentration_and_track(
        client, demo_program, terms, make_user, make_student, concentration, track):
    advisor = make_user("faculty")
    student = make_student(concentration=concentration, track=track, advisor=advisor, start_term=terms.first)
    complete_records(student, advisor, terms, concentration, track)
    client.login(student.email)
    html = page_html(client.get("/progress"))
    assert "data-overall-percent>100%<" in html
    expected = {"core", "concentration", "electives", "ensembles", "studio", "total-credits", "gpa"}
    expected |= {"thesis", "thesis-milestones"} if track == "thesis" else {
        "capstone", "additional-electives", "non-thesis-milestones"}
    shown = set(re.findall(r'data-requirement="([^"]+)"', html))
    assert shown == expected
    for key in expected:
        assert "Complete" in _card(html, key), key
    # The concentration block counted this concentration's own courses.
    first = CONCENTRATION_COURSES[concentration][0]
    assert first in _card(html, "concentration")
    rows = {row[0]: row for row in _csv(client.get("/progress/export.csv"))[1:]}
    assert rows["summary:overall"][5] == "100"
    assert all(rows[key][2] == "complete" for key in expected)


@pytest.mark.parametrize("track, shown, hidden", [
    ("thesis", ["Thesis milestones", "Thesis proposal approved", "Thesis deposited"],
     ["Capstone and comprehensive exam", "Comprehensive exam passed"]),
    ("non_thesis", ["Capstone and comprehensive exam", "Capstone project passed", "Comprehensive exam passed"],
     ["Thesis milestones", "Thesis proposal approved"]),
])
def test_milestones_of_the_track_are_listed(client, demo_program, make_student, track, shown, hidden):
    student = make_student(track=track)
    client.login(student.email)
    for url in ("/progress", "/progress/milestones"):
        html = page_html(client.get(url))
        for text in shown:
            assert text in html, (url, text)
        for text in hidden:
            assert text not in html, (url, text)


def test_milestones_page_flags_an_out_of_order_sign_off(client, demo_program, make_user, make_student):
    advisor = make_user("faculty", name="Dr. Ben Okafor")
    student = make_student(advisor=advisor)
    sign(student, "defense", date.today() - timedelta(days=3), advisor, note="Passed with minor revisions")
    client.login(student.email)
    html = page_html(client.get("/progress/milestones"))
    assert "Defense passed" in html and "Dr. Ben Okafor" in html and "Passed with minor revisions" in html
    assert "was signed off" in html and "before Thesis proposal approved" in html
    assert "1 of 4 milestones signed off" in html


def test_exceptions_are_marked_as_exceptions_with_who_when_and_why(client, demo_program, terms, make_user,
                                                                    make_student):
    advisor = make_user("faculty", name="Prof. Alicia Moreno")
    admin = make_user("admin", name="Director Dana")
    student = make_student(advisor=advisor)
    record = add_course(student, "MPT 663", terms.first, grade="A")
    add_exception(student, advisor, "substitution", "MPT 663 covers the production seminar's content",
                  requirement_key="concentration", course_record_id=record.id)
    add_exception(student, admin, "waiver", "Prior professional experience", requirement_key="studio",
                  amount=Decimal("1"))
    add_exception(student, admin, "transfer", "Equivalent graduate course", transfer_title="Acoustics I",
                  transfer_credits=Decimal("3"), institution="Berklee")
    revoked = add_exception(student, admin, "waiver", "Revoked: should not show", requirement_key="ensembles")
    revoked.revoked_at = revoked.created_at
    db.session.commit()

    client.login(student.email)
    html = page_html(client.get("/progress"))
    concentration = _card(html, "concentration")
    assert "Exception · Substitution" in concentration
    assert "recorded by Prof. Alicia Moreno" in concentration and "covers the production seminar" in concentration
    studio = _card(html, "studio")
    assert "Exception · Waiver" in studio and "Waived 1 terms" in studio and "Director Dana" in studio
    assert "<strong>0</strong> of 2 terms done" in studio                     # 3 terms less 1 waived
    assert "Exceptions on the record" in html and "Transfer credit: Acoustics I (3 credits from Berklee)" in html
    assert "Revoked: should not show" not in html


def test_a_student_without_an_enrollment_is_told_so(client, make_user):
    student = make_user("student")
    client.login(student.email)
    response = client.get("/progress")
    assert response.status_code == 200 and "not enrolled" in page_html(response)
    assert client.get("/progress/export.csv").status_code == 404


# ---------------------------------------------------------------- access

@pytest.fixture
def cast(demo_program, make_user, make_student):
    """An advisee with their advisor, another faculty member, another student and an admin."""
    advisor = make_user("faculty")
    return {
        "advisor": advisor,
        "student": make_student(advisor=advisor, name="Maya Chen"),
        "other_faculty": make_user("faculty"),
        "other_student": make_student(advisor=advisor),
        "admin": make_user("admin"),
    }


@pytest.mark.parametrize("who, expected", [
    ("advisor", 200), ("admin", 200), ("other_faculty", 404), ("other_student", 404),
])
@pytest.mark.parametrize("suffix", ["", "/export.csv", "/what-if", "/what-if?concentration=technical&track=thesis"])
def test_who_may_see_a_students_progress(client, cast, who, expected, suffix):
    client.login(cast[who].email)
    response = client.get(f"/progress/students/{cast['student'].id}{suffix}")
    assert response.status_code == expected
    if expected == 404:
        assert "Maya Chen" not in page_html(response)


def test_a_student_on_their_own_id_goes_to_their_page(client, cast):
    client.login(cast["student"].email)
    response = client.get(f"/progress/students/{cast['student'].id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/progress")


@pytest.mark.parametrize("role", ["advisor", "admin"])
@pytest.mark.parametrize("url", ["/progress", "/progress/export.csv", "/progress/what-if", "/progress/milestones"])
def test_the_own_progress_pages_are_for_students(client, cast, role, url):
    client.login(cast[role].email)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/progress", "/progress/students/1", "/progress/export.csv"])
def test_anonymous_users_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_unknown_or_non_student_ids_are_404(client, cast):
    client.login(cast["admin"].email)
    assert client.get("/progress/students/999999").status_code == 404
    assert client.get(f"/progress/students/{cast['advisor'].id}").status_code == 404


def test_an_advisor_sees_the_advisees_page_with_their_name(client, cast):
    client.login(cast["advisor"].email)
    html = page_html(client.get(f"/progress/students/{cast['student'].id}"))
    assert "Degree progress: Maya Chen" in html
    assert f"/advising/students/{cast['student'].id}/milestones" in html
    assert f"/progress/students/{cast['student'].id}/export.csv" in html


# ---------------------------------------------------------------- CSV

def test_csv_has_one_row_per_requirement_and_summary_rows(client, demo_program, terms, make_user, make_student):
    advisor = make_user("faculty")
    student = make_student(advisor=advisor, name="Maya Chen", track="non_thesis")
    add_course(student, "MPT 601", terms.first, grade="A")
    add_course(student, "MPT 602", terms.first, grade="B")
    add_course(student, "MPT 611", terms.current, status="in_progress")
    add_ensemble(student, terms.first)
    client.login(student.email)
    response = client.get("/progress/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"progress-maya-chen-{date.today().isoformat()}.csv" in disposition
    rows = _csv(response)
    assert rows[0] == ["key", "title", "status", "unit", "need", "done", "in progress", "remaining", "percent",
                       "still needed", "part of", "counts"]
    by_key = {row[0]: row for row in rows[1:]}
    assert list(by_key) == ["core", "concentration", "electives", "capstone", "additional-electives",
                            "non-thesis-milestones", "ensembles", "studio", "total-credits", "gpa",
                            "summary:overall", "summary:gpa", "summary:total_credits"]
    assert by_key["core"][2:9] == ["in_progress", "courses", "4", "2", "0", "2", "50"]
    assert by_key["core"][9] == "Music Structure (at least B-); Music History (at least B-)"
    assert by_key["core"][10:] == ["", "yes"]                # a top-level requirement, counted
    assert by_key["summary:overall"][10:] == ["", ""]
    assert by_key["concentration"][4:8] == ["12", "0", "3", "9"]
    assert by_key["ensembles"][9] == "1 more ensemble term"
    assert by_key["summary:gpa"][4:6] == ["3.00", "3.50"]
    assert by_key["summary:total_credits"][4:8] == ["36", "6", "3", "27"]
    # The page shows the same overall figure as the CSV.
    html = page_html(client.get("/progress"))
    assert f"data-overall-percent>{by_key['summary:overall'][5]}%<" in html


def test_csv_neutralises_formulas(client, demo_program, make_user, make_student):
    version = newest(demo_program.id)
    data = dict(version.definition)
    data["requirements"] = [dict(r, title='=HYPERLINK("http://evil.example","click")') if r["key"] == "core" else r
                            for r in data["requirements"]]
    catalog_versions.set_definition(version, data)
    db.session.commit()
    student = make_student()
    client.login(student.email)
    rows = _csv(client.get("/progress/export.csv"))
    core = next(row for row in rows if row[0] == "core")
    assert core[1] == '\'=HYPERLINK("http://evil.example","click")'


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("plain", "plain"), (Decimal("3.50"), "3.50"), (12, "12"), (None, ""), ("a=b", "a=b"),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_an_advisor_downloads_an_advisees_csv(client, cast):
    client.login(cast["advisor"].email)
    response = client.get(f"/progress/students/{cast['student'].id}/export.csv")
    assert response.status_code == 200 and _csv(response)[0][0] == "key"


# ---------------------------------------------------------------- what-if

def _table_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def test_what_if_shows_both_audits_and_writes_nothing(client, demo_program, terms, make_user, make_student,
                                                      count_queries):
    advisor = make_user("faculty")
    student = make_student(concentration="production", track="thesis", advisor=advisor)
    add_course(student, "MPT 611", terms.first, grade="A")
    add_course(student, "MPT 621", terms.first, grade="A")
    add_course(student, "MPT 698", terms.second, grade="A")
    client.login(student.email)
    before = _table_counts()
    history_before = db.session.scalars(sa.select(HistoryEvent.id).order_by(HistoryEvent.id)).all()
    with count_queries() as q:
        response = client.get("/progress/what-if?concentration=technical&track=non_thesis")
    assert response.status_code == 200
    html = page_html(response)
    assert "Now: Production, Thesis" in html and "What if: Technical, Non-thesis" in html
    assert _aria(html, "Now: Concentration courses: done") == 25
    assert _aria(html, "What if: Concentration courses: done") == 25
    assert "Does not apply" in html                    # thesis blocks under non-thesis, and the reverse
    assert "Capstone project" in html and "Thesis" in html
    # Under the technical concentration, the production course falls through to the electives.
    assert _aria(html, "What if: Electives: done") == 50
    assert not [s for s in q.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    db.session.expire_all()
    assert _table_counts() == before
    assert db.session.scalars(sa.select(HistoryEvent.id).order_by(HistoryEvent.id)).all() == history_before
    # The real audit is unchanged.
    assert "Production concentration" in page_html(client.get("/progress"))


def test_what_if_form_lists_active_concentrations_and_both_tracks(client, demo_program, make_student):
    from tracker.models import Concentration

    retired = db.session.scalar(sa.select(Concentration).where(Concentration.code == "education"))
    retired.active = False
    db.session.commit()
    student = make_student()
    client.login(student.email)
    html = page_html(client.get("/progress/what-if"))
    assert 'method="get"' in html
    for label in ("Production", "Technical", "Acoustical Studies", "Composition", "Thesis", "Non-thesis"):
        assert f">{label}</option>" in html
    assert ">Education</option>" not in html
    assert "Choose a concentration and/or a track" in html
    refused = client.get("/progress/what-if?concentration=education&track=thesis")
    assert refused.status_code == 200 and "Not a valid choice" in page_html(refused)
    assert "What if: " not in page_html(refused)


def test_an_advisor_runs_what_if_for_an_advisee(client, cast):
    client.login(cast["advisor"].email)
    response = client.get(f"/progress/students/{cast['student'].id}/what-if?concentration=composition&track=thesis")
    assert response.status_code == 200 and "What if: Composition, Thesis" in page_html(response)


# ---------------------------------------------------------------- query counts

def _three_hundred_records(student, advisor, terms) -> None:
    """30 course records, 260 studio sessions and 10 ensemble records."""
    codes = ["MPT 601", "MPT 602", "MPT 603", "MPT 604", "MPT 611", "MPT 612", "MPT 613", "MPT 614", "MPT 663",
             "MPT 698"]
    for term in (terms.first, terms.second, terms.current):
        for code in codes:
            add_course(student, code, term, grade="B+" if term is not terms.current else None,
                       status="completed" if term is not terms.current else "in_progress", commit=False)
    for term in (terms.first, terms.second, terms.current):
        add_sessions(student, advisor, term, count=86 if term is not terms.current else 88, hours=1, commit=False)
    for i, term in enumerate((terms.first, terms.second, terms.current, terms.next)):
        for name in ("Jazz Ensemble", "New Music Collective", "Electronic Ensemble"):
            if i * 3 + ("Jazz Ensemble", "New Music Collective", "Electronic Ensemble").index(name) < 10:
                add_ensemble(student, term, name, commit=False)
    db.session.commit()


def test_the_progress_page_costs_at_most_five_queries_with_300_records(app, client, demo_program, terms, make_user,
                                                                       make_student, count_queries):
    from tracker.models import CourseRecord, EnsembleRecord, StudioSession

    advisor = make_user("faculty")
    small = make_student(advisor=advisor)
    add_course(small, "MPT 601", terms.first)
    big = make_student(advisor=advisor)
    _three_hundred_records(big, advisor, terms)
    total = sum(db.session.scalar(sa.select(sa.func.count()).select_from(m).where(m.student_id == big.id))
                for m in (CourseRecord, StudioSession, EnsembleRecord))
    assert total == 300

    counts = {}
    for student in (small, big):
        browser = app.test_client()
        browser.login(student.email)
        with count_queries() as q:
            response = browser.get("/progress")
        assert response.status_code == 200
        counts[student.id] = q.count
    assert counts[big.id] == counts[small.id]
    assert counts[big.id] <= 5, counts

    client.login(advisor.email)
    with count_queries() as q:
        response = client.get(f"/progress/students/{big.id}")
    assert response.status_code == 200 and q.count <= 5, q.count
    with count_queries() as q:
        response = client.get(f"/progress/students/{big.id}/export.csv")
    assert response.status_code == 200 and q.count <= 5, q.count


def test_the_audit_is_live(client, demo_program, terms, make_user, make_student):
    advisor = make_user("faculty")
    student = make_student(advisor=advisor)
    client.login(student.email)
    assert _aria(page_html(client.get("/progress")), "Studio hours: done") == 0
    add_sessions(student, advisor, terms.second, count=10, hours=4)
    assert _aria(page_html(client.get("/progress")), "Studio hours: done") == 33
