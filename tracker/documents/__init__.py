"""Progress documents: a student or their advisor issues a signed, dated snapshot of the audit (a page and a PDF
with a verification link and QR code); anyone with the link can check it; the issuer can revoke it."""
from flask import Blueprint

bp = Blueprint("documents", __name__, url_prefix="/documents")

from . import routes  # noqa: E402,F401
