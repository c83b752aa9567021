"""Records that an exception, a sign-off or an approval relies on cannot be changed behind the reviewer's back.

A substitution counts one course record toward a requirement: the student may not change that record's course, term,
status or grade (nor delete it) while the substitution stands; the advisor or an admin, who may change the
substitution, may. Waivers and transfer credit rest on no student record. Approved sessions and signed-off milestones
are not the student's to change at all.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import AuditException, CourseRecord, CourseStatus, ExceptionKind, HistoryEvent, MilestoneRecord
from tracker.services import ServiceError
from tracker.services import courses as course_service
from tracker.services import audit_exceptions as exception_service
from tracker.services.audit import audit_student

from .html_support import visible_text
from .progress_support import course

WHY = "Equivalent content, approved by the program director."


def record_now(record_id: int) -> CourseRecord:
    db.session.expire_all()
    return db.session.get(CourseRecord, record_id)


def edit_events() -> list[HistoryEvent]:
    return list(db.session.scalars(sa.select(HistoryEvent).where(HistoryEvent.action == "course_record.edited")))


@pytest.fixture
def setting(client, demo_program, make_user, make_student, make_term, make_course_record):
    """A student (logged in) whose in-progress MPT 621 their advisor counted toward Concentration courses."""
    advisor = make_user("faculty", name="Alicia Moreno")
    student = make_student(advisor=advisor, program=demo_program, concentration="production", track="thesis")
    term = make_term("Fall 2026")
    other_term = make_term("Spring 2027", start=date.today() + timedelta(days=60),
                           end=date.today() + timedelta(days=150))
    record = make_course_record(student, course("MPT 621"), term, status="in_progress")
    substitution = exception_service.record_substitution(student, record.id, "concentration", WHY, actor=advisor)
    client.login(student.email)
    return advisor, student, record, substitution, other_term


def form_of(record: CourseRecord, **changes) -> dict:
    data = {"course_id": record.course_id, "term_id": record.term_id, "status": record.status.value,
            "grade": record.grade or ""}
    data.update(changes)
    return data


@pytest.mark.parametrize("change, named", [
    ("course", "course"),
    ("term", "term"),
    ("status", "status"),
    ("status_and_grade", "status, grade"),
])
def test_the_student_cannot_change_what_a_substitution_relied_on(client, setting, change, named):
    advisor, student, record, _, other_term = setting
    changes = {
        "course": {"course_id": course("MPT 611").id},
        "term": {"term_id": other_term.id},
        "status": {"status": "planned"},
        "status_and_grade": {"status": "completed", "grade": "A"},
    }[change]
    before = (record.course_id, record.term_id, record.status, record.grade)
    response = client.post_form(f"/courses/{record.id}/edit", form_of(record, **changes))
    assert response.status_code == 200
    text = visible_text(response)
    assert "Alicia Moreno counted MPT 621" in text and "toward Concentration courses as a substitution" in text
    assert f"can no longer be changed in its {named}" in text and "revoke the substitution" in text
    after = record_now(record.id)
    assert (after.course_id, after.term_id, after.status, after.grade) == before
    assert edit_events() == []


def test_the_exploit_from_the_review_moving_a_substitution_onto_another_course_is_refused(client, setting):
    """The reported case: another course, completed with an A, would have counted toward the requirement."""
    _, student, record, _, _ = setting
    response = client.post_form(f"/courses/{record.id}/edit", form_of(
        record, course_id=course("MPT 611").id, status="completed", grade="A"))
    assert response.status_code == 200
    assert record_now(record.id).course.code == "MPT 621"
    block = next(b for b in audit_student(student.id).result.blocks if b.key == "concentration")
    assert [u.label.split(" ")[:2] for u in block.used] == [["MPT", "621"]]


def test_saving_the_form_unchanged_is_not_a_change(client, setting):
    _, _, record, _, _ = setting
    assert client.post_form(f"/courses/{record.id}/edit", form_of(record)).status_code == 302
    assert edit_events() == []


def test_the_edit_page_says_in_advance_why_the_record_is_held(client, setting):
    _, _, record, _, _ = setting
    text = visible_text(client.get(f"/courses/{record.id}/edit"))
    assert "Alicia Moreno counted this course toward a requirement as a substitution" in text


def test_deleting_is_refused_with_the_same_reason(client, setting):
    _, _, record, _, _ = setting
    response = client.post_form(f"/courses/{record.id}/delete", follow_redirects=True)
    assert "can no longer be deleted" in visible_text(response)
    assert record_now(record.id) is not None


def test_once_the_advisor_revokes_it_the_student_may_change_the_record(client, setting):
    advisor, _, record, substitution, _ = setting
    exception_service.revoke(substitution, actor=advisor)
    response = client.post_form(f"/courses/{record.id}/edit", form_of(record, status="completed", grade="A"))
    assert response.status_code == 302
    assert record_now(record.id).status == CourseStatus.COMPLETED


@pytest.mark.parametrize("who", ["advisor", "admin"])
def test_whoever_may_change_the_substitution_may_change_the_record(setting, make_user, who):
    advisor, student, record, _, _ = setting
    actor = advisor if who == "advisor" else make_user("admin")
    course_service.update_course_record(record, course_service.CourseInput(record.course_id, record.term_id, "completed", "A"),
                                 actor=actor)
    assert record_now(record.id).grade == "A"
    [event] = edit_events()
    assert event.actor_id == actor.id


def test_another_faculty_member_may_not(setting, make_user):
    _, _, record, _, _ = setting
    stranger = make_user("faculty")
    with pytest.raises(ServiceError, match="revoke the substitution"):
        course_service.update_course_record(
            record, course_service.CourseInput(record.course_id, record.term_id, "completed", "A"), actor=stranger)
    assert record_now(record.id).grade is None


@pytest.mark.parametrize("kind", ["waiver", "transfer"])
def test_waivers_and_transfer_credit_rest_on_no_student_record(client, demo_program, make_user, make_student,
                                                               make_term, make_course_record, kind):
    """The other exception kinds do not hold any course record: the student's edits go through."""
    advisor = make_user("faculty")
    student = make_student(advisor=advisor, program=demo_program)
    record = make_course_record(student, course("MPT 601"), make_term(), status="in_progress")
    if kind == "waiver":
        exception_service.record_waiver(student, "core", "", WHY, actor=advisor)
    else:
        exception_service.record_transfer(student, "Audio Basics", "Other College", "3", course("MPT 601").id, WHY,
                                          actor=advisor)
    client.login(student.email)
    response = client.post_form(f"/courses/{record.id}/edit", form_of(record, status="completed", grade="B"))
    assert response.status_code == 302 and record_now(record.id).grade == "B"
    assert db.session.scalar(sa.select(sa.func.count(AuditException.id)).where(
        AuditException.kind == ExceptionKind(kind), AuditException.revoked_at.is_(None))) == 1


