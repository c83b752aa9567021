"""Group sessions: a student logs a session naming others with their roles; each confirms or declines; the supervisor
reviews the group in one step or student by student; each student's approved hours count in their own audit."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import (
    Confirmation,
    HistoryEvent,
    Notification,
    SessionStatus,
    StudioSession,
    StudioSessionGroup,
)
from tracker.services import ServiceError, audit, review, studio

from .html_support import field_error, page_html, visible_text
from .studio_support import session_form, sessions_of

YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def people(client, make_user, make_student, make_studio, make_term):
    """Student A (logged in), students B and C, their supervisor, a studio and the current term."""
    supervisor = make_user("faculty", name="Prof. Lena Adler")
    a = make_student(name="Ana Logger")
    b = make_student(name="Ben Player")
    c = make_student(name="Cleo Producer")
    studio_a = make_studio("Studio A")
    term = make_term()
    assert client.login(a.email).status_code == 302
    return {"a": a, "b": b, "c": c, "supervisor": supervisor, "studio": studio_a, "term": term}


def form_data(people, participants=(), **overrides) -> dict:
    """Ana's log form: three hours of tracking in Studio A, naming `participants` ((student, role) pairs)."""
    return session_form(people["supervisor"], people["studio"], participants,
                        **{"end_time": "13:00", "activity": "tracking", "notes": "", **overrides})


def reload(session_id: int) -> StudioSession:
    db.session.expire_all()
    return db.session.get(StudioSession, session_id)


def actions(session_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(HistoryEvent.action).where(
        HistoryEvent.entity_type == "studio_session", HistoryEvent.entity_id == session_id).order_by(HistoryEvent.id)))


def log_group(client, people, participants=None):
    """A logs yesterday 10:00-13:00 naming B as performer and C as producer; returns (A's, B's, C's) rows."""
    participants = participants if participants is not None else [(people["b"], "performer"),
                                                                   (people["c"], "producer")]
    response = client.post_form("/studio/log", form_data(people, participants))
    assert response.status_code == 302, visible_text(response)
    rows = [sessions_of(people[k])[-1] if sessions_of(people[k]) else None for k in ("a", "b", "c")]
    return rows


def switch(client, user):
    client.post_form("/auth/logout")
    assert client.login(user.email).status_code == 302


def approved_session_ids(student) -> set[int]:
    result = audit.audit_student(student.id)
    return {s.id for s in result.records.sessions if s.status == "approved"}


def audit_session_ids(student) -> set[int]:
    return {s.id for s in audit.audit_student(student.id).records.sessions}


def this_term_hours(people, student):
    terms = studio.hours_by_term(student.id, None, None)
    return next(t for t in terms if t.term.id == people["term"].id)


# ---------------------------------------------------------------- naming

def test_naming_students_makes_one_row_each_and_notifies_them(client, people):
    own, ben, cleo = log_group(client, people)
    assert own.group_id is not None and ben.group_id == cleo.group_id == own.group_id
    for row in (own, ben, cleo):
        assert (row.studio_id, row.date, row.start_time, row.end_time, row.supervisor_id, row.minutes) == (
            own.studio_id, YESTERDAY, own.start_time, own.end_time, people["supervisor"].id, 180)
        assert row.status == SessionStatus.PENDING
    assert [r.role.value for r in (own, ben, cleo)] == ["engineer", "performer", "producer"]
    assert [r.confirmation for r in (own, ben, cleo)] == [Confirmation.CONFIRMED, Confirmation.AWAITING,
                                                          Confirmation.AWAITING]
    group = db.session.get(StudioSessionGroup, own.group_id)
    assert group.created_by_id == people["a"].id
    # Each named student is told, with a link to their own row.
    for student, row in ((people["b"], ben), (people["c"], cleo)):
        notices = db.session.scalars(sa.select(Notification).where(Notification.user_id == student.id)).all()
        assert len(notices) == 1 and notices[0].link == f"/studio/sessions/{row.id}"
        assert "Ana Logger named you as" in notices[0].message
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == people["a"].id)) == 0
    # The history of each row starts with its own step: logged by A, or named by A.
    assert actions(own.id) == ["studio_session.logged"]
    assert actions(ben.id) == ["studio_session.named"]
    named = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.entity_id == ben.id))
    assert (named.actor_id, named.subject_id) == (people["a"].id, people["b"].id)


