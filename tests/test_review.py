"""The faculty review queue: who sees what, flags, filters, pages, and approve / reject / send back — once."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import HistoryEvent, Notification, SessionStatus, StudioSession
from tracker.services import ServiceError, review

from .html_support import page_html


def _reload(session_id: int) -> StudioSession:
    db.session.expire_all()
    return db.session.get(StudioSession, session_id)


def _events(session_id: int) -> list[HistoryEvent]:
    return list(db.session.scalars(sa.select(HistoryEvent).where(
        HistoryEvent.entity_type == "studio_session", HistoryEvent.entity_id == session_id,
        HistoryEvent.action.like("studio_session.%")).order_by(HistoryEvent.id)))


def _notifications(user_id: int) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id)))


def _decide(client, session: StudioSession, button: str = "approve", note: str = "", version=None, **extra):
    data = {button: "x", "note": note, "version": session.version if version is None else version, **extra}
    return client.post_form(f"/review/sessions/{session.id}", data)


@pytest.fixture
def supervisor_and_student(login_as, make_student):
    """A logged-in faculty member and one student of theirs."""
    faculty = login_as("faculty", name="Prof. Lena Adler")
    return faculty, make_student(name="Robin Vega")


# ---------------------------------------------------------------- access

@pytest.mark.parametrize("url", ["/review", "/review/sessions/{id}"])
def test_students_are_refused_the_review_pages(client, login_as, make_user, make_session, url):
    student = login_as("student")
    session = make_session(student, make_user("faculty"))
    assert client.get(url.format(id=session.id)).status_code == 403
    assert client.post_form(url.format(id=session.id), {"approve": "x"}).status_code == 403
    assert _reload(session.id).status == SessionStatus.PENDING


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/review")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_faculty_member_sees_only_the_pending_sessions_they_supervise(client, login_as, make_user, make_student,
                                                                      make_session):
    faculty = login_as("faculty")
    other = make_user("faculty")
    mine = make_session(make_student(name="Mine Pending"), faculty)
    make_session(make_student(name="Mine Approved"), faculty, status="approved")
    make_session(make_student(name="Theirs Pending"), other)
    page = page_html(client.get("/review"))
    assert "Mine Pending" in page and f'id="session-{mine.id}"' in page
    assert "Mine Approved" not in page and "Theirs Pending" not in page
    assert "1 session waiting" in page


def test_an_admin_sees_every_pending_session_with_its_supervisor(client, login_as, make_user, make_student,
                                                                make_session):
    login_as("admin")
    a, b = make_user("faculty", name="Prof. Ames"), make_user("faculty", name="Prof. Boyd")
    make_session(make_student(name="Student One"), a)
    make_session(make_student(name="Student Two"), b)
    page = page_html(client.get("/review"))
    assert "Student One" in page and "Student Two" in page
    assert "Prof. Ames" in page and "Prof. Boyd" in page and "2 sessions waiting" in page


def test_a_faculty_member_who_is_not_the_supervisor_gets_404(client, login_as, make_user, make_student,
                                                             make_session):
    login_as("faculty")
    session = make_session(make_student(), make_user("faculty"))
    assert client.get(f"/review/sessions/{session.id}").status_code == 404
    assert _decide(client, session).status_code == 404
    assert _decide(client, session, "reject", note="No").status_code == 404
    assert client.get("/review/sessions/999999").status_code == 404
    assert _reload(session.id).status == SessionStatus.PENDING
    assert _events(session.id) == []


def test_an_admin_can_decide_any_session(client, login_as, make_user, make_student, make_session):
    admin = login_as("admin")
    session = make_session(make_student(), make_user("faculty"))
    response = _decide(client, session)
    assert response.status_code == 302
    decided = _reload(session.id)
    assert decided.status == SessionStatus.APPROVED and decided.reviewer_id == admin.id


def test_decisions_need_a_csrf_token(client, supervisor_and_student, make_session):
    faculty, student = supervisor_and_student
    session = make_session(student, faculty)
    response = client.post(f"/review/sessions/{session.id}", data={"approve": "x", "version": 1})
    assert response.status_code == 400
    assert _reload(session.id).status == SessionStatus.PENDING


def test_decisions_are_post_only(client, supervisor_and_student, make_session):
    faculty, student = supervisor_and_student
    session = make_session(student, faculty)
    client.get(f"/review/sessions/{session.id}?approve=x&version=1")
    assert _reload(session.id).status == SessionStatus.PENDING


# ---------------------------------------------------------------- the queue

def test_each_row_shows_what_the_reviewer_needs(client, supervisor_and_student, make_session, make_studio):
    faculty, student = supervisor_and_student
    day = date.today() - timedelta(days=3)
    session = make_session(student, faculty, day=day, start="09:30", hours=3.5, studio=make_studio("Studio A"),
                           project="Night Songs EP", activity="overdubs", role="assistant_engineer",
                           notes="Vocal overdubs with the choir")
    page = page_html(client.get("/review"))
    for expected in ("Robin Vega", day.strftime("%a %-d %b %Y"), "09:30–13:00", "3.5", "Studio A", "Overdubs",
                     "Night Songs EP", "Assistant engineer", "Vocal overdubs with the choir",
                     f'href="/studio/sessions/{session.id}"', f'href="/review/sessions/{session.id}?next=/review"'):
        assert expected in page, expected


def test_the_queue_is_oldest_submission_first(client, supervisor_and_student, make_session):
    faculty, student = supervisor_and_student
    now = datetime.now(timezone.utc)
    newer = make_session(student, faculty, day=date.today() - timedelta(days=5), created_at=now - timedelta(days=1))
    older = make_session(student, faculty, day=date.today() - timedelta(days=2), created_at=now - timedelta(days=3))
    page = page_html(client.get("/review"))
    assert page.index(f'id="session-{older.id}"') < page.index(f'id="session-{newer.id}"')


def _row(page: str, session_id: int) -> str:
    start = page.index(f'id="session-{session_id}"')
    return page[start:page.index("</tr>", start)]


def test_flags_mark_what_deserves_a_second_look(client, supervisor_and_student, make_student, make_session):
    faculty, student = supervisor_and_student
    today = date.today()
    now = datetime.now(timezone.utc)
    long_one = make_session(student, faculty, day=today - timedelta(days=1), start="08:00", hours=8.25)
    eight = make_session(make_student(), faculty, day=today - timedelta(days=1), start="08:00", hours=8)
    busy_day = today - timedelta(days=4)
    busy_a = make_session(student, faculty, day=busy_day, start="09:00", hours=2)
    make_session(student, faculty, day=busy_day, start="14:00", hours=2, status="approved")
    # a withdrawn session does not make a day busy
    quiet = make_student()
    quiet_a = make_session(quiet, faculty, day=busy_day, start="09:00", hours=2)
    make_session(quiet, faculty, day=busy_day, start="14:00", hours=2, status="withdrawn")
    late = make_session(make_student(), faculty, day=today - timedelta(days=16), created_at=now)
    on_time = make_session(make_student(), faculty, day=today - timedelta(days=14), created_at=now)

    page = page_html(client.get("/review"))
    assert "Long session (8.25 h)" in _row(page, long_one.id)
    assert "Long session" not in _row(page, eight.id)
    assert "2 sessions that day" in _row(page, busy_a.id)
    assert "sessions that day" not in _row(page, quiet_a.id)
    assert "Logged 16 days later" in _row(page, late.id)
    assert "Logged" not in _row(page, on_time.id)
    assert review.LONG_SESSION_MINUTES == 480 and review.LATE_LOG_DAYS == 14


def test_filters_narrow_by_student_studio_and_term(client, supervisor_and_student, make_student, make_session,
                                                   make_studio, make_term):
    faculty, student = supervisor_and_student
    other = make_student(name="Kai Other")
    a, b = make_studio("Studio A"), make_studio("Studio B")
    today = date.today()
    current = make_term("Current", today - timedelta(days=30), today + timedelta(days=30))
    past = make_term("Past", today - timedelta(days=200), today - timedelta(days=31))
    s1 = make_session(student, faculty, studio=a, term=current, day=today - timedelta(days=2))
    s2 = make_session(other, faculty, studio=b, term=current, day=today - timedelta(days=2))
    s3 = make_session(student, faculty, studio=b, term=past, day=today - timedelta(days=40))

    def shown(query: str) -> set[int]:
        page = page_html(client.get("/review" + query))
        return {int(n) for n in re.findall(r'<tr id="session-(\d+)"', page)}

    assert shown("") == {s1.id, s2.id, s3.id}
    assert shown(f"?student_id={student.id}") == {s1.id, s3.id}
    assert shown(f"?studio_id={b.id}") == {s2.id, s3.id}
    assert shown(f"?term_id={past.id}") == {s3.id}
    assert shown(f"?student_id={student.id}&studio_id={b.id}&term_id={past.id}") == {s3.id}
    assert shown("?student_id=garbage") == {s1.id, s2.id, s3.id}
    # the selects offer only students who have something waiting, and keep the choice
    page = page_html(client.get(f"/review?student_id={other.id}"))
    assert re.search(rf'<option selected value="{other.id}">Kai Other</option>', page)
    assert "No sessions waiting for review match these filters." in page_html(
        client.get(f"/review?student_id={other.id}&term_id={past.id}"))


def test_pages_keep_the_filters(client, app, monkeypatch, supervisor_and_student, make_student, make_session):
    monkeypatch.setitem(app.config, "ITEMS_PER_PAGE", 3)
    faculty, student = supervisor_and_student
    for n in range(5):
        make_session(student, faculty, day=date.today() - timedelta(days=n + 1))
    make_session(make_student(), faculty)
    first = page_html(client.get(f"/review?student_id={student.id}"))
    assert "5 sessions waiting (filtered)" in first
    assert len(re.findall(r'<tr id="session-', first)) == 3
    assert f"/review?student_id={student.id}&amp;page=2" in first
    second = page_html(client.get(f"/review?student_id={student.id}&page=2"))
    assert len(re.findall(r'<tr id="session-', second)) == 2
    # the quick "Approve" comes back to the same page and filters
    assert f'name="next" value="/review?student_id={student.id}&amp;page=2"' in second


def test_a_page_past_the_end_goes_to_the_last_page(client, app, monkeypatch, supervisor_and_student, make_session):
    monkeypatch.setitem(app.config, "ITEMS_PER_PAGE", 2)
    faculty, student = supervisor_and_student
    for n in range(3):
        make_session(student, faculty, day=date.today() - timedelta(days=n + 1))
    response = client.get("/review?page=9")
    assert response.status_code == 302 and response.headers["Location"].endswith("/review?page=2")


@pytest.mark.parametrize("role", ["faculty", "admin"])
def test_the_queue_costs_the_same_queries_for_5_and_200_rows(client, app, monkeypatch, login_as, make_user,
                                                            make_student, make_session, flat_queries, role):
    monkeypatch.setitem(app.config, "ITEMS_PER_PAGE", 500)
    user = login_as(role)
    supervisor = user if role == "faculty" else make_user("faculty")
    students = [make_student() for _ in range(10)]

    def add(n: int, offset: int) -> None:
        for i in range(n):
            day = date.today() - timedelta(days=1 + (offset + i) // 20)
            make_session(students[i % 10], supervisor, day=day, start=f"{8 + (i // 10) % 2 * 4:02d}:00", hours=3)

    add(5, 0)
    page = flat_queries("/review", lambda: add(195, 5))
    assert "200 sessions waiting" in page


# ---------------------------------------------------------------- single decisions

def test_approving_records_who_when_history_and_notifies_the_student(client, supervisor_and_student, make_session,
                                                                     make_studio):
    faculty, student = supervisor_and_student
    day = date.today() - timedelta(days=2)
    session = make_session(student, faculty, day=day, hours=4, studio=make_studio("Studio A"))
    version = session.version
    response = _decide(client, session, next="/review")
    assert response.status_code == 302 and response.headers["Location"] == "/review"
    assert "Approved Robin Vega&#39;s 4-hour session" in page_html(client.get("/review"))

    decided = _reload(session.id)
    assert decided.status == SessionStatus.APPROVED
    assert decided.reviewer_id == faculty.id and decided.reviewed_at is not None
    assert decided.version == version + 1
    [event] = _events(session.id)
    assert event.action == "studio_session.approved" and event.actor_id == faculty.id
    assert event.subject_id == student.id and event.changes["status"] == ["pending", "approved"]
    [note] = _notifications(student.id)
    assert note.message == f"Prof. Lena Adler approved your 4-hour session on {day:%a %-d %b} (Studio A)"
    assert note.link == f"/studio/sessions/{session.id}" and note.read_at is None


def test_rejecting_without_a_reason_is_refused_at_the_field(client, supervisor_and_student, make_session):
    faculty, student = supervisor_and_student
    session = make_session(student, faculty)
    response = _decide(client, session, "reject", note="   ")
    assert response.status_code == 200
    page = page_html(response)
    assert re.search(r'id="note-error"[^>]*>Give the reason for rejecting: the student sees it.', page)
    assert 'aria-invalid="true"' in page
    assert _reload(session.id).status == SessionStatus.PENDING
    assert _events(session.id) == [] and _notifications(student.id) == []


def test_rejecting_with_a_reason(client, supervisor_and_student, make_session):
    faculty, student = supervisor_and_student
    session = make_session(student, faculty)
    assert _decide(client, session, "reject", note="This was a rehearsal, not a session.").status_code == 302
    decided = _reload(session.id)
    assert decided.status == SessionStatus.REJECTED
    assert decided.review_note == "This was a rehearsal, not a session."
    [event] = _events(session.id)
    assert event.action == "studio_session.rejected"
    assert event.changes["review_note"] == ["", "This was a rehearsal, not a session."]
    [note] = _notifications(student.id)
    assert "rejected your 4-hour session" in note.message and note.message.endswith("not a session.")


def test_sending_back_needs_a_note(client, supervisor_and_student, make_session):
    faculty, student = supervisor_and_student
    session = make_session(student, faculty)
    refused = _decide(client, session, "send_back", note="")
    assert refused.status_code == 200
    assert "Say what the student should change before resubmitting." in page_html(refused)
    assert _reload(session.id).status == SessionStatus.PENDING
    assert _decide(client, session, "send_back", note="Split this into two sessions.").status_code == 302
    decided = _reload(session.id)
    assert decided.status == SessionStatus.NEEDS_CHANGES and decided.review_note == "Split this into two sessions."
    assert [e.action for e in _events(session.id)] == ["studio_session.sent_back"]
    [note] = _notifications(student.id)
    assert "sent back your 4-hour session" in note.message and "for changes: Split this" in note.message


def test_a_note_that_is_too_long_is_refused(client, supervisor_and_student, make_session):
    faculty, student = supervisor_and_student
    session = make_session(student, faculty)
    response = _decide(client, session, "reject", note="x" * 2001)
    assert response.status_code == 200 and "Use at most 2000 characters." in page_html(response)
    assert _reload(session.id).status == SessionStatus.PENDING


@pytest.mark.parametrize("status", ["approved", "rejected", "needs_changes", "withdrawn"])
def test_only_pending_sessions_can_be_decided(client, supervisor_and_student, make_session, status):
    faculty, student = supervisor_and_student
    session = make_session(student, faculty, status=status)
    response = _decide(client, session, "reject", note="Second thoughts")
    assert response.status_code == 302
    flashed = page_html(client.get(response.headers["Location"]))
    assert "Your decision was not recorded." in flashed
    assert _reload(session.id).status == SessionStatus(status)
    assert _events(session.id) == [] and _notifications(student.id) == []
    # and the page offers no decision
    assert "Your decision" not in page_html(client.get(f"/review/sessions/{session.id}"))


def test_the_second_reviewer_is_told_it_was_already_reviewed(client, app, supervisor_and_student, make_user,
                                                             make_session):
    faculty, student = supervisor_and_student
    session = make_session(student, faculty)
    page = page_html(client.get(f"/review/sessions/{session.id}"))  # the supervisor opens the form...
    assert "Your decision" in page
    admin = make_user("admin", name="Dean Park")
    other = app.test_client()
    other.login(admin.email)
    assert _decide(other, session).status_code == 302  # ...an admin approves meanwhile...
    response = _decide(client, session, "reject", note="Not a studio session")  # ...then the supervisor rejects
    assert response.status_code == 302
    flashed = page_html(client.get(response.headers["Location"]))
    assert "This session was already reviewed (approved by Dean Park). Your decision was not recorded." in flashed
    decided = _reload(session.id)
    assert decided.status == SessionStatus.APPROVED and decided.reviewer_id == admin.id
    assert len(_events(session.id)) == 1 and len(_notifications(student.id)) == 1


def test_a_session_edited_after_the_page_was_loaded_is_not_decided_blindly(client, supervisor_and_student,
                                                                           make_session):
    faculty, student = supervisor_and_student
    session = make_session(student, faculty)
    seen = session.version
    db.session.execute(sa.update(StudioSession).where(StudioSession.id == session.id)
                       .values(minutes=600, version=StudioSession.version + 1))
    db.session.commit()
    response = _decide(client, session, version=seen)
    flashed = page_html(client.get(response.headers["Location"]))
    assert "The student changed this session after you opened it" in flashed
    assert _reload(session.id).status == SessionStatus.PENDING


def test_a_stale_copy_loses_to_the_committed_decision(supervisor_and_student, make_user, make_session):
    """The conditional UPDATE, not the in-memory status, decides who wins (on SQLite and PostgreSQL)."""
    faculty, student = supervisor_and_student
    session = make_session(student, faculty)
    stale = db.session.get(StudioSession, session.id)
    _ = stale.studio.name, stale.term.name, stale.status  # loaded while still pending
    admin = make_user("admin")
    with db.engine.begin() as other:  # another reviewer's transaction commits first
        other.execute(sa.update(StudioSession.__table__).where(StudioSession.__table__.c.id == session.id)
                      .values(status="approved", reviewer_id=admin.id, version=StudioSession.__table__.c.version + 1))
    assert stale.status == SessionStatus.PENDING
    with pytest.raises(ServiceError) as refused:
        review.decide(stale, "reject", "Too late", actor=faculty, session_link=str)
    assert "already reviewed" in refused.value.message
    decided = _reload(session.id)
    assert decided.status == SessionStatus.APPROVED and decided.review_note == ""
    assert _events(session.id) == [] and _notifications(student.id) == []


def test_a_closed_term_is_decided_by_admins_only(client, app, supervisor_and_student, make_user, make_session,
                                                 make_term):
    faculty, student = supervisor_and_student
    term = make_term(closed=True)
    session = make_session(student, faculty, term=term)
    assert "is closed: only the program office" in page_html(client.get(f"/review/sessions/{session.id}"))
    flashed = page_html(client.get(_decide(client, session).headers["Location"]))
    assert "is closed: only the program office can decide its sessions now." in flashed
    assert _reload(session.id).status == SessionStatus.PENDING
    admin_client = app.test_client()
    admin_client.login(make_user("admin").email)
    assert _decide(admin_client, session).status_code == 302
    assert _reload(session.id).status == SessionStatus.APPROVED


def test_next_never_leaves_the_app(client, supervisor_and_student, make_session):
    faculty, student = supervisor_and_student
    session = make_session(student, faculty)
    response = _decide(client, session, next="https://evil.example/")
    assert response.headers["Location"] == "/review"


def test_the_decision_page_shows_the_session_and_its_history(client, supervisor_and_student, make_session):
    faculty, student = supervisor_and_student
    session = make_session(student, faculty, project="Harbour Lights")
    _decide(client, session, "send_back", note="Add the assistant's name.")
    page = page_html(client.get(f"/review/sessions/{session.id}"))
    assert "Harbour Lights" in page and "History" in page and "Sent back" in page
    assert "Add the assistant&#39;s name." in page


# ---------------------------------------------------------------- bulk decisions

def _tick(*sessions: StudioSession) -> list[str]:
    return [f"{s.id}:{s.version}" for s in sessions]


def test_approving_several_at_once(client, supervisor_and_student, make_student, make_session):
    faculty, student = supervisor_and_student
    other = make_student()
    picked = [make_session(student, faculty, day=date.today() - timedelta(days=n + 1)) for n in range(3)]
    left = make_session(other, faculty)
    response = client.post_form("/review?studio_id=", {"selected": _tick(*picked), "approve": "x"})
    assert response.status_code == 302
    assert "Approved 3 sessions." in page_html(client.get(response.headers["Location"]))
    for s in picked:
        assert _reload(s.id).status == SessionStatus.APPROVED
        assert [e.action for e in _events(s.id)] == ["studio_session.approved"]
    assert _reload(left.id).status == SessionStatus.PENDING
    assert len(_notifications(student.id)) == 3 and _notifications(other.id) == []


def test_bulk_reject_needs_a_reason_and_keeps_the_selection(client, supervisor_and_student, make_session):
    faculty, student = supervisor_and_student
    picked = [make_session(student, faculty, day=date.today() - timedelta(days=n + 1)) for n in range(2)]
    response = client.post_form("/review", {"selected": _tick(*picked), "reject": "x", "note": ""})
    assert response.status_code == 200
    page = page_html(response)
    assert re.search(r'id="note-error"[^>]*>Give the reason for rejecting', page)
    for value in _tick(*picked):
        assert re.search(rf'<input checked[^>]*value="{value}"', page) or re.search(
            rf'value="{value}"[^>]*checked', page)
    assert all(_reload(s.id).status == SessionStatus.PENDING for s in picked)
    assert _notifications(student.id) == []


def test_bulk_reject_with_a_reason(client, supervisor_and_student, make_session):
    faculty, student = supervisor_and_student
    picked = [make_session(student, faculty, day=date.today() - timedelta(days=n + 1)) for n in range(2)]
    response = client.post_form("/review", {"selected": _tick(*picked), "reject": "x", "note": "Logged twice"})
    assert "Rejected 2 sessions." in page_html(client.get(response.headers["Location"]))
    for s in picked:
        decided = _reload(s.id)
        assert decided.status == SessionStatus.REJECTED and decided.review_note == "Logged twice"
        assert [e.action for e in _events(s.id)] == ["studio_session.rejected"]


def test_bulk_reports_what_was_already_reviewed_and_counts_nothing_twice(client, supervisor_and_student, make_user,
                                                                          make_student, make_session):
    faculty, student = supervisor_and_student
    fresh = make_session(student, faculty, day=date.today() - timedelta(days=1))
    done = make_session(student, faculty, day=date.today() - timedelta(days=2))
    selection = _tick(fresh, done)
    review.decide(_reload(done.id), "approve", "", actor=make_user("admin"), session_link=str)  # someone else got there first
    theirs = make_session(make_student(), make_user("faculty"))
    response = client.post_form("/review", {"selected": selection + _tick(theirs), "approve": "x"})
    message = page_html(client.get(response.headers["Location"]))
    assert "Approved 1 session." in message
    assert "1 had already been reviewed or withdrawn" in message
    assert "1 could not be decided by you" in message
    assert _reload(fresh.id).status == SessionStatus.APPROVED
    assert len(_events(done.id)) == 1 and len(_notifications(student.id)) == 2
    assert _reload(theirs.id).status == SessionStatus.PENDING and _events(theirs.id) == []


def test_bulk_with_nothing_selected(client, supervisor_and_student, make_session):
    faculty, student = supervisor_and_student
    make_session(student, faculty)
    response = client.post_form("/review", {"approve": "x"})
    assert response.status_code == 200 and "Select at least one session." in page_html(response)


def test_the_queue_offers_select_all_and_bulk_buttons(client, supervisor_and_student, make_session):
    faculty, student = supervisor_and_student
    session = make_session(student, faculty)
    page = page_html(client.get("/review"))
    assert 'data-select-all="selected"' in page
    assert 'form="bulk-form"' in page and f'value="{session.id}:{session.version}"' in page
    assert "Approve selected" in page and "Reject selected" in page
