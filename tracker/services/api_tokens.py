"""Personal access tokens for the JSON API: make one (its secret is returned once), list, revoke, and find the
token a request's `Authorization: Bearer` secret names.

The secret is `mtt_` followed by 43 URL-safe characters (32 random bytes); the table keeps only its SHA-256, so a
copy of the database opens nothing. A plain hash (not argon2) is right here: the secret has 256 bits of entropy,
so there is nothing to guess, and every API request must look its token up by it.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import ApiToken, User, utcnow
from ..models.api_tokens import SCOPES
from . import Problems, ServiceError, history

ENTITY = "api_token"
SECRET_PREFIX = "mtt_"
# The shape of a secret this module makes: anything else is refused before it reaches the database.
SECRET_SHAPE = re.compile(r"mtt_[A-Za-z0-9_-]{43}")
PREFIX_LENGTH = 10  # "mtt_" and six characters: shown in the list so the owner can tell tokens apart
MAX_NAME = 100
MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 366, 90
MAX_ACTIVE_TOKENS = 20
# last_used_at is written at most this often per token, so a busy client does not turn every read into a write.
USE_STAMP_INTERVAL = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    """The stored form of a secret: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def allowed_scopes(user: User) -> tuple[str, ...]:
    """The scopes this user may give a token: admin only for administrators."""
    return SCOPES if user.is_admin else tuple(s for s in SCOPES if s != "admin")


def _check(user: User, name, scopes, days) -> tuple[str, list[str], int]:
    problems = Problems()
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        problems.add("name", "Name the token after what will use it, e.g. “Registrar nightly sync”.")
    elif len(name) > MAX_NAME:
        problems.add("name", f"Keep the name under {MAX_NAME} characters.")
    elif "\x00" in name or any(ord(c) < 32 for c in name):
        problems.add("name", "The name cannot hold control characters.")
    chosen = [s for s in SCOPES if s in set(scopes or ())]
    unknown = set(scopes or ()) - set(SCOPES)
    if unknown or not chosen:
        problems.add("scopes", "Choose what the token may do: read, write or admin.")
    elif not set(chosen) <= set(allowed_scopes(user)):
        problems.add("scopes", "Only administrators can make a token with the admin scope.")
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        problems.add("days", f"A token lasts from {MIN_DAYS} to {MAX_DAYS} days; make a new one when it ends.")
    problems.raise_any()
    # Writing or administering implies reading what one writes.
    if "read" not in chosen:
        chosen.insert(0, "read")
    return name, chosen, days


def create_token(user: User, name: str, scopes, days: int, *, actor: User) -> tuple[ApiToken, str]:
    """Make a token for `user` (the actor is the user themself); returns it with its secret, which is not kept."""
    name, chosen, days = _check(user, name, scopes, days)
    now = utcnow()
    # Serialise one user's token writes (PostgreSQL), so two submits cannot both pass the count below.
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    active = db.session.scalar(sa.select(sa.func.count(ApiToken.id)).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now))
    if active >= MAX_ACTIVE_TOKENS:
        raise ServiceError(f"You already have {MAX_ACTIVE_TOKENS} active tokens: revoke one you no longer use.")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_secret(secret), prefix=secret[:PREFIX_LENGTH],
                     scopes=" ".join(chosen), created_at=now, expires_at=now + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    history.record(actor, "api_token.created", ENTITY, token.id, subject_id=user.id,
                   summary=f"Made the API token “{name}” ({', '.join(chosen)}; {days} days)",
                   changes={"name": name, "scopes": chosen, "prefix": token.prefix,
                            "expires_at": token.expires_at.replace(microsecond=0)})
    db.session.commit()
    return token, secret


def revoke_token(token: ApiToken, *, actor: User) -> ApiToken:
    """Revoke a token at once: the next request that uses it is refused. Revoking twice is refused."""
    if token.user_id != actor.id and not actor.is_admin:
        raise ServiceError("You can revoke only your own tokens.")
    updated = db.session.execute(
        sa.update(ApiToken).where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if updated != 1:
        db.session.rollback()
        raise ServiceError("This token was already revoked.")
    history.record(actor, "api_token.revoked", ENTITY, token.id, subject_id=token.user_id,
                   summary=f"Revoked the API token “{token.name}”", changes={"prefix": token.prefix})
    db.session.commit()
    db.session.refresh(token)
    return token


def tokens_for(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too: the list says so)."""
    return list(db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(),
                                                                          ApiToken.id.desc())))


def authenticate(secret: str | None, now: datetime | None = None) -> ApiToken | None:
    """The usable token (not revoked, not expired, its user active) that `secret` names, with its user; None for
    anything else. Notes when it was last used (at most once a minute)."""
    if not isinstance(secret, str) or not SECRET_SHAPE.fullmatch(secret):
        return None
    now = now or utcnow()
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)).options(joinedload(ApiToken.user)))
    if token is None or not token.usable(now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= USE_STAMP_INTERVAL:
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        token.last_used_at = now
    return token
