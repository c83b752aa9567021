"""Error pages: a plain explanation and a way back, never a traceback."""
from __future__ import annotations

import logging
import sqlite3
import threading

import sqlalchemy as sa
from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db, login_manager

log = logging.getLogger("tracker.errors")

# What the 503 page asks clients (and proxies, and crawlers) to wait before trying again, in seconds.
RETRY_AFTER_SECONDS = 5
# SQLite errors that mean "busy or unreachable, try again" (others, such as "no such table", are bugs).
_SQLITE_TRANSIENT = ("database is locked", "unable to open database file", "disk i/o error")
# PostgreSQL SQLSTATEs of a server that is going away or not ready (class 08, connection exceptions, is added):
# admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down), too_many_connections.
_SERVER_UNAVAILABLE = frozenset({"57P01", "57P02", "57P03", "53300"})

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


def database_unavailable(err: BaseException) -> bool:
    """True when an exception means the database cannot be reached right now (a restart, a dropped connection, a
    full pool) rather than a bug: such requests answer 503 and may simply be retried."""
    if isinstance(err, sa.exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(err, sa.exc.DBAPIError) and err.connection_invalidated:
        return True
    if isinstance(err, sa.exc.OperationalError):
        if isinstance(err.orig, sqlite3.OperationalError):
            return str(err.orig).lower().startswith(_SQLITE_TRANSIENT)
        # psycopg: no SQLSTATE means the client could not connect or lost the connection; otherwise only the
        # server's "unavailable" states count (serialization failures, deadlocks and timeouts stay errors).
        sqlstate = getattr(err.orig, "sqlstate", None)
        return sqlstate is None or sqlstate.startswith("08") or sqlstate in _SERVER_UNAVAILABLE
    return False


class _Outage:
    """Log a database outage once per process (a warning, no traceback) until a new connection succeeds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = False

    def begin(self, err: BaseException) -> None:
        with self._lock:
            if self.active:
                return
            self.active = True
        lines = str(getattr(err, "orig", None) or err).strip().splitlines()
        reason = lines[0][:300] if lines else ""
        log.warning("database unavailable (%s: %s); answering 503 until it is back", type(err).__name__, reason)

    def end(self) -> None:
        with self._lock:
            if not self.active:
                return
            self.active = False
        log.warning("database reachable again")


outage = _Outage()


@sa.event.listens_for(sa.engine.Engine, "connect")
def _database_connected(_dbapi_connection, _record) -> None:
    """A new connection succeeded: any outage is over (the next one is logged again)."""
    outage.end()


def render_unavailable():
    """The 503 page: plain, with Retry-After, and touching neither the database nor the current user."""
    # The base layout and Flask-Login's context processor would load the user, which needs the database.
    g._login_user = login_manager.anonymous_user()
    body = render_template("errors/unavailable.html", retry_after=RETRY_AFTER_SECONDS)
    return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def render_error(code: int, message: str | None = None):
    """Render errors/error.html for an HTTP status."""
    title, default = MESSAGES.get(code, ("Error", "Something went wrong."))
    return render_template("errors/error.html", code=code, title=title, message=message or default), code


def register(app: Flask) -> None:
    """Install the handlers."""

    from .api import problems as api_problems  # errors under /api/ answer RFC 9457 problem documents

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError):
        if api_problems.is_api_request():
            return api_problems.response(400)
        log.warning("CSRF refusal on %s %s: %s", request.method, request.path, err.description)
        return render_error(400, "The form expired or was not sent from this site. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if api_problems.is_api_request() and (err.code or 500) < 500:
            return api_problems.from_exception(err)
        if err.code == 503:
            if api_problems.is_api_request():
                return api_problems.response(503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
            return render_unavailable()
        if err.code and err.code >= 500:
            return _server_error(err)
        message = err.description if err.code in (400, 409) and err.description else None
        return render_error(err.code or 500, message)

    @app.errorhandler(Exception)
    def _server_error(err: Exception):
        # Roll back so the next request on this scoped session starts clean.
        try:
            db.session.rollback()
        except sa.exc.SQLAlchemyError:  # the connection itself is gone; the session is discarded at teardown
            pass
        original = getattr(err, "original_exception", None) if isinstance(err, InternalServerError) else err
        if original is not None and database_unavailable(original):
            outage.begin(original)
            if api_problems.is_api_request():
                return api_problems.response(503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
            return render_unavailable()
        if not isinstance(err, InternalServerError):
            log.exception("unhandled error on %s %s", request.method, request.path)
        if api_problems.is_api_request():
            return api_problems.response(500)
        return render_error(500)
