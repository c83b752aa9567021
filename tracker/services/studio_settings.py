"""Booking settings an admin keeps: a studio's opening hours, booking limits and closures, and a program's weekly
quota, reconciliation tolerance and late-cancellation window (docs/studio-settings.md).

Each change is one transaction with one history event, and a refusal lists every problem at once. Every change can
be undone by the same pages: a removed closure is added again, hours are set back (the history keeps the old values).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Program, Studio, StudioClosure, StudioOpeningHours, User
from . import Problems, ServiceError, history, unique_or_refuse
from .values import check_date, optional_decimal, parse_decimal

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Bounds of the settings (a realistic range, and one every column and date computation holds).
MAX_BOOKING_HOURS = 24
MAX_WEEKS_AHEAD = 52
MAX_QUOTA_HOURS = 168  # every hour of a week
MAX_TOLERANCE_MINUTES = 720
MAX_LATE_CANCELLATION_HOURS = 720  # thirty days
MAX_REASON = 200


@dataclass(frozen=True)
class DayHours:
    """One weekday of the opening-hours form: closed, or open from `opens_at` to `closes_at` (local time)."""

    weekday: int
    closed: bool
    opens_at: time | None = None
    closes_at: time | None = None


@dataclass(frozen=True)
class StudioSettingsInput:
    """What the studio settings form submits: seven days of hours, the longest booking (hours) and weeks ahead."""

    days: tuple[DayHours, ...]
    max_booking_hours: Decimal | str | None
    booking_weeks_ahead: int | str | None


@dataclass(frozen=True)
class ProgramSettingsInput:
    """What the program's booking settings form submits (the quota in hours, blank for none)."""

    weekly_quota_hours: Decimal | str | None
    reconciliation_tolerance_minutes: int | str | None
    late_cancellation_hours: int | str | None


def day_field(weekday: int, name: str) -> str:
    """The form field of one weekday's value ("day0_opens_at"): where a problem of that day is shown."""
    return f"day{weekday}_{name}"


# ---------------------------------------------------------------- reading

def opening_hours_text(rows) -> str:
    """A studio's week as one line for the history and pages: 'Mon 09:00–22:00; Tue closed; ...'."""
    by_day = {row.weekday: row for row in rows}
    parts = []
    for weekday, name in enumerate(WEEKDAYS):
        row = by_day.get(weekday)
        parts.append(f"{name[:3]} {row.opens_at:%H:%M}–{row.closes_at:%H:%M}" if row else f"{name[:3]} closed")
    return "; ".join(parts)


def studio_closures(studio_id: int) -> list[StudioClosure]:
    """A studio's closures, latest first, with who added each (one query)."""
    return list(db.session.scalars(
        sa.select(StudioClosure).where(StudioClosure.studio_id == studio_id)
        .options(joinedload(StudioClosure.created_by))
        .order_by(StudioClosure.starts_on.desc(), StudioClosure.id.desc())))


def studios_with_hours() -> list[Studio]:
    """Every studio by name with its opening hours (two queries)."""
    return list(db.session.scalars(
        sa.select(Studio).options(selectinload(Studio.opening_hours)).order_by(Studio.active.desc(), Studio.name)))


# ---------------------------------------------------------------- parsing

def _whole(value, field: str, *, minimum: int, maximum: int, what: str, problems: Problems) -> int | None:
    """A whole number in range (from an int or a string of digits), or None with the problem kept."""
    message = f"Enter {what}: a whole number from {minimum} to {maximum}."
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        problems.add(field, message)
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not text.isascii() or not text.isdigit() or len(text) > 6:
            problems.add(field, message)
            return None
        number = int(text)
    if not minimum <= number <= maximum:
        problems.add(field, message)
        return None
    return number


def _quarter_hours(hours: Decimal, field: str, problems: Problems) -> int | None:
    """Hours as whole minutes in quarter hours (bookings are made in quarter hours), or None with the problem."""
    minutes = hours * 60
    if minutes != minutes.to_integral_value() or int(minutes) % 15:
        problems.add(field, "Use quarter hours: a whole number, or .25, .5 or .75.")
        return None
    return int(minutes)


