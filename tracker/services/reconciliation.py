"""Reconciliation of studio bookings with logged sessions (docs/reconciliation.md): what was used without a booking,
what was booked and not used (no-shows), what was used at other times than booked, and late cancellations.

A booking and a session *match* when they are of the same student, in the same studio, on the same date, and their
times overlap (one starts before the other ends; touching end to start is not an overlap). Only ACTIVE bookings of
kind BOOKING count; a session counts unless it was withdrawn or, in a group session, declined.

Whatever the data size the report costs a fixed number of queries: the listed sessions, the bookings overlapping
them, the listed bookings (no-shows and late cancellations); the matching runs in SQL, the time differences in Python.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased, joinedload

from ..extensions import db
from ..models import (
    BookingKind,
    BookingStatus,
    Confirmation,
    Enrollment,
    Program,
    SessionStatus,
    Studio,
    StudioBooking,
    StudioSession,
    Term,
    User,
)
from ..permissions import reconciliation_booking_scope, review_scope

# The tolerance of a student without a program (the column's own default).
DEFAULT_TOLERANCE_MINUTES = 15
# The largest id the tables' INTEGER keys hold on PostgreSQL: a filter naming a larger one (which parse_id lets
# through, up to 2**63 - 1) can match nothing, and sending it would overflow the column's type.
MAX_KEY = 2**31 - 1
# Rows each section shows on the page; the CSV download has them all.
SHOWN_PER_SECTION = 200

CSV_HEADER = ("Section", "Student", "Student email", "Studio", "Date", "Session start", "Session end",
              "Session status", "Supervisor", "Booking start", "Booking end", "Start differs (min)",
              "End differs (min)", "Tolerance (min)", "Booking purpose", "Cancelled at")


@dataclass(frozen=True)
class Filters:
    """The report's filters (None = any)."""

    term_id: int | None = None
    studio_id: int | None = None
    student_id: int | None = None


@dataclass(frozen=True)
class Mismatch:
    """A session whose times differ from its booking's by more than the tolerance.

    With several overlapping bookings (two back-to-back slots), the session is compared with their span: the
    earliest start and the latest end.
    """

    session: StudioSession
    bookings: tuple[StudioBooking, ...]
    tolerance: int

    @property
    def booked_start(self) -> time:
        return min(b.start_time for b in self.bookings)

    @property
    def booked_end(self) -> time:
        return max(b.end_time for b in self.bookings)

    @property
    def start_difference(self) -> int:
        """Minutes the session started after (+) or before (-) the booking."""
        return _minutes(self.session.start_time) - _minutes(self.booked_start)

    @property
    def end_difference(self) -> int:
        """Minutes the session ended after (+) or before (-) the booking."""
        return _minutes(self.session.end_time) - _minutes(self.booked_end)


@dataclass
class Report:
    """The four sections, newest first; `term` is the term filtered by (None: every term)."""

    unbooked: list[StudioSession] = field(default_factory=list)
    no_shows: list[StudioBooking] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    late_cancellations: list[StudioBooking] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.unbooked or self.no_shows or self.mismatches or self.late_cancellations)


def wall_clock() -> datetime:
    """Now at the studios (naive local time, as bookings' dates and times are): APP_TIMEZONE's clock, the one the
    booking service decides what has passed by."""
    return datetime.now(ZoneInfo(current_app.config.get("APP_TIMEZONE") or "UTC")).replace(tzinfo=None)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def differs(session_start: time, session_end: time, booked_start: time, booked_end: time, tolerance: int) -> bool:
    """Whether a session's start or end is more than `tolerance` minutes from the booking's (exactly at it is fine)."""
    return (abs(_minutes(session_start) - _minutes(booked_start)) > tolerance
            or abs(_minutes(session_end) - _minutes(booked_end)) > tolerance)


# ---------------------------------------------------------------- the matching rules, as SQL

def counted_session(session=StudioSession):
    """The sessions reconciliation considers: all but withdrawn ones and declined group invitations."""
    return sa.and_(session.status != SessionStatus.WITHDRAWN, session.confirmation != Confirmation.DECLINED)


def active_booking():
    """The bookings reconciliation matches sessions with: a person's active booking (not blocked time)."""
    return sa.and_(StudioBooking.kind == BookingKind.BOOKING, StudioBooking.status == BookingStatus.ACTIVE,
                   StudioBooking.user_id.is_not(None))


