"""Variable-credit courses and the date transfer credit was earned: the student's course form asks for credits only
for a variable-credit course (and checks them against its range), the catalog form sets the range, the audit counts
a record's own credits, and transfer credit carries an optional "earned on" date."""
from __future__ import annotations

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import AuditException, Course, CourseRecord, ExceptionKind, HistoryEvent
from tracker.services import ServiceError
from tracker.services import audit_exceptions as exception_service
from tracker.demo import DEMO_PROGRAM_FILE
from tracker.services.audit import audit_student
from tracker.services.programs import load_program_text

from .db_support import rows_of
from .html_support import field_error, visible_text

D = Decimal


def field_value(response, field: str) -> str | None:
    match = re.search(rf'<input[^>]*id="{field}"[^>]*>', response.get_data(as_text=True))
    assert match, f"no input {field}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


@pytest.fixture
def setup(login_as, make_course, make_term):
    """A logged-in student; a variable-credit course (1 to 3), a fixed 3-credit one; a term."""
    student = login_as("student", name="Maya Chen")
    variable = make_course(code="MUS 6950", title="Topics in Audio", credits=1, category="elective")
    variable.max_credits = D(3)
    db.session.commit()
    fixed = make_course(code="MPT 601", title="Critical Listening", credits=3)
    term = make_term("Fall 2025", start=date(2025, 8, 24), end=date(2025, 12, 18))
    return student, variable, fixed, term


def data(course, term, credits="", status="completed", grade="A") -> dict:
    return {"course_id": course.id, "term_id": term.id, "status": status, "grade": grade or "", "credits": credits}


# ---------------------------------------------------------------- the student's course form

def test_the_form_shows_the_range_and_a_credits_field_for_variable_courses_only(client, setup):
    student, variable, fixed, term = setup
    page = client.get("/courses/new")
    text = html.unescape(page.get_data(as_text=True))
    assert "MUS 6950 Topics in Audio (1–3 cr)" in text and "MPT 601 Critical Listening (3 cr)" in text
    # Without JavaScript the field is there, saying whom it is for; app.js hides it for fixed-credit courses.
    assert "Credits (variable-credit courses only)" in text
    assert re.search(r'<option data-variable="1"[^>]*value="%d"' % variable.id, text) or \
        re.search(r'<option[^>]*value="%d"[^>]*data-variable="1"' % variable.id, text)
    assert not re.search(r'<option[^>]*value="%d"[^>]*data-variable' % fixed.id, text)
    assert 'data-variable-credits="course_id"' in text and "data-variable-credits-field" in text
    assert 'aria-describedby="credits-help"' in text


def test_a_variable_credit_course_is_added_with_its_credits(client, setup):
    student, variable, fixed, term = setup
    response = client.post_form("/courses/new", data(variable, term, "2.5"))
    assert response.status_code == 302
    [record] = rows_of(CourseRecord, student)
    assert record.credits == D("2.5")
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "course_record.added"))
    assert event.changes["credits"] == "2.5" and "2.5 credits" in event.summary
    listing = visible_text(client.get("/courses"))
    assert "MUS 6950 Topics in Audio 2.5" in listing and "variable 1–3" in listing
    assert "Completed 2.5 cr" in listing


@pytest.mark.parametrize("credits, message", [
    ("", "MUS 6950 is a variable-credit course: enter the credits you take, from 1 to 3."),
    ("4", "MUS 6950 carries from 1 to 3 credits: enter a number in that range"),
    ("0.5", "MUS 6950 carries from 1 to 3 credits"),
    ("-2", "MUS 6950 carries from 1 to 3 credits"),
    ("two", "MUS 6950 carries from 1 to 3 credits"),
    ("1e400", "MUS 6950 carries from 1 to 3 credits"),
    ("NaN", "MUS 6950 carries from 1 to 3 credits"),
    ("2.25", "Use at most one decimal."),
])
def test_variable_credits_out_of_range_are_refused_at_the_field_with_the_input_kept(client, setup, credits,
                                                                                    message):
    student, variable, fixed, term = setup
    response = client.post_form("/courses/new", data(variable, term, credits))
    assert response.status_code == 200
    assert message in field_error(response, "credits")
    assert (field_value(response, "credits") or "") == credits
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert rows_of(CourseRecord, student) == []
    assert db.session.scalar(sa.select(sa.func.count(HistoryEvent.id))) == 0