def test_the_log_form_has_blank_participant_rows_and_links_the_guide(client, people):
    page = page_html(client.get("/studio/log"))
    for n in (1, 2, 3):
        assert f'name="participant_{n}_student_id"' in page and f'name="participant_{n}_role"' in page
    assert "Ben Player" in page and "/studio/group-sessions-help" in page
    # The student cannot name themself: they are not in the list.
    assert page.count(">Ana Logger<") == 0
    assert "group sessions" in visible_text(client.get("/studio/group-sessions-help")).lower()


def test_a_form_without_participants_logs_a_plain_session(client, people):
    response = client.post_form("/studio/log", form_data(people, [(None, "")]))
    assert response.status_code == 302
    (row,) = sessions_of(people["a"])
    assert row.group_id is None and row.confirmation == Confirmation.CONFIRMED


@pytest.mark.parametrize("participants, field, message", [
    ([(None, "performer")], "participant_1_student_id", "Choose the student who had this role"),
    ([("b", "")], "participant_1_role", "Choose Ben Player's role"),
    ([("a", "performer")], "participant_1_student_id", "Choose a student from the list"),  # not offered
    ([("b", "performer"), ("b", "producer")], "participant_2_student_id", "Ben Player is named twice"),
    ([("b", "conductor")], "participant_1_role", "Choose a role from the list"),
])
def test_each_participant_row_is_checked(client, people, participants, field, message):
    rows = [(people[k] if k else None, role) for k, role in participants]
    response = client.post_form("/studio/log", form_data(people, rows))
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert sessions_of(people["a"]) == [] and sessions_of(people["b"]) == []


def test_the_service_refuses_naming_oneself(people):
    from tracker.services import group_sessions

    data = studio.SessionInput(date=YESTERDAY, studio_id=people["studio"].id, start_time=studio_time("10:00"),
                               end_time=studio_time("11:00"), activity="mixing", project="P", role="engineer",
                               supervisor_id=people["supervisor"].id)
    with pytest.raises(ServiceError) as err:
        group_sessions.log_group_session(people["a"], data, [group_sessions.ParticipantInput(1, people["a"].id,
                                                                                             "performer")],
                                         actor=people["a"], session_link=str)
    assert err.value.problems == [("participant_1_student_id", "That is you: your own role is chosen above.")]
    assert sessions_of(people["a"]) == []


def test_a_participant_id_no_student_has_is_refused_at_its_row(client, people, make_user):
    faculty = make_user("faculty")
    for value in (str(faculty.id), "99999999999999999999", "abc"):
        response = client.post_form("/studio/log", {**form_data(people), "participant_1_student_id": value,
                                                    "participant_1_role": "performer"})
        assert response.status_code == 200
        assert field_error(response, "participant_1_student_id")
    assert sessions_of(people["a"]) == []


# ---------------------------------------------------------------- the rules, for every participant

def test_overlaps_of_every_participant_are_refused_at_once_naming_them(client, people, make_session):
    make_session(people["b"], people["supervisor"], day=YESTERDAY, start="11:00", hours=1, project="B's own")
    make_session(people["c"], people["supervisor"], day=YESTERDAY, start="12:00", hours=2, status="approved")
    make_session(people["a"], people["supervisor"], day=YESTERDAY, start="09:00", hours=2)
    response = client.post_form("/studio/log", form_data(people, [(people["b"], "performer"),
                                                                  (people["c"], "producer")]))
    assert response.status_code == 200
    assert "This overlaps your session from 09:00 to 11:00" in field_error(response, "start_time")
    ben = field_error(response, "participant_1_student_id")
    cleo = field_error(response, "participant_2_student_id")
    assert "Ben Player already has a studio session that overlaps this time" in ben
    assert "Cleo Producer already has a studio session that overlaps this time" in cleo
    # Nothing about the other students' sessions leaks: not their project, studio or times.
    assert "B's own" not in ben and "12:00" not in cleo
    assert len(sessions_of(people["a"])) == 1 and len(sessions_of(people["b"])) == 1 and len(sessions_of(people["c"])) == 1
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(StudioSessionGroup.id))) == 0


