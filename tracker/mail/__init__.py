"""E-mail pages: each user's choices per kind of mail, the public unsubscribe link, and the outbox for admins."""
from flask import Blueprint

bp = Blueprint("mail", __name__, url_prefix="/mail")

from . import routes  # noqa: E402,F401
