"""Many errors per form: a form with two bad fields shows both messages next to their fields, keeps the rest of the
input and writes nothing (the services refuse with every problem at once, tracker.services.Problems)."""
from __future__ import annotations

import html
import re
from datetime import date, timedelta

import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import (
    AuditException,
    CatalogVersion,
    Concentration,
    Course,
    CourseRecord,
    EnsembleRecord,
    HistoryEvent,
    MilestoneRecord,
    Term,
    User,
)
from tracker.services import programs as program_service

from .test_catalog_versions import DEMO, NEW_CATALOG, load_new_version
from .test_form_guards import advisee  # noqa: F401  (fixture: a demo student whose advisor is logged in)

WHY = "Equivalent content, approved by the program director."


def field_error(response, field: str) -> str:
    """The error text shown under a field ('' when it has none)."""
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S)
    return html.unescape(match.group(1)).strip() if match else ""


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def events() -> int:
    return count(HistoryEvent)


def refused(response, expected: dict[str, str]) -> None:
    """The form came back (200) with each message at its field."""
    assert response.status_code == 200
    for field, words in expected.items():
        assert words in field_error(response, field), (field, field_error(response, field))


# ---------------------------------------------------------------- terms

def test_term_with_a_taken_name_and_dates_backwards(client, login_as, make_term):
    login_as("admin")
    make_term("Fall 2030", start=date(2030, 8, 26), end=date(2030, 12, 18))
    before = (count(Term), events())
    response = client.post_form("/admin/terms", {"name": "fall 2030", "start_date": "2031-05-01",
                                                 "end_date": "2031-01-10"})
    refused(response, {"name": "already a term called Fall 2030", "end_date": "must end after it starts"})
    assert 'value="fall 2030"' in page(response) and 'value="2031-05-01"' in page(response)
    assert (count(Term), events()) == before


# ---------------------------------------------------------------- catalog: concentrations and courses

def test_concentration_with_a_bad_code_and_a_taken_name(client, login_as, make_program):
    login_as("admin")
    program = make_program()
    before = (count(Concentration), events())
    response = client.post_form("/admin/concentrations", {"program_id": program.id, "code": "9-film",
                                                          "name": "production"})
    refused(response, {"code": "lower-case letters", "name": "already has a concentration called"})
    assert 'value="9-film"' in page(response)
    assert (count(Concentration), events()) == before


def test_course_with_a_taken_code_and_a_too_small_maximum(client, login_as, make_course):
    login_as("admin")
    existing = make_course(code="MPT 601")
    before = (count(Course), events())
    response = client.post_form("/admin/catalog/new", {
        "program_id": existing.program_id, "code": "mpt  601", "title": "Another Record Analysis", "credits": "3",
        "max_credits": "2", "category": "core", "concentration_id": "", "description": ""})
    refused(response, {"code": "already has a course MPT 601", "max_credits": "at least the credits (3)"})
    assert 'value="Another Record Analysis"' in page(response)
    assert (count(Course), events()) == before


# ---------------------------------------------------------------- accounts

def test_account_with_a_taken_email_and_no_start_term(client, login_as, make_user, make_program, make_term):
    login_as("admin")
    taken = make_user("faculty")
    advisor = make_user("faculty")
    program = make_program()
    make_term()
    conc = db.session.scalar(sa.select(Concentration).where(Concentration.program_id == program.id))
    before = (count(User), events())
    response = client.post_form("/admin/users/new", {
        "email": taken.email, "display_name": "New Student", "role": "student", "program_id": program.id,
        "concentration_id": conc.id, "track": "thesis", "start_term_id": "", "advisor_id": advisor.id})
    refused(response, {"email": "already exists", "start_term_id": "Choose the term the student starts."})
    assert 'value="New Student"' in page(response)
    assert (count(User), events()) == before


# ---------------------------------------------------------------- a student's course and ensemble records

def test_course_record_with_credits_out_of_range_and_a_grade_for_a_planned_course(client, login_as, make_course,
                                                                                 make_term):
    student = login_as("student")
    course = make_course(code="MPT 690", title="Independent Study")
    course.max_credits = 3
    course.credits = 1
    db.session.commit()
    term = make_term()
    before = (count(CourseRecord), events())
    response = client.post_form("/courses/new", {"course_id": course.id, "term_id": term.id, "status": "planned",
                                                 "grade": "A", "credits": "5"})
    refused(response, {"credits": "carries from 1 to 3 credits", "grade": "A grade is recorded only"})
    assert 'value="5"' in page(response)
    assert (count(CourseRecord, CourseRecord.student_id == student.id), events()) == (0, before[1])


