"""The base form's guards on real forms: a NUL character anywhere and absurd numbers get a message at their field
(status 200, the rest of the input kept, nothing stored) instead of a 500 or a bad row — on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker import forms as form_layer
from tracker.extensions import db
from tracker.models import AuditException, Course, CourseRecord, HistoryEvent, StudioSession, User

from .html_support import field_error, page_text

HUGE_INT = str(2**63)  # one past the largest 64-bit integer
ABSURD_NUMBERS = ["1e400", "NaN", "Infinity", "-Infinity", "sNaN", HUGE_INT, "1" + "0" * 40]


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ---------------------------------------------------------------- a student's course

@pytest.fixture
def course_setup(login_as, make_course, make_term):
    student = login_as("student")
    course = make_course(code="MPT 601", title="Critical Listening")
    term = make_term("Fall 2025", start=date(2025, 8, 24), end=date(2025, 12, 18))
    return student, course, term


def _course_data(course, term, **overrides) -> dict:
    return {"find": "Listening", "course_id": course.id, "term_id": term.id, "status": "completed", "grade": "A",
            **overrides}


@pytest.mark.parametrize("field", ["course_id", "term_id", "status", "grade"])
def test_course_add_refuses_a_nul_at_its_field(client, course_setup, field):
    _, course, term = course_setup
    data = _course_data(course, term)
    data[field] = f"{data[field]}\x00"
    response = client.post_form("/courses/new", data)
    assert response.status_code == 200
    assert "Remove the invisible NUL character" in field_error(response, field)
    assert 'value="Listening"' in page_text(response)  # the rest of the input is kept
    assert "\x00" not in response.get_data(as_text=True)
    assert count(CourseRecord) == 0 and count(HistoryEvent) == 0


@pytest.mark.parametrize("field", ["course_id", "term_id"])
@pytest.mark.parametrize("value", [HUGE_INT, "-" + HUGE_INT, "9" * 30])
def test_course_add_refuses_an_impossible_id_at_its_field(client, course_setup, field, value):
    _, course, term = course_setup
    response = client.post_form("/courses/new", _course_data(course, term, **{field: value}))
    assert response.status_code == 200
    assert field_error(response, field)
    assert 'value="Listening"' in page_text(response)
    assert count(CourseRecord) == 0


# ---------------------------------------------------------------- a studio session

@pytest.fixture
def studio_setup(login_as, make_user, make_studio, make_term):
    supervisor = make_user("faculty")
    student = login_as("student", advisor=supervisor)
    studio = make_studio("Studio A")
    make_term()
    return student, supervisor, studio


def _session_data(supervisor, studio, **overrides) -> dict:
    return {"date": (date.today() - timedelta(days=1)).isoformat(), "studio_id": studio.id, "start_time": "10:00",
            "end_time": "12:00", "activity": "mixing", "project": "Lanterns EP", "role": "engineer",
            "supervisor_id": supervisor.id, "notes": "Drum stems", **overrides}


@pytest.mark.parametrize("field, value", [
    ("project", "Lanterns\x00 EP"), ("notes", "\x00"), ("activity", "mixing\x00"), ("role", "\x00engineer"),
    ("studio_id", "\x00"), ("date", "2026-01-01\x00"), ("start_time", "10:00\x00"),
])
def test_studio_log_refuses_a_nul_at_its_field(client, studio_setup, field, value):
    _, supervisor, studio = studio_setup
    response = client.post_form("/studio/log", _session_data(supervisor, studio, **{field: value}))
    assert response.status_code == 200
    assert "Remove the invisible NUL character" in field_error(response, field)
    kept = "Drum stems" if field != "notes" else "Lanterns EP"
    assert kept in page_text(response)
    assert count(StudioSession) == 0 and count(HistoryEvent) == 0


@pytest.mark.parametrize("field", ["studio_id", "supervisor_id"])
@pytest.mark.parametrize("value", [HUGE_INT, "9" * 40, "-" + HUGE_INT])
def test_studio_log_refuses_an_impossible_id_at_its_field(client, studio_setup, field, value):
    _, supervisor, studio = studio_setup
    response = client.post_form("/studio/log", _session_data(supervisor, studio, **{field: value}))
    assert response.status_code == 200
    assert field_error(response, field)
    assert "Lanterns EP" in page_text(response) and "Drum stems" in page_text(response)
    assert count(StudioSession) == 0


# ---------------------------------------------------------------- admin forms

@pytest.fixture
def admin(login_as):
    return login_as("admin")


def _new_course(program, **overrides) -> dict:
    return {"program_id": program.id, "code": "MPT 700", "title": "Immersive Audio", "credits": "3",
            "category": "elective", "concentration_id": "", "description": "Atmos and beyond", **overrides}


@pytest.mark.parametrize("value", ABSURD_NUMBERS)
def test_admin_new_course_refuses_absurd_credits_at_the_field(client, admin, make_program, value):
    program = make_program()
    response = client.post_form("/admin/catalog/new", _new_course(program, credits=value))
    assert response.status_code == 200
    message = field_error(response, "credits")
    assert message in (form_layer.NOT_FINITE_MESSAGE, form_layer.TOO_LARGE_MESSAGE), message
    text = page_text(response)
    assert "Immersive Audio" in text and "Atmos and beyond" in text and f'value="{value}"' in text
    assert count(Course) == 0


@pytest.mark.parametrize("field", ["title", "code", "description", "category", "program_id"])
def test_admin_new_course_refuses_a_nul_at_its_field(client, admin, make_program, field):
    program = make_program()
    data = _new_course(program)
    data[field] = f"{data[field]}\x00"
    response = client.post_form("/admin/catalog/new", data)
    assert response.status_code == 200
    assert "Remove the invisible NUL character" in field_error(response, field)
    kept = "Atmos and beyond" if field != "description" else "Immersive Audio"
    assert kept in page_text(response)
    assert count(Course) == 0


def test_admin_course_edit_keeps_its_declared_range(client, admin, make_course):
    """The guard only stops absurd values; the service's real range (below 100) still speaks for itself."""
    course = make_course(code="MPT 610", title="Old title", credits=3)
    response = client.post_form(f"/admin/catalog/{course.id}/edit", {
        "title": "New title", "credits": "150", "category": "elective", "concentration_id": "", "description": ""})
    assert response.status_code == 200 and "below 100" in field_error(response, "credits")
    db.session.rollback()
    assert db.session.get(Course, course.id).credits == 3


