"""A student's ensemble participation: list, add, edit, delete."""
from flask import Blueprint

bp = Blueprint("ensembles", __name__, url_prefix="/ensembles")

from . import routes  # noqa: E402,F401
