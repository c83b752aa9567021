"""Studio bookings: book, block and cancel a studio's time, and the week calendar that shows it.

The rules (docs/studio-bookings.md explains them to directors and students): a booking lies within the weekday's
opening hours (no StudioOpeningHours row: closed that day), on no StudioClosure day, no longer than the studio's
max_booking_minutes, not in the past, at most booking_weeks_ahead weeks ahead, within the student's program's weekly
quota, and overlaps no other active booking or block of the studio. Every refusal is collected and raised at once.

Two people booking the same slot at the same moment: each transaction first locks the studio's row (SELECT ... FOR
UPDATE on PostgreSQL; on SQLite a writing request's transaction already began with BEGIN IMMEDIATE, see
tracker/__init__.py), so the second one's overlap check runs after the first one committed and names who has it.
Times are the studio's local wall-clock time, like the studio sessions' (the server's clock).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    BookingKind,
    BookingStatus,
    Enrollment,
    HistoryEvent,
    Program,
    Role,
    Studio,
    StudioBooking,
    StudioClosure,
    StudioOpeningHours,
    User,
    utcnow,
)
from ..permissions import may_cancel_booking
from . import Problems, ServiceError, history, mail
from .values import MAX_DATE, MIN_DATE, parse_id

ENTITY = "studio_booking"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# How far back the calendar's "previous week" link goes (older bookings are on My bookings and the reconciliation).
WEEKS_BACK = 4
# The past bookings "My bookings" lists, newest first.
PAST_LIMIT = 30
# How long after a booking the dashboard still offers to log it as a session.
LOG_WITHIN_DAYS = 30


def _now(now: datetime | None) -> datetime:
    """The studio's wall-clock time (naive local, as the bookings' dates and times are): now in APP_TIMEZONE."""
    if now is not None:
        return now
    return datetime.now(ZoneInfo(current_app.config.get("APP_TIMEZONE") or "UTC")).replace(tzinfo=None)


def duration(minutes: int) -> str:
    """'4 h', '1 h 30 min', '45 min'."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def week_of(day: date) -> date:
    """The Monday of the ISO week `day` falls in."""
    return day - timedelta(days=day.weekday())


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M")


def _span(start: time, end: time) -> str:
    return f"{_hhmm(start)}–{_hhmm(end)}"


