"""Faculty review of studio sessions: the queue, single and bulk decisions."""
from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from . import routes  # noqa: E402,F401
