"""The JSON API's changes, with the pages' rules: a student edits and withdraws their own studio sessions and keeps
their course records (an advisor's substitution still protects a record), a reviewer decides the sessions in their
queue, and advisors read their advisees' progress and records. Reads are in tests/test_api.py."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import CourseRecord, HistoryEvent, Notification, SessionStatus, StudioSession
from tracker.services import audit_exceptions, group_sessions, studio

from .api_support import bearer, problem, token
from .progress_support import course

WRITE = ("read", "write")
YESTERDAY = date.today() - timedelta(days=1)


def _reload(model, object_id: int):
    db.session.expire_all()
    return db.session.get(model, object_id)


def _actions(entity_type: str, entity_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(HistoryEvent.action).where(
        HistoryEvent.entity_type == entity_type, HistoryEvent.entity_id == entity_id).order_by(HistoryEvent.id)))


def _fields(body: dict) -> dict[str, str]:
    return {e["field"]: e["detail"] for e in body["errors"]}


@pytest.fixture
def people(make_user, make_student, make_term):
    """An advisor who also supervises, two of their advisees, and the term around today."""
    faculty = make_user("faculty", name="Prof. Ada Reyes")
    student = make_student(advisor=faculty, name="Sofia Rossi")
    other = make_student(advisor=faculty, name="Luis Ortega")
    make_term()
    return faculty, student, other


# ---------------------------------------------------------------- studio sessions: read one, edit, withdraw

def test_a_student_reads_and_edits_their_own_pending_session(client, people, make_session):
    faculty, student, _ = people
    session = make_session(student, faculty, day=YESTERDAY, hours=2)
    _, secret = token(student, WRITE)
    read = client.get(f"/api/v1/studio-sessions/{session.id}", headers=bearer(secret)).get_json()
    assert read["id"] == session.id and read["version"] == session.version and read["hours"] == 2

    response = client.patch(f"/api/v1/studio-sessions/{session.id}", headers=bearer(secret),
                            json={"end_time": "13:00", "project": "Lanterns EP", "version": read["version"]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["hours"] == 3 and body["project"] == "Lanterns EP" and body["status"] == "pending"
    assert body["start_time"] == read["start_time"] and body["version"] == read["version"] + 1
    row = _reload(StudioSession, session.id)
    assert row.minutes == 180 and row.project == "Lanterns EP"
    assert _actions("studio_session", session.id)[-1] == "studio_session.edited"


def test_saving_a_session_sent_back_resubmits_it(client, people, make_session):
    faculty, student, _ = people
    session = make_session(student, faculty, day=YESTERDAY, status="needs_changes")
    _, secret = token(student, WRITE)
    response = client.patch(f"/api/v1/studio-sessions/{session.id}", headers=bearer(secret),
                            json={"notes": "Added the overdub takes."})
    assert response.status_code == 200 and response.get_json()["status"] == "pending"
    assert _actions("studio_session", session.id)[-1] == "studio_session.resubmitted"


def test_another_students_session_is_not_there(client, people, make_session):
    faculty, student, other = people
    theirs = make_session(other, faculty, day=YESTERDAY)
    _, secret = token(student, WRITE)
    problem(client.get(f"/api/v1/studio-sessions/{theirs.id}", headers=bearer(secret)), 404)
    problem(client.patch(f"/api/v1/studio-sessions/{theirs.id}", headers=bearer(secret), json={"project": "Mine"}),
            404)
    problem(client.post(f"/api/v1/studio-sessions/{theirs.id}/withdraw", headers=bearer(secret), json={}), 404)
    problem(client.get("/api/v1/studio-sessions/99999999999999999999", headers=bearer(secret)), 404)
    row = _reload(StudioSession, theirs.id)
    assert row.project == "Demo project" and row.status == SessionStatus.PENDING


def test_an_approved_session_can_no_longer_be_changed(client, people, make_session):
    faculty, student, _ = people
    session = make_session(student, faculty, day=YESTERDAY, status="approved")
    _, secret = token(student, WRITE)
    body = problem(client.patch(f"/api/v1/studio-sessions/{session.id}", headers=bearer(secret),
                                json={"project": "Renamed"}), 409)
    assert body["detail"] == "This session can no longer be changed: it is approved."
    problem(client.post(f"/api/v1/studio-sessions/{session.id}/withdraw", headers=bearer(secret)), 409)
    row = _reload(StudioSession, session.id)
    assert row.project == "Demo project" and row.status == SessionStatus.APPROVED


def test_an_edit_from_a_stale_version_is_refused(client, people, make_session):
    faculty, student, _ = people
    session = make_session(student, faculty, day=YESTERDAY)
    _, secret = token(student, WRITE)
    body = problem(client.patch(f"/api/v1/studio-sessions/{session.id}", headers=bearer(secret),
                                json={"project": "Renamed", "version": session.version + 5}), 409)
    assert "changed in another window" in body["detail"]
    assert _reload(StudioSession, session.id).project == "Demo project"


def test_a_refused_edit_names_every_field_like_the_form(client, people, make_session):
    faculty, student, _ = people
    session = make_session(student, faculty, day=YESTERDAY)
    _, secret = token(student, WRITE)
    body = problem(client.patch(f"/api/v1/studio-sessions/{session.id}", headers=bearer(secret),
                                json={"start_time": "10:07", "end_time": "09:00", "project": " "}), 422)
    assert set(_fields(body)) == {"start_time", "end_time", "project"}
    assert "The session was not saved" in body["detail"]


@pytest.mark.parametrize("field, value, words", [
    ("project", "Thesis\x00EP", "NUL"),
    ("notes", "\ud800", "valid Unicode"),
    ("studio_id", 2**31, "less than or equal"),
    ("version", -1, "greater than or equal"),
    ("version", "3", "Not a valid integer"),
    ("status", "approved", "Unknown field"),
    ("date", None, "may not be null"),
])
def test_hostile_edits_are_refused_at_their_field(client, people, make_session, field, value, words):
    faculty, student, _ = people
    session = make_session(student, faculty, day=YESTERDAY)
    _, secret = token(student, WRITE)
    body = problem(client.patch(f"/api/v1/studio-sessions/{session.id}", headers=bearer(secret),
                                json={field: value}), 422)
    assert words in _fields(body)[field]
    assert _reload(StudioSession, session.id).version == session.version


def test_a_student_withdraws_a_pending_session_once(client, people, make_session):
    faculty, student, _ = people
    session = make_session(student, faculty, day=YESTERDAY)
    sent_back = make_session(student, faculty, day=YESTERDAY, start="16:00", hours=1, status="needs_changes")
    _, secret = token(student, WRITE)
    stale = problem(client.post(f"/api/v1/studio-sessions/{session.id}/withdraw", headers=bearer(secret),
                                json={"version": session.version + 1}), 409)
    assert "changed in another window" in stale["detail"]
    response = client.post(f"/api/v1/studio-sessions/{session.id}/withdraw", headers=bearer(secret),
                           json={"version": session.version})
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    assert _actions("studio_session", session.id)[-1] == "studio_session.withdrawn"
    # No body at all: the session as it is now.
    response = client.post(f"/api/v1/studio-sessions/{sent_back.id}/withdraw", headers=bearer(secret))
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    body = problem(client.post(f"/api/v1/studio-sessions/{session.id}/withdraw", headers=bearer(secret)), 409)
    assert "it is withdrawn" in body["detail"]


def test_a_read_token_cannot_change_anything(client, people, make_session, make_course, make_course_record):
    faculty, student, _ = people
    session = make_session(student, faculty, day=YESTERDAY)
    record = make_course_record(student, make_course(), session.term)
    _, secret = token(student)
    for method, url, body in [
        ("PATCH", f"/api/v1/studio-sessions/{session.id}", {"project": "x"}),
        ("POST", f"/api/v1/studio-sessions/{session.id}/withdraw", {}),
        ("POST", "/api/v1/course-records", {}),
        ("PATCH", f"/api/v1/course-records/{record.id}", {"grade": "B"}),
        ("DELETE", f"/api/v1/course-records/{record.id}", None),
    ]:
        assert "write" in problem(client.open(url, method=method, json=body, headers=bearer(secret)), 403)["detail"]
    assert _reload(StudioSession, session.id).status == SessionStatus.PENDING
    assert _reload(CourseRecord, record.id).grade == "A"


# ---------------------------------------------------------------- course records: add, read one, edit, delete

@pytest.fixture
def enrolled(demo_program, make_user, make_student, make_term):
    """A student of the demo program with their advisor, and the current term."""
    advisor = make_user("faculty", name="Alicia Moreno")
    student = make_student(advisor=advisor, program=demo_program, name="Maya Chen")
    return advisor, student, make_term("Fall 2026")


def test_a_student_adds_edits_and_deletes_a_course_record(client, enrolled):
    _, student, term = enrolled
    _, secret = token(student, WRITE)
    added = client.post("/api/v1/course-records", headers=bearer(secret),
                        json={"course_id": course("MPT 601").id, "term_id": term.id, "status": "in_progress"})
    assert added.status_code == 201, added.get_json()
    record = added.get_json()
    assert record["course"]["code"] == "MPT 601" and record["status"] == "in_progress" and record["grade"] is None
    assert _actions("course_record", record["id"]) == ["course_record.added"]

    edited = client.patch(f"/api/v1/course-records/{record['id']}", headers=bearer(secret),
                          json={"status": "completed", "grade": "A-"})
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["grade"] == "A-" and edited.get_json()["term"]["id"] == term.id
    read = client.get(f"/api/v1/course-records/{record['id']}", headers=bearer(secret)).get_json()
    assert read == edited.get_json()

    deleted = client.delete(f"/api/v1/course-records/{record['id']}", headers=bearer(secret))
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert _reload(CourseRecord, record["id"]) is None
    assert _actions("course_record", record["id"])[-2:] == ["course_record.edited", "course_record.deleted"]
    problem(client.get(f"/api/v1/course-records/{record['id']}", headers=bearer(secret)), 404)


def test_a_refused_course_record_names_every_field_like_the_form(client, enrolled, make_course_record):
    _, student, term = enrolled
    make_course_record(student, course("MPT 601"), term)
    _, secret = token(student, WRITE)
    duplicate = problem(client.post("/api/v1/course-records", headers=bearer(secret), json={
        "course_id": course("MPT 601").id, "term_id": term.id, "status": "completed", "grade": "B"}), 422)
    assert "You already have MPT 601 in Fall 2026" in _fields(duplicate)["course_id"]
    wrong = problem(client.post("/api/v1/course-records", headers=bearer(secret), json={
        "course_id": 2**31 - 1, "term_id": term.id, "status": "planned", "grade": "A"}), 422)
    assert set(_fields(wrong)) == {"course_id", "grade"}
    assert "catalog" in _fields(wrong)["course_id"] and "only for a completed course" in _fields(wrong)["grade"]
    hostile = problem(client.post("/api/v1/course-records", headers=bearer(secret), json={
        "course_id": "1", "term_id": 1.5, "status": "done", "credits": "NaN"}), 422)
    assert set(_fields(hostile)) == {"course_id", "term_id", "status", "credits"}
    assert db.session.scalar(sa.select(sa.func.count(CourseRecord.id))) == 1


def test_another_students_course_record_is_not_there(client, enrolled, make_student, make_course_record):
    advisor, student, term = enrolled
    theirs = make_course_record(make_student(advisor=advisor), course("MPT 601"), term)
    _, secret = token(student, WRITE)
    problem(client.get(f"/api/v1/course-records/{theirs.id}", headers=bearer(secret)), 404)
    problem(client.patch(f"/api/v1/course-records/{theirs.id}", headers=bearer(secret), json={"grade": "F"}), 404)
    problem(client.delete(f"/api/v1/course-records/{theirs.id}", headers=bearer(secret)), 404)
    assert _reload(CourseRecord, theirs.id).grade == "A"


def test_a_record_an_advisors_substitution_relies_on_is_kept(client, enrolled, make_term, make_course_record):
    advisor, student, term = enrolled
    record = make_course_record(student, course("MPT 621"), term, status="in_progress", grade=None)
    audit_exceptions.record_substitution(student, record.id, "concentration", "Equivalent content.",
                                         actor=advisor)
    later = make_term("Spring 2027", start=date.today() + timedelta(days=60), end=date.today() + timedelta(days=150))
    _, secret = token(student, WRITE)
    body = problem(client.patch(f"/api/v1/course-records/{record.id}", headers=bearer(secret),
                                json={"term_id": later.id}), 409)
    assert "Alicia Moreno counted MPT 621 in Fall 2026" in body["detail"]
    assert "can no longer be changed in its term" in body["detail"] and "revoke the substitution" in body["detail"]
    body = problem(client.delete(f"/api/v1/course-records/{record.id}", headers=bearer(secret)), 409)
    assert "can no longer be deleted" in body["detail"]
    assert _reload(CourseRecord, record.id).term_id == term.id
    assert _actions("course_record", record.id) == []


# ---------------------------------------------------------------- review decisions

def _decide(client, secret, session_id: int, **body):
    return client.post(f"/api/v1/review-queue/{session_id}/decision", headers=bearer(secret), json=body)


def test_a_faculty_member_approves_a_session_in_their_queue(client, people, make_session):
    faculty, student, _ = people
    session = make_session(student, faculty, day=YESTERDAY)
    _, secret = token(faculty, WRITE)
    queued = client.get("/api/v1/review-queue", headers=bearer(secret)).get_json()["items"]
    assert [q["id"] for q in queued] == [session.id]
    response = _decide(client, secret, session.id, decision="approve", note="", version=queued[0]["version"])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "approved" and body["student"]["display_name"] == "Sofia Rossi"
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "studio_session.approved"))
    assert event.entity_id == session.id and event.actor_id == faculty.id and event.subject_id == student.id
    [note] = db.session.scalars(sa.select(Notification).where(Notification.user_id == student.id)).all()
    assert "Prof. Ada Reyes approved your 4-hour session" in note.message
    assert note.link == f"/studio/sessions/{session.id}"
    assert client.get("/api/v1/review-queue", headers=bearer(secret)).get_json()["total"] == 0
    # Decided once: a second decision is a conflict with the first one's words.
    again = problem(_decide(client, secret, session.id, decision="reject", note="Too long."), 409)
    assert "already reviewed (approved by Prof. Ada Reyes)" in again["detail"]


def test_rejecting_or_sending_back_needs_a_note(client, people, make_session):
    faculty, student, _ = people
    session = make_session(student, faculty, day=YESTERDAY)
    _, secret = token(faculty, WRITE)
    body = problem(_decide(client, secret, session.id, decision="send_back", note="  "), 422)
    assert _fields(body) == {"note": "Say what the student should change before resubmitting."}
    body = problem(_decide(client, secret, session.id, decision="needs_changes"), 422)
    assert "decision" in _fields(body)
    body = problem(_decide(client, secret, session.id, decision="reject", note="No\x00", version=2**31), 422)
    assert "NUL" in _fields(body)["note"] and "less than or equal" in _fields(body)["version"]
    assert _reload(StudioSession, session.id).status == SessionStatus.PENDING
    response = _decide(client, secret, session.id, decision="send_back", note="Split it into two days.")
    assert response.status_code == 200 and response.get_json()["status"] == "needs_changes"
    assert response.get_json()["review_note"] == "Split it into two days."


def test_a_decision_on_a_version_the_student_changed_since_is_refused(client, people, make_session):
    faculty, student, _ = people
    session = make_session(student, faculty, day=YESTERDAY)
    seen = session.version
    studio.update_session(session, studio.SessionInput(
        date=session.date, studio_id=session.studio_id, start_time=session.start_time, end_time=session.end_time,
        activity=session.activity, project="Renamed", role=session.role, supervisor_id=faculty.id), actor=student)
    _, secret = token(faculty, WRITE)
    body = problem(_decide(client, secret, session.id, decision="approve", version=seen), 409)
    assert "changed this session after you opened it" in body["detail"]
    assert _reload(StudioSession, session.id).status == SessionStatus.PENDING


def test_only_the_sessions_reviewers_may_decide_it(client, people, make_user, make_session):
    faculty, student, _ = people
    session = make_session(student, faculty, day=YESTERDAY)
    colleague = make_user("faculty")
    problem(_decide(client, token(colleague, WRITE)[1], session.id, decision="approve"), 404)
    problem(_decide(client, token(student, WRITE)[1], session.id, decision="approve"), 403)
    assert "write" in problem(_decide(client, token(faculty)[1], session.id, decision="approve"), 403)["detail"]
    assert _reload(StudioSession, session.id).status == SessionStatus.PENDING
    admin = make_user("admin")
    response = _decide(client, token(admin, WRITE)[1], session.id, decision="reject", note="Not a studio day.")
    assert response.status_code == 200 and response.get_json()["status"] == "rejected"


def test_a_group_participant_who_has_not_confirmed_cannot_be_decided(client, people, make_studio):
    faculty, student, other = people
    logged = group_sessions.log_group_session(
        student, studio.SessionInput(date=YESTERDAY, studio_id=make_studio().id, start_time=time(10),
                                     end_time=time(12), activity="tracking", project="Lanterns EP", role="engineer",
                                     supervisor_id=faculty.id),
        [group_sessions.ParticipantInput(1, other.id, "performer")], actor=student, session_link=str)
    named = db.session.scalar(sa.select(StudioSession).where(StudioSession.student_id == other.id))
    _, secret = token(faculty, WRITE)
    body = problem(_decide(client, secret, named.id, decision="approve"), 409)
    assert "has not confirmed taking part yet" in body["detail"]
    assert _reload(StudioSession, named.id).status == SessionStatus.PENDING
    # The logger's own row is confirmed: it is decided as any other.
    assert _decide(client, secret, logged.id, decision="approve").status_code == 200


# ---------------------------------------------------------------- advisees

def test_a_faculty_member_lists_and_reads_their_advisees_only(client, people, make_user, make_student,
                                                              make_session, make_course, make_course_record):
    faculty, student, other = people
    colleague = make_user("faculty", name="Dr. Ben Okafor")
    stranger = make_student(advisor=colleague, name="Amara Nwosu")
    session = make_session(student, faculty, day=YESTERDAY)
    # supervised by someone else: its hours count in the advisee's progress, its notes are the colleague's to read
    make_session(student, colleague, day=YESTERDAY - timedelta(days=1))
    record = make_course_record(student, make_course(), session.term)
    _, secret = token(faculty)
    listed = client.get("/api/v1/students", headers=bearer(secret)).get_json()
    assert [s["display_name"] for s in listed["items"]] == ["Luis Ortega", "Sofia Rossi"] and listed["total"] == 2
    assert listed["items"][1]["advisor"] == {"id": faculty.id, "display_name": "Prof. Ada Reyes"}
    assert listed["items"][1]["status"] == "active" and "email" not in listed["items"][1]  # as the advisees list

    progress = client.get(f"/api/v1/students/{student.id}/progress", headers=bearer(secret))
    assert progress.status_code == 200 and progress.get_json()["student"]["id"] == student.id
    records = client.get(f"/api/v1/students/{student.id}/course-records", headers=bearer(secret)).get_json()
    assert [r["id"] for r in records["items"]] == [record.id]
    sessions = client.get(f"/api/v1/students/{student.id}/studio-sessions", headers=bearer(secret)).get_json()
    assert [s["id"] for s in sessions["items"]] == [session.id]

    for url in ("progress", "course-records", "studio-sessions"):
        problem(client.get(f"/api/v1/students/{stranger.id}/{url}", headers=bearer(secret)), 404)
        problem(client.get(f"/api/v1/students/{faculty.id}/{url}", headers=bearer(secret)), 404)


def test_administrators_read_every_student_and_students_none(client, people, make_user, make_student):
    faculty, student, other = people
    unadvised = make_student(name="Daniel Kim")
    _, secret = token(make_user("admin"))
    listed = client.get("/api/v1/students?per_page=2", headers=bearer(secret)).get_json()
    assert listed["total"] == 3 and listed["pages"] == 2 and len(listed["items"]) == 2
    assert client.get(f"/api/v1/students/{unadvised.id}/progress", headers=bearer(secret)).status_code == 200
    _, student_secret = token(student)
    for url in ("/api/v1/students", f"/api/v1/students/{student.id}/progress",
                f"/api/v1/students/{student.id}/course-records", f"/api/v1/students/{other.id}/studio-sessions"):
        problem(client.get(url, headers=bearer(student_secret)), 403)


@pytest.mark.parametrize("role", ["faculty", "admin"])
def test_the_students_list_costs_the_same_queries_at_two_sizes(client, make_user, make_student, count_queries,
                                                               make_term, role):
    advisor = make_user("faculty")
    reader = advisor if role == "faculty" else make_user("admin")
    start = make_term()
    _, secret = token(reader)
    counts = []
    for n in (2, 8):
        while client.get("/api/v1/students", headers=bearer(secret)).get_json()["total"] < n:
            make_student(advisor=advisor, start_term=start)
        with count_queries() as queries:
            assert client.get("/api/v1/students", headers=bearer(secret)).get_json()["total"] == n
        counts.append(queries.count)
    assert counts[0] == counts[1]
