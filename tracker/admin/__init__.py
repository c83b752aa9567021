"""Administration (at /admin): programs, the course catalog, terms, studios, ensembles, accounts and the history."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import account_routes, catalog_routes, program_routes, routes, studio_settings_routes  # noqa: E402,F401
