"""Sending the outbox: claim each due message with a conditional UPDATE (so several senders never send one twice),
hand it to a backend (SMTP, or .eml files in instance/mail/ for development), then mark it sent, or retry it later
with exponential backoff until MAIL_MAX_ATTEMPTS, then failed.

Run by `flask tracker send-mail` (a loop, or one batch with --once), and after each commit that queued mail when
MAIL_SEND_AT_ONCE is on. Works on plain connections (SQLAlchemy Core), never the request's ORM session: it must also
run right after that session committed.
"""
from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app

from .extensions import db
from .models import MailKind, MailStatus, OutboxMessage, User, utcnow
from .services import mail as mail_service

log = logging.getLogger("tracker.mail")

# A message claimed by a sender that then died is given back to the queue after this long (far above any SMTP
# timeout, so a slow send is never sent twice).
CLAIM_LEASE = timedelta(minutes=10)
# What a password-link mail keeps once sent: the link must not live on in the database.
SENT_LINK_REDACTED = "(The password link in this e-mail was removed from the outbox once it was sent.)\n"

T = OutboxMessage.__table__
U = User.__table__


@dataclass
class SendResult:
    """What one batch did."""

    sent: int = 0
    retried: int = 0  # failed this time, queued again for later
    failed: int = 0  # failed for the last time

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


class MailError(Exception):
    """A backend could not deliver a message."""


# ---------------------------------------------------------------- backends