def test_a_future_date_is_refused_with_the_participant_rows_checked_too(client, people):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = client.post_form("/studio/log", form_data(people, [(people["b"], ""), (people["c"], "producer")],
                                                         date=tomorrow))
    assert "The date is in the future" in field_error(response, "date")
    assert "Choose Ben Player's role" in field_error(response, "participant_1_role")
    assert sessions_of(people["a"]) == [] and sessions_of(people["c"]) == []


def test_a_closed_term_is_refused_for_the_whole_group(client, people, make_term):
    start = date.today() - timedelta(days=300)
    make_term("Closed term", start, start + timedelta(days=90), closed=True)
    response = client.post_form("/studio/log", form_data(people, [(people["b"], "performer")],
                                                         date=(start + timedelta(days=10)).isoformat()))
    assert "Closed term is closed" in field_error(response, "date")
    assert sessions_of(people["a"]) == [] and sessions_of(people["b"]) == []


def test_an_awaiting_row_holds_the_participants_time_until_they_answer(client, people):
    own, ben, _ = log_group(client, people)
    switch(client, people["b"])
    response = client.post_form("/studio/log", form_data(people, start_time="12:00", end_time="14:00"))
    assert "(waiting for your confirmation)" in field_error(response, "start_time")
    client.post_form(f"/studio/sessions/{ben.id}/decline")
    response = client.post_form("/studio/log", form_data(people, start_time="12:00", end_time="14:00"))
    assert response.status_code == 302


# ---------------------------------------------------------------- confirm and decline

def test_a_named_student_confirms_from_the_dashboard(client, people):
    own, ben, cleo = log_group(client, people)
    switch(client, people["b"])
    page = page_html(client.get("/dashboard/student"))
    assert "Group sessions to confirm" in page and "Ana Logger named you as performer" in page
    assert f'action="/studio/sessions/{ben.id}/confirm"' in page and f'action="/studio/sessions/{ben.id}/decline"' in page
    # Not yet among the sessions waiting for review, and its hours count nowhere.
    assert this_term_hours(people, people["b"]).pending == 0
    assert ben.id not in audit_session_ids(people["b"])
    response = client.post_form(f"/studio/sessions/{ben.id}/confirm")
    assert response.status_code == 302
    ben = reload(ben.id)
    assert (ben.confirmation, ben.status) == (Confirmation.CONFIRMED, SessionStatus.PENDING)
    assert actions(ben.id) == ["studio_session.named", "studio_session.confirmed"]
    assert this_term_hours(people, people["b"]).pending == 3
    assert ben.id in audit_session_ids(people["b"])
    assert "Group sessions to confirm" not in page_html(client.get("/dashboard/student"))
    # Answering twice changes nothing.
    client.post_form(f"/studio/sessions/{ben.id}/confirm")
    assert actions(ben.id) == ["studio_session.named", "studio_session.confirmed"]
    assert reload(cleo.id).confirmation == Confirmation.AWAITING


