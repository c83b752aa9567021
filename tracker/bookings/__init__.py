"""Studio bookings: the week calendar of each studio, booking a slot, my bookings, cancelling, the rules page."""
from flask import Blueprint

bp = Blueprint("bookings", __name__, url_prefix="/bookings")

from . import routes  # noqa: E402,F401
