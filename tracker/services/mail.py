"""E-mail: writing messages into the outbox inside the caller's transaction, each user's choice per kind, the daily
summaries, the unsubscribe tokens, and the outbox's admin view (retry).

Nothing here talks to a mail server: `tracker.mail_delivery` (run by `flask tracker send-mail`) sends what is
queued. A message is written in the same transaction as the event it announces, so a decision that is rolled back
leaves no mail behind, and a committed one always has its mail. Links are handed in by the view (services never
build URLs); a relative one is made absolute with the PUBLIC_URL setting.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..formatting import format_number
from ..models import (MailKind, MailMode, MailPreference, MailStatus, OutboxMessage, SessionStatus, StudioBooking,
                      StudioSession, User, utcnow)
from . import ServiceError, history

# Without a preference row: every kind right away, except the sessions waiting for review (one summary a day).
DEFAULT_MODES = {kind: MailMode.IMMEDIATE for kind in MailKind} | {MailKind.SESSIONS_WAITING: MailMode.DAILY}
# The choices each kind offers: waiting sessions come only as a summary; a password link is no use a day late.
ALLOWED_MODES = {kind: tuple(MailMode) for kind in MailKind} | {
    MailKind.SESSIONS_WAITING: (MailMode.DAILY, MailMode.OFF),
    MailKind.PASSWORD_RESET: (MailMode.IMMEDIATE, MailMode.OFF),
    # A reminder goes the day before the booking; in a summary it would come too early or too late.
    MailKind.BOOKING_REMINDER: (MailMode.IMMEDIATE, MailMode.OFF),
}
# How long before a booking's start its reminder is sent (none for a booking made later than that).
REMINDER_AHEAD = timedelta(hours=24)
MAX_SUBJECT = 200
MAX_ERROR = 500
# A signed unsubscribe token is about 40 characters; anything much longer is not one of ours.
MAX_TOKEN = 200
UNSUBSCRIBE_SALT = "tracker.mail.unsubscribe"
# Ids of messages queued again in this session's transaction, for MAIL_SEND_AT_ONCE (sent once it commits); new
# messages are found by tracker.mail_delivery's flush listener.
ENQUEUED_KEY = "tracker_mail_enqueued"
# What a daily summary's subject counts, per kind (one, several).
SUMMARY_NOUNS = {
    MailKind.SESSION_REVIEWED: ("session reviewed", "sessions reviewed"),
    MailKind.SESSIONS_WAITING: ("session waiting", "sessions waiting"),
    MailKind.MILESTONE_SIGNED_OFF: ("milestone signed off", "milestones signed off"),
    MailKind.PASSWORD_RESET: ("password link", "password links"),
    MailKind.BOOKING_REMINDER: ("booking reminder", "booking reminders"),
}
# A summary of waiting sessions goes to a supervisor at most once in this period, however often the digest runs.
DIGEST_PERIOD = timedelta(hours=20)


# ---------------------------------------------------------------- links and tokens

def absolute(link: str) -> str:
    """A link the view built ('/studio/sessions/4') made absolute under PUBLIC_URL; absolute ones are kept."""
    if not link or "://" in link:
        return link
    base = (current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    return base + "/" + link.lstrip("/")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, kind: MailKind) -> str:
    """The signed token of one user's unsubscribe link for one kind (no expiry: old mails keep working)."""
    return _serializer().dumps([user_id, kind.value])


def read_unsubscribe_token(token: str) -> tuple[User, MailKind] | None:
    """The active user and kind an unsubscribe token names, or None for anything forged, garbled or oversized."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        return None
    try:
        user_id, kind = _serializer().loads(token)
        kind = MailKind(kind)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id < 2**63:
        return None
    user = db.session.get(User, user_id)
    return (user, kind) if user is not None and user.active else None


# ---------------------------------------------------------------- preferences

def modes_for(user_id: int) -> dict[MailKind, MailMode]:
    """Every kind's mode for this user: their choice, else the kind's default."""
    chosen = dict(db.session.execute(
        sa.select(MailPreference.kind, MailPreference.mode).where(MailPreference.user_id == user_id)).all())
    return {kind: chosen.get(kind, DEFAULT_MODES[kind]) for kind in MailKind}


def mode_for(user_id: int, kind: MailKind) -> MailMode:
    """One kind's mode for this user."""
    chosen = db.session.scalar(sa.select(MailPreference.mode).where(MailPreference.user_id == user_id,
                                                                    MailPreference.kind == kind))
    return chosen or DEFAULT_MODES[kind]