def _minutes(start: time, end: time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _on_quarter_hour(t: time) -> bool:
    return t.minute % 15 == 0 and t.second == 0 and t.microsecond == 0


def _day_text(day: date) -> str:
    return day.strftime("%a %-d %b %Y")


# ---------------------------------------------------------------- settings read with a booking

@dataclass(frozen=True)
class ProgramSettings:
    """The booking settings of a student's program (None for someone without an enrollment: staff)."""

    weekly_quota_minutes: int | None
    late_cancellation_hours: int


def program_settings(user_id: int | None) -> ProgramSettings | None:
    """The weekly quota and late-cancellation window of the user's program, or None when they are not enrolled."""
    if user_id is None:
        return None
    row = db.session.execute(
        sa.select(Program.booking_weekly_quota_minutes, Program.late_cancellation_hours)
        .join(Enrollment, Enrollment.program_id == Program.id)
        .where(Enrollment.student_id == user_id)
    ).first()
    return ProgramSettings(row[0], row[1]) if row is not None else None


def minutes_booked_in_week(user_id: int, monday: date) -> int:
    """The minutes of the user's active bookings (every studio) in the ISO week starting on `monday`."""
    bookings = db.session.execute(
        sa.select(StudioBooking.start_time, StudioBooking.end_time).where(
            StudioBooking.user_id == user_id, StudioBooking.kind == BookingKind.BOOKING,
            StudioBooking.status == BookingStatus.ACTIVE,
            StudioBooking.date >= monday, StudioBooking.date < monday + timedelta(days=7))
    ).all()
    return sum(_minutes(start, end) for start, end in bookings)


# ---------------------------------------------------------------- checks

def _locked_studio(studio_id) -> Studio | None:
    """The studio, its row locked until the transaction ends (PostgreSQL): bookings of one studio run one at a time."""
    studio_id = parse_id(studio_id)
    if studio_id is None:
        return None
    return db.session.scalar(
        sa.select(Studio).where(Studio.id == studio_id).with_for_update().execution_options(populate_existing=True))


def _check_slot(problems: Problems, studio: Studio | None, day: date | None, start: time | None, end: time | None,
                now: datetime) -> bool:
    """The checks a booking and a block share: a usable studio, a date, times that make a range, not in the past.
    True when the slot is complete enough for the checks that depend on it."""
    if studio is None:
        problems.add("studio_id", "Choose one of the studios.")
    elif not studio.active:
        problems.add("studio_id", f"{studio.name} is no longer in use, so it cannot be booked.")
    if day is None:
        problems.add("date", "Enter the date.")
    elif not (MIN_DATE <= day <= MAX_DATE):
        problems.add("date", f"Enter a date between {MIN_DATE.year} and {MAX_DATE.year}.")
    if start is None:
        problems.add("start_time", "Enter the start time.")
    if end is None:
        problems.add("end_time", "Enter the end time.")
    if problems.has("date", "start_time", "end_time"):
        return False
    ok = True
    if end <= start:
        problems.add("end_time", "The end time must be after the start time. Time past midnight is booked as a "
                                 "second booking on the next date.")
        ok = False
    for name, value in (("start_time", start), ("end_time", end)):
        if not _on_quarter_hour(value):
            problems.add(name, "Use a time on the quarter hour (:00, :15, :30 or :45).")
            ok = False
    if datetime.combine(day, start) < now:
        if day < now.date():
            problems.add("date", f"{_day_text(day)} is in the past: book a time from now on.")
        else:
            problems.add("start_time", f"{_hhmm(start)} today has already passed: book a time from now on.")
        ok = False
    return ok and studio is not None


def _check_overlap(problems: Problems, studio: Studio, day: date, start: time, end: time) -> None:
    """Every active booking or block of the studio that intersects the range, each named."""
    clashes = db.session.scalars(
        sa.select(StudioBooking)
        .where(StudioBooking.studio_id == studio.id, StudioBooking.date == day,
               StudioBooking.status == BookingStatus.ACTIVE,
               StudioBooking.start_time < end, StudioBooking.end_time > start)
        .options(joinedload(StudioBooking.user))
        .order_by(StudioBooking.start_time)
    ).all()
    for clash in clashes:
        if clash.kind == BookingKind.BLOCK:
            problems.add("start_time", f"{studio.name} is blocked {_span(clash.start_time, clash.end_time)}: "
                                       f"{clash.purpose}.")
        else:
            problems.add("start_time", f"Already booked by {clash.user.display_name} "
                                       f"{_span(clash.start_time, clash.end_time)}.")


def _check_calendar(problems: Problems, studio: Studio, day: date, start: time, end: time, now: datetime) -> None:
    """The studio's own rules: opening hours, closures, the longest booking, how far ahead."""
    minutes = _minutes(start, end)
    if minutes > studio.max_booking_minutes:
        problems.add("end_time", f"A booking of {studio.name} lasts at most {duration(studio.max_booking_minutes)}; "
                                 f"this one is {duration(minutes)}. Book a shorter slot.")
    last_day = now.date() + timedelta(weeks=studio.booking_weeks_ahead)
    if day > last_day:
        weeks = studio.booking_weeks_ahead
        problems.add("date", f"{studio.name} can be booked at most {weeks} week{'s' if weeks != 1 else ''} ahead, "
                             f"up to {_day_text(last_day)}.")
    closure = db.session.scalar(
        sa.select(StudioClosure).where(StudioClosure.studio_id == studio.id, StudioClosure.starts_on <= day,
                                       StudioClosure.ends_on >= day).order_by(StudioClosure.starts_on).limit(1))
    if closure is not None:
        problems.add("date", f"{studio.name} is closed on {_day_text(day)}: {closure.reason}.")
        return
    hours = db.session.scalar(sa.select(StudioOpeningHours).where(
        StudioOpeningHours.studio_id == studio.id, StudioOpeningHours.weekday == day.weekday()))
    weekday = WEEKDAYS[day.weekday()]
    if hours is None:
        problems.add("date", f"{studio.name} is closed on {weekday}s.")
    elif start < hours.opens_at or end > hours.closes_at:
        problems.add("start_time", f"{studio.name} is open {_span(hours.opens_at, hours.closes_at)} on {weekday}s; "
                                   "choose a time within those hours.")


def _check_quota(problems: Problems, person: User, day: date, start: time, end: time, actor: User) -> None:
    """The program's weekly quota for a student: their active bookings in the ISO week plus this one."""
    settings = program_settings(person.id)
    if settings is None or settings.weekly_quota_minutes is None:
        return
    monday = week_of(day)
    used = minutes_booked_in_week(person.id, monday)
    quota = settings.weekly_quota_minutes
    if used + _minutes(start, end) > quota:
        whose = "Your program allows" if person.id == actor.id else f"{person.display_name}'s program allows"
        left = max(0, quota - used)
        problems.add("end_time", f"{whose} {duration(quota)} of studio bookings a week; {duration(used)} "
                                 f"{'are' if person.id == actor.id else 'is'} already booked in the week of "
                                 f"{_day_text(monday)}, so at most {duration(left)} more."
                     if left else
                     f"{whose} {duration(quota)} of studio bookings a week, and the week of {_day_text(monday)} "
                     "is fully booked already.")


def _person(problems: Problems, actor: User, for_user_id) -> User | None:
    """Whom the booking is for: students and faculty book for themselves, admins for anyone active."""
    wanted = parse_id(for_user_id) if for_user_id not in (None, "") else actor.id
    if wanted is None:
        problems.add("for_user_id", "Choose the person the booking is for.")
        return None
    if wanted != actor.id and not actor.is_admin:
        problems.add("for_user_id", "You can book only for yourself.")
        return None
    person = actor if wanted == actor.id else db.session.get(User, wanted)
    if person is None or not person.active:
        problems.add("for_user_id", "Choose an active student or faculty member.")
        return None
    # Serialises one person's bookings (the weekly quota counts every studio) on PostgreSQL; after the studio's
    # lock, always in that order, so two bookings never wait for each other in a circle.
    db.session.execute(sa.select(User.id).where(User.id == person.id).with_for_update())
    return person


def _text(problems: Problems, value, name: str, label: str, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        problems.add(name, f"Enter the {label}.")
    elif len(text) > 200:
        problems.add(name, f"Keep the {label} to 200 characters.")
    return text


# ---------------------------------------------------------------- use cases

def book(actor: User, studio_id, for_user_id, day: date | None, start: time | None, end: time | None,
         purpose: str, project: str = "", *, now: datetime | None = None,
         booking_link: Callable[[int], str] | None = None) -> StudioBooking:
    """Book a studio slot for `for_user_id` (None: the actor); refused with every problem at once. With
    `booking_link` (a booking id -> its page), the person gets an e-mail reminder the day before."""
    now = _now(now)
    problems = Problems()
    studio = _locked_studio(studio_id)
    slot_ok = _check_slot(problems, studio, day, start, end, now)
    person = _person(problems, actor, for_user_id)
    purpose = _text(problems, purpose, "purpose", "purpose of the booking", required=True)
    project = _text(problems, project, "project", "project's title", required=False)
    if slot_ok:
        _check_calendar(problems, studio, day, start, end, now)
        if person is not None:
            _check_quota(problems, person, day, start, end, actor)
        _check_overlap(problems, studio, day, start, end)
    problems.raise_any()
    booking = StudioBooking(studio_id=studio.id, user_id=person.id, booked_by_id=actor.id, kind=BookingKind.BOOKING,
                            date=day, start_time=start, end_time=end, purpose=purpose, project=project,
                            status=BookingStatus.ACTIVE)
    db.session.add(booking)
    db.session.flush()
    for_whom = "" if person.id == actor.id else f" for {person.display_name}"
    history.record(actor, "studio_booking.booked", ENTITY, booking.id,
                   subject_id=person.id if person.is_student else None,
                   summary=f"Booked {studio.name} on {day:%Y-%m-%d} {_span(start, end)}{for_whom}",
                   changes=_readable(booking, studio, person))
    if booking_link is not None:
        mail.booking_reminder(booking, booking_link(booking.id))
    db.session.commit()
    return booking


def block(admin: User, studio, day: date | None, start: time | None, end: time | None, reason: str, *,
          now: datetime | None = None) -> StudioBooking:
    """Block a studio's time (maintenance, a class): nobody can book it. Admins only; `studio` is a Studio or its id.

    A block is not held to the opening hours, closures, longest booking or weeks ahead (those rule students' and
    faculty's bookings), but it may not overlap an active booking: cancel that one first.
    """
    if not admin.is_admin:
        raise ServiceError("Only an administrator can block a studio's time.")
    now = _now(now)
    problems = Problems()
    studio = _locked_studio(studio.id if isinstance(studio, Studio) else studio)
    slot_ok = _check_slot(problems, studio, day, start, end, now)
    reason = _text(problems, reason, "purpose", "reason for blocking the time", required=True)
    if slot_ok:
        _check_overlap(problems, studio, day, start, end)
    problems.raise_any()
    booking = StudioBooking(studio_id=studio.id, user_id=None, booked_by_id=admin.id, kind=BookingKind.BLOCK,
                            date=day, start_time=start, end_time=end, purpose=reason, project="",
                            status=BookingStatus.ACTIVE)
    db.session.add(booking)
    db.session.flush()
    history.record(admin, "studio_booking.blocked", ENTITY, booking.id,
                   summary=f"Blocked {studio.name} on {day:%Y-%m-%d} {_span(start, end)}: {reason}",
                   changes=_readable(booking, studio, None))
    db.session.commit()
    return booking


def cancel(actor: User, booking: StudioBooking, *, now: datetime | None = None) -> StudioBooking:
    """Cancel a booking or block: the slot is free at once. Late when less than the student's program's
    late_cancellation_hours before the start (recorded, not refused)."""
    now = _now(now)
    if not may_cancel_booking(actor, booking):
        raise ServiceError("You can cancel only your own bookings.")
    if booking.status != BookingStatus.ACTIVE:
        raise ServiceError("This booking was already cancelled.")
    if datetime.combine(booking.date, booking.end_time) <= now:
        raise ServiceError("This booking has already ended, so it can no longer be cancelled.")
    settings = program_settings(booking.user_id) if booking.kind == BookingKind.BOOKING else None
    starts = datetime.combine(booking.date, booking.start_time)
    late = settings is not None and starts - now < timedelta(hours=settings.late_cancellation_hours)
    # Guarded: of two cancellations at once (two tabs), one matches the row and the other is told.
    result = db.session.execute(
        sa.update(StudioBooking)
        .where(StudioBooking.id == booking.id, StudioBooking.status == BookingStatus.ACTIVE)
        .values(status=BookingStatus.CANCELLED, cancelled_at=utcnow(), cancelled_by_id=actor.id,
                late_cancellation=late)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise ServiceError("This booking was already cancelled.")
    mail.withdraw_booking_reminder(booking.id)
    what = "block" if booking.kind == BookingKind.BLOCK else "booking"
    history.record(actor, "studio_booking.cancelled", ENTITY, booking.id,
                   subject_id=booking.user_id if booking.user is not None and booking.user.is_student else None,
                   summary=f"Cancelled the {what} of {booking.studio.name} on {booking.date:%Y-%m-%d} "
                           f"{_span(booking.start_time, booking.end_time)}" + (" (late)" if late else ""),
                   changes={"status": [BookingStatus.ACTIVE.value, BookingStatus.CANCELLED.value],
                            "late_cancellation": late})
    db.session.commit()
    db.session.refresh(booking)
    return booking


def _readable(booking: StudioBooking, studio: Studio, person: User | None) -> dict:
    return {"studio": studio.name, "date": booking.date, "start_time": booking.start_time,
            "end_time": booking.end_time, "for": person.display_name if person else None,
            "purpose": booking.purpose, "project": booking.project, "kind": booking.kind}


# ---------------------------------------------------------------- the week calendar

@dataclass
class GridCell:
    """One hour of one day: free (bookable), taken (bookings listed), closed, past, or not bookable yet."""

    start: time
    end: time
    state: str
    bookings: list[StudioBooking] = field(default_factory=list)


@dataclass
class GridDay:
    day: date
    opens: time | None
    closes: time | None
    closure: StudioClosure | None
    bookings: list[StudioBooking]
    cells: list[GridCell | None]  # one per grid hour; None outside the day's opening hours

    @property
    def is_open(self) -> bool:
        return self.opens is not None and self.closure is None


@dataclass
class WeekGrid:
    """A studio's week, Monday to Sunday, hour by hour from the earliest opening to the latest closing."""

    studio: Studio
    week_start: date
    hours: list[int]
    days: list[GridDay]
    previous_week: date | None
    next_week: date | None

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    def rows(self):
        """(hour, [cell of each day]) for the table."""
        return [(hour, [d.cells[i] for d in self.days]) for i, hour in enumerate(self.hours)]


def week_grid(studio: Studio, week_start: date, *, now: datetime | None = None) -> WeekGrid:
    """The calendar of `studio` for the week containing `week_start`, in four queries whatever it holds."""
    now = _now(now)
    monday = week_of(week_start)
    sunday = monday + timedelta(days=6)
    opening = {h.weekday: h for h in db.session.scalars(
        sa.select(StudioOpeningHours).where(StudioOpeningHours.studio_id == studio.id))}
    closures = db.session.scalars(
        sa.select(StudioClosure).where(StudioClosure.studio_id == studio.id, StudioClosure.starts_on <= sunday,
                                       StudioClosure.ends_on >= monday)).all()
    bookings = db.session.scalars(
        sa.select(StudioBooking)
        .where(StudioBooking.studio_id == studio.id, StudioBooking.date >= monday, StudioBooking.date <= sunday,
               StudioBooking.status == BookingStatus.ACTIVE)
        .options(joinedload(StudioBooking.user))
        .order_by(StudioBooking.date, StudioBooking.start_time)).all()
    if opening:
        first = min(h.opens_at.hour for h in opening.values())
        last = max(h.closes_at.hour + (1 if h.closes_at.minute else 0) for h in opening.values())
        hours = list(range(first, last))
    else:
        hours = []
    bookable_until = now.date() + timedelta(weeks=studio.booking_weeks_ahead)
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        hours_today = opening.get(day.weekday())
        closure = next((c for c in closures if c.starts_on <= day <= c.ends_on), None)
        day_bookings = [b for b in bookings if b.date == day]
        cells: list[GridCell | None] = []
        for hour in hours:
            if hours_today is None:
                cells.append(None)
                continue
            start = max(time(hour), hours_today.opens_at)
            end = min(time(hour + 1) if hour < 23 else time(23, 59), hours_today.closes_at)
            if start >= end:
                cells.append(None)
                continue
            taken = [b for b in day_bookings if b.start_time < end and b.end_time > start]
            if closure is not None:
                state = "closed"
            elif taken:
                state = "taken"
            elif datetime.combine(day, start) < now:
                state = "past"
            elif day > bookable_until:
                state = "later"
            else:
                state = "free"
            cells.append(GridCell(start, end, state, taken))
        days.append(GridDay(day, hours_today.opens_at if hours_today else None,
                            hours_today.closes_at if hours_today else None, closure, day_bookings, cells))
    this_week = week_of(now.date())
    previous_week = monday - timedelta(weeks=1)
    next_week = monday + timedelta(weeks=1)
    return WeekGrid(
        studio=studio, week_start=monday, hours=hours, days=days,
        previous_week=previous_week if previous_week >= this_week - timedelta(weeks=WEEKS_BACK) else None,
        next_week=next_week if next_week <= week_of(bookable_until) else None,
    )


# ---------------------------------------------------------------- reading

def bookable_studios() -> list[Studio]:
    """The active studios, by name."""
    return list(db.session.scalars(sa.select(Studio).where(Studio.active.is_(True)).order_by(Studio.name)))


def people_to_book_for() -> list[User]:
    """Whom an admin may book for: active students and faculty, by name."""
    return list(db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.role.in_((Role.STUDENT, Role.FACULTY)))
        .order_by(User.display_name, User.id)))


def _mine(user: User):
    """The user's own bookings, and for an admin the time they blocked."""
    return sa.or_(StudioBooking.user_id == user.id,
                  sa.and_(StudioBooking.kind == BookingKind.BLOCK, StudioBooking.booked_by_id == user.id))


def _ended(now: datetime):
    return sa.or_(StudioBooking.date < now.date(),
                  sa.and_(StudioBooking.date == now.date(), StudioBooking.end_time <= now.time()))


@dataclass(frozen=True)
class MyBookings:
    upcoming: list[StudioBooking]
    past: list[StudioBooking]


def my_bookings(user: User, *, now: datetime | None = None) -> MyBookings:
    """The user's active bookings still to come (soonest first), and the past and cancelled ones (newest first)."""
    now = _now(now)
    options = (joinedload(StudioBooking.studio), joinedload(StudioBooking.user))
    upcoming = db.session.scalars(
        sa.select(StudioBooking)
        .where(_mine(user), StudioBooking.status == BookingStatus.ACTIVE, sa.not_(_ended(now)))
        .options(*options).order_by(StudioBooking.date, StudioBooking.start_time, StudioBooking.id)).all()
    past = db.session.scalars(
        sa.select(StudioBooking)
        .where(_mine(user), sa.or_(StudioBooking.status == BookingStatus.CANCELLED, _ended(now)))
        .options(*options)
        .order_by(StudioBooking.date.desc(), StudioBooking.start_time.desc(), StudioBooking.id.desc())
        .limit(PAST_LIMIT)).all()
    return MyBookings(list(upcoming), list(past))


def bookings_to_log(student_id: int, *, now: datetime | None = None, limit: int = 5) -> list[StudioBooking]:
    """The student's bookings that have ended in the last LOG_WITHIN_DAYS days with no session logged from them."""
    now = _now(now)
    return list(db.session.scalars(
        sa.select(StudioBooking)
        .where(StudioBooking.user_id == student_id, StudioBooking.kind == BookingKind.BOOKING,
               StudioBooking.status == BookingStatus.ACTIVE, StudioBooking.session_id.is_(None), _ended(now),
               StudioBooking.date >= now.date() - timedelta(days=LOG_WITHIN_DAYS))
        .options(joinedload(StudioBooking.studio))
        .order_by(StudioBooking.date.desc(), StudioBooking.start_time.desc())
        .limit(limit)))


def has_ended(booking: StudioBooking, *, now: datetime | None = None) -> bool:
    return datetime.combine(booking.date, booking.end_time) <= _now(now)


def booking_history(booking_id: int) -> list[HistoryEvent]:
    """The booking's history events, oldest first, with their actors."""
    return list(db.session.scalars(
        sa.select(HistoryEvent)
        .where(HistoryEvent.entity_type == ENTITY, HistoryEvent.entity_id == booking_id)
        .options(joinedload(HistoryEvent.actor))
        .order_by(HistoryEvent.created_at, HistoryEvent.id)))
