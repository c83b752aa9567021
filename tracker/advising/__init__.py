"""Advising: a faculty member's advisees (every student for admins) with progress and risk, and milestone sign-off."""
from flask import Blueprint

bp = Blueprint("advising", __name__, url_prefix="/advising")

from . import routes  # noqa: E402,F401
