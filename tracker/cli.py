"""`flask tracker ...`: create accounts, load program definitions, seed the demo program."""
from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from .domain.positions import with_lines
from .extensions import db
from .models import Role, User
from .services import ServiceError

tracker_cli = AppGroup("tracker", help="Tracker administration commands.")


@tracker_cli.command("create-user")
@click.option("--email", prompt=True, help="Login email.")
@click.option("--name", "display_name", prompt="Display name", help="Name shown in the app.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="student", show_default=True)
@click.password_option("--password", help="Prompted for (twice) when not given; there is no default password.")
def create_user(email: str, display_name: str, role: str, password: str) -> None:
    """Create an account; the password is prompted for."""
    from .services.accounts import create_user as create

    try:
        user = create(email, display_name, role, password)
    except ServiceError as err:
        raise click.ClickException(err.message)
    click.echo(f"Created {user.role.value} {user.email}.")


@tracker_cli.command("load-program")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--new-version", "new_version", metavar="NAME",
              help="Create a new catalog version with this name (needs --start-term) instead of replacing one.")
@click.option("--start-term", "start_term", metavar="TERM",
              help="The name of the first term the new catalog version applies to (with --new-version).")
@click.option("--replace-version", "replace_version", metavar="NAME",
              help="The catalog version to replace (default: the program's newest).")
def load_program(path: Path, new_version: str | None, start_term: str | None, replace_version: str | None) -> None:
    """Load a program from a TOML definition file, or update one: by default the definition replaces the
    program's newest catalog version; --new-version creates another version instead."""
    import sqlalchemy as sa

    from .domain import DefinitionError, parse_program_definition
    from .extensions import db
    from .models import CatalogVersion, Program, Term
    from .services import ServiceError
    from .services.programs import LoadTarget, apply_definition

    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        click.echo(f"{path}: the file is not UTF-8 text; nothing was loaded.", err=True)
        sys.exit(1)
    try:
        definition = parse_program_definition(text)
    except DefinitionError as err:
        click.echo(f"{path}: the program definition has {len(err.errors)} problem(s); nothing was loaded.", err=True)
        for message in with_lines(text, err.errors):
            click.echo(f"  - {message}", err=True)
        _echo_warnings(path, text, err.warnings)
        sys.exit(1)
    _echo_warnings(path, text, definition.warnings)
    if new_version and replace_version:
        raise click.UsageError("Give --new-version or --replace-version, not both.")
    target = None
    if new_version:
        term_id = db.session.scalar(sa.select(Term.id).where(Term.name == (start_term or "")))
        if term_id is None:
            raise click.UsageError("--new-version needs --start-term with the name of an existing term.")
        target = LoadTarget(new_version=True, name=new_version, start_term_id=term_id)
    elif replace_version:
        version_id = db.session.scalar(
            sa.select(CatalogVersion.id).join(Program, Program.id == CatalogVersion.program_id)
            .where(Program.code == definition.code, CatalogVersion.name == replace_version))
        if version_id is None:
            raise click.UsageError(f"{definition.code} has no catalog version called {replace_version!r}.")
        target = LoadTarget(version_id=version_id)
    try:
        program, summary = apply_definition(definition, text, actor=None, target=target)
    except ServiceError as err:
        click.echo(f"{path}: {err.message} Nothing was loaded.", err=True)
        sys.exit(1)
    except DefinitionError as err:
        click.echo(f"{path}: the program definition could not be applied; nothing was loaded.", err=True)
        for message in err.errors:
            click.echo(f"  - {message}", err=True)
        sys.exit(1)
    click.echo(f"Loaded {program.code} ({program.name}): {summary}")


def _echo_warnings(path: Path, text: str, warnings: tuple[str, ...]) -> None:
    """Warnings do not stop a load; each is printed with its line, as problems are."""
    if warnings:
        click.echo(f"{path}: {len(warnings)} warning(s) (the definition is loaded all the same "
                   "unless there are problems above):", err=True)
        for message in with_lines(text, warnings):
            click.echo(f"  - warning: {message}", err=True)


@tracker_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when any account exists (used by `make run`).")
def seed_demo(if_empty: bool) -> None:
    """Load the demo program, terms, studios, ensembles, accounts and records (idempotent)."""
    if not current_app.config.get("SEED_DEMO_ALLOWED", False):
        raise click.ClickException("seed-demo refuses to run under the production configuration.")
    if if_empty and db.session.scalar(sa.select(sa.func.count(User.id))):
        click.echo("Database already has accounts; demo data not loaded.")
        return
    from .demo import seed

    created = seed()
    click.echo(created)


@tracker_cli.command("send-mail")
@click.option("--once", is_flag=True, help="Send one batch of what is due, then stop (for cron and the tests).")
@click.option("--batch", type=click.IntRange(1, 10_000), default=None,
              help="Messages per round (default MAIL_BATCH_SIZE).")
@click.option("--interval", type=click.FloatRange(0.1, 3600), default=10.0, show_default=True,
              help="Seconds to wait when nothing is due.")
def send_mail(once: bool, batch: int | None, interval: float) -> None:
    """Send the outbox: each due message claimed once (several senders may run), retried with backoff on failure.
    Without --once it keeps going until stopped (SIGTERM or Ctrl-C finish the message in hand first)."""
    import signal
    import time

    from .mail_delivery import send_due

    app = current_app._get_current_object()
    stopping = []
    if not once:
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        while True:
            result = send_due(app, batch)
            if result.handled:
                click.echo(f"Sent {result.sent}, to retry {result.retried}, failed {result.failed}.")
            if once or stopping:
                break
            if not result.handled or result.handled < (batch or app.config["MAIL_BATCH_SIZE"]):
                for _ in range(max(1, int(interval * 10))):  # wake up promptly when asked to stop
                    if stopping:
                        break
                    time.sleep(0.1)
            if stopping:
                break
    except KeyboardInterrupt:
        pass


@tracker_cli.command("mail-digest")
def mail_digest() -> None:
    """Queue the daily summaries: each supervisor's sessions waiting for review, and every message held for a
    user's daily summary, one e-mail per user and kind (run once a day, then send-mail sends them)."""
    from .mail_delivery import public_url
    from .services import mail as mail_service

    app = current_app._get_current_object()
    result = mail_service.build_digests(public_url(app, "review.queue"))
    click.echo(f"Queued {result.waiting} summaries of waiting sessions and {result.summaries} daily summaries "
               f"({result.merged} messages folded in).")