@pytest.mark.parametrize("credits", ["1", "3"])
def test_the_ends_of_the_range_are_allowed(client, setup, credits):
    student, variable, fixed, term = setup
    assert client.post_form("/courses/new", data(variable, term, credits)).status_code == 302
    assert rows_of(CourseRecord, student)[0].credits == D(credits)


@pytest.mark.parametrize("credits, told", [("", False), ("3", False), ("2", True), ("lots", True)])
def test_credits_are_ignored_for_a_fixed_credit_course_and_the_student_is_told(client, setup, credits, told):
    student, variable, fixed, term = setup
    response = client.post_form("/courses/new", data(fixed, term, credits), follow_redirects=True)
    [record] = rows_of(CourseRecord, student)
    assert record.credits is None                          # the course's 3 credits are what it carries
    note = "MPT 601 always carries 3 credits, so the credits you entered"
    assert (note in visible_text(response)) is told
    assert "MPT 601 Critical Listening 3" in visible_text(response)


def test_editing_changes_the_credits_and_records_the_difference(client, setup, make_course_record):
    student, variable, fixed, term = setup
    client.post_form("/courses/new", data(variable, term, "2"))
    [record] = rows_of(CourseRecord, student)
    form = client.get(f"/courses/{record.id}/edit")
    assert field_value(form, "credits") == "2"                  # shown as the student typed it, not "2.0"
    assert client.post_form(f"/courses/{record.id}/edit", data(variable, term, "3")).status_code == 302
    assert rows_of(CourseRecord, student)[0].credits == 3
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "course_record.edited"))
    assert event.changes == {"credits": ["2", "3"]}
    # Saving the same credits again is no change at all.
    client.post_form(f"/courses/{record.id}/edit", data(variable, term, "3.0"))
    assert db.session.scalar(sa.select(sa.func.count()).where(HistoryEvent.action == "course_record.edited")) == 1


def test_switching_a_record_to_a_fixed_credit_course_drops_its_own_credits(client, setup):
    student, variable, fixed, term = setup
    client.post_form("/courses/new", data(variable, term, "2"))
    [record] = rows_of(CourseRecord, student)
    client.post_form(f"/courses/{record.id}/edit", data(fixed, term, ""))
    assert (rows_of(CourseRecord, student)[0].course_id, rows_of(CourseRecord, student)[0].credits) == (fixed.id, None)


def test_a_record_an_advisor_relied_on_keeps_its_credits(client, setup, make_user):
    student, variable, fixed, term = setup
    client.post_form("/courses/new", data(variable, term, "2"))
    [record] = rows_of(CourseRecord, student)
    advisor = make_user("faculty")
    db.session.add(AuditException(student_id=student.id, kind=ExceptionKind.SUBSTITUTION, requirement_key="core",
                                  course_record_id=record.id, justification="ok", created_by_id=advisor.id))
    db.session.commit()
    response = client.post_form(f"/courses/{record.id}/edit", data(variable, term, "3"))
    assert response.status_code == 200 and "changed in its credits" in visible_text(response)
    assert rows_of(CourseRecord, student)[0].credits == 2


def test_the_audit_counts_a_records_own_credits(client, setup):
    student, variable, fixed, term = setup
    client.post_form("/courses/new", data(variable, term, "2.5"))
    client.post_form("/courses/new", data(fixed, term, "1"))          # ignored: MPT 601 carries 3
    audit = audit_student(student.id)
    credits = {r.course_code: r.credits for r in audit.records.courses}
    assert credits == {"MUS 6950": D("2.5"), "MPT 601": D(3)}
    assert audit.result.total_credits_done == D("5.5")


# ---------------------------------------------------------------- the admin's catalog form

@pytest.fixture
def admin(client, make_user):
    user = make_user("admin")
    client.login(user.email)
    return user


def _course_form(program, **changes) -> dict:
    form = {"program_id": program.id, "code": "MUS 6950", "title": "Topics in Audio", "credits": "1",
            "max_credits": "3", "category": "elective", "concentration_id": "", "description": ""}
    form.update(changes)
    return form


