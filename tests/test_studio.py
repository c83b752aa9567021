"""Studio sessions from the student's side: logging, every refusal at its field, edits, resubmission, withdrawal,
locking after review, the session page with its history, hours per term, access rules and query counts."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import HistoryEvent, SessionStatus, StudioSession
from tracker.services import ServiceError, studio as studio_service

from .catalog_support import add_requirement
from .html_support import field_error, page_text, visible_text
from .studio_support import session_form as form_data
from .studio_support import sessions_of

YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def setup(login_as, make_user, make_studio, make_term):
    """A logged-in student, a supervising faculty member, a studio and a term around today."""
    supervisor = make_user("faculty", name="Prof. Alicia Moreno")
    student = login_as("student", advisor=supervisor, name="Maya Chen")
    studio = make_studio("Studio A")
    term = make_term("Current term")
    return student, supervisor, studio, term


def events(entity_id: int) -> list[HistoryEvent]:
    return list(db.session.scalars(sa.select(HistoryEvent).where(
        HistoryEvent.entity_type == "studio_session", HistoryEvent.entity_id == entity_id).order_by(HistoryEvent.id)))


# ---------------------------------------------------------------- logging

def test_log_form_offers_active_studios_and_faculty_with_quarter_hour_time_inputs(
        client, setup, make_studio, make_user):
    student, supervisor, studio, term = setup
    make_studio("Old Room", active=False)
    make_user("faculty", name="Dr. Retired", active=False)
    make_user("admin", name="Dr. Director")
    text = page_text(client.get("/studio/log"))
    assert "Studio A" in text and "Old Room" not in text
    assert "Prof. Alicia Moreno" in text and "Dr. Retired" not in text and "Dr. Director" not in text
    assert re.search(r'<input[^>]*type="time"[^>]*step="900"', text) or re.search(r'step="900"[^>]*type="time"', text)
    assert 'name="status"' not in text and 'name="minutes"' not in text and 'name="term_id"' not in text
    # The advisor is preselected as supervisor.
    assert re.search(rf'<option selected value="{supervisor.id}"|<option value="{supervisor.id}" selected', text)


def test_student_logs_a_session_the_hours_and_term_are_computed(client, setup):
    student, supervisor, studio, term = setup
    response = client.post_form("/studio/log", form_data(supervisor, studio))
    assert response.status_code == 302 and response.headers["Location"].endswith("/studio")
    [session] = sessions_of(student)
    assert session.minutes == 210 and str(session.hours) == "3.50"
    assert session.term_id == term.id
    assert session.status == SessionStatus.PENDING
    assert session.supervisor_id == supervisor.id and session.reviewer_id is None
    [event] = events(session.id)
    assert event.action == "studio_session.logged" and event.actor_id == student.id
    assert event.subject_id == student.id and event.changes["hours"] == "3.50"
    listing = page_text(client.get("/studio"))
    assert "Lanterns EP" in listing and "Waiting for review" in listing


def test_crafted_fields_cannot_set_status_hours_student_or_reviewer(client, setup, make_student):
    student, supervisor, studio, term = setup
    other = make_student()
    data = form_data(supervisor, studio, status="approved", minutes="720", hours="12", student_id=other.id,
                     reviewer_id=supervisor.id, term_id="999", version="7", review_note="fine")
    assert client.post_form("/studio/log", data).status_code == 302
    [session] = sessions_of(student)
    assert session.status == SessionStatus.PENDING and session.minutes == 210
    assert session.reviewer_id is None and session.review_note == "" and session.term_id == term.id
    assert sessions_of(other) == []


def test_seconds_in_the_time_are_accepted(client, setup):
    student, supervisor, studio, term = setup
    data = form_data(supervisor, studio, start_time="09:15:00", end_time="10:45:00")
    response = client.post_form("/studio/log", data)
    assert response.status_code == 302
    assert sessions_of(student)[0].minutes == 90


@pytest.mark.parametrize("overrides, field, message", [
    ({"start_time": "10:00", "end_time": "10:10"}, "end_time", "at least 15 minutes"),
    ({"start_time": "08:00", "end_time": "20:15"}, "end_time", "at most 12 hours"),
    ({"start_time": "14:00", "end_time": "12:00"}, "end_time", "end time must be after the start time"),
    ({"start_time": "14:00", "end_time": "14:00"}, "end_time", "end time must be after the start time"),
    ({"start_time": "10:05", "end_time": "12:00"}, "start_time", "quarter hour"),
    ({"start_time": "10:00", "end_time": "12:20"}, "end_time", "quarter hour"),
    ({"date": (date.today() + timedelta(days=1)).isoformat()}, "date", "in the future"),
    ({"date": (date.today() - timedelta(days=400)).isoformat()}, "date", "outside every term"),
    ({"start_time": "ten"}, "start_time", "Enter a time like"),
    ({"date": ""}, "date", "Enter the date"),
    ({"project": "  "}, "project", "project's title"),
    ({"supervisor_id": ""}, "supervisor_id", "supervising faculty member"),
])
def test_each_refusal_is_shown_at_its_field_and_the_input_is_kept(client, setup, overrides, field, message):
    student, supervisor, studio, term = setup
    data = form_data(supervisor, studio, **{"project": "Kept Project Title", **overrides})
    response = client.post_form("/studio/log", data)
    assert response.status_code == 200
    assert message in field_error(response, field)
    text = page_text(response)
    if "project" not in overrides:
        assert 'value="Kept Project Title"' in text
    for name in ("start_time", "end_time"):
        if data[name] and name not in overrides:
            assert f'value="{data[name]}"' in text
    assert sessions_of(student) == []


def test_two_bad_fields_are_both_shown_at_their_fields_with_the_input_kept(client, setup):
    student, supervisor, studio, term = setup
    data = form_data(supervisor, studio, start_time="10:05", date=(date.today() + timedelta(days=1)).isoformat(),
                     project="Kept Project Title")
    response = client.post_form("/studio/log", data)
    assert response.status_code == 200
    assert "quarter hour" in field_error(response, "start_time")
    assert "in the future" in field_error(response, "date")
    text = page_text(response)
    assert 'value="Kept Project Title"' in text and 'value="10:05"' in text and f'value="{data["end_time"]}"' in text
    assert sessions_of(student) == []


def test_a_closed_term_is_refused_for_students(client, login_as, make_user, make_studio, make_term):
    supervisor = make_user("faculty")
    student = login_as("student")
    studio = make_studio()
    make_term("Closed term", closed=True)
    response = client.post_form("/studio/log", form_data(supervisor, studio))
    assert response.status_code == 200
    assert "Closed term is closed" in field_error(response, "date")
    assert sessions_of(student) == []


def test_an_admin_may_still_log_a_session_in_a_closed_term(make_student, make_user, make_studio, make_term):
    supervisor = make_user("faculty")
    admin = make_user("admin")
    student = make_student()
    studio = make_studio()
    make_term("Closed term", closed=True)
    data = studio_service.SessionInput(date=YESTERDAY, studio_id=studio.id, start_time=time(10), end_time=time(12),
                                       activity="mixing", project="Fix", role="engineer", supervisor_id=supervisor.id)
    with pytest.raises(ServiceError):
        studio_service.log_session(student, data, actor=student)
    session = studio_service.log_session(student, data, actor=admin)
    assert session.minutes == 120 and events(session.id)[0].actor_id == admin.id


@pytest.mark.parametrize("who", ["inactive faculty", "student", "admin"])
def test_the_supervisor_must_be_an_active_faculty_member(client, setup, make_user, make_student, who):
    student, supervisor, studio, term = setup
    target = {"inactive faculty": lambda: make_user("faculty", active=False), "student": make_student,
              "admin": lambda: make_user("admin")}[who]()
    response = client.post_form("/studio/log", form_data(supervisor, studio, supervisor_id=target.id))
    assert response.status_code == 200
    assert "active faculty member" in field_error(response, "supervisor_id")
    assert sessions_of(student) == []


def test_the_service_refuses_a_supervisor_who_is_not_active_faculty(setup, make_user):
    student, supervisor, studio, term = setup
    inactive = make_user("faculty", active=False)
    data = studio_service.SessionInput(date=YESTERDAY, studio_id=studio.id, start_time=time(10), end_time=time(12),
                                       activity="mixing", project="X", role="engineer", supervisor_id=inactive.id)
    with pytest.raises(ServiceError) as err:
        studio_service.log_session(student, data, actor=student)
    assert err.value.field == "supervisor_id"


def test_an_inactive_studio_is_refused(client, setup, make_studio):
    student, supervisor, studio, term = setup
    closed_room = make_studio("Closed Room", active=False)
    response = client.post_form("/studio/log", form_data(supervisor, studio, studio_id=closed_room.id))
    assert response.status_code == 200
    assert "active studios" in field_error(response, "studio_id")


def test_an_overlap_with_own_session_is_refused(client, setup, make_session):
    student, supervisor, studio, term = setup
    make_session(student, supervisor, day=YESTERDAY, start="12:00", hours=2)
    response = client.post_form("/studio/log", form_data(supervisor, studio, start_time="10:00", end_time="12:15"))
    assert response.status_code == 200
    error = field_error(response, "start_time")
    assert "overlaps your session from 12:00 to 14:00" in error
    assert len(sessions_of(student)) == 1
    # Touching end to start is not an overlap.
    assert client.post_form("/studio/log", form_data(supervisor, studio, start_time="10:00",
                                                     end_time="12:00")).status_code == 302


@pytest.mark.parametrize("status", ["withdrawn", "rejected"])
def test_withdrawn_and_rejected_sessions_free_their_time(client, setup, make_session, status):
    student, supervisor, studio, term = setup
    make_session(student, supervisor, day=YESTERDAY, start="10:00", hours=3, status=status)
    assert client.post_form("/studio/log", form_data(supervisor, studio)).status_code == 302


def test_another_students_session_at_the_same_time_is_no_overlap(client, setup, make_session, make_student):
    student, supervisor, studio, term = setup
    make_session(make_student(), supervisor, day=YESTERDAY, start="10:00", hours=3)
    assert client.post_form("/studio/log", form_data(supervisor, studio)).status_code == 302


def test_submitting_the_same_form_twice_creates_one_session(client, setup):
    student, supervisor, studio, term = setup
    data = form_data(supervisor, studio)
    assert client.post_form("/studio/log", data).status_code == 302
    again = client.post_form("/studio/log", data)
    assert again.status_code == 200 and "overlaps" in field_error(again, "start_time")
    assert len(sessions_of(student)) == 1


# ---------------------------------------------------------------- editing, resubmitting, withdrawing

def test_edit_a_pending_session_keeps_it_pending_and_records_the_change(client, setup, make_session):
    student, supervisor, studio, term = setup
    session = make_session(student, supervisor, day=YESTERDAY, start="10:00", hours=2, studio=studio)
    form = page_text(client.get(f"/studio/sessions/{session.id}/edit"))
    assert 'value="10:00"' in form and f'name="version" type="hidden" value="{session.version}"' in form
    data = form_data(supervisor, studio, start_time="10:00", end_time="13:00", project="Renamed", version=1,
                     status="approved", minutes="720", reviewer_id=supervisor.id, student_id="1")  # ignored
    response = client.post_form(f"/studio/sessions/{session.id}/edit", data)
    assert response.status_code == 302
    db.session.expire_all()
    session = db.session.get(StudioSession, session.id)
    assert session.minutes == 180 and session.project == "Renamed" and session.status == SessionStatus.PENDING
    assert session.version == 2
    [event] = events(session.id)
    assert event.action == "studio_session.edited"
    assert event.changes["end_time"] == ["12:00:00", "13:00:00"] and event.changes["project"] == ["Demo project",
                                                                                                    "Renamed"]


def test_saving_a_session_sent_back_resubmits_it(client, setup, make_session):
    student, supervisor, studio, term = setup
    earlier = datetime.now(timezone.utc) - timedelta(days=3)
    session = make_session(student, supervisor, day=YESTERDAY, hours=2, studio=studio, status="needs_changes",
                           created_at=earlier)
    db.session.execute(sa.update(StudioSession).where(StudioSession.id == session.id)
                       .values(review_note="Add the track list."))
    db.session.commit()
    form = page_text(client.get(f"/studio/sessions/{session.id}/edit"))
    assert "Add the track list." in form and "Save and resubmit" in form
    data = form_data(supervisor, studio, start_time="10:00", end_time="12:00", notes="Tracks 1-4", version=1)
    assert client.post_form(f"/studio/sessions/{session.id}/edit", data).status_code == 302
    db.session.expire_all()
    session = db.session.get(StudioSession, session.id)
    assert session.status == SessionStatus.PENDING
    assert session.submitted_at > earlier + timedelta(days=2)
    [event] = events(session.id)
    assert event.action == "studio_session.resubmitted"
    assert event.changes["status"] == ["needs_changes", "pending"]


def test_withdraw_is_post_only_and_recorded(client, setup, make_session):
    student, supervisor, studio, term = setup
    session = make_session(student, supervisor, day=YESTERDAY, studio=studio)
    assert client.get(f"/studio/sessions/{session.id}/withdraw").status_code == 405
    listing = page_text(client.get("/studio"))
    assert "data-confirm" in listing
    response = client.post_form(f"/studio/sessions/{session.id}/withdraw", {"version": 1})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(StudioSession, session.id).status == SessionStatus.WITHDRAWN
    [event] = events(session.id)
    assert event.action == "studio_session.withdrawn" and event.changes["status"] == ["pending", "withdrawn"]
    # A withdrawn session cannot be withdrawn again or edited.
    again = client.post_form(f"/studio/sessions/{session.id}/withdraw", {"version": 2}, follow_redirects=True)
    assert "withdrawn, so it can no longer be changed" in page_text(again)


@pytest.mark.parametrize("status", ["approved", "rejected"])
def test_reviewed_sessions_are_locked(client, setup, make_session, status):
    student, supervisor, studio, term = setup
    session = make_session(student, supervisor, day=YESTERDAY, studio=studio, status=status)
    response = client.get(f"/studio/sessions/{session.id}/edit")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/studio/sessions/{session.id}")
    posted = client.post_form(f"/studio/sessions/{session.id}/edit",
                              form_data(supervisor, studio, project="Sneaky", version=session.version))
    assert posted.status_code == 200 and "reviewed while you were editing" in page_text(posted)
    client.post_form(f"/studio/sessions/{session.id}/withdraw", {"version": session.version})
    db.session.expire_all()
    unchanged = db.session.get(StudioSession, session.id)
    assert unchanged.status == SessionStatus(status) and unchanged.project == "Demo project"
    detail = page_text(client.get(f"/studio/sessions/{session.id}"))
    assert ">Edit<" not in detail and "Withdraw" not in detail


def test_approved_session_shows_who_approved_and_when(client, setup, make_session):
    student, supervisor, studio, term = setup
    session = make_session(student, supervisor, day=YESTERDAY, studio=studio, status="approved")
    text = page_text(client.get(f"/studio/sessions/{session.id}"))
    assert "Approved" in text and "by Prof. Alicia Moreno" in text and "UTC" in text and "locked" in text


def test_rejected_session_shows_the_reason(client, setup, make_session):
    student, supervisor, studio, term = setup
    session = make_session(student, supervisor, day=YESTERDAY, studio=studio, status="rejected")
    db.session.execute(sa.update(StudioSession).where(StudioSession.id == session.id)
                       .values(review_note="Not supervised by me."))
    db.session.commit()
    text = visible_text(client.get(f"/studio/sessions/{session.id}"))
    assert "Rejected" in text and "Reason: Not supervised by me." in text


def _review_behind_the_students_back(session_id: int, status: str, bump_version: bool = True) -> None:
    """A reviewer's decision committed on another connection, as the faculty side would."""
    values = {"status": SessionStatus(status), "reviewed_at": datetime.now(timezone.utc)}
    if bump_version:
        values["version"] = StudioSession.version + 1
    with db.engine.begin() as conn:
        conn.execute(sa.update(StudioSession.__table__).where(StudioSession.__table__.c.id == session_id)
                     .values(**{k: v for k, v in values.items()}))


