"""Calendar feeds: each user's iCalendar addresses (their own studio time, and each studio's bookings) for Google
Calendar, Apple Calendar or Outlook, behind a secret token the user can replace."""
from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

from . import routes  # noqa: E402,F401