def test_ensemble_record_with_no_ensemble_and_no_role(client, login_as, make_ensemble, make_term):
    student = login_as("student")
    make_ensemble("Jazz Ensemble")
    term = make_term()
    before = events()
    response = client.post_form("/ensembles/new", {"ensemble_id": "", "term_id": term.id, "role": "",
                                                   "notes": "Spring concert"})
    assert response.status_code == 200
    assert field_error(response, "ensemble_id") and field_error(response, "role")
    assert "Spring concert" in page(response)
    assert (count(EnsembleRecord, EnsembleRecord.student_id == student.id), events()) == (0, before)


# ---------------------------------------------------------------- milestones

def test_milestone_the_advisor_may_not_sign_on_a_future_date(client, make_user, make_student):
    admin_only = DEMO.replace('code = "proposal"\nlabel = "Thesis proposal approved"\nsigned_by = ["advisor", "admin"]',
                              'code = "proposal"\nlabel = "Thesis proposal approved"\nsigned_by = "admin"')
    assert admin_only != DEMO
    program, _ = program_service.load_program_text(admin_only, None)
    advisor = make_user("faculty")
    student = make_student(advisor=advisor, program=program, track="thesis")
    client.login(advisor.email)
    before = events()
    response = client.post_form(f"/advising/students/{student.id}/milestones", {
        "kind": "proposal", "completed_on": (date.today() + timedelta(days=3)).isoformat(),
        "note": "Approved by the committee."})
    refused(response, {"kind": "signed off by", "completed_on": "cannot be in the future"})
    assert "Approved by the committee." in page(response)
    assert (count(MilestoneRecord, MilestoneRecord.student_id == student.id), events()) == (0, before)


# ---------------------------------------------------------------- audit exceptions


def test_transfer_credit_with_too_many_credits_and_a_future_date(client, advisee):
    student = advisee
    before = events()
    response = client.post_form(f"/advising/students/{student.id}/exceptions/transfer", {
        "transfer-transfer_title": "Audio I", "transfer-institution": "Elsewhere", "transfer-transfer_credits": "150",
        "transfer-earned_on": (date.today() + timedelta(days=30)).isoformat(), "transfer-justification": WHY})
    refused(response, {"transfer-transfer_credits": "at most 99", "transfer-earned_on": "in the future"})
    assert 'value="Elsewhere"' in page(response)
    assert (count(AuditException, AuditException.student_id == student.id), events()) == (0, before)


def test_waiver_of_a_waived_requirement_with_a_bad_amount(client, advisee):
    student = advisee
    data = {"waiver-requirement_key": "electives", "waiver-amount": "", "waiver-justification": WHY}
    assert client.post_form(f"/advising/students/{student.id}/exceptions/waiver", data).status_code == 302
    before = events()
    response = client.post_form(f"/advising/students/{student.id}/exceptions/waiver",
                                {**data, "waiver-amount": "5000"})
    refused(response, {"waiver-requirement_key": "already has a waiver", "waiver-amount": "waive at most"})
    assert (count(AuditException, AuditException.student_id == student.id), events()) == (1, before)


# ---------------------------------------------------------------- program setup (catalog versions)

def test_new_catalog_version_with_a_taken_name_and_a_taken_term(client, login_as, demo_program, terms):
    login_as("admin")
    load_new_version(demo_program, terms.current)
    taken = db.session.scalars(sa.select(CatalogVersion).where(CatalogVersion.program_id == demo_program.id)
                               .order_by(CatalogVersion.id)).all()
    before = (len(taken), events())
    response = client.post_form(f"/admin/programs/{demo_program.id}/definition", {
        "definition": NEW_CATALOG, "mode": "new", "version_name": taken[-1].name, "start_term_id": terms.current.id})
    refused(response, {"version_name": "already has a catalog version called",
                       "start_term_id": "already starts in"})
    assert "Record Analysis" in page(response)
    assert (count(CatalogVersion, CatalogVersion.program_id == demo_program.id), events()) == before


def test_login_refusal_is_shown_at_the_password(client, make_user):
    user = make_user("faculty")
    response = client.post_form("/auth/login", {"email": user.email, "password": "wrong-password-here"})
    assert response.status_code == 200 and field_error(response, "password")