@pytest.mark.parametrize("decision", ["approved", "rejected", "needs_changes"])
def test_a_review_while_the_student_edits_makes_the_save_fail(client, setup, make_session, decision):
    student, supervisor, studio, term = setup
    session = make_session(student, supervisor, day=YESTERDAY, studio=studio)
    assert client.get(f"/studio/sessions/{session.id}/edit").status_code == 200  # form loaded at version 1
    _review_behind_the_students_back(session.id, decision)
    response = client.post_form(f"/studio/sessions/{session.id}/edit",
                                form_data(supervisor, studio, project="Too late", version=1))
    assert response.status_code == 200
    assert "This session was reviewed while you were editing it" in page_text(response)
    assert 'value="Too late"' in page_text(response)  # the student's input is kept
    db.session.expire_all()
    after = db.session.get(StudioSession, session.id)
    assert after.status == SessionStatus(decision) and after.project == "Demo project"
    assert events(session.id) == []


@pytest.mark.parametrize("bump_version", [True, False])
def test_the_update_itself_checks_version_and_status(setup, make_session, bump_version):
    """A decision landing between the service's read and its write: the guarded UPDATE matches no row."""
    student, supervisor, studio, term = setup
    session = make_session(student, supervisor, day=YESTERDAY, studio=studio)
    loaded = db.session.get(StudioSession, session.id)
    assert loaded.status == SessionStatus.PENDING  # the service sees it as editable...
    _review_behind_the_students_back(session.id, "approved", bump_version=bump_version)  # ...then a reviewer decides
    data = studio_service.SessionInput(date=YESTERDAY, studio_id=studio.id, start_time=time(9), end_time=time(11),
                                       activity="mixing", project="Late", role="engineer",
                                       supervisor_id=supervisor.id)
    with pytest.raises(ServiceError) as err:
        studio_service.update_session(loaded, data, actor=student, expected_version=1)
    assert "reviewed while you were editing" in err.value.message
    db.session.expire_all()
    after = db.session.get(StudioSession, session.id)
    assert after.status == SessionStatus.APPROVED and after.project == "Demo project"
    assert events(session.id) == []


