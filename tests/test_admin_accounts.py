"""Accounts run by the program office: the user list, new accounts, one-time password links, deactivation,
advisors, and concentration or track changes."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import (
    Concentration,
    Enrollment,
    HistoryEvent,
    PasswordResetToken,
    Role,
    User,
    utcnow,
)
from tracker.security import verify_password

from .fixtures.app import PASSWORD

LINK_RE = re.compile(r"http://localhost/auth/reset/([A-Za-z0-9_\-]+)")
NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def link_token(response) -> str:
    match = LINK_RE.search(response.get_data(as_text=True))
    assert match, "no one-time link on the page"
    return match.group(1)


def fresh(model, object_id):
    db.session.expire_all()
    return db.session.get(model, object_id)


# ---------------------------------------------------------------- the list

def test_user_list_filters_by_role_and_search(client, admin, make_user, make_student):
    make_user("faculty", name="Alicia Moreno", email="a.moreno@example.edu")
    make_student(name="Maya Chen", email="maya@example.edu")
    page = client.get("/admin/users?role=faculty").get_data(as_text=True)
    assert "Alicia Moreno" in page and "Maya Chen" not in page
    page = client.get("/admin/users?q=MAYA").get_data(as_text=True)
    assert "Maya Chen" in page and "Alicia Moreno" not in page
    page = client.get("/admin/users?q=moreno%40").get_data(as_text=True)
    assert "Alicia Moreno" in page
    page = client.get("/admin/users?q=%25").get_data(as_text=True)  # a literal %, not a wildcard
    assert "No accounts match." in page


def test_user_list_is_paginated_at_constant_query_cost(client, admin, make_student, make_user, count_queries):
    advisor = make_user("faculty")
    for _ in range(5):
        make_student(advisor=advisor)
    with count_queries() as small:
        assert client.get("/admin/users").status_code == 200
    for _ in range(200):
        make_student(advisor=advisor)
    with count_queries() as large:
        page = client.get("/admin/users?page=2").get_data(as_text=True)
    assert large.count == small.count
    assert "page 2 of" in page


# ---------------------------------------------------------------- creating accounts

def test_create_a_faculty_account_and_hand_over_the_link(app, client, admin):
    response = client.post_form("/admin/users/new", {"email": "New.Prof@Example.edu", "display_name": "New Prof",
                                                      "role": "faculty"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = link_token(response)
    user = db.session.scalar(sa.select(User).where(User.email == "new.prof@example.edu"))
    assert user.role == Role.FACULTY and user.password_hash is None
    stored = db.session.scalar(sa.select(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    assert timedelta(hours=71) < stored.expires_at - utcnow() <= timedelta(hours=72)
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "user.created"))
    assert event.actor_id == admin.id

    other = app.test_client()
    page = other.get(f"/auth/reset/{token}").get_data(as_text=True)
    assert "new.prof@example.edu" in page
    response = other.post_form(f"/auth/reset/{token}", {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert other.login("new.prof@example.edu", NEW_PASSWORD).status_code == 302


def test_create_a_student_with_enrollment(client, admin, make_program, make_term, make_user):
    program = make_program()
    term = make_term("Fall 2030")
    advisor = make_user("faculty")
    conc = db.session.scalar(sa.select(Concentration).where(Concentration.code == "technical"))
    response = client.post_form("/admin/users/new", {
        "email": "student.new@example.edu", "display_name": "Student New", "role": "student",
        "program_id": program.id, "concentration_id": conc.id, "track": "non_thesis", "start_term_id": term.id,
        "advisor_id": advisor.id})
    assert response.status_code == 200
    link_token(response)
    user = db.session.scalar(sa.select(User).where(User.email == "student.new@example.edu"))
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.student_id == user.id))
    assert (enrollment.program_id, enrollment.concentration_id, enrollment.track, enrollment.start_term_id,
            enrollment.advisor_id) == (program.id, conc.id, "non_thesis", term.id, advisor.id)


@pytest.mark.parametrize("change, message", [
    ({"advisor_id": ""}, "Choose the student&#39;s advisor."),
    ({"advisor": "inactive"}, "Not a valid choice"),  # only active faculty are offered
    ({"advisor": "admin"}, "Not a valid choice"),
    ({"concentration": "retired"}, "Not a valid choice"),  # retired concentrations are not offered
    ({"track": ""}, "Choose a track of this program: thesis or non-thesis."),
    ({"start_term_id": ""}, "Choose the term the student starts."),
    ({"email": "not-an-email"}, "Enter a valid email address."),
    ({"email": "taken@example.edu"}, "already exists"),
])
def test_student_creation_refusals_write_nothing(client, admin, make_program, make_term, make_user, change, message):
    program = make_program()
    term = make_term()
    make_user("student", email="taken@example.edu")
    faculty = make_user("faculty")
    conc = db.session.scalar(sa.select(Concentration).where(Concentration.code == "production"))
    data = {"email": "s@example.edu", "display_name": "S", "role": "student", "program_id": program.id,
            "concentration_id": conc.id, "track": "thesis", "start_term_id": term.id, "advisor_id": faculty.id}
    if change.get("advisor") == "inactive":
        data["advisor_id"] = make_user("faculty", active=False).id
    elif change.get("advisor") == "admin":
        data["advisor_id"] = admin.id
    elif change.get("concentration") == "retired":
        conc.active = False
        db.session.commit()
    else:
        data.update(change)
    before = db.session.scalar(sa.select(sa.func.count(User.id)))
    response = client.post_form("/admin/users/new", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == before
    assert db.session.scalar(sa.select(sa.func.count(PasswordResetToken.id))) == 0


def test_service_refuses_an_advisor_who_is_not_active_faculty(admin, make_program, make_term, make_user):
    """Behind the select: the service itself checks the advisor (a stale form could post an old id)."""
    from tracker.services import ServiceError
    from tracker.services.admin_accounts import EnrollmentInput, create_account

    program = make_program()
    conc = db.session.scalar(sa.select(Concentration).where(Concentration.code == "production"))
    for advisor in (make_user("faculty", active=False), admin):
        with pytest.raises(ServiceError, match="active faculty member") as err:
            create_account("x@example.edu", "X", "student", actor=admin, enrollment=EnrollmentInput(
                program.id, conc.id, "thesis", make_term().id, advisor.id))
        assert err.value.field == "advisor_id"
    conc.active = False
    db.session.commit()
    with pytest.raises(ServiceError, match="retired"):
        create_account("x@example.edu", "X", "student", actor=admin, enrollment=EnrollmentInput(
            program.id, conc.id, "thesis", make_term().id, make_user("faculty").id))
    assert db.session.scalar(sa.select(User).where(User.email == "x@example.edu")) is None


# ---------------------------------------------------------------- one-time links

def issue(client, user) -> str:
    response = client.post_form(f"/admin/users/{user.id}/reset-link")
    assert response.status_code == 200
    return link_token(response)


def test_reset_link_sets_the_password_and_ends_every_session(app, client, admin, make_user):
    user = make_user("faculty")
    their_browser = app.test_client()
    their_browser.login(user.email)
    assert their_browser.get("/dashboard/faculty").status_code == 200
    token = issue(client, user)
    anonymous = app.test_client()
    response = anonymous.post_form(f"/auth/reset/{token}", {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert verify_password(fresh(User, user.id).password_hash, NEW_PASSWORD)
    assert their_browser.get("/dashboard/faculty").status_code == 302  # logged out
    assert anonymous.login(user.email, PASSWORD).status_code == 200  # the old password no longer works
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "user.password_reset"))
    assert event.actor_id == user.id


def test_a_link_works_once(app, client, admin, make_user):
    user = make_user("student")
    token = issue(client, user)
    browser = app.test_client()
    browser.post_form(f"/auth/reset/{token}", {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    page = browser.get(f"/auth/reset/{token}").get_data(as_text=True)
    assert "already been used" in page and 'name="new_password"' not in page
    response = browser.post_form(f"/auth/reset/{token}", {"new_password": "another-passphrase-1",
                                                          "confirm": "another-passphrase-1"})
    assert "already been used" in response.get_data(as_text=True)
    assert verify_password(fresh(User, user.id).password_hash, NEW_PASSWORD)


def test_a_newer_link_replaces_the_older(app, client, admin, make_user):
    user = make_user("student")
    old = issue(client, user)
    new = issue(client, user)
    browser = app.test_client()
    assert "replaced by a newer one" in browser.get(f"/auth/reset/{old}").get_data(as_text=True)
    assert 'name="new_password"' in browser.get(f"/auth/reset/{new}").get_data(as_text=True)


def test_an_expired_link_is_refused(app, client, admin, make_user):
    user = make_user("student")
    token = issue(client, user)
    db.session.execute(sa.update(PasswordResetToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert "has expired" in app.test_client().get(f"/auth/reset/{token}").get_data(as_text=True)


def test_an_unknown_link_is_refused(client):
    page = client.get("/auth/reset/not-a-real-token").get_data(as_text=True)
    assert "not valid" in page and 'name="new_password"' not in page


@pytest.mark.parametrize("password, confirm, message", [
    ("short", "short", "at least 10 characters"),
    (NEW_PASSWORD, NEW_PASSWORD + "x", "The two new passwords differ."),
])
def test_reset_follows_the_password_rules(app, client, admin, make_user, password, confirm, message):
    user = make_user("student")
    token = issue(client, user)
    browser = app.test_client()
    response = browser.post_form(f"/auth/reset/{token}", {"new_password": password, "confirm": confirm})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert fresh(PasswordResetToken, 1).used_at is None


def test_reset_refuses_the_email_as_password(app, client, admin, make_user):
    user = make_user("student", email="long.email.address@example.edu")
    token = issue(client, user)
    response = app.test_client().post_form(f"/auth/reset/{token}", {"new_password": user.email, "confirm": user.email})
    assert "must not be your email" in response.get_data(as_text=True)


def test_no_link_for_a_deactivated_account(client, admin, make_user):
    user = make_user("student", active=False)
    response = client.post_form(f"/admin/users/{user.id}/reset-link", follow_redirects=True)
    assert "reactivate it before" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(PasswordResetToken.id))) == 0


# ---------------------------------------------------------------- deactivation

def test_deactivate_ends_sessions_and_reactivate(app, client, admin, make_user):
    user = make_user("faculty")
    their_browser = app.test_client()
    their_browser.login(user.email)
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert f'action="/admin/users/{user.id}/deactivate"' in page and "data-confirm" in page
    assert client.post_form(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert fresh(User, user.id).active is False
    assert their_browser.get("/dashboard/faculty").status_code == 302
    client.post_form(f"/admin/users/{user.id}/reactivate")
    assert fresh(User, user.id).active is True
    actions = [e.action for e in db.session.scalars(sa.select(HistoryEvent).order_by(HistoryEvent.id))]
    assert actions == ["user.deactivated", "user.activated"]


def test_an_admin_cannot_deactivate_themselves(client, admin):
    response = client.post_form(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    assert fresh(User, admin.id).active


# ---------------------------------------------------------------- advisor, concentration, track

def test_assign_an_advisor_records_old_and_new(client, admin, make_user, make_student):
    old = make_user("faculty", email="old@example.edu")
    new = make_user("faculty", email="new@example.edu")
    student = make_student(advisor=old)
    response = client.post_form(f"/admin/users/{student.id}/advisor", {"advisor_id": new.id})
    assert response.status_code == 302
    assert fresh(Enrollment, student.enrollment.id).advisor_id == new.id
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "enrollment.advisor_changed"))
    assert event.changes == {"advisor": ["old@example.edu", "new@example.edu"]} and event.subject_id == student.id
    assert "old@example.edu" in client.get(f"/admin/users/{student.id}").get_data(as_text=True)


@pytest.mark.parametrize("who", ["inactive", "student", "admin"])
def test_advisor_must_be_active_faculty(client, admin, make_user, make_student, who):
    student = make_student()
    candidate = {"inactive": lambda: make_user("faculty", active=False), "student": lambda: make_student(),
                 "admin": lambda: admin}[who]()
    response = client.post_form(f"/admin/users/{student.id}/advisor", {"advisor_id": candidate.id})
    assert response.status_code == 200
    assert fresh(Enrollment, student.enrollment.id).advisor_id is None


def test_change_concentration_and_track_with_history(client, admin, make_student):
    student = make_student(concentration="production", track="thesis")
    technical = db.session.scalar(sa.select(Concentration).where(Concentration.code == "technical"))
    response = client.post_form(f"/admin/users/{student.id}/enrollment",
                                {"concentration_id": technical.id, "track": "non_thesis"})
    assert response.status_code == 302
    enrollment = fresh(Enrollment, student.enrollment.id)
    assert enrollment.concentration_id == technical.id and enrollment.track == "non_thesis"
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "enrollment.changed"))
    assert event.changes == {"concentration": ["production", "technical"], "track": ["thesis", "non_thesis"]}
    page = client.get(f"/admin/users/{student.id}").get_data(as_text=True)
    assert "production" in page and "technical" in page


def test_cannot_move_a_student_into_a_retired_or_foreign_concentration(client, admin, make_student, make_program):
    student = make_student()
    retired = db.session.scalar(sa.select(Concentration).where(Concentration.code == "education"))
    retired.active = False
    db.session.commit()
    response = client.post_form(f"/admin/users/{student.id}/enrollment",
                                {"concentration_id": retired.id, "track": "thesis"})
    assert response.status_code == 200
    other_program = make_program()
    foreign = db.session.scalar(sa.select(Concentration).where(Concentration.program_id == other_program.id))
    response = client.post_form(f"/admin/users/{student.id}/enrollment",
                                {"concentration_id": foreign.id, "track": "thesis"})
    assert response.status_code == 200
    assert fresh(Enrollment, student.enrollment.id).concentration.code == "production"
    assert not db.session.scalars(sa.select(HistoryEvent).where(HistoryEvent.action == "enrollment.changed")).all()


def test_enrollment_forms_only_for_students(client, admin, make_user):
    faculty = make_user("faculty")
    assert client.post_form(f"/admin/users/{faculty.id}/advisor", {"advisor_id": faculty.id}).status_code == 404
    assert client.get("/admin/users/99999").status_code == 404
