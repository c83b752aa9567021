"""Studio sessions: a student logs, edits and withdraws them; the session page; hours per term."""
from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/studio")

from . import routes  # noqa: E402,F401
