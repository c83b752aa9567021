"""A student's courses: adding from the catalog, the grade rules, duplicates, editing, deleting, the list by term,
access rules and query counts."""
from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import AuditException, CourseRecord, CourseStatus, ExceptionKind, HistoryEvent
from tracker.services import ServiceError, courses as course_service

from .db_support import lose_the_race, rows_of
from .html_support import field_error, visible_text


@pytest.fixture
def setup(login_as, make_course, make_term):
    """A logged-in student, two courses of their program (one pass/fail) and two terms."""
    student = login_as("student", name="Maya Chen")
    course = make_course(code="MPT 601", title="Critical Listening", credits=3)
    pass_fail = make_course(code="MPT 690", title="Studio Practicum", credits=1, pass_fail=True)
    fall = make_term("Fall 2025", start=date(2025, 8, 24), end=date(2025, 12, 18))
    spring = make_term("Spring 2026", start=date(2026, 1, 12), end=date(2026, 5, 8))
    return student, course, pass_fail, fall, spring


def data(course, term, status="completed", grade="A") -> dict:
    return {"course_id": course.id, "term_id": term.id, "status": status, "grade": grade or ""}


def test_add_form_offers_the_programs_active_catalog_with_a_filter(client, setup, make_course, make_program):
    student, course, pass_fail, fall, spring = setup
    make_course(code="MPT 699", title="Retired Course", active=False)
    make_course(code="OTH 500", title="Other Program Course", program=make_program())
    text = html.unescape(client.get("/courses/new").get_data(as_text=True))
    assert "MPT 601 Critical Listening (3 cr)" in text
    assert "MPT 690 Studio Practicum (1 cr, pass/fail)" in text
    assert "Retired Course" not in text and "Other Program Course" not in text
    assert 'data-filter-select="course_id"' in text and 'id="course_id"' in text
    assert "Fall 2025" in text and "Spring 2026" in text


def test_student_adds_a_completed_course_with_a_grade(client, setup):
    student, course, pass_fail, fall, spring = setup
    response = client.post_form("/courses/new", data(course, fall, "completed", "B+"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/courses")
    [record] = rows_of(CourseRecord, student)
    assert (record.course_id, record.term_id, record.status, record.grade) == (
        course.id, fall.id, CourseStatus.COMPLETED, "B+")
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.entity_type == "course_record"))
    assert event.action == "course_record.added" and event.entity_id == record.id
    assert event.actor_id == student.id and event.subject_id == student.id
    assert event.changes == {"course": "MPT 601", "term": "Fall 2025", "status": "completed", "grade": "B+"}


@pytest.mark.parametrize("status", ["planned", "in_progress"])
def test_a_course_without_a_grade_is_added(client, setup, status):
    student, course, pass_fail, fall, spring = setup
    assert client.post_form("/courses/new", data(course, spring, status, "")).status_code == 302
    assert rows_of(CourseRecord, student)[0].grade is None


def test_a_completed_course_needs_a_grade(client, setup):
    student, course, pass_fail, fall, spring = setup
    response = client.post_form("/courses/new", data(course, fall, "completed", ""))
    assert response.status_code == 200
    assert "Enter the grade" in field_error(response, "grade")
    assert rows_of(CourseRecord, student) == []


@pytest.mark.parametrize("status", ["planned", "in_progress", "withdrawn"])
def test_a_grade_is_refused_unless_completed(client, setup, status):
    student, course, pass_fail, fall, spring = setup
    response = client.post_form("/courses/new", data(course, spring, status, "A"))
    assert response.status_code == 200
    assert "only for a completed course" in field_error(response, "grade")
    # What the student chose stays selected.
    text = response.get_data(as_text=True)
    assert re.search(rf'<option selected value="{course.id}"|<option value="{course.id}" selected', text)
    assert re.search(rf'<option selected value="{status}"|<option value="{status}" selected', text)
    assert rows_of(CourseRecord, student) == []


def test_pass_fail_courses_take_p_or_np_only(client, setup):
    student, course, pass_fail, fall, spring = setup
    refused = client.post_form("/courses/new", data(pass_fail, fall, "completed", "A"))
    assert refused.status_code == 200 and "pass/fail: choose P or NP" in field_error(refused, "grade")
    assert client.post_form("/courses/new", data(pass_fail, fall, "completed", "P")).status_code == 302


