"""Named configurations for the tracker app: defaults in the classes, and `settings_for` reading the environment
(and `.env` when present) once, when an app is created."""
from __future__ import annotations

import os
from datetime import timedelta

from dotenv import load_dotenv

# A `.env` file beside this one may hold local settings; real environment variables win.
load_dotenv(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".env"), override=False)


def _yes(value: str) -> bool:
    """A yes/no environment variable's value."""
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEV_SECRET_KEY = "dev-only-not-secret"
MIN_SECRET_KEY_LENGTH = 16
# Flask's FlaskGroup sets this to "true" for every `flask` command (flask/cli.py, make_context), so `make run`,
# `flask run` and `flask db ...` may use the development secret; gunicorn and other WSGI servers never set it.
FLASK_CLI_MARKER = "FLASK_RUN_FROM_CLI"


class Config:
    """Settings shared by every configuration; safe defaults for development. The environment variables that
    override them are in ENVIRONMENT below."""

    SECRET_KEY = DEV_SECRET_KEY
    # None means "a SQLite file in the instance folder", resolved in create_app.
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    RATELIMIT_STORAGE_URI = "memory://"
    # Short socket timeouts, so an unreachable Redis costs a second, not a hung worker.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    # When the storage (Redis) fails, count in process memory (Flask-Limiter logs a warning, and returns to the
    # storage once it answers again) and never turn a storage error into a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_HEADERS_ENABLED = True
    # Failed logins only. Strict per account and address, strict per account (guessing one account from many
    # addresses), loose per address alone (a campus behind one NAT must not lock itself out).
    LOGIN_RATE_LIMIT = "5 per minute;20 per hour"
    LOGIN_ACCOUNT_RATE_LIMIT = "10 per minute;50 per hour"
    LOGIN_ADDRESS_RATE_LIMIT = "100 per minute;1000 per hour"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # A login ends after this time whatever the cookie says (checked by the user loader, from the signed login id);
    # "keep me logged in" ends after REMEMBER_COOKIE_DURATION the same way.
    # A CSRF token lives as long as a session may (a form left open overnight needs a reload).
    WTF_CSRF_TIME_LIMIT = int(PERMANENT_SESSION_LIFETIME.total_seconds())
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024  # uploads are CSV and TOML files
    # Number of proxies in front of the app whose X-Forwarded-* headers are trusted (0 = none).
    TRUSTED_PROXIES = 0
    ITEMS_PER_PAGE = 25
    SEED_DEMO_ALLOWED = True
    # Degree audits kept per worker process (tracker/services/audit_cache.py); 0 computes every audit afresh.
    AUDIT_CACHE_SIZE = 512
    # Signs progress documents (HMAC-SHA256); unset, SECRET_KEY signs them. Set it on its own so a SECRET_KEY
    # rotation (which logs everyone out) does not also make every issued document fail verification.
    DOCUMENT_SIGNING_KEY: str | None = None
    # Single sign-on through the university's OpenID Connect provider (tracker/auth/sso.py): on when an issuer and a
    # client id are set. The e-mail claim finds the account; the optional role claim and map set its role.
    OIDC_ISSUER: str | None = None
    OIDC_CLIENT_ID: str | None = None
    OIDC_CLIENT_SECRET: str | None = None
    OIDC_PROVIDER_NAME = "your university account"
    OIDC_SCOPES = "openid email profile"
    OIDC_EMAIL_CLAIM = "email"
    OIDC_ROLE_CLAIM: str | None = None
    OIDC_ROLE_MAP = ""  # "claim value=role,...", e.g. "music-faculty=faculty,music-office=admin"
    OIDC_NEW_ACCOUNTS = False  # an unknown e-mail gets a student account (no password) instead of a refusal
    OIDC_END_PROVIDER_SESSION = True  # logging out also ends the provider's session where it offers that
    # With single sign-on on, password login can be turned off (it stays on when single sign-on is not configured).
    PASSWORD_LOGIN = True
    # The school's time zone (an IANA name such as "Europe/Berlin"): studio bookings and sessions are kept as local
    # wall-clock times, and the calendar feeds (tracker/calendar) say which zone those times are in.
    APP_TIMEZONE = "UTC"
    # E-mail (docs/email.md). Links in mails start with PUBLIC_URL, the address users open the app at.
    PUBLIC_URL = "http://127.0.0.1:5000"
    # "file": each mail becomes an .eml file in MAIL_FILE_DIR (instance/mail/ when unset), so development needs no
    # mail server; "smtp": MAIL_SERVER and the settings below.
    MAIL_BACKEND = "file"
    MAIL_FILE_DIR: str | None = None
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS after connecting (port 587)
    MAIL_USE_SSL = False  # TLS from the start (port 465)
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "Program tracker <tracker@localhost>"
    MAIL_TIMEOUT = 20  # seconds, for connecting and each SMTP command
    # A failed send is tried again after MAIL_RETRY_SECONDS, then twice as long each time, MAIL_MAX_ATTEMPTS in all.
    MAIL_MAX_ATTEMPTS = 6
    MAIL_RETRY_SECONDS = 60
    MAIL_BATCH_SIZE = 50  # messages `flask tracker send-mail` sends per round
    # Send a request's mail right after it commits (what fails stays queued for send-mail).
    MAIL_SEND_AT_ONCE = False
    # Requests each API token may make (tracker/api); requests without a usable token share their address's.
    API_RATE_LIMIT = "120 per minute;5000 per hour"


