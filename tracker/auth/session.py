"""The Flask-Login user loader: the session token in the login id must still match."""
from __future__ import annotations

import hmac

from ..extensions import db
from ..models import User


def load_user(login_id: str) -> User | None:
    """Load the user of a session cookie; a rotated token (logout, password change, deactivation) refuses it."""
    user_id, sep, token = (login_id or "").partition(":")
    if not sep or not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    return user
