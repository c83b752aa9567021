"""Reconciliation of studio bookings with logged sessions (at /reconciliation), for admins and faculty."""
from flask import Blueprint

bp = Blueprint("reconciliation", __name__, url_prefix="/reconciliation")

from . import routes  # noqa: E402,F401
