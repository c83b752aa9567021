"""Calendar feeds: each user's secret feed token (issued, rotated, looked up) and what their feeds hold.

A feed address carries the user's `calendar_token` instead of a login, since calendar apps cannot log in; whoever
has the address sees the feed, so the token is random (192 bits), unique, and replaced at once on rotation (the old
addresses then answer 404). The feeds themselves are plain data here (FeedEvent); tracker/calendar/ics.py writes
them as iCalendar. Times are the studio's local wall-clock times, as bookings and sessions store them; the caller
says which zone they are in.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    BookingKind,
    BookingStatus,
    Confirmation,
    SessionStatus,
    Studio,
    StudioBooking,
    StudioClosure,
    StudioSession,
    User,
)
from ..permissions import may_see_booking_names
from . import ServiceError, history

ENTITY = "user"
# The longest token a feed address may carry: the column's width. Anything longer (or holding a NUL) is no token.
MAX_TOKEN = 64
# Feeds reach this far back (and every future booking): enough for a term's history without growing forever.
PAST_DAYS = 180


def new_calendar_token() -> str:
    """A fresh feed token: 24 random bytes, URL-safe (32 characters)."""
    return secrets.token_urlsafe(24)


# ---------------------------------------------------------------- the token

def issue_token(actor: User) -> str:
    """The actor's feed token, made now if they have none yet (one history event when it is made)."""
    if not actor.active:
        raise ServiceError("This account is deactivated.")
    if actor.calendar_token:
        return actor.calendar_token
    token = new_calendar_token()
    # Only if still unset: a second request racing this one keeps the token the first one made.
    updated = db.session.execute(
        sa.update(User).where(User.id == actor.id, User.calendar_token.is_(None)).values(calendar_token=token)
    ).rowcount
    if updated != 1:
        db.session.rollback()
        db.session.refresh(actor)
        return actor.calendar_token
    history.record(actor, "user.calendar_token_issued", ENTITY, actor.id, subject_id=actor.id,
                   summary="Made their calendar feed addresses")
    db.session.commit()
    db.session.refresh(actor)
    return token


def rotate_token(actor: User) -> str:
    """Replace the actor's feed token: every address made with the old one stops working at once."""
    if not actor.active:
        raise ServiceError("This account is deactivated.")
    if not actor.calendar_token:
        raise ServiceError("You have no calendar feed addresses yet, so there is nothing to replace.")
    token = new_calendar_token()
    db.session.execute(sa.update(User).where(User.id == actor.id).values(calendar_token=token))
    history.record(actor, "user.calendar_token_rotated", ENTITY, actor.id, subject_id=actor.id,
                   summary="Replaced their calendar feed addresses (the old ones stopped working)")
    db.session.commit()
    db.session.refresh(actor)
    return token


def user_by_token(token: str | None) -> User | None:
    """The active user a feed address's token belongs to; None for an unknown, malformed or deactivated one."""
    if not token or len(token) > MAX_TOKEN or "\x00" in token:
        return None
    return db.session.scalar(sa.select(User).where(User.calendar_token == token, User.active.is_(True)))


# ---------------------------------------------------------------- the feeds' contents

@dataclass(frozen=True)
class FeedEvent:
    """One calendar event: `key` makes its UID (stable across fetches); `start`/`end` are naive local times, or
    dates for a whole-day event (`end` then the day after the last); `stamp` is when the row last changed (UTC)."""

    key: str
    start: datetime | date
    end: datetime | date
    summary: str
    location: str
    description: str
    stamp: datetime


@dataclass(frozen=True)
class Feed:
    """A calendar: its name, a stable key for its own UID, and its events in time order."""

    key: str
    name: str
    description: str
    events: list[FeedEvent]


def _location(studio: Studio) -> str:
    return ", ".join(part for part in (studio.name, studio.location) if part)


def _span(day: date, start, end) -> tuple[datetime, datetime]:
    return datetime.combine(day, start), datetime.combine(day, end)


def _session_span(studio_session: StudioSession) -> tuple[datetime, datetime]:
    """A session's start and end; the end from its minutes, so one past midnight ends the next day."""
    start = datetime.combine(studio_session.date, studio_session.start_time)
    return start, start + timedelta(minutes=studio_session.minutes)


def _order(events: list[FeedEvent]) -> list[FeedEvent]:
    def when(event: FeedEvent):
        start = event.start if isinstance(event.start, datetime) else datetime.combine(event.start, datetime.min.time())
        return start, event.key

    return sorted(events, key=when)


