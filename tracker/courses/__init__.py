"""A student's courses: the by-term list, and adding, editing and deleting course records."""
from flask import Blueprint

bp = Blueprint("courses", __name__, url_prefix="/courses")

from . import routes  # noqa: E402,F401