def _store_modes(user: User, wanted: dict[MailKind, MailMode]) -> dict[str, list]:
    """Write the changed modes (in the caller's transaction); returns kind -> [old, new] for the history."""
    current = modes_for(user.id)
    rows = {p.kind: p for p in db.session.scalars(sa.select(MailPreference).where(MailPreference.user_id == user.id))}
    changes = {}
    for kind, mode in wanted.items():
        if current[kind] == mode:
            continue
        changes[kind.value] = [current[kind].value, mode.value]
        if kind in rows:
            rows[kind].mode = mode
        else:
            db.session.add(MailPreference(user_id=user.id, kind=kind, mode=mode))
    return changes


def kinds_for(user: User) -> list[MailKind]:
    """The kinds of mail this user can get: students hear about their sessions and milestones, supervisors about
    sessions waiting; everyone about bookings and password links."""
    if user.is_student:
        mine = [MailKind.SESSION_REVIEWED, MailKind.MILESTONE_SIGNED_OFF]
    else:
        mine = [MailKind.SESSIONS_WAITING]
    return mine + [MailKind.BOOKING_REMINDER, MailKind.PASSWORD_RESET]


def set_modes(user: User, wanted: dict[str, str | None], kinds: list[MailKind] | None = None) -> dict[str, list]:
    """Save the user's choice for each of `kinds` (kind code -> mode code, from the preferences form); every problem
    at once. Returns what changed (kind -> [old, new]); one transaction, one history event when anything did."""
    problems, parsed = [], {}
    for kind in kinds if kinds is not None else kinds_for(user):
        value = wanted.get(kind.value)
        try:
            mode = MailMode(value)
        except ValueError:
            problems.append((kind.value, "Choose one of the options."))
            continue
        if mode not in ALLOWED_MODES[kind]:
            problems.append((kind.value, f"“{mode.label}” is not offered for this kind of e-mail."))
        else:
            parsed[kind] = mode
    if problems:
        raise ServiceError.many(problems)
    changes = _store_modes(user, parsed)
    if changes:
        history.record(user, "mail.preferences_changed", "user", user.id,
                       subject_id=user.id if user.is_student else None,
                       summary="Changed their e-mail preferences", changes=changes)
    db.session.commit()
    return changes


def unsubscribe(user: User, kind: MailKind) -> bool:
    """Turn one kind of mail off for the user (from the link in a mail); False when it already was off."""
    changes = _store_modes(user, {kind: MailMode.OFF})
    if changes:
        history.record(user, "mail.unsubscribed", "user", user.id, subject_id=user.id if user.is_student else None,
                       summary=f"Unsubscribed from e-mails: {kind.label.lower()}", changes=changes)
    db.session.commit()
    return bool(changes)


# ---------------------------------------------------------------- enqueueing (in the caller's transaction)

def enqueue(recipient_id: int, kind: MailKind, subject: str, text: str, html: str | None = None,
            *, mode: MailMode | None = None, send_at: datetime | None = None,
            booking_id: int | None = None) -> OutboxMessage | None:
    """Add a message to the outbox in the caller's transaction, as the recipient's preference for its kind says:
    queued (right away), held for the daily summary, or nothing at all (off). The caller commits."""
    mode = mode or mode_for(recipient_id, kind)
    if mode == MailMode.OFF:
        return None
    message = OutboxMessage(recipient_id=recipient_id, kind=kind, subject=" ".join(subject.split())[:MAX_SUBJECT],
                            body_text=text, body_html=html,
                            status=MailStatus.HELD if mode == MailMode.DAILY else MailStatus.QUEUED,
                            next_attempt_at=send_at or utcnow(), booking_id=booking_id)
    db.session.add(message)
    return message


def session_reviewed(student_id: int, message: str, link: str) -> OutboxMessage | None:
    """'Prof. X approved your 4-hour session …' to the student, with a link to the session."""
    subject = message.split(":", 1)[0]
    return enqueue(student_id, MailKind.SESSION_REVIEWED, subject,
                   f"{message}.\n\nSee the session: {absolute(link)}\n")


