"""Outages: without Redis logins go on (limits counted per process); without PostgreSQL pages answer 503, not 500."""
from __future__ import annotations

import logging
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest

from tracker import create_app
from tracker.errors import RETRY_AFTER_SECONDS, outage
from tracker.extensions import limiter

from .fixtures.app import TrackerClient

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
UNREACHABLE_POSTGRES = "postgresql://postgres@127.0.0.1:1/tracker?connect_timeout=2"


def _other_app(overrides: dict):
    app = create_app("testing", overrides)
    app.test_client_class = TrackerClient
    return app


@pytest.fixture
def restore_limiter(app):
    """Other apps re-bind the shared limiter; give the session app its memory storage (and a live one) back."""
    yield
    limiter.init_app(app)
    limiter._storage_dead = False  # Flask-Limiter keeps "storage is dead" on the object across init_app calls
    limiter.reset()


@pytest.fixture(autouse=True)
def _no_outage_left_over():
    outage.active = False
    yield
    outage.active = False


# ---------------------------------------------------------------- Redis (rate-limit storage)

@pytest.fixture
def redis_down_app(database_url, restore_limiter):
    return _other_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": UNREACHABLE_REDIS,
                       "LOGIN_RATE_LIMIT": "3 per minute"})


def test_login_works_when_redis_is_unreachable(redis_down_app, make_student, caplog):
    user = make_student()
    client = redis_down_app.test_client()
    with caplog.at_level(logging.WARNING):
        response = client.login(user.email)
    assert response.status_code == 302
    assert client.get("/dashboard/student").status_code == 200
    assert any("falling back to in-memory" in r.getMessage() for r in caplog.records), caplog.text


def test_wrong_passwords_are_still_limited_per_process_without_redis(redis_down_app, make_student):
    user = make_student()
    client = redis_down_app.test_client()
    for _ in range(3):
        assert client.login(user.email, "wrong-password").status_code == 200
    limited = client.login(user.email)
    assert limited.status_code == 429
    assert b"Too many attempts" in limited.data
    # Someone else behind the same address is not locked out.
    other = make_student()
    assert redis_down_app.test_client().login(other.email).status_code == 302


# ---------------------------------------------------------------- PostgreSQL

@pytest.fixture
def postgres_down_app(restore_limiter):
    return _other_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE_POSTGRES})


def _copy_session(source: TrackerClient, target: TrackerClient) -> None:
    target.set_cookie("session", source.get_cookie("session").value)


def _assert_unavailable(response) -> None:
    assert response.status_code == 503
    # Exactly RETRY_AFTER_SECONDS, except on rate-limited routes, where Flask-Limiter recomputes the header from it
    # (and may round down, or stretch it to the end of the current limit window).
    assert 0 < int(response.headers["Retry-After"]) <= 60
    if response.request.path != "/auth/login":
        assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = response.get_data(as_text=True)
    assert "Try again in a moment" in body
    assert "Traceback" not in body and "OperationalError" not in body and "127.0.0.1" not in body