def test_declining_keeps_the_row_declined_and_leaves_the_others(client, people):
    own, ben, cleo = log_group(client, people)
    switch(client, people["c"])
    assert client.post_form(f"/studio/sessions/{cleo.id}/decline").status_code == 302
    cleo = reload(cleo.id)
    assert (cleo.confirmation, cleo.status) == (Confirmation.DECLINED, SessionStatus.WITHDRAWN)
    assert actions(cleo.id) == ["studio_session.named", "studio_session.declined"]
    assert "Declined" in visible_text(client.get(f"/studio/sessions/{cleo.id}"))
    assert this_term_hours(people, people["c"]).pending == 0 and cleo.id not in audit_session_ids(people["c"])
    assert (reload(own.id).status, reload(own.id).confirmation) == (SessionStatus.PENDING, Confirmation.CONFIRMED)
    assert reload(ben.id).confirmation == Confirmation.AWAITING
    # A declined row cannot be confirmed afterwards, nor decided.
    client.post_form(f"/studio/sessions/{cleo.id}/confirm")
    assert reload(cleo.id).confirmation == Confirmation.DECLINED


def test_a_student_cannot_answer_anothers_row(client, people):
    own, ben, cleo = log_group(client, people)
    # The logger cannot confirm for the student they named...
    assert client.post_form(f"/studio/sessions/{ben.id}/confirm").status_code == 404
    # ...nor can another participant.
    switch(client, people["c"])
    assert client.post_form(f"/studio/sessions/{ben.id}/confirm").status_code == 404
    assert client.post_form(f"/studio/sessions/{ben.id}/decline").status_code == 404
    assert reload(ben.id).confirmation == Confirmation.AWAITING
    for url in ("/studio/sessions/99999999999999999999/confirm", "/studio/sessions/99999999999999999999/decline"):
        assert client.post_form(url).status_code == 404
    # Without the CSRF token nothing happens.
    switch(client, people["b"])
    client.post(f"/studio/sessions/{ben.id}/confirm", data={})
    assert reload(ben.id).confirmation == Confirmation.AWAITING
    # A GET does not answer either.
    assert client.get(f"/studio/sessions/{ben.id}/confirm").status_code == 405


def test_a_participant_sees_the_group_only_as_their_own_row(client, people, make_user):
    own, ben, cleo = log_group(client, people)
    switch(client, people["b"])
    assert client.get(f"/studio/sessions/{own.id}").status_code == 404
    assert client.get(f"/studio/sessions/{cleo.id}").status_code == 404
    page = visible_text(client.get(f"/studio/sessions/{ben.id}"))
    assert "Group session logged by Ana Logger, naming you as performer" in page
    assert "Cleo Producer" not in page
    assert client.get(f"/review/groups/{own.group_id}").status_code == 403
    # A faculty member who supervises none of the rows does not see the group.
    switch(client, make_user("faculty"))
    assert client.get(f"/review/groups/{own.group_id}").status_code == 404
    assert client.get("/review/groups/99999999999999999999").status_code == 404
    assert client.post_form("/review/groups/99999999999999999999/decide", {"approve": "y"}).status_code == 404


def test_an_awaiting_participant_cannot_edit_or_withdraw_until_they_answer(client, people):
    own, ben, _ = log_group(client, people)
    with pytest.raises(ServiceError, match="Confirm or decline"):
        studio.withdraw_session(ben, actor=people["b"])
    switch(client, people["b"])
    page = page_html(client.get(f"/studio/sessions/{ben.id}"))
    assert f"/studio/sessions/{ben.id}/edit" not in page and f"/studio/sessions/{ben.id}/withdraw" not in page
    client.post_form(f"/studio/sessions/{ben.id}/withdraw", {"version": ben.version})
    assert reload(ben.id).status == SessionStatus.PENDING


def test_the_logger_edits_and_withdraws_only_their_own_row(client, people):
    own, ben, cleo = log_group(client, people)
    response = client.post_form(f"/studio/sessions/{own.id}/edit",
                                {**form_data(people), "end_time": "14:00", "version": own.version})
    assert response.status_code == 302
    assert reload(own.id).minutes == 240 and reload(ben.id).minutes == 180 and reload(cleo.id).minutes == 180
    client.post_form(f"/studio/sessions/{own.id}/withdraw", {"version": reload(own.id).version})
    assert reload(own.id).status == SessionStatus.WITHDRAWN
    assert reload(ben.id).status == SessionStatus.PENDING and reload(ben.id).confirmation == Confirmation.AWAITING
    # The others' rows still reach the supervisor.
    switch(client, people["b"])
    client.post_form(f"/studio/sessions/{ben.id}/confirm")
    switch(client, people["supervisor"])
    page = visible_text(client.get("/review"))
    assert "Ben Player" in page and "1 session waiting" in page


