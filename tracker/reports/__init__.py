"""Reports for the program office: studio usage, review turnaround and cohort progress, each also as CSV."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from . import routes  # noqa: E402,F401