def test_letter_courses_refuse_p_and_np(client, setup):
    student, course, pass_fail, fall, spring = setup
    refused = client.post_form("/courses/new", data(course, fall, "completed", "NP"))
    assert refused.status_code == 200 and "letter grade" in field_error(refused, "grade")
    assert rows_of(CourseRecord, student) == []


def test_an_unknown_grade_is_refused(client, setup):
    student, course, pass_fail, fall, spring = setup
    response = client.post_form("/courses/new", data(course, fall, "completed", "A++"))
    assert response.status_code == 200 and field_error(response, "grade")


def test_the_same_course_twice_in_a_term_is_refused_at_the_course_field(client, setup):
    student, course, pass_fail, fall, spring = setup
    assert client.post_form("/courses/new", data(course, fall)).status_code == 302
    again = client.post_form("/courses/new", data(course, fall, "completed", "B"))
    assert again.status_code == 200
    assert "You already have MPT 601 in Fall 2025" in field_error(again, "course_id")
    assert len(rows_of(CourseRecord, student)) == 1
    # A retake in another term is fine.
    assert client.post_form("/courses/new", data(course, spring, "in_progress", "")).status_code == 302


def test_a_double_submit_that_races_past_the_check_hits_the_unique_constraint(setup, monkeypatch):
    """Two submissions at once: both pass the check, the database keeps one and the other gets the same message."""
    student, course, pass_fail, fall, spring = setup
    lose_the_race(monkeypatch, course_service, CourseRecord, student_id=student.id, course_id=course.id,
                  term_id=fall.id, status="completed", grade="A")
    with pytest.raises(ServiceError) as err:
        course_service.add_course_record(student, course_service.CourseInput(course.id, fall.id, "completed", "A"),
                                  actor=student)
    assert err.value.field == "course_id" and "You already have MPT 601 in Fall 2025" in err.value.message
    assert len(rows_of(CourseRecord, student)) == 1
    assert db.session.scalar(sa.select(sa.func.count(HistoryEvent.id))) == 0


def test_a_course_from_another_program_or_retired_is_refused(client, setup, make_course, make_program):
    student, course, pass_fail, fall, spring = setup
    foreign = make_course(code="OTH 500", program=make_program())
    retired = make_course(code="MPT 699", active=False)
    for other in (foreign, retired):
        response = client.post_form("/courses/new", data(other, fall))
        assert response.status_code == 200 and "catalog" in field_error(response, "course_id")
    with pytest.raises(ServiceError):
        course_service.add_course_record(student, course_service.CourseInput(foreign.id, fall.id, "completed", "A"),
                                  actor=student)
    assert rows_of(CourseRecord, student) == []


def test_edit_changes_the_record_and_records_the_difference(client, setup, make_course_record):
    student, course, pass_fail, fall, spring = setup
    record = make_course_record(student, course, spring, status="in_progress")
    form = client.get(f"/courses/{record.id}/edit").get_data(as_text=True)
    assert re.search(r'<option selected value="in_progress"|<option value="in_progress" selected', form)
    response = client.post_form(f"/courses/{record.id}/edit", data(course, spring, "completed", "A-"))
    assert response.status_code == 302
    [record] = rows_of(CourseRecord, student)
    assert record.status == CourseStatus.COMPLETED and record.grade == "A-"
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "course_record.edited"))
    assert event.changes == {"status": ["in_progress", "completed"], "grade": [None, "A-"]}
    assert event.entity_id == record.id and event.subject_id == student.id


def test_edit_into_a_duplicate_is_refused(client, setup, make_course_record):
    student, course, pass_fail, fall, spring = setup
    make_course_record(student, course, fall)
    other = make_course_record(student, course, spring, status="planned")
    response = client.post_form(f"/courses/{other.id}/edit", data(course, fall, "completed", "B"))
    assert response.status_code == 200 and "already have MPT 601 in Fall 2025" in field_error(response, "course_id")
    assert rows_of(CourseRecord, student)[1].term_id == spring.id


def test_edit_refuses_a_grade_on_a_planned_course(client, setup, make_course_record):
    student, course, pass_fail, fall, spring = setup
    record = make_course_record(student, course, spring, status="planned")
    response = client.post_form(f"/courses/{record.id}/edit", data(course, spring, "planned", "B"))
    assert response.status_code == 200 and "only for a completed course" in field_error(response, "grade")