# ---------------------------------------------------------------- the supervisor's review

def test_the_queue_shows_a_group_once_with_roles_and_answers(client, people, make_session):
    own, ben, cleo = log_group(client, people)
    make_session(people["b"], people["supervisor"], day=YESTERDAY - timedelta(days=1), project="Solo work")
    switch(client, people["supervisor"])
    response = client.get("/review")
    page = page_html(response)
    assert "2 sessions waiting" in page
    assert page.count(f'id="group-{own.group_id}"') == 1
    group_row = re.search(rf'<tr id="group-{own.group_id}".*?</tr>', page, re.S).group(0)
    text = visible_text(group_row)
    assert "Ana Logger · Engineer" in text and "Ben Player · Performer" in text and "Cleo Producer · Producer" in text
    assert text.count("Waiting for confirmation") == 2 and "Approve all confirmed" in text
    # Only the confirmed row is offered for approval.
    assert f'value="{own.id}:{own.version}"' in group_row and f'value="{ben.id}:' not in group_row
    # Filtering by a named student still shows their group.
    filtered = page_html(client.get(f"/review?student_id={people['c'].id}"))
    assert f'id="group-{own.group_id}"' in filtered and "1 session waiting" in filtered
    # The navigation counts what can be decided now: A's row and B's solo session.
    assert 'Review queue' in page and re.search(r'badge[^>]*>\s*2\s*<', page)


def test_awaiting_participants_cannot_be_approved(client, people):
    own, ben, cleo = log_group(client, people)
    switch(client, people["supervisor"])
    response = client.post_form(f"/review/sessions/{ben.id}", {"approve": "x", "version": ben.version})
    assert response.status_code == 302
    assert reload(ben.id).status == SessionStatus.PENDING
    page = page_html(client.get(f"/review/sessions/{ben.id}"))
    assert 'id="awaiting-confirmation"' in page and 'name="approve"' not in page
    with pytest.raises(ServiceError, match="has not confirmed"):
        review.decide(reload(cleo.id), "reject", "no", actor=people["supervisor"], session_link=str)
    result = review.decide_many([(ben.id, None), (cleo.id, None)], "approve", "", actor=people["supervisor"],
                                session_link=str)
    assert (result.decided, result.awaiting) == (0, 2)
    assert reload(ben.id).status == SessionStatus.PENDING and reload(cleo.id).status == SessionStatus.PENDING


def test_approve_all_confirmed_approves_each_confirmed_student_and_counts_in_their_audits(client, people):
    own, ben, cleo = log_group(client, people)
    switch(client, people["b"])
    client.post_form(f"/studio/sessions/{ben.id}/confirm")
    ben = reload(ben.id)
    switch(client, people["supervisor"])
    group_row = page_html(client.get("/review"))
    selected = re.findall(rf'form method="post" action="/review/groups/{own.group_id}/decide".*?</form>', group_row,
                          re.S)[0]
    values = re.findall(r'name="selected" value="([^"]+)"', selected)
    assert sorted(values) == sorted([f"{own.id}:{own.version}", f"{ben.id}:{ben.version}"])
    response = client.post_form(f"/review/groups/{own.group_id}/decide",
                                {"selected": values, "approve": "y", "next": "/review"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review")
    assert reload(own.id).status == reload(ben.id).status == SessionStatus.APPROVED
    assert reload(own.id).reviewer_id == people["supervisor"].id
    assert reload(cleo.id).status == SessionStatus.PENDING
    # Each student's approved hours are their own.
    assert own.id in approved_session_ids(people["a"]) and ben.id in approved_session_ids(people["b"])
    assert not approved_session_ids(people["c"]) and cleo.id not in audit_session_ids(people["c"])
    assert this_term_hours(people, people["a"]).approved == 3 == this_term_hours(people, people["b"]).approved
    assert this_term_hours(people, people["c"]).approved == 0
    # Each approved student is told, as for any decision.
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == people["a"].id)) == 1
    # The group still waits in the queue for Cleo's answer.
    assert f'id="group-{own.group_id}"' in page_html(client.get("/review"))
    # A second "approve all" with the same page changes nothing.
    client.post_form(f"/review/groups/{own.group_id}/decide", {"selected": values, "approve": "y"})
    assert actions(own.id).count("studio_session.approved") == 1