def test_pages_answer_503_when_postgresql_is_unreachable(client, postgres_down_app, make_student, caplog):
    user = make_student()
    assert client.login(user.email).status_code == 302
    down = postgres_down_app.test_client()
    _copy_session(client, down)  # same secret: a logged-in browser whose next request finds no database
    with caplog.at_level(logging.INFO, logger="tracker"):
        _assert_unavailable(down.get("/dashboard/student"))  # the user loader needs the database
        _assert_unavailable(down.get("/dashboard/student"))
    warnings = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(warnings) == 1, "an outage is logged once, not once per request"
    assert warnings[0].levelno == logging.WARNING and warnings[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_post_answers_503_when_postgresql_is_unreachable(postgres_down_app, caplog):
    down = postgres_down_app.test_client()
    # The login page itself needs no database for an anonymous visitor; sending the form does.
    with caplog.at_level(logging.INFO, logger="tracker"):
        response = down.login("someone@example.edu")
    _assert_unavailable(response)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def _operational(orig: Exception, invalidated: bool = False):
    import sqlalchemy as sa

    return sa.exc.OperationalError("SELECT 1", {}, orig, connection_invalidated=invalidated)


def test_which_database_errors_count_as_an_outage():
    import sqlite3

    import psycopg
    import psycopg.errors as pg
    import sqlalchemy as sa

    from tracker.errors import database_unavailable

    assert database_unavailable(_operational(psycopg.OperationalError("connection failed: Connection refused")))
    assert database_unavailable(_operational(pg.AdminShutdown("terminating connection")))
    assert database_unavailable(_operational(pg.CannotConnectNow("the database system is starting up")))
    assert database_unavailable(_operational(pg.SerializationFailure("x"), invalidated=True))
    assert database_unavailable(_operational(sqlite3.OperationalError("database is locked")))
    assert database_unavailable(sa.exc.TimeoutError("QueuePool limit reached"))
    # Bugs and contention the app handles (or should) stay errors, not "try again in a moment".
    assert not database_unavailable(_operational(pg.SerializationFailure("could not serialize access")))
    assert not database_unavailable(_operational(pg.DeadlockDetected("deadlock detected")))
    assert not database_unavailable(_operational(sqlite3.OperationalError("no such table: x")))
    assert not database_unavailable(sa.exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE")))
    assert not database_unavailable(RuntimeError("boom"))


def test_deliberate_503_gets_the_same_page(app, client, monkeypatch):
    from werkzeug.exceptions import ServiceUnavailable

    def unavailable():
        raise ServiceUnavailable()

    monkeypatch.setitem(app.view_functions, "dashboard.healthz", unavailable)
    _assert_unavailable(client.get("/healthz"))


def test_programming_errors_in_sql_stay_500(app, client, login_as, monkeypatch):
    import sqlalchemy as sa

    from tracker.extensions import db

    def broken():
        db.session.execute(sa.text("SELECT * FROM no_such_table"))

    monkeypatch.setitem(app.view_functions, "dashboard.student", broken)
    login_as("student")
    assert client.get("/dashboard/student").status_code == 500


class TcpProxy:
    """A TCP proxy to the database that a test can cut (every connection drops) and restore on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        """Stop listening and drop every open connection (what a database restart looks like to the app)."""
        if self._listener:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone would not, on Linux)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


@pytest.mark.postgres
def test_postgresql_dropping_mid_run_answers_503_then_recovers(database_url, make_student, restore_limiter,
                                                               caplog):
    if not database_url.startswith(("postgresql", "postgres")):
        pytest.skip("needs TEST_DATABASE_URL pointing at PostgreSQL")
    parts = urlsplit(database_url)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    proxy.start()
    try:
        netloc = f"{parts.username}@127.0.0.1:{proxy.port}" if parts.username else f"127.0.0.1:{proxy.port}"
        proxied = urlunsplit(parts._replace(netloc=netloc))
        app = _other_app({"SQLALCHEMY_DATABASE_URI": proxied})
        user = make_student()
        client = app.test_client()
        assert client.login(user.email).status_code == 302
        assert client.get("/dashboard/student").status_code == 200
        client.csrf_token()  # the form was loaded before the outage
        with caplog.at_level(logging.INFO, logger="tracker"):
            proxy.cut()
            _assert_unavailable(client.get("/dashboard/student"))  # a pooled connection died; reconnecting fails
            _assert_unavailable(client.post_form("/auth/logout"))
            proxy.start()  # the database is back on the same address
            assert client.get("/dashboard/student").status_code == 200
        messages = [r.getMessage() for r in caplog.records]
        assert sum("database unavailable" in m for m in messages) == 1
        assert any("database reachable again" in m for m in messages)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        with app.app_context():
            from tracker.extensions import db

            db.engine.dispose()
    finally:
        proxy.cut()
