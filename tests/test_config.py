"""Configurations: production refuses unsafe settings and starts with safe ones; a deployment that forgets
TRACKER_ENV refuses the public development secret (fail closed) outside the `flask` command."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import config
from tracker import create_app, normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
A_SECRET = "a-real-secret-of-enough-length"


@pytest.fixture
def no_deployment_settings(monkeypatch, tmp_path):
    """What gunicorn sees when nobody set TRACKER_ENV or SECRET_KEY (and no `flask` command is running)."""
    for name in ("TRACKER_ENV", "SECRET_KEY", "DATABASE_URL", "RATELIMIT_STORAGE_URI", config.FLASK_CLI_MARKER):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "dev-only-not-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_refuses_to_start_without_a_database(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-of-enough-length")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app("production")


def test_production_starts_with_a_secret_and_a_database(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-of-enough-length")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    app = create_app("production", {"RATELIMIT_STORAGE_URI": "memory://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["SEED_DEMO_ALLOWED"] is False


def test_development_defaults_to_sqlite_in_the_instance_folder(no_deployment_settings, monkeypatch, tmp_path):
    monkeypatch.setenv(config.FLASK_CLI_MARKER, "true")
    app = create_app("development")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(tmp_path / "tracker.sqlite3")


def test_plain_postgresql_urls_use_psycopg3():
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


# ---------------------------------------------------------------- fail closed without TRACKER_ENV

def test_no_tracker_env_and_no_secret_outside_the_flask_cli_refuses_to_start(no_deployment_settings):
    with pytest.raises(RuntimeError, match="SECRET_KEY.*TRACKER_ENV=production"):
        create_app()


@pytest.mark.parametrize("secret", [config.DEV_SECRET_KEY, "short"])
def test_the_development_secret_or_a_short_one_is_refused_outside_the_flask_cli(no_deployment_settings, monkeypatch,
                                                                               secret):
    monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("development")


def test_the_flask_cli_marker_allows_the_development_secret(no_deployment_settings, monkeypatch):
    monkeypatch.setenv(config.FLASK_CLI_MARKER, "true")
    app = create_app()
    assert app.config["CONFIG_NAME"] == "development"
    assert app.config["SECRET_KEY"] == config.DEV_SECRET_KEY


def test_a_real_secret_starts_without_tracker_env(no_deployment_settings, monkeypatch):
    """What `make bench` does: gunicorn, the default configuration, a random SECRET_KEY."""
    monkeypatch.setenv("SECRET_KEY", A_SECRET)
    app = create_app()
    assert app.config["SECRET_KEY"] == A_SECRET


def test_the_testing_configuration_needs_no_secret(no_deployment_settings):
    assert create_app("testing").config["TESTING"] is True


def _run(argv: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_real_processes_gunicorn_style_refuses_and_the_flask_command_starts(tmp_path):
    """End to end, with Flask's own CLI setting its marker (flask/cli.py) rather than the test setting it."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("TRACKER_ENV", "SECRET_KEY", "DATABASE_URL", config.FLASK_CLI_MARKER)}
    env["TRACKER_INSTANCE_PATH"] = str(tmp_path)
    wsgi = _run([sys.executable, "-c", "from tracker import create_app; create_app()"], env)
    assert wsgi.returncode != 0
    assert "RuntimeError" in wsgi.stderr and "SECRET_KEY" in wsgi.stderr
    cli = _run([str(Path(sys.executable).parent / "flask"), "--app", "tracker", "routes"], env)
    assert cli.returncode == 0, cli.stderr
    assert "auth.login" in cli.stdout


def test_login_and_session_settings():
    app_config = config.Config
    assert app_config.WTF_CSRF_TIME_LIMIT == int(app_config.PERMANENT_SESSION_LIFETIME.total_seconds())
    assert app_config.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED is True
    assert app_config.RATELIMIT_SWALLOW_ERRORS is True
    # Per address alone is much looser than per account and address.
    strict = int(app_config.LOGIN_RATE_LIMIT.split()[0])
    loose = int(app_config.LOGIN_ADDRESS_RATE_LIMIT.split()[0])
    assert loose >= 10 * strict


def test_the_environment_is_read_when_the_app_is_created(monkeypatch):
    """Once, by settings_for: a variable set after config.py was imported counts, and each configuration keeps
    what it must (the tests their own secret, and their database from TEST_DATABASE_URL only)."""
    monkeypatch.setenv("SESSION_HOURS", "2")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "yes")
    monkeypatch.setenv("SECRET_KEY", A_SECRET)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/not-the-tests")
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    testing = config.settings_for("testing")
    assert testing["PERMANENT_SESSION_LIFETIME"].total_seconds() == 2 * 3600 == testing["WTF_CSRF_TIME_LIMIT"]
    assert testing["SESSION_COOKIE_SECURE"] is testing["REMEMBER_COOKIE_SECURE"] is True
    assert testing["SECRET_KEY"] == "testing-secret" and testing["SQLALCHEMY_DATABASE_URI"] is None
    development = config.settings_for("development")
    assert development["SECRET_KEY"] == A_SECRET
    assert development["SQLALCHEMY_DATABASE_URI"].endswith("/not-the-tests")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE")
    production = config.settings_for("production")
    assert production["RATELIMIT_STORAGE_URI"].startswith("redis://") and production["SESSION_COOKIE_SECURE"] is True


def test_the_readme_documents_every_environment_variable():
    """A director or an operator finds every setting in the README's configuration table."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, flags=re.M))
    missing = {variable for variable, _key, _read in config.ENVIRONMENT} - documented
    assert not missing, f"add a row to the README's configuration table for {sorted(missing)}"


def test_the_mail_settings_are_read_from_the_environment():
    settings = config.settings_for("development", {"MAIL_PORT": "587", "MAIL_USE_TLS": "yes",
                                                   "MAIL_SEND_AT_ONCE": "1", "PUBLIC_URL": "https://t.example.edu"})
    assert (settings["MAIL_PORT"], settings["MAIL_USE_TLS"], settings["MAIL_SEND_AT_ONCE"], settings["PUBLIC_URL"]) \
        == (587, True, True, "https://t.example.edu")
    assert settings["MAIL_BACKEND"] == "file" and config.settings_for("production", {})["MAIL_BACKEND"] == "smtp"
    # The suite never mails through a developer's server.
    assert config.settings_for("testing", {"MAIL_BACKEND": "smtp"})["MAIL_BACKEND"] == "file"