def test_approve_all_ignores_ids_from_outside_the_group(client, people, make_session):
    own, ben, _ = log_group(client, people)
    other = make_session(people["c"], people["supervisor"], day=YESTERDAY - timedelta(days=3))
    switch(client, people["supervisor"])
    client.post_form(f"/review/groups/{own.group_id}/decide",
                     {"selected": [f"{other.id}:{other.version}", f"{own.id}:{own.version}"], "approve": "y"})
    assert reload(other.id).status == SessionStatus.PENDING
    assert reload(own.id).status == SessionStatus.APPROVED


def test_the_group_page_decides_per_student_and_shows_every_step(client, people):
    own, ben, cleo = log_group(client, people)
    switch(client, people["b"])
    client.post_form(f"/studio/sessions/{ben.id}/confirm")
    switch(client, people["c"])
    client.post_form(f"/studio/sessions/{cleo.id}/decline")
    switch(client, people["supervisor"])
    group_url = f"/review/groups/{own.group_id}"
    page = page_html(client.get(group_url))
    assert "Approve all confirmed (2)" in page
    # Approve Ana alone, send Ben's back with a note.
    response = client.post_form(f"/review/sessions/{own.id}", {"approve": "x", "version": own.version,
                                                               "next": group_url})
    assert response.headers["Location"].endswith(group_url)
    ben = reload(ben.id)
    client.post_form(f"/review/sessions/{ben.id}", {"send_back": "x", "note": "Which takes?",
                                                    "version": ben.version, "next": group_url})
    assert reload(own.id).status == SessionStatus.APPROVED
    assert reload(ben.id).status == SessionStatus.NEEDS_CHANGES
    text = visible_text(client.get(group_url))
    for step in ("Logged", "Named", "Confirmed", "Declined", "Approved", "Sent back"):
        assert step in text, step
    history = visible_text(re.search(r'group-history.*?</table>', page_html(client.get(group_url)), re.S).group(0))
    for name in ("Ana Logger", "Ben Player", "Cleo Producer"):
        assert name in history
    assert "Approve all confirmed" not in text  # nobody confirmed is still pending


def test_the_queue_costs_the_same_queries_with_groups(client, app, monkeypatch, people, make_student,
                                                      count_queries, flat_queries):
    from tracker.services import group_sessions

    monkeypatch.setitem(app.config, "ITEMS_PER_PAGE", 500)
    students = [make_student() for _ in range(12)]
    logger = people["a"]
    data = form_data(people)

    def add(n: int, offset: int) -> None:
        for i in range(n):
            day = date.today() - timedelta(days=1 + offset + i)
            session_input = studio.SessionInput(
                date=day, studio_id=data["studio_id"], start_time=studio_time("10:00"),
                end_time=studio_time("12:00"), activity="mixing", project="P", role="engineer",
                supervisor_id=people["supervisor"].id)
            named = [group_sessions.ParticipantInput(1, students[(2 * i) % 12].id, "performer"),
                     group_sessions.ParticipantInput(2, students[(2 * i + 1) % 12].id, "producer")]
            own = group_sessions.log_group_session(logger, session_input, named, actor=logger, session_link=str)
            first = db.session.scalars(sa.select(StudioSession).where(StudioSession.group_id == own.group_id,
                                                                      StudioSession.id != own.id)).first()
            group_sessions.confirm(first, actor=db.session.get(type(logger), first.student_id))
            studio.log_session(students[i % 12], studio.SessionInput(
                date=day, studio_id=data["studio_id"], start_time=studio_time("14:00"),
                end_time=studio_time("15:00"), activity="mixing", project="Solo", role="engineer",
                supervisor_id=people["supervisor"].id), actor=students[i % 12])

    add(2, 0)
    switch(client, people["supervisor"])
    page = flat_queries("/review", lambda: add(20, 2))
    assert "44 sessions waiting" in page and page.count('class="group-session"') == 22
    with count_queries() as group_page:
        client.get(f"/review/groups/{sessions_of(logger)[0].group_id}")
    with count_queries() as other_group_page:
        client.get(f"/review/groups/{sessions_of(logger)[-1].group_id}")
    assert group_page.count == other_group_page.count


