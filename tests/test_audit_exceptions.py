"""Audit exceptions: an advisor or admin records substitutions, waivers and transfer credit, each justified, and can
revoke them; the degree audit reads the ones not revoked."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import AuditException, ExceptionKind, HistoryEvent
from tracker.services.audit import audit_student

from .progress_support import course

WHY = "Equivalent content, approved by the program director."


@pytest.fixture
def people(client, demo_program, make_user, make_student):
    """An advisor (logged in) and their thesis-track production advisee."""
    advisor = make_user("faculty", name="Alicia Moreno")
    student = make_student(advisor=advisor, program=demo_program, concentration="production", track="thesis")
    client.login(advisor.email)
    return advisor, student


def url(student, tail: str = "") -> str:
    return f"/advising/students/{student.id}/exceptions{tail}"


def active_exceptions(student_id: int) -> list[AuditException]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditException).where(AuditException.student_id == student_id,
                                                                   AuditException.revoked_at.is_(None))))


def select_options(page: str, select_id: str) -> str:
    match = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert match, select_id
    return match.group(1)


def test_page_offers_only_the_requirements_that_apply(client, people):
    _, student = people
    page = client.get(url(student)).get_data(as_text=True)
    waivable = select_options(page, "waiver-requirement_key")
    assert "Thesis milestones" in waivable and "Ensemble" in waivable
    assert "Capstone" not in waivable and "Non-thesis milestones" not in waivable
    substitutable = select_options(page, "sub-requirement_key")
    assert "Concentration courses" in substitutable
    assert "Thesis milestones" not in substitutable and "Ensemble" not in substitutable


def test_advisor_records_a_substitution_and_the_audit_uses_it(client, people, make_term, make_course_record):
    advisor, student = people
    record = make_course_record(student, course("MPT 621"), make_term(), grade="A")  # a technical course
    response = client.post_form(url(student, "/substitution"), {
        "sub-course_record_id": record.id, "sub-requirement_key": "concentration", "sub-justification": WHY})
    assert response.status_code == 302
    [exc] = active_exceptions(student.id)
    assert (exc.kind, exc.requirement_key, exc.course_record_id, exc.created_by_id) == (
        ExceptionKind.SUBSTITUTION, "concentration", record.id, advisor.id)
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "exception.created"))
    assert event.subject_id == student.id and event.changes["requirement"] == "concentration"
    page = client.get(url(student)).get_data(as_text=True)
    assert "MPT 621" in page and WHY in page
    audit = audit_student(student.id)
    block = next(b for b in audit.result.blocks if b.key == "concentration")
    assert block.done == Decimal(3)
    assert [e.kind for e in block.exceptions] == ["substitution"]


@pytest.mark.parametrize("data, message", [
    ({"sub-requirement_key": "ensembles"}, "Not a valid choice"),  # not a course requirement: not offered
    ({"sub-requirement_key": "capstone"}, "Not a valid choice"),  # non-thesis only
    ({"sub-justification": ""}, "A justification is required."),
    ({"sub-justification": "because"}, "at least a sentence"),
])
def test_substitution_refusals(client, people, make_term, make_course_record, data, message):
    _, student = people
    record = make_course_record(student, course("MPT 621"), make_term())
    form = {"sub-course_record_id": record.id, "sub-requirement_key": "concentration", "sub-justification": WHY}
    form.update(data)
    response = client.post_form(url(student, "/substitution"), form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert active_exceptions(student.id) == []


def test_substitution_service_refusals(people, make_term, make_course_record, make_student):
    """What the select would hide, the service still refuses."""
    from tracker.services import ServiceError
    from tracker.services.audit_exceptions import record_substitution

    advisor, student = people
    other = make_student(program=None)
    theirs = make_course_record(other, course("MPT 621"), make_term("T2"))
    mine = make_course_record(student, course("MPT 622"), make_term("T1"))
    withdrawn = make_course_record(student, course("MPT 623"), db.session.scalar(sa.select(type(mine.term))),
                                   status="withdrawn")
    with pytest.raises(ServiceError, match="one of the student's courses"):
        record_substitution(student, theirs.id, "concentration", WHY, actor=advisor)
    with pytest.raises(ServiceError, match="withdrawn"):
        record_substitution(student, withdrawn.id, "concentration", WHY, actor=advisor)
    with pytest.raises(ServiceError, match="not filled by courses"):
        record_substitution(student, mine.id, "ensembles", WHY, actor=advisor)
    with pytest.raises(ServiceError, match="requirements that apply"):
        record_substitution(student, mine.id, "capstone", WHY, actor=advisor)
    record_substitution(student, mine.id, "concentration", WHY, actor=advisor)
    with pytest.raises(ServiceError, match="already has a substitution"):
        record_substitution(student, mine.id, "electives", WHY, actor=advisor)
    assert len(active_exceptions(student.id)) == 1


def test_waive_a_whole_requirement(client, people):
    _, student = people
    response = client.post_form(url(student, "/waiver"), {"waiver-requirement_key": "ensembles", "waiver-amount": "",
                                                          "waiver-justification": WHY})
    assert response.status_code == 302
    [exc] = active_exceptions(student.id)
    assert exc.kind == ExceptionKind.WAIVER and exc.amount is None
    block = next(b for b in audit_student(student.id).result.blocks if b.key == "ensembles")
    assert block.status == "complete"


def test_waive_part_of_a_requirement(client, people):
    _, student = people
    client.post_form(url(student, "/waiver"), {"waiver-requirement_key": "electives", "waiver-amount": "3",
                                               "waiver-justification": WHY})
    [exc] = active_exceptions(student.id)
    assert exc.amount == Decimal("3")
    block = next(b for b in audit_student(student.id).result.blocks if b.key == "electives")
    assert block.need == Decimal(3)
    assert "3 waived" in client.get(url(student)).get_data(as_text=True)


@pytest.mark.parametrize("key, amount, message", [
    ("electives", "7", "asks for 6 credits"),
    ("electives", "-1", "positive amount"),
    ("gpa", "0.5", "can only be waived whole"),
    ("capstone", "", "Not a valid choice"),
])
def test_waiver_refusals(client, people, key, amount, message):
    _, student = people
    response = client.post_form(url(student, "/waiver"), {"waiver-requirement_key": key, "waiver-amount": amount,
                                                          "waiver-justification": WHY})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert active_exceptions(student.id) == []


def test_a_second_waiver_of_the_same_requirement_is_refused(client, people):
    _, student = people
    data = {"waiver-requirement_key": "electives", "waiver-amount": "", "waiver-justification": WHY}
    client.post_form(url(student, "/waiver"), data)
    response = client.post_form(url(student, "/waiver"), data)
    assert "already has a waiver" in response.get_data(as_text=True)
    assert len(active_exceptions(student.id)) == 1


def test_record_transfer_credit(client, people):
    _, student = people
    mpt = course("MPT 602")
    response = client.post_form(url(student, "/transfer"), {
        "transfer-transfer_title": "History of Popular Music", "transfer-institution": "State University",
        "transfer-transfer_credits": "3", "transfer-course_id": mpt.id, "transfer-justification": WHY})
    assert response.status_code == 302
    [exc] = active_exceptions(student.id)
    assert (exc.kind, exc.transfer_title, exc.institution, exc.transfer_credits, exc.course_id) == (
        ExceptionKind.TRANSFER, "History of Popular Music", "State University", Decimal("3"), mpt.id)
    result = audit_student(student.id).result
    assert result.total_credits_done == Decimal(3)


@pytest.mark.parametrize("data, message", [
    ({"transfer-transfer_credits": ""}, "Enter the credits."),
    ({"transfer-transfer_credits": "0"}, "a positive number"),
    ({"transfer-institution": ""}, "This field is required."),
    ({"transfer-justification": ""}, "A justification is required."),
])
def test_transfer_refusals(client, people, data, message):
    _, student = people
    form = {"transfer-transfer_title": "Audio I", "transfer-institution": "Elsewhere", "transfer-transfer_credits": "3",
            "transfer-course_id": "", "transfer-justification": WHY}
    form.update(data)
    response = client.post_form(url(student, "/transfer"), form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert active_exceptions(student.id) == []


def test_revoke_an_exception(client, people):
    advisor, student = people
    client.post_form(url(student, "/waiver"), {"waiver-requirement_key": "ensembles", "waiver-amount": "",
                                               "waiver-justification": WHY})
    [exc] = active_exceptions(student.id)
    page = client.get(url(student)).get_data(as_text=True)
    assert f'action="{url(student, f"/{exc.id}/revoke")}"' in page and "data-confirm=" in page
    assert client.get(url(student, f"/{exc.id}/revoke")).status_code == 405
    assert client.post_form(url(student, f"/{exc.id}/revoke")).status_code == 302
    assert active_exceptions(student.id) == []
    db.session.expire_all()
    exc = db.session.get(AuditException, exc.id)
    assert exc.revoked_at is not None and exc.revoked_by_id == advisor.id
    block = next(b for b in audit_student(student.id).result.blocks if b.key == "ensembles")
    assert block.status != "complete"
    assert "Revoked" in client.get(url(student)).get_data(as_text=True)
    client.post_form(url(student, f"/{exc.id}/revoke"))
    assert "already revoked" in client.get(url(student)).get_data(as_text=True)
    assert db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "exception.revoked")) is not None


def test_another_advisor_cannot_record_or_revoke(app, client, people, make_user):
    _, student = people
    client.post_form(url(student, "/waiver"), {"waiver-requirement_key": "ensembles", "waiver-amount": "",
                                               "waiver-justification": WHY})
    [exc] = active_exceptions(student.id)
    stranger = app.test_client()
    stranger.login(make_user("faculty").email)
    assert stranger.post_form(url(student, "/waiver"), {"waiver-requirement_key": "gpa",
                                                        "waiver-justification": WHY}).status_code == 404
    assert stranger.post_form(url(student, f"/{exc.id}/revoke")).status_code == 404
    assert len(active_exceptions(student.id)) == 1


def test_an_exception_is_revoked_only_through_its_own_student(client, people, make_student):
    advisor, student = people
    other = make_student(advisor=advisor)
    client.post_form(url(student, "/waiver"), {"waiver-requirement_key": "ensembles", "waiver-amount": "",
                                               "waiver-justification": WHY})
    [exc] = active_exceptions(student.id)
    assert client.post_form(url(other, f"/{exc.id}/revoke")).status_code == 404
    assert len(active_exceptions(student.id)) == 1


def test_students_cannot_post(client, people):
    _, student = people
    client.post_form("/auth/logout")
    client.login(student.email)
    response = client.post_form(url(student, "/waiver"), {"waiver-requirement_key": "ensembles",
                                                          "waiver-justification": WHY})
    assert response.status_code == 403
    assert active_exceptions(student.id) == []


def test_admin_records_for_any_student(client, people, login_as):
    _, student = people
    client.post_form("/auth/logout")
    login_as("admin")
    response = client.post_form(url(student, "/waiver"), {"waiver-requirement_key": "gpa", "waiver-amount": "",
                                                          "waiver-justification": WHY})
    assert response.status_code == 302
    assert len(active_exceptions(student.id)) == 1


def test_page_cost_does_not_grow_with_exceptions(client, people, count_queries, make_term, make_course_record):
    advisor, student = people
    term = make_term()

    def add(codes):
        for code in codes:
            record = make_course_record(student, course(code), term)
            db.session.add(AuditException(student_id=student.id, kind=ExceptionKind.SUBSTITUTION,
                                          requirement_key="electives", course_record_id=record.id,
                                          justification=WHY, created_by_id=advisor.id))
        db.session.commit()

    add(["MPT 621"])
    with count_queries() as small:
        assert client.get(url(student)).status_code == 200
    add(["MPT 622", "MPT 623", "MPT 624", "MPT 631", "MPT 632", "MPT 633"])
    with count_queries() as large:
        assert client.get(url(student)).status_code == 200
    assert large.count == small.count