def test_an_admin_adds_a_variable_credit_course(client, admin, make_program):
    program = make_program()
    response = client.post_form("/admin/catalog/new", _course_form(program))
    assert response.status_code == 302
    course = db.session.scalar(sa.select(Course).where(Course.code == "MUS 6950"))
    assert (course.credits, course.max_credits) == (1, 3)
    page = client.get("/admin/catalog").get_data(as_text=True)
    assert "1–3" in page and "variable" in page
    assert "Maximum credits (variable-credit course)" in client.get("/admin/catalog/new").get_data(as_text=True)


def test_a_fixed_credit_course_leaves_the_maximum_blank(client, admin, make_program):
    program = make_program()
    assert client.post_form("/admin/catalog/new", _course_form(program, max_credits="")).status_code == 302
    assert db.session.scalar(sa.select(Course.max_credits).where(Course.code == "MUS 6950")) is None


@pytest.mark.parametrize("max_credits, message", [
    ("0.5", "at least the credits (1)"),
    ("100", "at most 99"),
    ("2.25", "Use at most one decimal."),
    ("lots", "Not a valid decimal value"),
])
def test_the_maximum_must_be_at_least_the_credits(client, admin, make_program, max_credits, message):
    program = make_program()
    response = client.post_form("/admin/catalog/new", _course_form(program, max_credits=max_credits))
    assert response.status_code == 200
    assert message in field_error(response, "max_credits")
    assert field_value(response, "max_credits") == max_credits
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 0


def test_the_range_cannot_leave_students_records_outside_it(client, admin, make_program, make_student,
                                                            make_term):
    program = make_program()
    client.post_form("/admin/catalog/new", _course_form(program))
    course = db.session.scalar(sa.select(Course).where(Course.code == "MUS 6950"))
    student, term = make_student(program=program), make_term()
    db.session.add(CourseRecord(student_id=student.id, course_id=course.id, term_id=term.id, status="planned",
                                credits=D("2.5")))
    db.session.commit()
    edit = {k: v for k, v in _course_form(program).items() if k not in ("program_id", "code")}
    response = client.post_form(f"/admin/catalog/{course.id}/edit", {**edit, "max_credits": "2"})
    assert "1 student record(s) of MUS 6950 carry credits outside 1 to 2" in field_error(response, "max_credits")
    response = client.post_form(f"/admin/catalog/{course.id}/edit", {**edit, "max_credits": ""})
    assert "so it stays a variable-credit course" in field_error(response, "max_credits")
    db.session.expire_all()
    assert db.session.get(Course, course.id).max_credits == 3
    assert client.post_form(f"/admin/catalog/{course.id}/edit", {**edit, "max_credits": "4"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Course, course.id).max_credits == 4
    [event] = db.session.scalars(sa.select(HistoryEvent).where(HistoryEvent.action == "course.updated")).all()
    assert event.changes["max_credits"] == ["3.0", "4"]


# ---------------------------------------------------------------- transfer credit's "earned on"

@pytest.fixture
def advisee(demo_program, client, make_user, make_student):
    advisor = make_user("faculty", name="Prof. Ada Byron")
    student = make_student(advisor=advisor)
    client.login(advisor.email)
    return advisor, student


def _transfer(student, **changes) -> tuple[str, dict]:
    form = {"transfer-transfer_title": "Acoustics I", "transfer-institution": "Berklee",
            "transfer-transfer_credits": "3", "transfer-course_id": "",
            "transfer-justification": "Syllabus reviewed by the program committee."}
    form.update(changes)
    return f"/advising/students/{student.id}/exceptions/transfer", form


def test_transfer_credit_records_when_it_was_earned(client, advisee):
    advisor, student = advisee
    url, form = _transfer(student, **{"transfer-earned_on": "2024-05-12"})
    assert client.post_form(url, form).status_code == 302
    exc = db.session.scalar(sa.select(AuditException))
    assert exc.earned_on == date(2024, 5, 12)
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "exception.created"))
    assert event.changes["earned_on"] == "2024-05-12"
    # The audit receives the date, and the exception's description says it.
    audit = audit_student(student.id)
    [transfer] = audit.records.transfers
    assert transfer.earned_on == date(2024, 5, 12)
    assert audit.records.exception_rows[0].description == (
        "Transfer credit: Acoustics I (3 credits from Berklee, earned on 12 May 2024)")
    assert "Earned on Sun 12 May 2024" in visible_text(client.get(f"/advising/students/{student.id}/exceptions"))
    assert "earned on 12 May 2024" in visible_text(client.get(f"/progress/students/{student.id}"))