def milestone_signed_off(student_id: int, label: str, signer: str, completed_on, link: str) -> OutboxMessage | None:
    """'“Thesis proposal” was signed off' to the student, with a link to their milestones."""
    return enqueue(student_id, MailKind.MILESTONE_SIGNED_OFF, f"“{label}” was signed off",
                   f"{signer} signed off “{label}” (passed on {completed_on:%-d %B %Y}).\n\n"
                   f"Your milestones: {absolute(link)}\n")


def booking_reminder(booking: StudioBooking, link: str, now_utc: datetime | None = None) -> OutboxMessage | None:
    """'Tomorrow 14:00–16:00: Studio A' to the booking's person, queued to go REMINDER_AHEAD before the start
    (the sender leaves it until then). None for blocked time, or a booking that starts sooner than that."""
    if booking.user_id is None:
        return None
    zone = ZoneInfo(current_app.config.get("APP_TIMEZONE") or "UTC")
    starts = datetime.combine(booking.date, booking.start_time, tzinfo=zone).astimezone(timezone.utc)
    send_at = starts - REMINDER_AHEAD
    if send_at <= (now_utc or utcnow()):
        return None
    when = f"{booking.date:%A %-d %B} {booking.start_time:%H:%M}–{booking.end_time:%H:%M}"
    return enqueue(booking.user_id, MailKind.BOOKING_REMINDER,
                   f"Reminder: {booking.studio.name}, {when}",
                   f"You have booked {booking.studio.name} on {when} ({booking.purpose}).\n\n"
                   f"If you cannot come, cancel the booking so someone else can use the studio: {absolute(link)}\n",
                   send_at=send_at, booking_id=booking.id)


def withdraw_booking_reminder(booking_id: int) -> int:
    """Drop a cancelled booking's reminder that has not gone out yet (in the caller's transaction)."""
    return db.session.execute(
        sa.delete(OutboxMessage).where(OutboxMessage.booking_id == booking_id,
                                       OutboxMessage.status.in_([MailStatus.QUEUED, MailStatus.HELD]))
        .execution_options(synchronize_session=False)).rowcount


def password_link(user: User, link: str, hours: int) -> OutboxMessage | None:
    """The one-time password link to the user's address (only while it is in the outbox: the sender blanks it)."""
    return enqueue(user.id, MailKind.PASSWORD_RESET, "Set your password for the program tracker",
                   f"Hello {user.display_name},\n\nThe program office made a link for you to set the password of "
                   f"your account ({user.email}). It works once, for {hours} hours:\n\n{absolute(link)}\n\n"
                   "If you did not expect this, ignore this e-mail or tell the program office.\n")


# ---------------------------------------------------------------- the daily summaries

@dataclass
class DigestResult:
    """What one run of the digest queued."""

    waiting: int = 0  # summaries of waiting sessions (one per supervisor)
    summaries: int = 0  # summaries of held messages (one per recipient and kind)
    merged: int = 0  # held messages folded into them


def _waiting_summaries(queue_link: str, now: datetime) -> int:
    """One mail per supervisor who wants them (the default) listing their sessions waiting for review."""
    recent = sa.select(OutboxMessage.recipient_id).where(OutboxMessage.kind == MailKind.SESSIONS_WAITING,
                                                         OutboxMessage.created_at > now - DIGEST_PERIOD)
    off = sa.select(MailPreference.user_id).where(MailPreference.kind == MailKind.SESSIONS_WAITING,
                                                  MailPreference.mode == MailMode.OFF)
    sessions = db.session.scalars(
        sa.select(StudioSession).join(User, User.id == StudioSession.supervisor_id)
        .where(StudioSession.status == SessionStatus.PENDING, User.active.is_(True),
               StudioSession.supervisor_id.not_in(recent), StudioSession.supervisor_id.not_in(off))
        .options(joinedload(StudioSession.student), joinedload(StudioSession.studio))
        .order_by(StudioSession.supervisor_id, StudioSession.submitted_at, StudioSession.id)).all()
    by_supervisor: dict[int, list[StudioSession]] = defaultdict(list)
    for s in sessions:
        by_supervisor[s.supervisor_id].append(s)
    for supervisor_id, waiting in by_supervisor.items():
        lines = [f"- {s.student.display_name}: {format_number(s.minutes / 60)} h on {s.date:%a %-d %b} in "
                 f"{s.studio.name}, waiting since {s.submitted_at:%-d %b}" for s in waiting]
        noun = "session" if len(waiting) == 1 else "sessions"
        enqueue(supervisor_id, MailKind.SESSIONS_WAITING, f"{len(waiting)} studio {noun} waiting for your review",
                f"{len(waiting)} studio {noun} you supervise wait for your review:\n\n" + "\n".join(lines)
                + f"\n\nReview them: {absolute(queue_link)}\n", mode=MailMode.IMMEDIATE)
    return len(by_supervisor)