def test_an_approved_session_cannot_be_changed_by_its_student(client, login_as, make_user, make_session):
    student = login_as("student")
    session = make_session(student, make_user("faculty"), status="approved")
    response = client.post_form(f"/studio/sessions/{session.id}/edit", {
        "date": session.date.isoformat(), "studio_id": session.studio_id, "start_time": "09:00",
        "end_time": "17:00", "activity": "mixing", "project": "Longer now", "role": "engineer",
        "supervisor_id": session.supervisor_id, "version": session.version})
    assert response.status_code == 200 and "reviewed" in visible_text(response)
    db.session.expire_all()
    assert db.session.get(type(session), session.id).minutes == session.minutes


def test_a_signed_off_milestone_is_not_the_students_to_change(client, demo_program, make_user, make_student):
    from tracker.services import milestones

    advisor = make_user("faculty")
    student = make_student(advisor=advisor, program=demo_program, track="thesis")
    milestones.sign_off(advisor, student.id, "proposal", date.today(), "")
    record = db.session.scalar(sa.select(MilestoneRecord).where(MilestoneRecord.student_id == student.id))
    client.login(student.email)
    assert client.post_form(f"/advising/students/{student.id}/milestones/{record.id}/undo").status_code in (403, 404)
    assert client.post_form(f"/advising/students/{student.id}/milestones",
                            {"kind": "defense", "completed_on": date.today().isoformat()}).status_code in (403, 404)
    db.session.expire_all()
    assert [m.kind for m in db.session.scalars(sa.select(MilestoneRecord))] == ["proposal"]


def test_an_edit_waits_for_a_substitution_being_recorded_and_is_then_refused(app, setting):
    """PostgreSQL: the advisor's transaction holds the record's row lock (as record_substitution takes it); the
    student's edit, arriving meanwhile, waits for it and then sees the substitution, instead of changing the record
    the advisor is counting. (SQLite serialises the two requests with its write lock.)"""
    import threading

    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): SQLite has no row locks; its writes are serialised whole")
    advisor, student, record, substitution, _ = setting
    exception_service.revoke(substitution, actor=advisor)
    record_id, student_id = record.id, student.id
    outcome: dict = {}

    def student_edits():
        with app.app_context():
            try:
                mine = db.session.get(CourseRecord, record_id)
                me = db.session.get(type(student), student_id)
                course_service.update_course_record(
                    mine, course_service.CourseInput(course("MPT 611").id, mine.term_id, "completed", "A"), actor=me)
                outcome["result"] = "saved"
            except ServiceError as err:
                outcome["result"] = err.message
            finally:
                db.session.remove()

    with db.engine.connect() as advisor_conn:
        tx = advisor_conn.begin()
        advisor_conn.execute(sa.select(CourseRecord.id).where(CourseRecord.id == record_id).with_for_update())
        thread = threading.Thread(target=student_edits, daemon=True)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive(), "the edit did not wait for the advisor's lock on the record"
        advisor_conn.execute(sa.insert(AuditException).values(
            student_id=student_id, kind=ExceptionKind.SUBSTITUTION.value, requirement_key="concentration",
            course_record_id=record_id, justification=WHY, created_by_id=advisor.id,
            created_at=substitution.created_at))
        tx.commit()
    thread.join(timeout=10)
    assert "revoke the substitution" in outcome.get("result", ""), outcome
    assert record_now(record_id).course.code == "MPT 621"