def overlapping(booking=StudioBooking, session=StudioSession):
    """A booking and a session of the same student, studio and date whose times overlap."""
    return sa.and_(booking.user_id == session.student_id, _same_slot(booking, session))


def _same_slot(booking, session):
    return sa.and_(booking.studio_id == session.studio_id, booking.date == session.date,
                   booking.start_time < session.end_time, booking.end_time > session.start_time)


def covering(booking=StudioBooking, session=StudioSession):
    """A booking that covers a session: it overlaps the session and is its student's, or, for a row of a group
    session, the booking of another participant of that group (one student books the studio for the band)."""
    member = aliased(StudioSession)
    # correlate_except: the session is two levels out (the EXISTS around this sits between), where automatic
    # correlation does not reach; without it the session table joins the subquery as a cross product.
    participants = (sa.select(member.student_id).where(member.group_id == session.group_id, counted_session(member))
                    .correlate_except(member))
    return sa.and_(_same_slot(booking, session),
                   sa.or_(booking.user_id == session.student_id,
                          sa.and_(session.group_id.is_not(None), booking.user_id.in_(participants))))


def booked_expression():
    """True when an active booking covers the session (see `covering`), correlated to StudioSession: the review
    queue reads it as a column of its own query."""
    return sa.exists().where(active_booking(), covering()).correlate(StudioSession)


# ---------------------------------------------------------------- the report

def _session_filters(user: User, filters: Filters) -> list:
    conditions = [review_scope(user), counted_session()]
    if filters.term_id:
        conditions.append(StudioSession.term_id == filters.term_id)
    if filters.studio_id:
        conditions.append(StudioSession.studio_id == filters.studio_id)
    if filters.student_id:
        conditions.append(StudioSession.student_id == filters.student_id)
    return conditions


def _booking_filters(user: User, filters: Filters) -> list:
    conditions = [reconciliation_booking_scope(user), StudioBooking.kind == BookingKind.BOOKING,
                  StudioBooking.user_id.is_not(None)]
    if filters.term_id:
        # A booking belongs to the term its date falls in (bookings keep no term of their own).
        term = sa.select(Term).where(Term.id == filters.term_id)
        conditions.append(StudioBooking.date.between(term.with_only_columns(Term.start_date).scalar_subquery(),
                                                     term.with_only_columns(Term.end_date).scalar_subquery()))
    if filters.studio_id:
        conditions.append(StudioBooking.studio_id == filters.studio_id)
    if filters.student_id:
        conditions.append(StudioBooking.user_id == filters.student_id)
    return conditions


def build(user: User, filters: Filters, *, now: datetime | None = None) -> Report:
    """The report for what this user may see (permissions.review_scope for sessions, reconciliation_booking_scope
    for bookings), narrowed by the filters; `now` (local wall-clock time, like bookings) decides which bookings
    have ended."""
    now = now or wall_clock()
    report = Report()
    if any(value is not None and value > MAX_KEY for value in (filters.term_id, filters.studio_id,
                                                               filters.student_id)):
        return report
    session_where = _session_filters(user, filters)

    # 1. The sessions, each with its student's tolerance (a student without a program gets the default).
    tolerance = sa.func.coalesce(Program.reconciliation_tolerance_minutes, DEFAULT_TOLERANCE_MINUTES)
    rows = db.session.execute(
        sa.select(StudioSession, tolerance)
        .outerjoin(Enrollment, Enrollment.student_id == StudioSession.student_id)
        .outerjoin(Program, Program.id == Enrollment.program_id)
        .where(*session_where)
        .options(joinedload(StudioSession.student), joinedload(StudioSession.studio),
                 joinedload(StudioSession.supervisor))
        .order_by(StudioSession.date.desc(), StudioSession.start_time.desc(), StudioSession.id.desc())
    ).all()

    # 2. The active bookings overlapping those sessions, whoever may see them otherwise: a faculty member's
    #    supervised session is booked even when the booking belongs to another advisor's student.
    overlaps: dict[int, list[StudioBooking]] = defaultdict(list)
    if rows:
        for session_id, booking in db.session.execute(
            sa.select(StudioSession.id, StudioBooking)
            .join(StudioBooking, covering())
            .where(*session_where, active_booking())
            .order_by(StudioBooking.start_time, StudioBooking.id)
        ):
            overlaps[session_id].append(booking)
    for studio_session, minutes in rows:
        found = overlaps.get(studio_session.id)
        if not found:
            report.unbooked.append(studio_session)
        else:
            mismatch = Mismatch(studio_session, tuple(found), int(minutes))
            if differs(studio_session.start_time, studio_session.end_time, mismatch.booked_start,
                       mismatch.booked_end, mismatch.tolerance):
                report.mismatches.append(mismatch)

    # 3. The listed bookings: active ones that ended with no counted session overlapping them, and late
    #    cancellations.
    used = sa.exists().where(counted_session(), overlapping()).correlate(StudioBooking)
    ended = sa.or_(StudioBooking.date < now.date(),
                   sa.and_(StudioBooking.date == now.date(), StudioBooking.end_time <= now.time()))
    no_show = sa.and_(StudioBooking.status == BookingStatus.ACTIVE, ended, ~used)
    late = sa.and_(StudioBooking.status == BookingStatus.CANCELLED, StudioBooking.late_cancellation.is_(True))
    for booking in db.session.scalars(
        sa.select(StudioBooking)
        .where(*_booking_filters(user, filters), sa.or_(no_show, late))
        .options(joinedload(StudioBooking.user), joinedload(StudioBooking.studio),
                 joinedload(StudioBooking.cancelled_by))
        .order_by(StudioBooking.date.desc(), StudioBooking.start_time.desc(), StudioBooking.id.desc())
    ):
        if booking.status == BookingStatus.ACTIVE:
            report.no_shows.append(booking)
        else:
            report.late_cancellations.append(booking)
    return report