@pytest.mark.parametrize("field, value", [("display_name", "New\x00 Prof"), ("email", "new\x00@example.edu"),
                                          ("role", "faculty\x00")])
def test_admin_new_account_refuses_a_nul_at_its_field(client, admin, field, value):
    before = count(User)
    data = {"email": "new.prof@example.edu", "display_name": "New Prof", "role": "faculty", field: value}
    response = client.post_form("/admin/users/new", data)
    assert response.status_code == 200
    assert "Remove the invisible NUL character" in field_error(response, field)
    assert count(User) == before


@pytest.fixture
def advisee(client, demo_program, make_user, make_student):
    advisor = make_user("faculty")
    student = make_student(advisor=advisor, program=demo_program)
    client.login(advisor.email)
    return student


@pytest.mark.parametrize("value", ABSURD_NUMBERS)
def test_transfer_credit_refuses_absurd_credits_at_the_field(client, advisee, value):
    response = client.post_form(f"/advising/students/{advisee.id}/exceptions/transfer", {
        "transfer-transfer_title": "Psychoacoustics", "transfer-institution": "Elsewhere",
        "transfer-transfer_credits": value, "transfer-course_id": "", "transfer-justification": "Reviewed."})
    assert response.status_code == 200
    assert field_error(response, "transfer-transfer_credits") in (form_layer.NOT_FINITE_MESSAGE,
                                                                   form_layer.TOO_LARGE_MESSAGE)
    assert "Psychoacoustics" in page_text(response) and "Elsewhere" in page_text(response)
    assert count(AuditException) == 0


@pytest.mark.parametrize("value", ["1e30", "1e400", "NaN", "Infinity"])
def test_waiver_refuses_absurd_amounts_at_the_field(client, advisee, value):
    """1e30 used to reach the service's quantize (decimal.InvalidOperation, a 500)."""
    response = client.post_form(f"/advising/students/{advisee.id}/exceptions/waiver", {
        "waiver-requirement_key": "ensemble", "waiver-amount": value, "waiver-justification": "Keep this reason."})
    assert response.status_code == 200
    assert field_error(response, "waiver-amount")
    assert "Keep this reason." in page_text(response)
    assert count(AuditException) == 0


def test_transfer_credit_refuses_a_nul_in_the_justification(client, advisee):
    response = client.post_form(f"/advising/students/{advisee.id}/exceptions/transfer", {
        "transfer-transfer_title": "Psychoacoustics", "transfer-institution": "Elsewhere",
        "transfer-transfer_credits": "3", "transfer-course_id": "", "transfer-justification": "Re\x00viewed."})
    assert response.status_code == 200
    assert "Remove the invisible NUL character" in field_error(response, "transfer-justification")
    assert "Psychoacoustics" in page_text(response)
    assert count(AuditException) == 0


# ---------------------------------------------------------------- the guards themselves

def test_a_nul_in_a_hidden_field_is_said_at_the_top_of_the_form(app):
    from werkzeug.datastructures import MultiDict

    from tracker.admin.forms import ImportApplyForm

    with app.test_request_context(method="POST"):
        form = ImportApplyForm(formdata=MultiDict({"program_id": "1", "csv_text": "a,b\x00\n"}), meta={"csrf": False})
        assert not form.validate()
        assert form.csv_text.errors == [form_layer.NUL_MESSAGE]
        assert form_layer.HIDDEN_NUL_MESSAGE in form.form_errors
        assert form.csv_text.data == "a,b\n"


def test_absurd_numbers_never_stay_in_the_data_even_unvalidated(app):
    """A GET filter form read without validate() still hands no absurd id or NUL to a query."""
    from werkzeug.datastructures import MultiDict

    from tracker.review.forms import QueueFilterForm

    with app.test_request_context():
        form = QueueFilterForm(formdata=MultiDict({"student_id": HUGE_INT, "studio_id": "3", "term_id": "1\x00"}))
        assert form.student_id.data is None and form.studio_id.data == 3 and form.term_id.data is None
