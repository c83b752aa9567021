"""Single sign-on through a real OpenID provider (oidc-provider, started by tests/fixtures/sso.py): the login, and
every way its answer is refused (a wrong state, a replayed code, a changed nonce or PKCE verifier, an unknown,
unverified or deactivated account), just-in-time accounts, password login turned off, and logging out at both ends."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import HistoryEvent, Role, User

from .html_support import page_text, visible_text
from .sso_support import app_path, log_in_at_provider

STATE_PREFIX = "_state_university_"


def start(client, next_page: str | None = None) -> str:
    """Press "Log in with Test University"; returns the provider's authorization URL."""
    url = "/auth/sso" + (f"?next={next_page}" if next_page else "")
    response = client.post_form(url)
    assert response.status_code == 302, visible_text(response)[:1500][:3000]
    return response.headers["Location"]


def sso_login(client, login: str, next_page: str | None = None):
    """The whole round trip for `login`; returns the app's response to the provider's callback."""
    return client.get(app_path(log_in_at_provider(start(client, next_page), login)))


def log_out(client):
    """Press "Log out" (a login starts a new session, so the page's CSRF token is fetched afresh)."""
    client._csrf = None
    response = client.post_form("/auth/logout")
    client._csrf = None
    return response


def logged_in_as(client) -> str:
    return page_text(client.get("/", follow_redirects=True))


def test_the_login_page_offers_single_sign_on_only_when_configured(client, sso_on, app, monkeypatch):
    assert "Log in with Test University" in page_text(client.get("/auth/login"))
    monkeypatch.setitem(app.config, "OIDC_ISSUER", None)
    assert "Log in with" not in page_text(client.get("/auth/login"))


def test_a_student_logs_in_through_the_provider_and_lands_where_they_were_going(client, sso_on, make_student):
    student = make_student(email="ada@uni.test", name="Ada Lovelace")
    authorize = start(client, next_page="/studio/")
    query = parse_qs(urlsplit(authorize).query)
    # The request carries PKCE (S256), a state and a nonce.
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    response = client.get(app_path(log_in_at_provider(authorize, "ADA@uni.test")))
    assert response.status_code == 302, visible_text(response)[:1500]
    assert response.headers["Location"].endswith("/studio/")
    assert "Ada Lovelace" in logged_in_as(client)
    assert db.session.get(User, student.id).last_login_at is not None


def test_a_callback_with_a_wrong_state_is_refused(client, sso_on, make_student):
    make_student(email="ada@uni.test")
    callback = log_in_at_provider(start(client), "ada@uni.test")
    forged = callback.replace("state=", "state=forged", 1)
    response = client.get(app_path(forged))
    assert response.status_code == 400
    assert "does not belong to a login started here" in page_text(response)
    assert "Log in with Test University" in logged_in_as(client)  # still logged out


def test_a_replayed_callback_and_a_replayed_code_are_refused(client, sso_on, make_student):
    make_student(email="ada@uni.test")
    callback = log_in_at_provider(start(client), "ada@uni.test")
    assert client.get(app_path(callback)).status_code == 302
    log_out(client)
    # The same callback again: its state was used up by the first login.
    again = client.get(app_path(callback))
    assert again.status_code == 400 and "used already" in page_text(again)
    # The old code under a fresh, valid state: the provider itself refuses a code it has redeemed.
    fresh_state = parse_qs(urlsplit(start(client)).query)["state"][0]
    code = parse_qs(urlsplit(callback).query)["code"][0]
    replay = client.get(f"/auth/sso/callback?code={code}&state={fresh_state}")
    assert replay.status_code == 400
    assert "refused this login" in page_text(replay)
    assert "Log in with Test University" in logged_in_as(client)


def _tamper_pending_login(client, key: str, value: str) -> None:
    """Change what the app remembered about the login in progress (as if another login's answer came back)."""
    with client.session_transaction() as session:
        (name,) = [k for k in session if k.startswith(STATE_PREFIX)]
        pending = session[name]
        pending["data"][key] = value
        session[name] = pending


def test_an_id_token_for_another_nonce_is_refused(client, sso_on, make_student):
    make_student(email="ada@uni.test")
    callback = log_in_at_provider(start(client), "ada@uni.test")
    _tamper_pending_login(client, "nonce", "another-login's-nonce")
    response = client.get(app_path(callback))
    assert response.status_code == 400 and "could not be checked" in page_text(response)
    assert "Log in with Test University" in logged_in_as(client)


def test_a_code_redeemed_without_its_pkce_verifier_is_refused(client, sso_on, make_student):
    make_student(email="ada@uni.test")
    callback = log_in_at_provider(start(client), "ada@uni.test")
    _tamper_pending_login(client, "code_verifier", "x" * 64)
    response = client.get(app_path(callback))
    assert response.status_code == 400 and "refused this login" in page_text(response)


