"""Login sessions: a fresh session at login, and a user loader that enforces the token and an absolute lifetime.

The login id (Flask-Login's `get_id()`, stored in the signed session cookie and the signed remember cookie) is
`"<user id>:<session token>:<issued at, unix seconds>:<s|r>"`. The token must still match the user's (logout,
password change and deactivation rotate it); the issue time must be younger than the session lifetime, or, for
"keep me logged in" (`r`), than REMEMBER_COOKIE_DURATION: however old the cookie, a login has a server-side end.
"""
from __future__ import annotations

import hmac
import logging
import time

from flask import current_app, g, session
from flask_login import login_user

from ..extensions import db
from ..models import User

log = logging.getLogger("tracker.auth")

# A login id "issued" this far in the future (clock skew between hosts) is still accepted.
CLOCK_SKEW_SECONDS = 300


def now() -> int:
    """The current time in unix seconds (one place for tests to move the clock)."""
    return int(time.time())


def start_session(user: User, remember: bool = False) -> None:
    """Log in on a brand-new session: nothing from before the login carries over (session fixation), the CSRF
    token is a new one, and the login id carries this moment as its issue time."""
    session.clear()
    # Flask-WTF caches the signed token of this request in g; drop it so this response cannot reuse the old one.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    user.mark_login(issued_at=now(), remembered=remember)
    login_user(user, remember=remember)


def lifetime_seconds(remembered: bool) -> int:
    """How long a login may last: the remember-cookie duration, or the session lifetime."""
    config = current_app.config
    span = config["REMEMBER_COOKIE_DURATION"] if remembered else config["PERMANENT_SESSION_LIFETIME"]
    return int(span.total_seconds())


def load_user(login_id: str) -> User | None:
    """Load the user of a session or remember cookie; refuse a rotated token, an expired login, or an id in the
    format from before logins carried an issue time ("id:token": those users log in again once)."""
    parts = (login_id or "").split(":")
    if len(parts) != 4:
        return None
    user_id, token, issued, kind = parts
    if not user_id.isdigit() or not issued.isdigit() or kind not in ("s", "r"):
        return None
    issued_at, remembered = int(issued), kind == "r"
    age = now() - issued_at
    if age > lifetime_seconds(remembered) or age < -CLOCK_SKEW_SECONDS:
        log.info("expired login refused for user %s (issued %s s ago, %s)", user_id, age,
                 "remembered" if remembered else "session")
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    # Keep the original issue time if Flask-Login asks this object for its id again.
    user.mark_login(issued_at=issued_at, remembered=remembered)
    return user