def test_delete_is_post_only_confirmed_and_recorded(client, setup, make_course_record):
    student, course, pass_fail, fall, spring = setup
    record_id = make_course_record(student, course, fall).id
    assert client.get(f"/courses/{record_id}/delete").status_code == 405
    assert "data-confirm" in client.get("/courses").get_data(as_text=True)
    assert client.post(f"/courses/{record_id}/delete").status_code == 400  # no CSRF token
    assert client.post_form(f"/courses/{record_id}/delete").status_code == 302
    assert rows_of(CourseRecord, student) == []
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "course_record.deleted"))
    assert event.entity_id == record_id and event.changes["course"] == "MPT 601"


def test_a_record_used_in_a_substitution_is_not_deleted(client, setup, make_course_record, make_user):
    student, course, pass_fail, fall, spring = setup
    record = make_course_record(student, course, fall)
    advisor = make_user("faculty")
    db.session.add(AuditException(student_id=student.id, kind=ExceptionKind.SUBSTITUTION, requirement_key="core",
                                  course_record_id=record.id, justification="Equivalent", created_by_id=advisor.id))
    db.session.commit()
    response = client.post_form(f"/courses/{record.id}/delete", follow_redirects=True)
    assert "substitution" in visible_text(response)
    assert len(rows_of(CourseRecord, student)) == 1


def test_list_groups_by_term_chronologically_with_credit_totals(client, setup, make_course, make_course_record):
    student, course, pass_fail, fall, spring = setup
    second = make_course(code="MPT 602", title="Recording Techniques", credits=3)
    third = make_course(code="MPT 603", title="Acoustics", credits=2)
    make_course_record(student, course, spring, status="in_progress")
    make_course_record(student, second, spring, status="planned")
    make_course_record(student, third, spring, status="withdrawn")
    make_course_record(student, course, fall, status="completed", grade="B")
    make_course_record(student, pass_fail, fall, status="completed", grade="P")
    text = visible_text(client.get("/courses"))
    assert text.index("Fall 2025") < text.index("Spring 2026")
    fall_part = text[text.index("Fall 2025"):text.index("Spring 2026")]
    assert "Completed 4 cr · in progress 0 cr · planned 0 cr" in fall_part
    spring_part = text[text.index("Spring 2026"):]
    assert "Completed 0 cr · in progress 3 cr · planned 3 cr" in spring_part
    assert "MPT 603" in spring_part and "Withdrawn" in spring_part


def test_a_student_without_an_enrollment_sees_a_message_not_a_form(client, make_user, make_term):
    make_term()
    student = make_user("student")
    client.login(student.email)
    for url in ("/courses", "/courses/new"):
        response = client.get(url)
        assert response.status_code == 200
        assert "not enrolled in a program yet" in visible_text(response)
        assert 'name="course_id"' not in response.get_data(as_text=True)
    refused = client.post_form("/courses/new", {"course_id": 1, "term_id": 1, "status": "planned"})
    assert refused.status_code == 200 and "not enrolled" in visible_text(refused)
    assert db.session.scalar(sa.select(sa.func.count(CourseRecord.id))) == 0


def test_another_students_records_are_404(client, setup, make_student, make_course_record):
    student, course, pass_fail, fall, spring = setup
    theirs = make_course_record(make_student(), course, fall)
    assert client.get(f"/courses/{theirs.id}/edit").status_code == 404
    assert client.post_form(f"/courses/{theirs.id}/edit", data(course, spring)).status_code == 404
    assert client.post_form(f"/courses/{theirs.id}/delete").status_code == 404
    assert client.get("/courses/999999/edit").status_code == 404
    db.session.expire_all()
    assert db.session.get(CourseRecord, theirs.id).term_id == fall.id


def test_the_list_costs_the_same_queries_for_5_and_200_records(app, make_student, make_course, make_term,
                                                               make_course_record, count_queries):
    catalog = [make_course(credits=3, pass_fail=i % 5 == 0) for i in range(20)]
    terms = [make_term(start=date(2000, 1, 1) + timedelta(days=120 * i),
                       end=date(2000, 1, 1) + timedelta(days=120 * i + 100)) for i in range(10)]
    counts = []
    for n in (5, 200):
        student = make_student()
        client = app.test_client()
        client.login(student.email)
        for i in range(n):
            course = catalog[i % 20]
            make_course_record(student, course, terms[i // 20], status="completed",
                               grade="P" if course.pass_fail else "B")
        db.session.expire_all()
        with count_queries() as q:
            response = client.get("/courses")
        # One row per record, one heading row per term, one header row.
        assert response.status_code == 200
        assert response.get_data(as_text=True).count("<tr") == n + len({i // 20 for i in range(n)}) + 1
        counts.append(q.count)
    assert counts[0] == counts[1], counts