def filter_choices(user: User) -> tuple[list[tuple[int, str]], list[tuple[int, str]], list[Term]]:
    """(id, name) of the students this user may see on the report (who have a session or booking in it) and of
    every studio, in one query; and every term, newest first."""
    sessions = sa.select(StudioSession.student_id).where(review_scope(user), counted_session())
    bookings = sa.select(StudioBooking.user_id).where(reconciliation_booking_scope(user),
                                                      StudioBooking.kind == BookingKind.BOOKING)
    students = (sa.select(sa.literal(0).label("kind"), User.id.label("id"), User.display_name.label("label"))
                .where(sa.or_(User.id.in_(sessions), User.id.in_(bookings))))
    studios = sa.select(sa.literal(1).label("kind"), Studio.id.label("id"), Studio.name.label("label"))
    found: tuple[list, list] = ([], [])
    for kind, id_, label in db.session.execute(
            sa.union_all(students, studios).order_by(sa.text("kind"), sa.text("label"), sa.text("id"))):
        found[kind].append((id_, label))
    terms = list(db.session.scalars(sa.select(Term).order_by(Term.start_date.desc(), Term.id.desc())))
    return found[0], found[1], terms


def current_term(terms: list[Term], today: date) -> Term | None:
    """The term today falls in (the earliest starting, should two overlap), among `terms`."""
    around = [t for t in terms if t.start_date <= today <= t.end_date]
    return min(around, key=lambda t: (t.start_date, t.id)) if around else None


# ---------------------------------------------------------------- the CSV

def _hm(t: time | None) -> str:
    return f"{t:%H:%M}" if t is not None else ""


def csv_rows(report: Report):
    """The report's rows as CSV cells (CSV_HEADER), section by section."""
    for s in report.unbooked:
        yield ("No booking", s.student.display_name, s.student.email, s.studio.name, s.date.isoformat(),
               _hm(s.start_time), _hm(s.end_time), s.status.label, s.supervisor.display_name, "", "", "", "", "", "",
               "")
    for b in report.no_shows:
        yield ("No-show", b.user.display_name, b.user.email, b.studio.name, b.date.isoformat(), "", "", "", "",
               _hm(b.start_time), _hm(b.end_time), "", "", "", b.purpose, "")
    for m in report.mismatches:
        s = m.session
        yield ("Times differ", s.student.display_name, s.student.email, s.studio.name, s.date.isoformat(),
               _hm(s.start_time), _hm(s.end_time), s.status.label, s.supervisor.display_name, _hm(m.booked_start),
               _hm(m.booked_end), m.start_difference, m.end_difference, m.tolerance,
               "; ".join(b.purpose for b in m.bookings), "")
    for b in report.late_cancellations:
        yield ("Late cancellation", b.user.display_name, b.user.email, b.studio.name, b.date.isoformat(), "", "", "",
               "", _hm(b.start_time), _hm(b.end_time), "", "", "", b.purpose,
               b.cancelled_at.strftime("%Y-%m-%d %H:%M UTC") if b.cancelled_at else "")