class DevelopmentConfig(Config):
    """Local development: SQLite in the instance folder, debug off unless FLASK_DEBUG asks."""


class TestingConfig(Config):
    """The test suite: a throwaway database chosen by the fixtures."""

    TESTING = True
    SECRET_KEY = "testing-secret"
    RATELIMIT_STORAGE_URI = "memory://"
    WTF_CSRF_ENABLED = True  # tests post real tokens; a test proves a POST without one is refused
    # The suite keeps its own secret and limiter storage whatever the shell has, and takes its database from
    # TEST_DATABASE_URL rather than DATABASE_URL (which may name a real one).
    # Nor does a developer's mail server receive the suite's mail.
    environment_ignored = ("SECRET_KEY", "RATELIMIT_STORAGE_URI", "PUBLIC_URL", "MAIL_BACKEND", "MAIL_FILE_DIR",
                           "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME",
                           "MAIL_PASSWORD", "MAIL_FROM", "MAIL_SEND_AT_ONCE")
    database_variable = "TEST_DATABASE_URL"


class ProductionConfig(Config):
    """Production: secrets and database from the environment, secure cookies, Redis for shared limits."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SEED_DEMO_ALLOWED = False
    RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"
    MAIL_BACKEND = "smtp"

    @classmethod
    def check(cls, settings: dict) -> None:
        """Refuse to start production with a development secret or no database."""
        if weak_secret_key(settings.get("SECRET_KEY")):
            raise RuntimeError("SECRET_KEY must be set in the environment for production (16+ random characters).")
        if not settings.get("SQLALCHEMY_DATABASE_URI"):
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


def check_timezone(name: str | None) -> None:
    """Refuse to start with an APP_TIMEZONE that is not a time zone the system knows (a typo would otherwise shift
    every calendar feed's times)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name or "")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise RuntimeError(f"APP_TIMEZONE={name!r} is not a known time zone; use an IANA name such as "
                           "'Europe/Berlin' or 'America/New_York' (or 'UTC').") from None


