"""The master's-program tracker: an app factory that reads like a table of contents."""
from __future__ import annotations

import logging
import os
import sqlite3

import sqlalchemy as sa
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, environment_overrides

from .extensions import csrf, db, limiter, login_manager, migrate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the Flask app for a named configuration (TRACKER_ENV, default development)."""
    config_name = config_name or os.environ.get("TRACKER_ENV", "development")
    config_cls = CONFIGS[config_name]
    if config_name == "production":
        config_cls.check()
    app = Flask(
        __name__,
        instance_path=os.environ.get("TRACKER_INSTANCE_PATH", os.path.join(ROOT, "instance")),
        template_folder=os.path.join(ROOT, "templates"),
    )
    app.config.from_object(config_cls)
    app.config.update(environment_overrides(config_name))
    app.config["CONFIG_NAME"] = config_name
    if overrides:
        app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "tracker.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    register_extensions(app)
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


def register_extensions(app: Flask) -> None:
    """Bind the extensions to this app."""
    from . import models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from .auth.session import load_user

    login_manager.user_loader(load_user)


def register_blueprints(app: Flask) -> None:
    """Mount each feature's blueprint."""
    from .admin import bp as admin_bp
    from .advising import bp as advising_bp
    from .auth import bp as auth_bp
    from .courses import bp as courses_bp
    from .dashboard import bp as dashboard_bp
    from .ensembles import bp as ensembles_bp
    from .notifications import bp as notifications_bp
    from .progress import bp as progress_bp
    from .reports import bp as reports_bp
    from .review import bp as review_bp
    from .studio import bp as studio_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(ensembles_bp)
    app.register_blueprint(studio_bp)
    app.register_blueprint(progress_bp)
    app.register_blueprint(advising_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(notifications_bp)


def register_errors(app: Flask) -> None:
    """Friendly error pages; never a traceback."""
    from .errors import register

    register(app)


def register_hooks(app: Flask) -> None:
    """Security headers and template helpers."""
    from .security import register_security_headers
    from .templating import register_template_helpers

    register_security_headers(app)
    register_template_helpers(app)


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
