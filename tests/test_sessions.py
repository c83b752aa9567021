"""Sessions: a new session and CSRF token at login, and an absolute, server-side end to every login."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie

from tracker.auth import session as auth_session
from tracker.extensions import db
from tracker.models import User

from .fixtures.app import CSRF_RE, PASSWORD

REMEMBER_COOKIE = "remember_token"


def _token_on(client, url: str = "/auth/login") -> str:
    return CSRF_RE.search(client.get(url).get_data(as_text=True)).group(1)


def _login_remembered(client, email: str):
    return client.post("/auth/login", data={"csrf_token": _token_on(client), "email": email, "password": PASSWORD,
                                            "remember": "y"})


def _remember_only(app, cookie_value: str):
    """A browser that was closed: no session cookie, only the remember cookie."""
    browser = app.test_client()
    browser.set_cookie(REMEMBER_COOKIE, cookie_value)
    return browser


def _login_id(user: User, issued_at: float, kind: str) -> str:
    return f"{user.id}:{user.session_token}:{int(issued_at)}:{kind}"


# ---------------------------------------------------------------- a new session at login

def test_the_csrf_token_from_before_login_no_longer_works_after_it(client, make_student):
    user = make_student()
    before = _token_on(client)
    response = client.post("/auth/login", data={"csrf_token": before, "email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    refused = client.post("/auth/logout", data={"csrf_token": before})
    assert refused.status_code == 400
    assert client.get("/dashboard/student").status_code == 200  # still logged in
    after = _token_on(client, "/dashboard/student")
    assert after != before
    assert client.post("/auth/logout", data={"csrf_token": after}).status_code == 302


def test_nothing_in_the_session_carries_over_the_login(client, make_student):
    user = make_student()
    client.get("/auth/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
        before_csrf = sess.get("csrf_token")
    assert before_csrf
    assert client.login(user.email).status_code == 302
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("csrf_token") != before_csrf
        assert sess["_user_id"].startswith(f"{user.id}:")


def test_password_change_starts_a_new_session_too(client, make_student):
    user = make_student()
    client.login(user.email)
    old = client.csrf_token()
    response = client.post_form("/auth/password", {
        "current_password": PASSWORD, "new_password": "a-new-long-passphrase", "confirm": "a-new-long-passphrase",
    })
    assert response.status_code == 302
    assert client.get("/dashboard/student").status_code == 200
    assert client.post("/auth/logout", data={"csrf_token": old}).status_code == 400


def test_the_login_id_keeps_its_issue_time_across_requests(client, make_student):
    user = make_student()
    client.login(user.email)
    with client.session_transaction() as sess:
        first = sess["_user_id"]
    _, _, issued, kind = first.split(":")
    assert kind == "s" and abs(int(issued) - time.time()) < 60
    client.get("/dashboard/student")
    with client.session_transaction() as sess:
        assert sess["_user_id"] == first


# ---------------------------------------------------------------- an absolute end to every login

def test_a_session_ends_after_the_session_lifetime_whatever_the_cookie(app, client, make_student, monkeypatch):
    user = make_student()
    client.login(user.email)
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    start = time.time()
    monkeypatch.setattr(auth_session, "now", lambda: int(start + lifetime - 60))
    assert client.get("/dashboard/student").status_code == 200
    monkeypatch.setattr(auth_session, "now", lambda: int(start + lifetime + 60))
    response = client.get("/dashboard/student")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_keep_me_logged_in_works_until_the_remember_duration(app, client, make_student, monkeypatch):
    user = make_student()
    assert _login_remembered(client, user.email).status_code == 302
    cookie = client.get_cookie(REMEMBER_COOKIE)
    assert cookie is not None
    duration = app.config["REMEMBER_COOKIE_DURATION"].total_seconds()
    start = time.time()
    # Longer than a session may last, shorter than "keep me logged in": the closed browser comes back logged in.
    monkeypatch.setattr(auth_session, "now", lambda: int(start + duration - 3600))
    assert _remember_only(app, cookie.value).get("/dashboard/student").status_code == 200
    monkeypatch.setattr(auth_session, "now", lambda: int(start + duration + 60))
    assert _remember_only(app, cookie.value).get("/dashboard/student").status_code == 302
    assert client.get("/dashboard/student").status_code == 302  # the still-open session of that login ends too


@pytest.mark.parametrize("age, expected", [(timedelta(days=13), 200), (timedelta(days=15), 302)])
def test_a_remember_cookie_older_than_the_limit_is_refused(app, make_student, age, expected):
    user = make_student()
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    with app.test_request_context():
        value = encode_cookie(_login_id(user, time.time() - age.total_seconds(), "r"))
    assert _remember_only(app, value).get("/dashboard/student").status_code == expected


def test_a_session_login_id_cannot_be_stretched_by_a_remember_cookie_of_its_own(app, make_student):
    """A session-kind id ("s") placed in a remember cookie still ends with the session lifetime."""
    user = make_student()
    with app.test_request_context():
        value = encode_cookie(_login_id(user, time.time() - timedelta(hours=13).total_seconds(), "s"))
    assert _remember_only(app, value).get("/dashboard/student").status_code == 302


@pytest.mark.parametrize("login_id", [
    "{id}:{token}",  # the format from before logins carried an issue time
    "{id}:{token}:{now}",
    "{id}:{token}:{now}:x",
    "{id}:{token}:soon:s",
    "{id}:{token}:{future}:s",
    "{id}:wrong-token:{now}:s",
    "x:{token}:{now}:s",
])
def test_old_format_and_malformed_login_ids_are_refused(app, make_student, login_id):
    user = make_student()
    value = login_id.format(id=user.id, token=user.session_token, now=int(time.time()),
                            future=int(time.time()) + 86400)
    browser = app.test_client()
    with browser.session_transaction() as sess:
        sess["_user_id"] = value
        sess["_fresh"] = True
    assert browser.get("/dashboard/student").status_code == 302
    with app.test_request_context():
        cookie = encode_cookie(value)
    assert _remember_only(app, cookie).get("/dashboard/student").status_code == 302


def test_a_forged_issue_time_is_not_accepted(app, make_student):
    """The issue time is inside the signed cookie: changing it breaks the signature."""
    user = make_student()
    with app.test_request_context():
        value = encode_cookie(_login_id(user, time.time() - timedelta(days=30).total_seconds(), "r"))
    _, _, digest = value.partition("|")
    fresh = _login_id(user, time.time(), "r")
    assert _remember_only(app, f"{fresh}|{digest}").get("/dashboard/student").status_code == 302


def test_logout_still_ends_a_remembered_login(app, client, make_student):
    user = make_student()
    _login_remembered(client, user.email)
    cookie = client.get_cookie(REMEMBER_COOKIE).value
    client.post_form("/auth/logout")
    db.session.expire_all()
    assert _remember_only(app, cookie).get("/dashboard/student").status_code == 302
