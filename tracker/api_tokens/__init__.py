"""API tokens: a logged-in user makes, sees and revokes the personal access tokens the JSON API (tracker/api)
accepts as `Authorization: Bearer <token>`."""
from flask import Blueprint

bp = Blueprint("api_tokens", __name__, url_prefix="/api_tokens")

from . import routes  # noqa: E402,F401
