"""Degree progress: the live audit page, its CSV and printout, what-if, and the student's milestones."""
from flask import Blueprint

bp = Blueprint("progress", __name__, url_prefix="/progress")

from . import routes  # noqa: E402,F401
