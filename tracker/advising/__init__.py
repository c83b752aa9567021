"""Advising: a faculty member's advisees (every student for admins) with progress and risk, milestone sign-off and
audit exceptions (substitutions, waivers, transfer credit)."""
from flask import Blueprint

bp = Blueprint("advising", __name__, url_prefix="/advising")

from . import audit_exception_routes, routes  # noqa: E402,F401
