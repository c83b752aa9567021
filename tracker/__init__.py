"""The master's-program tracker: an app factory that reads like a table of contents."""
from __future__ import annotations

import logging
import os
import sqlite3

import sqlalchemy as sa
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, check_secret_key, check_timezone, settings_for

from .extensions import csrf, db, limiter, login_manager, migrate, oauth

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the Flask app for a named configuration (TRACKER_ENV, default development)."""
    config_name = config_name or os.environ.get("TRACKER_ENV", "development")
    settings = settings_for(config_name)
    if config_name == "production":
        CONFIGS[config_name].check(settings)
    app = Flask(
        __name__,
        instance_path=os.environ.get("TRACKER_INSTANCE_PATH", os.path.join(ROOT, "instance")),
        template_folder=os.path.join(ROOT, "templates"),
    )
    app.config.from_mapping(settings)
    app.config["CONFIG_NAME"] = config_name
    if overrides:
        app.config.update(overrides)
    check_secret_key(config_name, app.config.get("SECRET_KEY"))
    check_timezone(app.config.get("APP_TIMEZONE"))
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "tracker.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    register_extensions(app)
    register_input_guards(app)
    register_blueprints(app)
    register_errors(app)
    register_hooks(app)
    register_cli(app)
    configure_logging(app)
    return app


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL for concurrent readers, enforced foreign keys, and a wait instead of 'database is locked'."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


# Methods that never change anything (the CSRF-exempt ones): their transactions stay deferred.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_IMMEDIATE = "tracker_begin_immediate"  # marks a pooled connection whose pysqlite BEGIN we switched off


def _request_may_write() -> bool:
    """True inside a request whose method may change state (POST, PUT, PATCH, DELETE)."""
    from flask import has_request_context, request

    return has_request_context() and request.method not in READ_ONLY_METHODS


@sa.event.listens_for(sa.engine.Engine, "begin")
def _sqlite_begin(conn) -> None:
    """On SQLite, a transaction of a request that may write takes the write lock at BEGIN (BEGIN IMMEDIATE).

    Why: pysqlite opens its transaction only at the first INSERT/UPDATE, and `with_for_update()` is a plain
    SELECT on SQLite, so two identical POSTs could both run a check-then-insert (the studio overlap rule, a
    one-time form token) before either held a lock, and both insert. With BEGIN IMMEDIATE the second request
    waits (busy_timeout) until the first commits, then its checks see the first one's rows. PostgreSQL is
    untouched: its row locks and unique indexes already serialise these requests.

    How: SQLAlchemy's documented pysqlite recipe — the DBAPI connection's `isolation_level` set to None (pysqlite
    emits no BEGIN of its own) and SQLAlchemy emitting BEGIN from this "begin" event — applied per transaction.

    Why only for writing requests: GET/HEAD/OPTIONS requests and work outside a request (CLI, Alembic, test
    factories and observers in the test thread) keep pysqlite's own deferred BEGIN, exactly as before. An
    IMMEDIATE transaction there would hold the single write lock while merely reading, and block the live server
    in browser tests; an explicit deferred BEGIN would pin a read snapshot for the whole transaction, so a
    later write on it fails at once with SQLITE_BUSY (no busy wait) whenever another connection committed
    meanwhile. A connection someone put into AUTOCOMMIT is left alone.
    """
    if conn.dialect.name != "sqlite":
        return
    fairy = conn.connection
    dbapi_connection = fairy.dbapi_connection
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    if dbapi_connection.isolation_level is None and not fairy.info.get(_IMMEDIATE):
        return  # AUTOCOMMIT was asked for explicitly (execution_options): not ours to change
    if _request_may_write():
        dbapi_connection.isolation_level = None  # pysqlite: no implicit BEGIN; commit()/rollback() still work
        fairy.info[_IMMEDIATE] = True
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif fairy.info.pop(_IMMEDIATE, False):
        dbapi_connection.isolation_level = ""  # back to pysqlite's deferred BEGIN before the first write


def register_extensions(app: Flask) -> None:
    """Bind the extensions to this app."""
    from . import models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    oauth.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from .auth.session import load_user

    login_manager.user_loader(load_user)

    from .services import audit_cache

    audit_cache.init_app(app)


def register_input_guards(app: Flask) -> None:
    """Bounded URL ids and query-argument guards (before any route is registered)."""
    from .query_args import register

    register(app)


def register_blueprints(app: Flask) -> None:
    """Mount each feature's blueprint."""
    from .admin import bp as admin_bp
    from .advising import bp as advising_bp
    from .api_tokens import bp as api_tokens_bp
    from .auth import bp as auth_bp
    from .calendar import bp as calendar_bp
    from .bookings import bp as bookings_bp
    from .courses import bp as courses_bp
    from .documents import bp as documents_bp
    from .dashboard import bp as dashboard_bp
    from .ensembles import bp as ensembles_bp
    from .mail import bp as mail_bp
    from .notifications import bp as notifications_bp
    from .progress import bp as progress_bp
    from .reconciliation import bp as reconciliation_bp
    from .reports import bp as reports_bp
    from .review import bp as review_bp
    from .studio import bp as studio_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(ensembles_bp)
    app.register_blueprint(studio_bp)
    app.register_blueprint(bookings_bp)
    app.register_blueprint(progress_bp)
    app.register_blueprint(advising_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(reconciliation_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(api_tokens_bp)

    from .api import register as register_api

    register_api(app)


def register_errors(app: Flask) -> None:
    """Friendly error pages; never a traceback."""
    from .errors import register

    register(app)


def register_hooks(app: Flask) -> None:
    """Security headers, template helpers, and the client address the history records."""
    from .security import client_address, register_security_headers
    from .services import history
    from .templating import register_template_helpers

    register_security_headers(app)
    register_template_helpers(app)
    history.read_client_address_with(client_address)

    from . import mail_delivery

    mail_delivery.register(app)  # MAIL_SEND_AT_ONCE: a request's mail goes out once its transaction commits


def register_cli(app: Flask) -> None:
    """`flask tracker ...` commands."""
    from .cli import tracker_cli

    app.cli.add_command(tracker_cli)


def configure_logging(app: Flask) -> None:
    """Log to stderr at INFO so gunicorn collects security events (failed logins, refusals)."""
    logger = logging.getLogger("tracker")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