# Environment variable -> the setting it overrides and how its text is read (README's configuration table).
# DATABASE_URL stands for the configuration's database_variable.
ENVIRONMENT = (
    ("SECRET_KEY", "SECRET_KEY", str),
    ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI", str),
    ("RATELIMIT_STORAGE_URI", "RATELIMIT_STORAGE_URI", str),
    ("LOGIN_RATE_LIMIT", "LOGIN_RATE_LIMIT", str),
    ("LOGIN_ACCOUNT_RATE_LIMIT", "LOGIN_ACCOUNT_RATE_LIMIT", str),
    ("LOGIN_ADDRESS_RATE_LIMIT", "LOGIN_ADDRESS_RATE_LIMIT", str),
    ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_SECURE", _yes),
    ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", _yes),
    ("REMEMBER_DAYS", "REMEMBER_COOKIE_DURATION", lambda days: timedelta(days=int(days))),
    ("SESSION_HOURS", "PERMANENT_SESSION_LIFETIME", lambda hours: timedelta(hours=int(hours))),
    ("TRUSTED_PROXIES", "TRUSTED_PROXIES", int),
    ("AUDIT_CACHE_SIZE", "AUDIT_CACHE_SIZE", int),
    ("DOCUMENT_SIGNING_KEY", "DOCUMENT_SIGNING_KEY", str),
    ("OIDC_ISSUER", "OIDC_ISSUER", str),
    ("OIDC_CLIENT_ID", "OIDC_CLIENT_ID", str),
    ("OIDC_CLIENT_SECRET", "OIDC_CLIENT_SECRET", str),
    ("OIDC_PROVIDER_NAME", "OIDC_PROVIDER_NAME", str),
    ("OIDC_SCOPES", "OIDC_SCOPES", str),
    ("OIDC_EMAIL_CLAIM", "OIDC_EMAIL_CLAIM", str),
    ("OIDC_ROLE_CLAIM", "OIDC_ROLE_CLAIM", str),
    ("OIDC_ROLE_MAP", "OIDC_ROLE_MAP", str),
    ("OIDC_NEW_ACCOUNTS", "OIDC_NEW_ACCOUNTS", _yes),
    ("OIDC_END_PROVIDER_SESSION", "OIDC_END_PROVIDER_SESSION", _yes),
    ("PASSWORD_LOGIN", "PASSWORD_LOGIN", _yes),
    ("APP_TIMEZONE", "APP_TIMEZONE", str),
    ("PUBLIC_URL", "PUBLIC_URL", str),
    ("MAIL_BACKEND", "MAIL_BACKEND", str),
    ("MAIL_FILE_DIR", "MAIL_FILE_DIR", str),
    ("MAIL_SERVER", "MAIL_SERVER", str),
    ("MAIL_PORT", "MAIL_PORT", int),
    ("MAIL_USE_TLS", "MAIL_USE_TLS", _yes),
    ("MAIL_USE_SSL", "MAIL_USE_SSL", _yes),
    ("MAIL_USERNAME", "MAIL_USERNAME", str),
    ("MAIL_PASSWORD", "MAIL_PASSWORD", str),
    ("MAIL_FROM", "MAIL_FROM", str),
    ("MAIL_TIMEOUT", "MAIL_TIMEOUT", int),
    ("MAIL_MAX_ATTEMPTS", "MAIL_MAX_ATTEMPTS", int),
    ("MAIL_RETRY_SECONDS", "MAIL_RETRY_SECONDS", int),
    ("MAIL_BATCH_SIZE", "MAIL_BATCH_SIZE", int),
    ("MAIL_SEND_AT_ONCE", "MAIL_SEND_AT_ONCE", _yes),
    ("API_RATE_LIMIT", "API_RATE_LIMIT", str),
)


def settings_for(config_name: str, environ=os.environ) -> dict:
    """Every setting of the named configuration: its class's values, overridden by the environment variables that
    are set, read once (when the app is created)."""
    cls = CONFIGS[config_name]
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
    ignored = getattr(cls, "environment_ignored", ())
    for variable, key, read in ENVIRONMENT:
        if variable == "DATABASE_URL":
            variable = getattr(cls, "database_variable", variable)
        if variable in environ and variable not in ignored:
            settings[key] = read(environ[variable])
    # A CSRF token lives as long as a session may (see Config).
    settings["WTF_CSRF_TIME_LIMIT"] = int(settings["PERMANENT_SESSION_LIFETIME"].total_seconds())
    return settings


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
