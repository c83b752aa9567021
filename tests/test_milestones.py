"""Milestone sign-off and undo (services.milestones): track rules, dates, history, one transaction each."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import HistoryEvent, MilestoneRecord
from tracker.services import ServiceError
from tracker.services import milestones as service
from tracker.services.audit import audit_student

from .progress_support import sign


def _events(student_id: int) -> list[HistoryEvent]:
    return db.session.scalars(sa.select(HistoryEvent).where(HistoryEvent.subject_id == student_id)
                              .order_by(HistoryEvent.id)).all()


def _records(student_id: int) -> list[MilestoneRecord]:
    return db.session.scalars(sa.select(MilestoneRecord).where(MilestoneRecord.student_id == student_id)).all()


@pytest.fixture
def people(demo_program, make_user, make_student):
    advisor = make_user("faculty", name="Dr. Clara Lindqvist")
    return advisor, make_student(advisor=advisor, track="thesis", name="Sofia Rossi")


def test_track_milestones_follow_the_program_order(demo_program, make_student, make_user):
    thesis = make_student(track="thesis")
    other = make_student(track="non_thesis")
    assert [m.kind for m in service.track_milestones(audit_student(thesis.id))] == [
        "proposal", "committee", "defense", "deposit"]
    rows = service.track_milestones(audit_student(other.id))
    assert [(m.position, m.kind, m.label) for m in rows] == [
        (1, "capstone", "Capstone project passed"), (2, "comprehensive_exam", "Comprehensive exam passed")]
    assert not any(m.signed_off for m in rows)


def test_sign_off_writes_the_row_and_one_history_event(people):
    advisor, student = people
    on = date.today() - timedelta(days=2)
    record = service.sign_off(advisor, student.id, "proposal", on, "  Committee approved the proposal.  ")
    db.session.expire_all()
    stored = db.session.get(MilestoneRecord, record.id)
    assert (stored.kind, stored.completed_on, stored.note, stored.signed_by_id) == (
        "proposal", on, "Committee approved the proposal.", advisor.id)
    [event] = _events(student.id)
    assert (event.action, event.entity_type, event.entity_id, event.actor_id) == (
        "milestone.signed_off", "milestone_record", record.id, advisor.id)
    assert event.changes == {"kind": "proposal", "completed_on": on.isoformat(),
                             "note": "Committee approved the proposal."}
    # The audit follows at once.
    audit = audit_student(student.id)
    assert service.milestone_block(audit).done == 1
    assert service.track_milestones(audit)[0].record.signed_by == "Dr. Clara Lindqvist"


def test_today_is_allowed_the_future_is_not(people):
    advisor, student = people
    service.sign_off(advisor, student.id, "proposal", date.today(), "")
    with pytest.raises(ServiceError) as err:
        service.sign_off(advisor, student.id, "committee", date.today() + timedelta(days=1), "")
    assert err.value.field == "completed_on" and "future" in err.value.message
    assert [r.kind for r in _records(student.id)] == ["proposal"]
    assert len(_events(student.id)) == 1


@pytest.mark.parametrize("kind, field, message", [
    ("capstone", "kind", "not a milestone of the thesis track"),
    ("comprehensive_exam", "kind", "not a milestone of the thesis track"),
    ("graduation", "kind", "Choose a milestone"),
])
def test_only_milestones_of_the_students_track_can_be_signed(people, kind, field, message):
    advisor, student = people
    with pytest.raises(ServiceError) as err:
        service.sign_off(advisor, student.id, kind, date.today(), "")
    assert err.value.field == field and message in err.value.message
    assert _records(student.id) == [] and _events(student.id) == []


def test_a_missing_date_and_a_second_sign_off_are_refused(people):
    advisor, student = people
    with pytest.raises(ServiceError) as err:
        service.sign_off(advisor, student.id, "proposal", None, "")
    assert err.value.field == "completed_on"
    service.sign_off(advisor, student.id, "proposal", date.today(), "")
    with pytest.raises(ServiceError) as err:
        service.sign_off(advisor, student.id, "proposal", date.today(), "again")
    assert err.value.field == "kind" and "already signed off" in err.value.message
    assert len(_records(student.id)) == 1 and len(_events(student.id)) == 1


def test_a_student_without_an_enrollment_has_no_milestones(make_user):
    advisor, student = make_user("faculty"), make_user("student")
    with pytest.raises(ServiceError):
        service.sign_off(advisor, student.id, "proposal", date.today(), "")


def test_signing_out_of_order_is_allowed_and_flagged(people):
    advisor, student = people
    service.sign_off(advisor, student.id, "defense", date.today() - timedelta(days=1), "")
    audit = audit_student(student.id)
    assert [w.code for w in audit.result.warnings] == ["milestone_order"]
    assert "Defense passed" in audit.result.warnings[0].message


def test_revoke_deletes_the_sign_off_and_history_keeps_both(people):
    advisor, student = people
    on = date.today() - timedelta(days=5)
    record = service.sign_off(advisor, student.id, "proposal", on, "First approval")
    kind = service.revoke(advisor, student.id, record.id)
    assert kind == "proposal"
    assert _records(student.id) == []
    signed, revoked = _events(student.id)
    assert (signed.action, revoked.action) == ("milestone.signed_off", "milestone.revoked")
    assert revoked.entity_type == "milestone_record" and revoked.entity_id == record.id
    assert revoked.changes["completed_on"] == on.isoformat() and revoked.changes["note"] == "First approval"
    assert service.milestone_block(audit_student(student.id)).done == 0
    # Signing it off again works once it is undone.
    service.sign_off(advisor, student.id, "proposal", on, "Second approval")
    assert len(_records(student.id)) == 1


def test_revoke_refuses_a_missing_or_foreign_record(people, make_student):
    advisor, student = people
    other = make_student(advisor=advisor, track="thesis")
    foreign = sign(other, "proposal", date.today(), advisor)
    with pytest.raises(ServiceError):
        service.revoke(advisor, student.id, foreign.id)
    with pytest.raises(ServiceError):
        service.revoke(advisor, student.id, 999999)
    assert len(_records(other.id)) == 1 and _events(student.id) == []