def test_an_unknown_email_is_refused_without_making_an_account(client, sso_on):
    response = sso_login(client, "stranger@uni.test")
    assert response.status_code == 403
    assert "There is no account for stranger@uni.test here" in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_just_in_time_accounts_are_students_without_a_password_unless_the_claims_map_a_role(
        client, app, sso_on, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_NEW_ACCOUNTS", True)
    assert sso_login(client, "newcomer@uni.test").status_code == 302
    newcomer = db.session.scalar(sa.select(User).where(User.email == "newcomer@uni.test"))
    assert newcomer.role == Role.STUDENT and newcomer.password_hash is None and newcomer.display_name == "newcomer"
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.entity_id == newcomer.id,
                                                            HistoryEvent.action == "user.created"))
    assert "first single sign-on" in event.summary
    log_out(client)
    # The provider puts this person in the group "music-faculty": mapped to faculty.
    assert sso_login(client, "new.faculty@uni.test").status_code == 302
    faculty = db.session.scalar(sa.select(User).where(User.email == "new.faculty@uni.test"))
    assert faculty.role == Role.FACULTY
    # A password login cannot reach an account without a password.
    log_out(client)
    assert client.login("newcomer@uni.test", "").status_code == 200


def test_an_existing_account_keeps_its_role_whatever_the_claims_say(client, sso_on, make_user):
    user = make_user(Role.STUDENT, email="new.faculty@uni.test")
    assert sso_login(client, "new.faculty@uni.test").status_code == 302
    assert db.session.get(User, user.id).role == Role.STUDENT


def test_a_deactivated_account_is_refused(client, sso_on, make_student):
    make_student(email="gone@uni.test", active=False)
    response = sso_login(client, "gone@uni.test")
    assert response.status_code == 403 and "deactivated" in page_text(response)
    assert "Log in with Test University" in logged_in_as(client)


def test_an_unverified_or_missing_email_is_refused(client, app, sso_on, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_NEW_ACCOUNTS", True)
    unverified = sso_login(client, "unverified@uni.test")
    assert unverified.status_code == 400 and "has not verified" in page_text(unverified)
    no_email = sso_login(client, "no-email")
    assert no_email.status_code == 400 and "did not say which e-mail" in page_text(no_email)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_password_login_can_be_turned_off_only_while_single_sign_on_is_on(client, app, sso_on, make_student,
                                                                          monkeypatch):
    student = make_student()
    monkeypatch.setitem(app.config, "PASSWORD_LOGIN", False)
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'name="password"' not in page and "Log in with Test University" in page
    refused = client.login(student.email)
    assert refused.status_code == 400 and "Password login is turned off here" in page_text(refused)
    monkeypatch.setitem(app.config, "OIDC_ISSUER", None)  # no single sign-on: passwords must still work
    assert client.login(student.email).status_code == 302


def test_logging_out_ends_the_provider_session_too(client, sso_on, make_student):
    make_student(email="ada@uni.test")
    sso_login(client, "ada@uni.test")
    response = log_out(client)
    end = urlsplit(response.headers["Location"])
    assert f"{end.scheme}://{end.netloc}" == sso_on["OIDC_ISSUER"] and end.path == "/session/end"
    query = parse_qs(end.query)
    assert query["id_token_hint"][0] and query["post_logout_redirect_uri"] == ["http://localhost/auth/login"]
    assert "Log in with Test University" in logged_in_as(client)


def test_a_password_login_logs_out_here_only(client, sso_on, make_student):
    student = make_student()
    client.login(student.email)
    assert log_out(client).headers["Location"] == "/auth/login"


def test_pages_may_post_to_the_provider(client, sso_on):
    policy = client.get("/auth/login").headers["Content-Security-Policy"]
    assert f"form-action 'self' {sso_on['OIDC_ISSUER']}" in policy


def test_an_unreachable_provider_is_a_message_not_an_error(client, app, sso_on, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "http://127.0.0.1:9")
    response = client.post_form("/auth/sso")
    assert response.status_code == 502 and "cannot be reached" in page_text(response)


def test_admins_see_the_settings_in_force(client, app, login_as, monkeypatch):
    login_as("admin")
    off = visible_text(client.get("/admin/users/single-sign-on"))
    assert "Off Single sign-on is not configured" in off and "Setting it up" in off
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "https://login.uni.test")
    monkeypatch.setitem(app.config, "OIDC_CLIENT_ID", "tracker")
    monkeypatch.setitem(app.config, "OIDC_ROLE_CLAIM", "groups")
    monkeypatch.setitem(app.config, "OIDC_ROLE_MAP", "music-faculty=faculty,bogus=nobody")
    on = visible_text(client.get("/admin/users/single-sign-on"))
    assert "On The login page offers “Log in with your university account”" in on
    assert "Redirect URI to register http://localhost/auth/sso/callback" in on
    assert "music-faculty → Faculty; otherwise Student" in on and "bogus" not in on