def test_a_save_from_a_second_window_does_not_overwrite_the_first(client, setup, make_session):
    student, supervisor, studio, term = setup
    session = make_session(student, supervisor, day=YESTERDAY, studio=studio)
    first = client.post_form(f"/studio/sessions/{session.id}/edit", form_data(supervisor, studio, project="First",
                                                                               version=1))
    assert first.status_code == 302
    second = client.post_form(f"/studio/sessions/{session.id}/edit", form_data(supervisor, studio, project="Second",
                                                                                version=1))
    assert second.status_code == 200 and "changed in another window" in visible_text(second)
    db.session.expire_all()
    assert db.session.get(StudioSession, session.id).project == "First"


def test_withdraw_after_a_review_is_refused(client, setup, make_session):
    student, supervisor, studio, term = setup
    session = make_session(student, supervisor, day=YESTERDAY, studio=studio)
    _review_behind_the_students_back(session.id, "approved")
    response = client.post_form(f"/studio/sessions/{session.id}/withdraw", {"version": 1}, follow_redirects=True)
    assert "reviewed while you were editing" in page_text(response)
    db.session.expire_all()
    assert db.session.get(StudioSession, session.id).status == SessionStatus.APPROVED


def test_editing_refuses_an_overlap_with_another_session_but_not_with_itself(client, setup, make_session):
    student, supervisor, studio, term = setup
    session = make_session(student, supervisor, day=YESTERDAY, start="10:00", hours=2, studio=studio)
    make_session(student, supervisor, day=YESTERDAY, start="13:00", hours=2, studio=studio)
    clash = client.post_form(f"/studio/sessions/{session.id}/edit",
                             form_data(supervisor, studio, start_time="10:00", end_time="13:30", version=1))
    assert clash.status_code == 200 and "overlaps your session from 13:00" in field_error(clash, "start_time")
    fine = client.post_form(f"/studio/sessions/{session.id}/edit",
                            form_data(supervisor, studio, start_time="10:30", end_time="12:30", version=1))
    assert fine.status_code == 302


