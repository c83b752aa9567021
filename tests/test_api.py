"""The JSON API and its personal access tokens: a user makes a token on their API tokens page (its secret is shown
once, never again), revokes it, and programs use it as `Authorization: Bearer <token>` with the same rules as the
pages; every refusal is an RFC 9457 problem document."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import ApiToken, HistoryEvent, utcnow
from tracker.services import ServiceError
from tracker.services import api_tokens as token_service

from .html_support import page_text

SECRET_RE = re.compile(r'id="token-secret"[^>]*value="(mtt_[A-Za-z0-9_-]+)"')


def _make_on_page(client, name="Nightly sync", level="read", days="30"):
    return client.post_form("/api_tokens/new", {"name": name, "level": level, "days": days})


def _token(user, scopes=("read",), days=30):
    return token_service.create_token(user, "Test", list(scopes), days, actor=user)


# ---------------------------------------------------------------- the tokens page

def test_a_user_makes_a_token_and_sees_its_secret_only_once(client, login_as):
    student = login_as("student")
    page = client.get("/api_tokens")
    assert page.status_code == 200 and "No tokens yet." in page_text(page)
    response = _make_on_page(client)
    assert response.status_code == 200
    [secret] = SECRET_RE.findall(response.get_data(as_text=True))
    token = db.session.scalar(sa.select(ApiToken))
    assert token.user_id == student.id and token.scopes == "read" and token.name == "Nightly sync"
    assert token.token_hash == token_service.hash_secret(secret) and secret not in token.token_hash
    assert timedelta(days=29, hours=23) < token.expires_at - utcnow() <= timedelta(days=30)
    # Never again: the list shows the name and the first characters, not the secret.
    again = client.get("/api_tokens").get_data(as_text=True)
    assert "Nightly sync" in again and token.prefix in again and secret not in again
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "api_token.created"))
    assert event.actor_id == student.id and event.subject_id == student.id and secret not in str(event.changes)


def test_the_account_menu_links_to_the_tokens_page(client, login_as):
    login_as("faculty")
    assert 'href="/api_tokens"' in client.get("/", follow_redirects=True).get_data(as_text=True)


@pytest.mark.parametrize("data, field_text", [
    ({"name": "", "level": "read", "days": "30"}, "Name the token"),
    ({"name": "x", "level": "read", "days": "0"}, "A token lasts from 1 to 366 days"),
    ({"name": "x", "level": "read", "days": "99999999999999999999999"}, ""),
    ({"name": "x", "level": "admin", "days": "30"}, "Not a valid choice"),
    ({"name": "x" * 101, "level": "read", "days": "30"}, "100"),
])
def test_a_bad_token_form_is_refused_next_to_its_field_and_nothing_is_made(client, login_as, data, field_text):
    login_as("student")
    response = client.post_form("/api_tokens/new", data)
    assert response.status_code == 400
    assert field_text in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_an_administrator_may_make_an_admin_token(client, login_as):
    login_as("admin")
    response = _make_on_page(client, level="admin")
    assert response.status_code == 200
    assert db.session.scalar(sa.select(ApiToken.scopes)) == "read write admin"


def test_a_user_revokes_a_token_and_only_their_own(app, client, login_as, make_user):
    owner = login_as("student")
    token, _ = _token(owner)
    response = client.post_form(f"/api_tokens/{token.id}/revoke")
    assert response.status_code == 302
    db.session.refresh(token)
    assert token.revoked
    assert "Revoked" in page_text(client.get("/api_tokens"))
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "api_token.revoked"))
    assert event.entity_id == token.id and event.actor_id == owner.id
    # Someone else's token: 404, even for an administrator.
    other, _ = _token(make_user("faculty"))
    admin = app.test_client()
    admin.login(make_user("admin").email)
    assert admin.post_form(f"/api_tokens/{other.id}/revoke").status_code == 404
    db.session.refresh(other)
    assert not other.revoked


def test_the_service_refuses_the_admin_scope_to_others_and_a_second_revocation(make_user):
    student = make_user("student")
    with pytest.raises(ServiceError) as refused:
        _token(student, scopes=("read", "admin"))
    assert refused.value.field == "scopes"
    token, _ = _token(student, scopes=("write",))
    assert token.scope_set == {"read", "write"}  # writing implies reading
    token_service.revoke_token(token, actor=student)
    with pytest.raises(ServiceError, match="already revoked"):
        token_service.revoke_token(token, actor=student)


def test_a_user_has_at_most_twenty_active_tokens(make_user):
    user = make_user("student")
    for _ in range(token_service.MAX_ACTIVE_TOKENS):
        _token(user)
    with pytest.raises(ServiceError, match="revoke one"):
        _token(user)
