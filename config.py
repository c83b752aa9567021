"""Named configurations for the tracker app, read from environment variables (and `.env` when present)."""
from __future__ import annotations

import os
from datetime import timedelta

from dotenv import load_dotenv

# A `.env` file beside this one may hold local settings; real environment variables win.
load_dotenv(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".env"), override=False)


def _bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEV_SECRET_KEY = "dev-only-not-secret"
MIN_SECRET_KEY_LENGTH = 16
# Flask's FlaskGroup sets this to "true" for every `flask` command (flask/cli.py, make_context), so `make run`,
# `flask run` and `flask db ...` may use the development secret; gunicorn and other WSGI servers never set it.
FLASK_CLI_MARKER = "FLASK_RUN_FROM_CLI"


class Config:
    """Settings shared by every configuration; safe defaults for development."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # None means "a SQLite file in the instance folder", resolved in create_app.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Short socket timeouts, so an unreachable Redis costs a second, not a hung worker.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    # When the storage (Redis) fails, count in process memory (Flask-Limiter logs a warning, and returns to the
    # storage once it answers again) and never turn a storage error into a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_HEADERS_ENABLED = True
    # Failed logins only. Strict per account and address, strict per account (guessing one account from many
    # addresses), loose per address alone (a campus behind one NAT must not lock itself out).
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "5 per minute;20 per hour")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per minute;50 per hour")
    LOGIN_ADDRESS_RATE_LIMIT = os.environ.get("LOGIN_ADDRESS_RATE_LIMIT", "100 per minute;1000 per hour")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_DAYS", "14")))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=int(os.environ.get("SESSION_HOURS", "12")))
    # A login ends after this time whatever the cookie says (checked by the user loader, from the signed login id);
    # "keep me logged in" ends after REMEMBER_COOKIE_DURATION the same way.
    # A CSRF token lives as long as a session may (a form left open overnight needs a reload).
    WTF_CSRF_TIME_LIMIT = int(PERMANENT_SESSION_LIFETIME.total_seconds())
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024  # uploads are CSV and TOML files
    # Number of proxies in front of the app whose X-Forwarded-* headers are trusted (0 = none).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    ITEMS_PER_PAGE = 25
    SEED_DEMO_ALLOWED = True


class DevelopmentConfig(Config):
    """Local development: SQLite in the instance folder, debug off unless FLASK_DEBUG asks."""


class TestingConfig(Config):
    """The test suite: a throwaway database chosen by the fixtures."""

    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL")
    RATELIMIT_STORAGE_URI = "memory://"
    WTF_CSRF_ENABLED = True  # tests post real tokens; a test proves a POST without one is refused


class ProductionConfig(Config):
    """Production: secrets and database from the environment, secure cookies, Redis for shared limits."""

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    SEED_DEMO_ALLOWED = False
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")

    @classmethod
    def check(cls) -> None:
        """Refuse to start production with a development secret or no database."""
        if weak_secret_key(os.environ.get("SECRET_KEY")):
            raise RuntimeError("SECRET_KEY must be set in the environment for production (16+ random characters).")
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("DATABASE_URL must be set in the environment for production.")


def weak_secret_key(secret: str | None) -> bool:
    """True for a missing, public (development) or short SECRET_KEY."""
    return not secret or secret == DEV_SECRET_KEY or len(secret) < MIN_SECRET_KEY_LENGTH


def check_secret_key(config_name: str, secret: str | None) -> None:
    """Fail closed: outside the `flask` CLI and the test configuration, refuse a missing or development SECRET_KEY.

    A deployment that forgets TRACKER_ENV gets the development configuration; without this it would sign sessions
    with the public development secret.
    """
    if config_name == "testing" or os.environ.get(FLASK_CLI_MARKER) == "true":
        return
    if weak_secret_key(secret):
        raise RuntimeError(
            f"Refusing to start the {config_name!r} configuration without a real SECRET_KEY: none is set (or it is "
            "the public development value, or shorter than 16 characters) and this is not a `flask` command "
            "(`make run`, `flask run`). Set TRACKER_ENV=production and SECRET_KEY (for example "
            "`python3 -c 'import secrets; print(secrets.token_hex(32))'`), DATABASE_URL and RATELIMIT_STORAGE_URI; "
            "for local development use `make run`."
        )


def environment_overrides(config_name: str) -> dict:
    """Settings read from the environment when the app is created (not only when this module was imported).

    """
    out = {}
    if os.environ.get("SECRET_KEY") and config_name != "testing":
        out["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("DATABASE_URL") and config_name != "testing":
        out["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("RATELIMIT_STORAGE_URI") and config_name != "testing":
        out["RATELIMIT_STORAGE_URI"] = os.environ["RATELIMIT_STORAGE_URI"]
    return out


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