def test_a_session_in_a_closed_term_cannot_be_edited_or_withdrawn_by_the_student(
        client, login_as, make_user, make_studio, make_term, make_session):
    supervisor = make_user("faculty")
    student = login_as("student")
    studio = make_studio()
    term = make_term("Spring", closed=True)
    session = make_session(student, supervisor, day=YESTERDAY, term=term, studio=studio)
    opened = client.get(f"/studio/sessions/{session.id}/edit", follow_redirects=True)
    assert "Spring is closed" in visible_text(opened) and 'name="project"' not in opened.get_data(as_text=True)
    edit = client.post_form(f"/studio/sessions/{session.id}/edit", form_data(supervisor, studio, version=1))
    assert edit.status_code == 200 and "Spring is closed" in page_text(edit)
    client.post_form(f"/studio/sessions/{session.id}/withdraw", {"version": 1})
    db.session.expire_all()
    assert db.session.get(StudioSession, session.id).status == SessionStatus.PENDING


# ---------------------------------------------------------------- the session page

def test_session_page_shows_fields_review_and_history(client, setup):
    student, supervisor, studio, term = setup
    client.post_form("/studio/log", form_data(supervisor, studio))
    [session] = sessions_of(student)
    client.post_form(f"/studio/sessions/{session.id}/edit",
                     form_data(supervisor, studio, end_time="14:00", version=1))
    text = visible_text(client.get(f"/studio/sessions/{session.id}"))
    for expected in ("Lanterns EP", "Studio A", "10:00–14:00", "Mixing", "Engineer", "Prof. Alicia Moreno",
                     "Drum stems", "Current term", "Waiting for review", "History", "Logged", "Edited",
                     "end time: 13:30:00 → 14:00:00", "Maya Chen"):
        assert expected in text, expected