def test_the_earned_on_date_is_optional(client, advisee):
    advisor, student = advisee
    url, form = _transfer(student)
    assert client.post_form(url, form).status_code == 302
    assert db.session.scalar(sa.select(AuditException.earned_on)) is None
    assert audit_student(student.id).records.transfers[0].earned_on is None


@pytest.mark.parametrize("earned_on, message", [
    ((date.today() + timedelta(days=1)).isoformat(), "Credit cannot be earned in the future"),
    ("1850-01-01", "Enter a date between 1900 and 2199."),
    ("12/05/2024", "Not a valid date value."),
])
def test_a_future_or_impossible_earned_on_date_is_refused_at_the_field(client, advisee, earned_on, message):
    advisor, student = advisee
    url, form = _transfer(student, **{"transfer-earned_on": earned_on})
    response = client.post_form(url, form)
    assert response.status_code == 200
    assert message in field_error(response, "transfer-earned_on")
    assert f'value="{earned_on}"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(AuditException.id))) == 0


def test_today_is_not_the_future(advisee):
    advisor, student = advisee
    exc = exception_service.record_transfer(student, "Acoustics I", "Berklee", "3", None, "Syllabus reviewed by the program committee.",
                                            actor=advisor, earned_on=date(2026, 3, 1), today=date(2026, 3, 1))
    assert exc.earned_on == date(2026, 3, 1)
    with pytest.raises(ServiceError) as refused:
        exception_service.record_transfer(student, "Acoustics II", "Berklee", "3", None, "Syllabus reviewed by the program committee.",
                                          actor=advisor, earned_on=date(2026, 3, 2), today=date(2026, 3, 1))
    assert refused.value.field == "earned_on"


# ---------------------------------------------------------------- transfer credit's grade

def test_transfer_credit_records_its_grade_and_the_program_policy_refuses_a_low_one(client, advisee):
    advisor, student = advisee
    url, form = _transfer(student, **{"transfer-transfer_grade": "C"})
    assert client.post_form(url, form).status_code == 302
    assert db.session.scalar(sa.select(AuditException.transfer_grade)) == "C"
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "exception.created"))
    assert event.changes["grade"] == "C"
    assert "Grade there: C" in visible_text(client.get(f"/advising/students/{student.id}/exceptions"))
    audit = audit_student(student.id)
    assert audit.records.transfers[0].grade == "C"
    assert not any(u.reason.startswith("transfer grade") for u in audit.result.unused)  # no policy: it counts
    # The program's catalog now asks for B or better: the same credit no longer counts, and the audit says why.
    text = DEMO_PROGRAM_FILE.read_text(encoding="utf-8") + '\n[policies]\ntransfer_min_grade = "B"\n'
    load_program_text(text, actor=None)
    audit = audit_student(student.id)
    assert [u.reason for u in audit.result.unused] == ["transfer grade C below the minimum B"]
    assert "transfer credit needs a grade of at least B" in visible_text(client.get(f"/progress/students/{student.id}"))


def test_an_unknown_transfer_grade_is_refused_at_the_field(client, advisee):
    advisor, student = advisee
    url, form = _transfer(student, **{"transfer-transfer_grade": "Z"})
    response = client.post_form(url, form)
    assert response.status_code == 200
    assert field_error(response, "transfer-transfer_grade")
    assert db.session.scalar(sa.select(sa.func.count(AuditException.id))) == 0
    with pytest.raises(ServiceError, match="Choose a letter grade"):
        exception_service.record_transfer(student, "Acoustics I", "Berklee", "3", None,
                                          "Syllabus reviewed by the program committee.", actor=advisor, grade="Z")