def _check_days(days, problems: Problems) -> list[DayHours]:
    """The seven days, each with its times when open; problems at each day's fields."""
    by_day = {d.weekday: d for d in days if isinstance(d.weekday, int) and 0 <= d.weekday <= 6}
    if len(by_day) != 7 or len(days) != 7:
        problems.add(None, "Give the hours of each of the seven days of the week.")
        return []
    out = []
    for weekday in range(7):
        day = by_day[weekday]
        if day.closed:
            out.append(DayHours(weekday, True))
            continue
        name = WEEKDAYS[weekday]
        if day.opens_at is None:
            problems.add(day_field(weekday, "opens_at"), f"Enter when the studio opens on {name}, or tick Closed.")
        if day.closes_at is None:
            problems.add(day_field(weekday, "closes_at"), f"Enter when the studio closes on {name}, or tick Closed.")
        if day.opens_at is not None and day.closes_at is not None and day.closes_at <= day.opens_at:
            problems.add(day_field(weekday, "closes_at"),
                         f"The closing time must be after the opening time ({day.opens_at:%H:%M}). A studio open "
                         "past midnight closes at 23:59 and opens at 00:00 the next day.")
        out.append(DayHours(weekday, False, day.opens_at, day.closes_at))
    return out


# ---------------------------------------------------------------- changing

def save_studio_settings(studio: Studio, data: StudioSettingsInput, *, actor: User) -> Studio:
    """Set a studio's opening hours for the week, its longest booking and how many weeks ahead it may be booked."""
    problems = Problems()
    days = _check_days(data.days, problems)
    max_minutes = None
    hours = problems.check(parse_decimal, data.max_booking_hours, "max_booking_hours", places=2,
                           maximum=MAX_BOOKING_HOURS,
                           message=f"Enter the longest booking in hours: more than 0 and at most {MAX_BOOKING_HOURS}.")
    if hours is not None:
        max_minutes = _quarter_hours(hours, "max_booking_hours", problems)
    weeks = _whole(data.booking_weeks_ahead, "booking_weeks_ahead", minimum=1, maximum=MAX_WEEKS_AHEAD,
                   what="how many weeks ahead students may book", problems=problems)
    problems.raise_any()

    # Two admins adding the same weekday at once: the second meets the (studio, weekday) constraint (on any
    # flush, so the whole change is guarded).
    with unique_or_refuse("Someone else changed these opening hours at the same moment. Reload the page to see "
                          "them, then save again."):
        before = opening_hours_text(studio.opening_hours)
        wanted = {d.weekday: d for d in days if not d.closed}
        for row in list(studio.opening_hours):
            day = wanted.pop(row.weekday, None)
            if day is None:
                studio.opening_hours.remove(row)  # delete-orphan: the row goes
            else:
                row.opens_at, row.closes_at = day.opens_at, day.closes_at
        for weekday, day in sorted(wanted.items()):
            studio.opening_hours.append(StudioOpeningHours(weekday=weekday, opens_at=day.opens_at,
                                                           closes_at=day.closes_at))
        studio.opening_hours.sort(key=lambda row: row.weekday)
        after = opening_hours_text(studio.opening_hours)

        changes = history.diff(studio, {"max_booking_minutes": max_minutes, "booking_weeks_ahead": weeks})
        if before != after:
            changes["opening_hours"] = [before, after]
        if not changes:
            db.session.rollback()
            return studio
        studio.max_booking_minutes, studio.booking_weeks_ahead = max_minutes, weeks
        history.record(actor, "studio.booking_settings_changed", "studio", studio.id,
                       summary=f"Changed the booking settings of {studio.name}", changes=changes)
        db.session.commit()
    return studio