def test_session_page_is_for_the_student_the_supervisor_and_admins(app, make_student, make_user, make_session):
    supervisor = make_user("faculty")
    owner = make_student()
    session = make_session(owner, supervisor, day=YESTERDAY)
    allowed = [owner, supervisor, make_user("admin")]
    refused = [make_student(), make_user("faculty"), make_student(advisor=supervisor)]
    for user in allowed + refused:
        client = app.test_client()
        client.login(user.email)
        expected = 200 if user in allowed else 404
        assert client.get(f"/studio/sessions/{session.id}").status_code == expected, user
        assert client.get("/studio/sessions/999999").status_code == 404


def test_another_students_session_ids_are_404(client, login_as, make_student, make_user, make_session, make_studio):
    supervisor = make_user("faculty")
    studio = make_studio()
    other = make_student()
    theirs = make_session(other, supervisor, day=YESTERDAY, studio=studio)
    login_as("student")
    assert client.get(f"/studio/sessions/{theirs.id}").status_code == 404
    assert client.get(f"/studio/sessions/{theirs.id}/edit").status_code == 404
    assert client.post_form(f"/studio/sessions/{theirs.id}/edit",
                            form_data(supervisor, studio, version=1)).status_code == 404
    assert client.post_form(f"/studio/sessions/{theirs.id}/withdraw", {"version": 1}).status_code == 404
    db.session.expire_all()
    assert db.session.get(StudioSession, theirs.id).status == SessionStatus.PENDING


