"""Logging in and out, passwords, sessions that end, roles and CSRF."""
from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import HistoryEvent, User
from tracker.security import verify_password

from .fixtures.app import PASSWORD


def test_login_page_renders_with_csrf_field(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert b'name="csrf_token"' in response.data
    assert b"Log in" in response.data


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role, landing", [("student", "/dashboard/student"), ("faculty", "/dashboard/faculty"), ("admin", "/dashboard/admin")])
def test_login_lands_on_the_page_for_the_role(client, make_user, make_student, role, landing):
    user = make_student() if role == "student" else make_user(role)
    response = client.login(user.email)
    assert response.status_code == 302
    home = client.get(response.headers["Location"], follow_redirects=True)
    assert home.request.path == landing
    assert user.display_name.encode() in home.data


def test_email_is_case_insensitive(client, make_user):
    user = make_user("faculty", email="Prof.Case@Example.edu")
    assert user.email == "prof.case@example.edu"
    assert client.login("PROF.CASE@example.EDU").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(client, make_user):
    user = make_user("student")
    wrong = client.login(user.email, "not-the-password")
    unknown = client.login("nobody@example.edu", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert b"Email or password is incorrect." in response.data
    # the email typed is kept in the form
    assert user.email.encode() in wrong.data
    assert client.get("/").status_code == 302


def test_failed_login_is_logged_without_the_password(client, make_user, caplog):
    user = make_user("student")
    with caplog.at_level(logging.WARNING, logger="tracker.auth"):
        client.login(user.email, "secret-typo-123")
    text = caplog.text
    assert user.email in text and "127.0.0.1" in text
    assert "secret-typo-123" not in text


def test_inactive_user_is_refused(client, make_user):
    user = make_user("student", active=False)
    response = client.login(user.email)
    assert response.status_code == 200
    assert b"deactivated" in response.data
    assert client.get("/").status_code == 302


def test_logout_is_post_only_and_ends_the_session(client, make_student):
    user = make_student()
    client.login(user.email)
    assert client.get("/auth/logout").status_code == 405
    response = client.post_form("/auth/logout")
    assert response.status_code == 302
    assert client.get("/dashboard/student").status_code == 302  # back to login


def test_old_session_cookie_is_refused_after_logout(app, make_student):
    user = make_student()
    first = app.test_client()
    first.login(user.email)
    stolen = first.get_cookie("session").value
    assert first.get("/dashboard/student").status_code == 200
    first.post_form("/auth/logout")
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/dashboard/student")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_old_session_cookie_is_refused_after_password_change(app, make_student):
    user = make_student()
    other_device = app.test_client()
    other_device.login(user.email)
    this_device = app.test_client()
    this_device.login(user.email)
    response = this_device.post_form("/auth/password", {
        "current_password": PASSWORD, "new_password": "a-new-long-passphrase", "confirm": "a-new-long-passphrase",
    })
    assert response.status_code == 302
    assert this_device.get("/dashboard/student").status_code == 200  # this browser carries on
    assert other_device.get("/dashboard/student").status_code == 302  # the other one is logged out
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert verify_password(fresh.password_hash, "a-new-long-passphrase")
    assert db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "user.password_changed"))


def test_password_change_asks_for_the_current_password(client, make_student):
    user = make_student()
    client.login(user.email)
    response = client.post_form("/auth/password", {
        "current_password": "wrong-password", "new_password": "a-new-long-passphrase",
        "confirm": "a-new-long-passphrase",
    })
    assert response.status_code == 200
    assert b"The current password is not correct." in response.data
    db.session.expire_all()
    assert verify_password(db.session.get(User, user.id).password_hash, PASSWORD)


def test_password_change_refuses_short_and_mismatched_passwords(client, make_student):
    client.login(make_student().email)
    short = client.post_form("/auth/password", {"current_password": PASSWORD, "new_password": "short",
                                                "confirm": "short"})
    assert b"at least 10 characters" in short.data
    mismatch = client.post_form("/auth/password", {"current_password": PASSWORD,
                                                   "new_password": "long-enough-one", "confirm": "long-enough-two"})
    assert b"The two new passwords differ." in mismatch.data


def test_deactivation_ends_the_session(client, make_student, make_user):
    from tracker.services.accounts import set_active

    student = make_student()
    admin = make_user("admin")
    client.login(student.email)
    assert client.get("/dashboard/student").status_code == 200
    set_active(db.session.get(User, student.id), False, actor=admin)
    assert client.get("/dashboard/student").status_code == 302


def test_passwords_are_hashed_with_argon2id(make_user):
    user = make_user("student")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize("url", ["/dashboard/faculty", "/dashboard/admin"])
def test_students_are_refused_on_faculty_and_admin_pages(client, login_as, url):
    login_as("student")
    assert client.get(url).status_code == 403


def test_faculty_are_refused_on_admin_pages(client, login_as):
    login_as("faculty")
    assert client.get("/dashboard/admin").status_code == 403


def test_post_without_csrf_token_is_refused(client, make_student):
    user = make_student()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert b"The form expired" in response.data
    client.login(user.email)
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/dashboard/student").status_code == 200  # still logged in


def test_repeated_failed_logins_are_limited(client, make_user):
    user = make_user("student")
    for _ in range(5):
        assert client.login(user.email, "wrong-password").status_code == 200
    limited = client.login(user.email)  # even the right password waits
    assert limited.status_code == 429
    assert b"Too many attempts" in limited.data


def test_successful_logins_do_not_use_up_the_limit(client, make_student):
    user = make_student()
    for _ in range(7):
        assert client.login(user.email).status_code == 302
        client.post_form("/auth/logout")


def test_next_parameter_redirect_targets(app, make_user):
    user = make_user("faculty")
    for target, expected in [("/dashboard/faculty", "/dashboard/faculty"), ("https://evil.example/x", "/"),
                             ("//evil.example/x", "/"), ("/\\evil.example", "/")]:
        c = app.test_client()
        response = c.post_form("/auth/login?next=" + target, {"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        assert response.headers["Location"] == expected, target


def test_error_page_shows_no_traceback(app, client, login_as, monkeypatch):
    def boom():
        raise RuntimeError("secret internal detail")

    monkeypatch.setitem(app.view_functions, "dashboard.student", boom)
    login_as("student")
    response = client.get("/dashboard/student")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body
    assert "Traceback" not in body and "secret internal detail" not in body


def test_not_found_page_is_friendly(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Not found" in response.data


def test_security_headers_are_set(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