class FileBackend:
    """Development: each message becomes one .eml file (open it with any mail program); no server needed."""

    def __init__(self, directory: str):
        self.directory = directory

    def send(self, message: EmailMessage, outbox_id: int) -> None:
        os.makedirs(self.directory, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        path = os.path.join(self.directory, f"{stamp}-{outbox_id}.eml")
        partial = path + ".part"
        with open(partial, "wb") as out:
            out.write(message.as_bytes())
        os.replace(partial, path)  # a reader never sees half a file

    def close(self) -> None:
        pass


class SMTPBackend:
    """A mail server: one connection per batch, opened on the first message; implicit TLS (MAIL_USE_SSL) or
    STARTTLS (MAIL_USE_TLS), and a login when MAIL_USERNAME is set."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        timeout = c["MAIL_TIMEOUT"]
        if c["MAIL_USE_SSL"]:
            connection = smtplib.SMTP_SSL(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=timeout,
                                          context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=timeout)
            if c["MAIL_USE_TLS"]:
                connection.starttls(context=ssl.create_default_context())
        if c["MAIL_USERNAME"]:
            connection.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"] or "")
        return connection

    def send(self, message: EmailMessage, outbox_id: int) -> None:
        try:
            if self.connection is None:
                self.connection = self._connect()
            refused = self.connection.send_message(message)
        except (smtplib.SMTPException, OSError) as err:
            self.close()  # the next message starts on a fresh connection
            raise MailError(f"{type(err).__name__}: {err}") from err
        if refused:
            raise MailError(f"Recipient refused: {refused}")

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None


def backend_for(app: Flask):
    """The backend MAIL_BACKEND names: 'file' (development default) or 'smtp'."""
    name = (app.config.get("MAIL_BACKEND") or "file").lower()
    if name == "smtp":
        return SMTPBackend(app.config)
    if name == "file":
        return FileBackend(app.config.get("MAIL_FILE_DIR") or os.path.join(app.instance_path, "mail"))
    raise RuntimeError(f"MAIL_BACKEND must be 'file' or 'smtp', not {name!r}")


# ---------------------------------------------------------------- composing

def public_url(app: Flask, endpoint: str, **values) -> str:
    """An absolute link under PUBLIC_URL, built without a request (the sender runs from the command line)."""
    parts = urlsplit(app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000")
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path.rstrip("/") or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def compose(app: Flask, row) -> EmailMessage:
    """The e-mail of one outbox row: a plain-text part (and the HTML one when there is one), each ending with how to
    stop this kind of mail; a List-Unsubscribe header with the same link."""
    kind = MailKind(row.kind)
    token = mail_service.unsubscribe_token(row.recipient_id, kind)
    unsubscribe = public_url(app, "mail.unsubscribe", token=token)
    preferences = public_url(app, "mail.preferences")
    footer = (f"\n-- \nYou receive this e-mail from the program tracker because of your settings for "
              f"“{kind.label}”.\nStop these e-mails: {unsubscribe}\nChoose which e-mails you get: {preferences}\n")
    sender = app.config["MAIL_FROM"]
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = sender
    message["To"] = formataddr((row.display_name, row.email))
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(f"outbox.{row.id}", domain=sender.rpartition("@")[2].strip(">") or None)
    # RFC 8058: a mail program's own "Unsubscribe" button posts to this link, without opening a page.
    message["List-Unsubscribe"] = f"<{public_url(app, 'mail.unsubscribe_one_click', token=token)}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body_text.rstrip("\n") + "\n" + footer)
    if row.body_html:
        from markupsafe import escape

        message.add_alternative(
            f"{row.body_html}<hr><p><small>You receive this e-mail because of your settings for "
            f"“{escape(kind.label)}”. <a href=\"{escape(unsubscribe)}\">Stop these e-mails</a> · "
            f"<a href=\"{escape(preferences)}\">Choose which e-mails you get</a></small></p>", subtype="html")
    return message


# ---------------------------------------------------------------- claiming and sending

def backoff(app: Flask, attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt: MAIL_RETRY_SECONDS, doubled each time (capped at a day)."""
    return timedelta(seconds=min(app.config["MAIL_RETRY_SECONDS"] * 2 ** max(attempts - 1, 0), 86400))


def _due_ids(conn, limit: int, now: datetime, only: set[int] | None) -> list[int]:
    query = (sa.select(T.c.id).where(T.c.status == MailStatus.QUEUED.value, T.c.next_attempt_at <= now)
             .order_by(T.c.next_attempt_at, T.c.id).limit(limit))
    if only is not None:
        query = query.where(T.c.id.in_(sorted(only)))
    return list(conn.scalars(query))


def _claim(engine, message_id: int, now: datetime):
    """Take one message for this sender (status queued -> sending, one more attempt), or None when another sender
    took it first: the UPDATE's WHERE status = 'queued' matches for one sender only, on any database."""
    with engine.begin() as conn:
        claimed = conn.execute(
            sa.update(T).where(T.c.id == message_id, T.c.status == MailStatus.QUEUED.value)
            .values(status=MailStatus.SENDING.value, attempts=T.c.attempts + 1, next_attempt_at=now + CLAIM_LEASE)
        ).rowcount
        if claimed != 1:
            return None
        return conn.execute(
            sa.select(T.c.id, T.c.recipient_id, T.c.kind, T.c.subject, T.c.body_text, T.c.body_html, T.c.attempts,
                      U.c.email, U.c.display_name, U.c.active)
            .join(U, U.c.id == T.c.recipient_id).where(T.c.id == message_id)).one()


def _finish(engine, row, error: str | None, app: Flask, result: SendResult, *, final: bool = False) -> None:
    """Record how one attempt ended: sent, queued again after the backoff, or failed (the last attempt, or `final`:
    trying again cannot help)."""
    now = utcnow()
    if error is None:
        values = {"status": MailStatus.SENT.value, "sent_at": now, "last_error": ""}
        if row.kind == MailKind.PASSWORD_RESET.value:
            values["body_text"] = SENT_LINK_REDACTED
            values["body_html"] = None
        result.sent += 1
    elif final or row.attempts >= app.config["MAIL_MAX_ATTEMPTS"]:
        values = {"status": MailStatus.FAILED.value, "last_error": error[:mail_service.MAX_ERROR]}
        result.failed += 1
        log.warning("mail %s to %s failed for good after %s attempts: %s", row.id, row.email, row.attempts, error)
    else:
        values = {"status": MailStatus.QUEUED.value, "last_error": error[:mail_service.MAX_ERROR],
                  "next_attempt_at": now + backoff(app, row.attempts)}
        result.retried += 1
        log.info("mail %s to %s failed (attempt %s), retrying later: %s", row.id, row.email, row.attempts, error)
    with engine.begin() as conn:
        conn.execute(sa.update(T).where(T.c.id == row.id, T.c.status == MailStatus.SENDING.value).values(**values))


def release_stale_claims(engine, now: datetime) -> int:
    """Give back to the queue the messages a sender claimed and never finished (it died mid-send)."""
    with engine.begin() as conn:
        return conn.execute(sa.update(T).where(T.c.status == MailStatus.SENDING.value, T.c.next_attempt_at < now)
                            .values(status=MailStatus.QUEUED.value)).rowcount


def send_due(app: Flask | None = None, limit: int | None = None, *, only: set[int] | None = None,
             backend=None) -> SendResult:
    """Send up to `limit` due messages (MAIL_BATCH_SIZE), each claimed first; `only` narrows to these ids."""
    app = app or current_app._get_current_object()
    limit = limit or app.config["MAIL_BATCH_SIZE"]
    engine = db.engine
    now = utcnow()
    result = SendResult()
    if only is None:
        release_stale_claims(engine, now)
    with engine.connect() as conn:
        ids = _due_ids(conn, limit, now, only)
    if not ids:
        return result
    backend = backend or backend_for(app)
    try:
        for message_id in ids:
            row = _claim(engine, message_id, now)
            if row is None:
                continue  # another sender has it
            error = None
            if not row.active:
                _finish(engine, row, "The recipient's account is deactivated.", app, result, final=True)
                continue
            else:
                try:
                    backend.send(compose(app, row), row.id)
                except MailError as err:
                    error = str(err) or "The mail server refused the message."
                except OSError as err:  # the file backend's disk
                    error = f"{type(err).__name__}: {err}"
            _finish(engine, row, error, app, result)
    finally:
        backend.close()
    return result


# ---------------------------------------------------------------- MAIL_SEND_AT_ONCE

def _collect_new(session, _flush_context) -> None:
    """After a flush: note the ids of messages just queued, to send them once the transaction commits."""
    new = {obj.id for obj in session.new if isinstance(obj, OutboxMessage) and obj.status == MailStatus.QUEUED}
    if new:
        session.info.setdefault(mail_service.ENQUEUED_KEY, set()).update(new)


def _send_committed(session) -> None:
    """After a commit: send what it queued, if MAIL_SEND_AT_ONCE asks (a failure stays queued for send-mail)."""
    ids = session.info.pop(mail_service.ENQUEUED_KEY, None)
    if not ids:
        return
    try:
        if not current_app.config.get("MAIL_SEND_AT_ONCE"):
            return
        send_due(current_app._get_current_object(), len(ids), only=set(ids))
    except Exception:  # never turn a committed change into an error page; send-mail retries it
        log.exception("sending mail at once failed; it stays in the outbox")


def _forget(session, *_args) -> None:
    session.info.pop(mail_service.ENQUEUED_KEY, None)


def register(app: Flask) -> None:
    """Listen to the app's database sessions for MAIL_SEND_AT_ONCE (the listeners are cheap when it is off)."""
    if getattr(register, "done", False):
        return
    sa.event.listen(db.session, "after_flush", _collect_new)
    sa.event.listen(db.session, "after_commit", _send_committed)
    sa.event.listen(db.session, "after_rollback", _forget)
    register.done = True
