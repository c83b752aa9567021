"""Administration: program setup, accounts, audit exceptions, term close and the history browser (at /manage)."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/manage")

from . import account_routes, catalog_routes, exception_routes, program_routes, routes  # noqa: E402,F401