def mine_feed(user: User, *, today: date) -> Feed:
    """The user's own studio time: their active bookings and the studio sessions they logged or take part in
    (not withdrawn, not declined), from PAST_DAYS before `today` on. A booking already logged as one of these
    sessions appears once, as the session. Two queries whatever the numbers."""
    since = today - timedelta(days=PAST_DAYS)
    bookings = db.session.scalars(
        sa.select(StudioBooking)
        .where(StudioBooking.user_id == user.id, StudioBooking.kind == BookingKind.BOOKING,
               StudioBooking.status == BookingStatus.ACTIVE, StudioBooking.date >= since)
        .options(joinedload(StudioBooking.studio), joinedload(StudioBooking.booked_by))
    ).all()
    sessions = db.session.scalars(
        sa.select(StudioSession)
        .where(StudioSession.student_id == user.id, StudioSession.status != SessionStatus.WITHDRAWN,
               StudioSession.confirmation != Confirmation.DECLINED, StudioSession.date >= since)
        .options(joinedload(StudioSession.studio), joinedload(StudioSession.supervisor))
    ).all()
    shown_sessions = {logged.id for logged in sessions}
    events = [_own_booking_event(booking, user) for booking in bookings if booking.session_id not in shown_sessions]
    events += [_session_event(logged) for logged in sessions]
    return Feed(key=f"mine-{user.id}", name=f"Studio time: {user.display_name}",
                description="Your studio bookings and logged studio sessions (Music Master's Tracker).",
                events=_order(events))


def _own_booking_event(booking: StudioBooking, user: User) -> FeedEvent:
    start, end = _span(booking.date, booking.start_time, booking.end_time)
    lines = []
    if booking.project:
        lines.append(f"Project: {booking.project}")
    if booking.booked_by_id != user.id:
        lines.append(f"Booked for you by {booking.booked_by.display_name}")
    summary = f"{booking.studio.name} booking" + (f": {booking.purpose}" if booking.purpose else "")
    return FeedEvent(key=f"booking-{booking.id}", start=start, end=end, summary=summary,
                     location=_location(booking.studio), description="\n".join(lines), stamp=booking.created_at)


def _session_event(studio_session: StudioSession) -> FeedEvent:
    start, end = _session_span(studio_session)
    lines = [f"Role: {studio_session.role.label}", f"Status: {studio_session.status.label}",
             f"Supervisor: {studio_session.supervisor.display_name}"]
    if studio_session.confirmation == Confirmation.AWAITING:
        lines.append("You are named in this group session: confirm or decline it in the tracker.")
    return FeedEvent(key=f"session-{studio_session.id}", start=start, end=end,
                     summary=f"{studio_session.studio.name} session: {studio_session.activity.label}, "
                             f"{studio_session.project}",
                     location=_location(studio_session.studio), description="\n".join(lines),
                     stamp=studio_session.updated_at)


def feed_studios() -> list[Studio]:
    """The studios whose feeds the page offers: the active ones, by name."""
    return list(db.session.scalars(sa.select(Studio).where(Studio.active.is_(True)).order_by(Studio.name)))


def studio_feed(viewer: User, studio: Studio, *, today: date) -> Feed:
    """A studio's active bookings, blocked time and closures from PAST_DAYS before `today` on, as `viewer` may
    see them: staff see who booked and why; anyone else sees their own bookings so, and every other booking only
    as "Booked" (permissions.may_see_booking_names). Two queries whatever the numbers."""
    since = today - timedelta(days=PAST_DAYS)
    bookings = db.session.scalars(
        sa.select(StudioBooking)
        .where(StudioBooking.studio_id == studio.id, StudioBooking.status == BookingStatus.ACTIVE,
               StudioBooking.date >= since)
        .options(joinedload(StudioBooking.user))
    ).all()
    closures = db.session.scalars(
        sa.select(StudioClosure).where(StudioClosure.studio_id == studio.id, StudioClosure.ends_on >= since)
    ).all()
    location = _location(studio)
    events = [_studio_booking_event(booking, viewer, location) for booking in bookings]
    events += [FeedEvent(key=f"closure-{closure.id}", start=closure.starts_on,
                         end=closure.ends_on + timedelta(days=1), summary=f"Closed: {closure.reason}",
                         location=location, description="", stamp=closure.created_at)
               for closure in closures]
    return Feed(key=f"studio-{studio.id}-{viewer.id}", name=f"{studio.name} bookings",
                description=f"Bookings, blocked time and closures of {studio.name} (Music Master's Tracker).",
                events=_order(events))


def _studio_booking_event(booking: StudioBooking, viewer: User, location: str) -> FeedEvent:
    start, end = _span(booking.date, booking.start_time, booking.end_time)
    description = ""
    if booking.kind == BookingKind.BLOCK:
        summary = "Blocked" + (f": {booking.purpose}" if booking.purpose else "")
    elif not may_see_booking_names(viewer, booking):
        summary = "Booked"
    else:
        who = "You" if booking.user_id == viewer.id else (booking.user.display_name if booking.user else "Booked")
        summary = who + (f": {booking.purpose}" if booking.purpose else "")
        description = f"Project: {booking.project}" if booking.project else ""
    # Its own UID, not the student feed's: one booking in two subscribed calendars stays two events.
    return FeedEvent(key=f"studio-booking-{booking.id}", start=start, end=end, summary=summary, location=location,
                     description=description, stamp=booking.created_at)