@pytest.mark.parametrize("role", ["faculty", "admin"])
@pytest.mark.parametrize("url", ["/studio", "/studio/log", "/studio/hours"])
def test_logging_pages_are_for_students_only(client, login_as, role, url):
    login_as(role)
    assert client.get(url).status_code == 403


def test_even_the_supervisor_cannot_edit_or_withdraw_a_students_session(client, make_student, make_user,
                                                                          make_session, make_studio):
    supervisor = make_user("faculty")
    studio = make_studio()
    session = make_session(make_student(), supervisor, day=YESTERDAY, studio=studio)
    client.login(supervisor.email)
    assert client.get(f"/studio/sessions/{session.id}/edit").status_code == 403
    assert client.post_form(f"/studio/sessions/{session.id}/edit", form_data(supervisor, studio)).status_code == 403
    assert client.post_form(f"/studio/sessions/{session.id}/withdraw", {"version": 1}).status_code == 403
    db.session.expire_all()
    assert db.session.get(StudioSession, session.id).status == SessionStatus.PENDING


def test_anonymous_users_are_sent_to_login(client):
    for url in ("/studio", "/studio/log", "/studio/hours", "/studio/sessions/1"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_posts_without_csrf_are_refused(client, setup, make_session):
    student, supervisor, studio, term = setup
    session = make_session(student, supervisor, day=YESTERDAY, studio=studio)
    assert client.post("/studio/log", data=form_data(supervisor, studio)).status_code == 400
    assert client.post(f"/studio/sessions/{session.id}/withdraw", data={"version": 1}).status_code == 400
    assert len(sessions_of(student)) == 1


# ---------------------------------------------------------------- list and hours pages

def test_list_is_newest_first_and_paginated(client, setup, make_session):
    student, supervisor, studio, term = setup
    for i in range(30):
        make_session(student, supervisor, day=date.today() - timedelta(days=i + 1), project=f"Project {i:02d}",
                     studio=studio)
    first = page_text(client.get("/studio"))
    assert first.index("Project 00") < first.index("Project 01")
    assert "Project 29" not in first and 'aria-label="Pages"' in first
    second = page_text(client.get("/studio?page=2"))
    assert "Project 29" in second and "Project 00" not in second


def _studio_requirement(program_id: int, min_hours="40", terms=2, **kwargs) -> None:
    add_requirement(program_id, f"studio{min_hours}", "studio_terms", "Studio",
                    {"terms": terms, "min_hours": min_hours}, **kwargs)


def test_hours_page_adds_up_each_term_against_the_minimum(client, login_as, make_user, make_term, make_session,
                                                          make_studio):
    supervisor = make_user("faculty")
    make_studio()
    earlier = make_term("Earlier term", start=date.today() - timedelta(days=300),
                        end=date.today() - timedelta(days=200))
    current = make_term("Current term")
    student = login_as("student", start_term=earlier)
    _studio_requirement(student.enrollment.program_id, "40")
    day = date.today() - timedelta(days=2)
    make_session(student, supervisor, day=day, start="08:00", hours=10, status="approved", term=current)
    make_session(student, supervisor, day=day, start="18:00", hours=2.5, status="pending", term=current)
    make_session(student, supervisor, day=day - timedelta(days=1), start="08:00", hours=4, status="rejected",
                 term=current)
    make_session(student, supervisor, day=day - timedelta(days=1), start="13:00", hours=3, status="withdrawn",
                 term=current)
    make_session(student, supervisor, day=earlier.start_date + timedelta(days=3), hours=12, status="approved",
                 term=earlier)
    make_session(student, supervisor, day=earlier.start_date + timedelta(days=4), hours=12, status="approved",
                 term=earlier)
    make_session(student, supervisor, day=earlier.start_date + timedelta(days=5), hours=12, status="approved",
                 term=earlier)
    make_session(student, supervisor, day=earlier.start_date + timedelta(days=6), hours=6, status="approved",
                 term=earlier)
    text = visible_text(client.get("/studio/hours"))
    assert text.index("Earlier term") < text.index("Current term")
    assert "at least 40 approved hours" in text and "met the minimum in 1 of 2 terms" in text
    row = text[text.index("Current term"):]
    assert "10 h 2.5 h 4 h 40 h" in row  # approved, pending, rejected, minimum (withdrawn not counted)
    markup = page_text(client.get("/studio/hours"))
    bar = markup[markup.index("Current term studio hours"):]
    assert "pct-25" in bar and "pct-6" in bar  # 10/40 approved, 2.5/40 pending (rounded)


def test_hours_page_forecasts_the_term_in_progress_at_the_pace_so_far(client, login_as, make_user, make_term,
                                                                       make_session, make_studio):
    supervisor = make_user("faculty")
    make_studio()
    today = date.today()
    current = make_term("Current term", start=today - timedelta(days=39), end=today + timedelta(days=40))
    earlier = make_term("Earlier term", start=today - timedelta(days=300), end=today - timedelta(days=200))
    student = login_as("student", start_term=earlier)
    _studio_requirement(student.enrollment.program_id, "40")
    make_session(student, supervisor, day=today - timedelta(days=3), start="08:00", hours=8, status="approved",
                 term=current)
    make_session(student, supervisor, day=today - timedelta(days=2), start="08:00", hours=4, status="pending",
                 term=current)
    text = visible_text(client.get("/studio/hours"))
    end = current.end_date
    # 12 h over 40 days so far (today included), carried over the 40 days left: 24 h.
    assert f"At this pace: about 24 of 40 hours by {end.day} {end:%b}" in text
    assert "At this pace" not in text[text.index("Earlier term"):text.index("Current term")]


def test_hours_without_a_program_minimum(client, login_as, make_user, make_session, make_studio):
    supervisor = make_user("faculty")
    make_studio()
    student = login_as("student")
    make_session(student, supervisor, day=YESTERDAY, hours=3, status="approved")
    text = page_text(client.get("/studio/hours"))
    assert "sets no minimum" in text and "3 h" in text and "progress-stacked" not in text


def test_hours_use_the_requirement_for_the_students_concentration(client, login_as, make_user, make_session,
                                                                  make_term):
    supervisor = make_user("faculty")
    make_term()
    student = login_as("student", concentration="technical")
    _studio_requirement(student.enrollment.program_id, "60", concentrations=["production"])
    _studio_requirement(student.enrollment.program_id, "30", concentrations=["technical"])
    assert "at least 30 approved hours" in visible_text(client.get("/studio/hours"))


# ---------------------------------------------------------------- query counts

def _many_sessions(student, supervisors, n, make_session, studios, terms):
    """n sessions spread over terms, studios, supervisors and statuses (one a day per term)."""
    for i in range(n):
        term = terms[i % len(terms)]
        make_session(student, supervisors[i % len(supervisors)], day=term.start_date + timedelta(days=i // len(terms)),
                     studio=studios[i % len(studios)], term=term,
                     status=["pending", "approved", "rejected", "needs_changes"][i % 4])


@pytest.mark.parametrize("url", ["/studio", "/studio/hours", "/studio?page=2"])
def test_studio_pages_cost_the_same_queries_for_5_and_200_sessions(
        app, make_student, make_user, make_term, make_studio, make_session, count_queries, url):
    counts = []
    for n in (5, 200):
        supervisors = [make_user("faculty") for _ in range(3)]
        studios = [make_studio() for _ in range(3)]
        base = date.today() - timedelta(days=1000 if n == 5 else 700)
        terms = [make_term(start=base + timedelta(days=100 * i), end=base + timedelta(days=100 * i + 90))
                 for i in range(3)]
        student = make_student(start_term=terms[0])
        client = app.test_client()
        client.login(student.email)
        if n == 5:
            _studio_requirement(student.enrollment.program_id)
        _many_sessions(student, supervisors, n, make_session, studios, terms)
        db.session.expire_all()
        with count_queries() as q:
            response = client.get(url)
        assert response.status_code == 200
        if url == "/studio":
            assert response.get_data(as_text=True).count("<tr>") == min(n, 25) + 1
        counts.append(q.count)
    assert counts[0] == counts[1], counts