def studio_time(text: str):
    from datetime import time

    return time.fromisoformat(text)


def test_the_demo_has_an_approved_group_session_and_one_awaiting_an_answer(app):
    from tracker.demo import seed
    from tracker.models import User

    seed()
    by_login = {u.email.split("@")[0]: u for u in db.session.scalars(sa.select(User))}
    groups = db.session.scalars(sa.select(StudioSessionGroup).order_by(StudioSessionGroup.id)).all()
    assert len(groups) == 2
    approved, waiting = ({by_login_of(s, by_login): s for s in g.sessions} for g in groups)
    assert set(approved) == {"maya", "ethan"} and set(waiting) == {"jonah", "priya"}
    assert all(s.status == SessionStatus.APPROVED and s.confirmation == Confirmation.CONFIRMED
               for s in approved.values())
    assert (approved["maya"].role.value, approved["ethan"].role.value) == ("engineer", "performer")
    assert actions(approved["ethan"].id) == ["studio_session.named", "studio_session.confirmed",
                                             "studio_session.approved"]
    assert approved["ethan"].id in approved_session_ids(by_login["ethan"])
    assert waiting["priya"].confirmation == Confirmation.AWAITING
    assert waiting["priya"].id not in audit_session_ids(by_login["priya"])
    unread = db.session.scalars(sa.select(Notification).where(Notification.user_id == by_login["priya"].id,
                                                              Notification.read_at.is_(None))).all()
    assert [n.link for n in unread] == [f"/studio/sessions/{waiting['priya'].id}"]
    # Seeding again adds nothing.
    seed()
    assert db.session.scalar(sa.select(sa.func.count(StudioSessionGroup.id))) == 2


def by_login_of(session: StudioSession, by_login: dict) -> str:
    return next(login for login, user in by_login.items() if user.id == session.student_id)


def test_a_term_closed_before_the_answer_refuses_it(client, people):
    own, ben, _ = log_group(client, people)
    people["term"].closed = True
    db.session.commit()
    switch(client, people["b"])
    response = client.post_form(f"/studio/sessions/{ben.id}/confirm", follow_redirects=True)
    assert "is closed: its sessions can no longer be confirmed or declined" in visible_text(response)
    assert reload(ben.id).confirmation == Confirmation.AWAITING
    assert 'id="group-answer"' not in page_html(client.get(f"/studio/sessions/{ben.id}"))


def test_a_declined_row_is_never_decided(client, people):
    own, ben, _ = log_group(client, people)
    switch(client, people["b"])
    client.post_form(f"/studio/sessions/{ben.id}/decline")
    switch(client, people["supervisor"])
    with pytest.raises(ServiceError, match="declined"):
        review.decide(reload(ben.id), "approve", "", actor=people["supervisor"], session_link=str)
    page = visible_text(client.get(f"/review/groups/{own.group_id}"))
    assert "Declined" in page and "Approve all confirmed (1)" in page
