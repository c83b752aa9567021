"""Error pages: a plain explanation and a way back, never a traceback."""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger("tracker.errors")

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back, reload the page and try again."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    409: ("Conflict", "Someone else changed this at the same moment. Reload and try again."),
    413: ("Too large", "The file is too large. Files up to 2 MB are accepted."),
    429: ("Too many attempts", "Too many attempts in a short time. Wait a minute and try again."),
    500: ("Something went wrong", "The error has been logged. Please try again; if it persists, tell the program office."),
}


def render_error(code: int, message: str | None = None):
    """Render errors/error.html for an HTTP status."""
    title, default = MESSAGES.get(code, ("Error", "Something went wrong."))
    return render_template("errors/error.html", code=code, title=title, message=message or default), code


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError):
        log.warning("CSRF refusal on %s %s: %s", request.method, request.path, err.description)
        return render_error(400, "The form expired or was not sent from this site. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if err.code and err.code >= 500:
            return _server_error(err)
        message = err.description if err.code in (400, 409) and err.description else None
        return render_error(err.code or 500, message)

    @app.errorhandler(Exception)
    def _server_error(err: Exception):
        # Roll back so the next request on this scoped session starts clean.
        db.session.rollback()
        if not isinstance(err, InternalServerError):
            log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)