def add_closure(studio: Studio, starts_on: date | None, ends_on: date | None, reason: str | None, *,
                actor: User) -> StudioClosure:
    """Close a studio for bookings from `starts_on` to `ends_on` (both included), with the reason students see."""
    problems = Problems()
    if starts_on is None:
        problems.add("starts_on", "Enter the first day of the closure.")
    else:
        starts_on = problems.check(check_date, starts_on, "starts_on")
    if ends_on is None:
        problems.add("ends_on", "Enter the last day of the closure (the first day again for a single day).")
    else:
        ends_on = problems.check(check_date, ends_on, "ends_on")
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        problems.add("ends_on", f"The last day cannot be before the first day ({starts_on:%-d %b %Y}).")
    reason = (reason or "").strip()
    if not reason:
        problems.add("reason", "Say why the studio is closed (students see it), e.g. “Console maintenance”.")
    elif len(reason) > MAX_REASON:
        problems.add("reason", f"Use at most {MAX_REASON} characters.")
    problems.raise_any()
    closure = StudioClosure(studio_id=studio.id, starts_on=starts_on, ends_on=ends_on, reason=reason,
                            created_by_id=actor.id)
    db.session.add(closure)
    db.session.flush()
    history.record(actor, "studio_closure.created", "studio_closure", closure.id,
                   summary=f"Closed {studio.name} from {starts_on:%Y-%m-%d} to {ends_on:%Y-%m-%d}: {reason}",
                   changes={"studio": studio.name, "starts_on": starts_on, "ends_on": ends_on, "reason": reason})
    db.session.commit()
    return closure


def remove_closure(closure: StudioClosure, *, actor: User) -> None:
    """Remove a closure (added by mistake, or cancelled): the studio can be booked on those days again."""
    studio = db.session.get(Studio, closure.studio_id)
    if studio is None:  # pragma: no cover - the foreign key keeps it
        raise ServiceError("This closure's studio no longer exists.")
    history.record(actor, "studio_closure.deleted", "studio_closure", closure.id,
                   summary=f"Removed the closure of {studio.name} from {closure.starts_on:%Y-%m-%d} to "
                           f"{closure.ends_on:%Y-%m-%d}",
                   changes={"studio": studio.name, "starts_on": closure.starts_on, "ends_on": closure.ends_on,
                            "reason": closure.reason})
    db.session.delete(closure)
    db.session.commit()


def save_program_settings(program: Program, data: ProgramSettingsInput, *, actor: User) -> Program:
    """Set a program's weekly booking quota (None: no quota), reconciliation tolerance and late-cancellation window."""
    problems = Problems()
    quota_minutes = None
    quota = problems.check(optional_decimal, data.weekly_quota_hours, "weekly_quota_hours", places=2,
                           maximum=MAX_QUOTA_HOURS,
                           message=f"Enter the weekly quota in hours (more than 0, at most {MAX_QUOTA_HOURS}), "
                                   "or leave it blank for no quota.")
    if quota is not None:
        quota_minutes = _quarter_hours(quota, "weekly_quota_hours", problems)
    tolerance = _whole(data.reconciliation_tolerance_minutes, "reconciliation_tolerance_minutes", minimum=0,
                       maximum=MAX_TOLERANCE_MINUTES, what="the tolerance in minutes", problems=problems)
    late = _whole(data.late_cancellation_hours, "late_cancellation_hours", minimum=0,
                  maximum=MAX_LATE_CANCELLATION_HOURS, what="the late-cancellation window in hours",
                  problems=problems)
    problems.raise_any()
    changes = history.diff(program, {"booking_weekly_quota_minutes": quota_minutes,
                                     "reconciliation_tolerance_minutes": tolerance,
                                     "late_cancellation_hours": late})
    if not changes:
        return program
    program.booking_weekly_quota_minutes = quota_minutes
    program.reconciliation_tolerance_minutes = tolerance
    program.late_cancellation_hours = late
    history.record(actor, "program.booking_settings_changed", "program", program.id,
                   summary=f"Changed the studio booking settings of {program.name}", changes=changes)
    db.session.commit()
    return program