def _held_summaries(now: datetime, result: DigestResult) -> None:
    """Fold each recipient's held messages of one kind into one queued summary; each held message only once, even
    if two digests run at the same moment (a conditional UPDATE claims them)."""
    held = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.status == MailStatus.HELD)
                              .order_by(OutboxMessage.recipient_id, OutboxMessage.kind, OutboxMessage.id)).all()
    groups: dict[tuple[int, MailKind], list[OutboxMessage]] = defaultdict(list)
    for message in held:
        groups[(message.recipient_id, message.kind)].append(message)
    for (recipient_id, kind), messages in groups.items():
        claimed = db.session.execute(
            sa.update(OutboxMessage).where(OutboxMessage.id.in_([m.id for m in messages]),
                                           OutboxMessage.status == MailStatus.HELD)
            .values(status=MailStatus.MERGED, sent_at=now).returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)).scalars().all()
        parts = [m for m in messages if m.id in set(claimed)]
        if not parts:
            continue
        one, many = SUMMARY_NOUNS[kind]
        what = f"{len(parts)} {one if len(parts) == 1 else many}"
        text = f"Your daily summary of “{kind.label}”: {what}.\n\n" + "\n\n".join(
            f"{i}. {m.body_text.strip()}" for i, m in enumerate(parts, 1)) + "\n"  # each body says it all
        enqueue(recipient_id, kind, f"Daily summary: {what}", text, mode=MailMode.IMMEDIATE)
        result.summaries += 1
        result.merged += len(parts)


def build_digests(queue_link: str, now: datetime | None = None) -> DigestResult:
    """The daily run (`flask tracker mail-digest`): summaries of waiting sessions to supervisors, and each held
    message folded into its recipient's summary for that kind. One transaction."""
    now = now or utcnow()
    result = DigestResult()
    result.waiting = _waiting_summaries(queue_link, now)
    _held_summaries(now, result)
    db.session.commit()
    return result


# ---------------------------------------------------------------- the outbox page

def outbox_query(status: MailStatus | None = None) -> sa.Select:
    """Messages not yet sent (queued, sending, failed, held) or of one status, newest first, with recipients."""
    query = sa.select(OutboxMessage).options(joinedload(OutboxMessage.recipient)).order_by(
        OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if status is not None:
        return query.where(OutboxMessage.status == status)
    return query.where(OutboxMessage.status.in_([MailStatus.QUEUED, MailStatus.SENDING, MailStatus.FAILED,
                                                 MailStatus.HELD]))


def status_counts() -> dict[MailStatus, int]:
    """How many messages of each status (one grouped query)."""
    counts = dict(db.session.execute(sa.select(OutboxMessage.status, sa.func.count(OutboxMessage.id))
                                     .group_by(OutboxMessage.status)).all())
    return {status: counts.get(status, 0) for status in MailStatus}


def retry(message_id: int, *, actor: User) -> OutboxMessage:
    """Queue a failed message again, due now, with a fresh count of attempts."""
    now = utcnow()
    done = db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == MailStatus.FAILED)
        .values(status=MailStatus.QUEUED, attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        db.session.rollback()
        raise ServiceError("Only a failed message can be retried; this one is not (any more).")
    message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.id == message_id)
                                .options(joinedload(OutboxMessage.recipient))
                                .execution_options(populate_existing=True))
    history.record(actor, "mail.retried", "outbox_message", message.id,
                   summary=f"Queued again the e-mail “{message.subject}” to {message.recipient.email}",
                   changes={"status": [MailStatus.FAILED.value, MailStatus.QUEUED.value],
                            "last_error": message.last_error})
    db.session.info.setdefault(ENQUEUED_KEY, set()).add(message.id)
    db.session.commit()
    return message
