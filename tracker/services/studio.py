"""Studio sessions from the student's side: log, edit (= resubmit when sent back), withdraw, and hours per term."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import (
    Confirmation,
    Enrollment,
    HistoryEvent,
    Role,
    SessionStatus,
    Studio,
    StudioActivity,
    StudioBooking,
    StudioRole,
    StudioSession,
    Term,
    User,
    utcnow,
)
from ..permissions import may_change_term_sessions
from ..domain import pace, requirement_to_dict
from ..domain.pace import PaceForecast
from . import Problems, ServiceError, history
from .catalog_versions import rules_for_enrollment
from .student_records import active_or_kept
from .values import check_date

ENTITY = "studio_session"
MIN_MINUTES = 15
MAX_MINUTES = 12 * 60
EDITABLE = (SessionStatus.PENDING, SessionStatus.NEEDS_CHANGES)
# Sessions that still occupy their time slot: a withdrawn or rejected session frees it.
OCCUPYING = (SessionStatus.PENDING, SessionStatus.NEEDS_CHANGES, SessionStatus.APPROVED)
REVIEWED_WHILE_EDITING = ("This session was reviewed while you were editing it, so your changes were not saved. "
                          "Open it again to see the decision.")


@dataclass(frozen=True)
class SessionInput:
    """What the session form submits; status, hours, student and reviewer are never part of it."""

    date: date | None
    studio_id: int | None
    start_time: time | None
    end_time: time | None
    activity: StudioActivity | str | None
    project: str
    role: StudioRole | str | None
    supervisor_id: int | None
    notes: str = ""


@dataclass(frozen=True)
class TermHours:
    """One term's studio hours by status against the program's minimum."""

    term: Term
    approved: Decimal
    pending: Decimal
    rejected: Decimal
    minimum: Decimal | None

    @property
    def met(self) -> bool:
        return self.minimum is not None and self.approved >= self.minimum

    def forecast(self, today: date) -> PaceForecast | None:
        """Where this term's hours end up at the pace so far (tracker.domain.pace), for a term in progress whose
        minimum is not met yet; None otherwise."""
        if self.minimum is None or self.met or not (self.term.start_date <= today < self.term.end_date):
            return None
        return pace.forecast(self.approved, self.pending, starts_on=self.term.start_date,
                             ends_on=self.term.end_date, today=today, minimum=self.minimum)

    @property
    def approved_pct(self) -> float:
        """Approved hours as a percentage of the minimum (capped at 100)."""
        if not self.minimum:
            return 0.0
        return float(min(Decimal(100), self.approved * 100 / self.minimum))

    @property
    def pending_pct(self) -> float:
        """Pending hours as the part of the bar that is still left after the approved part."""
        if not self.minimum:
            return 0.0
        return float(min(Decimal(100) - Decimal(str(self.approved_pct)), self.pending * 100 / self.minimum))


@dataclass(frozen=True)
class StudioRule:
    """The program's studio requirement: at least `min_hours` approved in each of `terms` terms."""

    min_hours: Decimal
    terms: int | None
    total_hours: Decimal | None


# ---------------------------------------------------------------- choices

def active_studios(include_id: int | None = None) -> list[Studio]:
    """Active studios by name (plus `include_id`, a retired one an existing session still uses)."""
    return list(db.session.scalars(
        sa.select(Studio).where(active_or_kept(Studio, include_id)).order_by(Studio.name)))


def active_faculty() -> list[User]:
    """Faculty members who may supervise a session, by name."""
    return list(db.session.scalars(
        sa.select(User).where(User.role == Role.FACULTY, User.active.is_(True)).order_by(User.display_name)
    ))


def term_for(day: date) -> Term | None:
    """The term a date falls in (the earliest, should two overlap)."""
    return db.session.scalar(
        sa.select(Term).where(Term.start_date <= day, Term.end_date >= day).order_by(Term.start_date).limit(1)
    )


# ---------------------------------------------------------------- validation

def _on_quarter_hour(t: time) -> bool:
    return t.minute % 15 == 0 and t.second == 0 and t.microsecond == 0


def _check(student: User, data: SessionInput, actor: User, studio_session: StudioSession | None,
           overlap: bool = True) -> dict:
    """Every refusal of the issue, each at its field, all of them at once; returns the column values to store.

    A check that needs an earlier one to pass (the term needs a date, the duration both times) is skipped when
    that one failed; each field shows its first problem.
    """
    problems = Problems()
    if data.date is None:
        problems.add("date", "Enter the date of the session.")
    else:
        try:
            check_date(data.date, "date")
        except ServiceError as err:
            problems.add(err.field, err.message)
    studio = db.session.get(Studio, data.studio_id) if data.studio_id else None
    keeping_retired = studio_session is not None and studio is not None and studio.id == studio_session.studio_id
    if studio is None or not (studio.active or keeping_retired):
        problems.add("studio_id", "Choose one of the active studios.")
    if data.start_time is None:
        problems.add("start_time", "Enter the start time.")
    if data.end_time is None:
        problems.add("end_time", "Enter the end time.")
    minutes = 0
    if not problems.has("start_time", "end_time"):
        any_day = date.today()  # the length of a time range is the same on every date
        start = datetime.combine(any_day, data.start_time)
        end = datetime.combine(any_day, data.end_time)
        minutes = int((end - start).total_seconds() // 60)
        if end <= start:
            problems.add("end_time", "The end time must be after the start time. A session past midnight is logged "
                                     "as two sessions, one on each date.")
        elif minutes < MIN_MINUTES:
            problems.add("end_time", "A session lasts at least 15 minutes.")
        elif minutes > MAX_MINUTES:
            problems.add("end_time", "A session lasts at most 12 hours; log a longer day as separate sessions.")
        # Refused rather than rounded: the student should see and confirm the hours that will be counted.
        for name, value in (("start_time", data.start_time), ("end_time", data.end_time)):
            if not _on_quarter_hour(value) and not problems.has(name):
                problems.add(name, "Use a time on the quarter hour (:00, :15, :30 or :45): hours are counted in "
                                   "quarter hours.")
    term = None
    if not problems.has("date"):
        term = term_for(data.date)
        if data.date > date.today():
            problems.add("date", "The date is in the future: log a session once it has taken place.")
        elif term is None:
            problems.add("date", "This date is outside every term; studio hours count only during a term.")
        elif not may_change_term_sessions(actor, closed=term.closed):
            problems.add("date", f"{term.name} is closed: its sessions can no longer be logged or changed. "
                                 "Ask the program office if something is missing.")
    try:
        activity = StudioActivity(data.activity)
    except ValueError:
        problems.add("activity", "Choose the activity.")
    project = (data.project or "").strip()
    if not project:
        problems.add("project", "Enter the project's title.")
    try:
        role = StudioRole(data.role)
    except ValueError:
        problems.add("role", "Choose your role in the session.")
    supervisor = db.session.get(User, data.supervisor_id) if data.supervisor_id else None
    if supervisor is None or supervisor.role != Role.FACULTY or not supervisor.active:
        problems.add("supervisor_id", "Choose an active faculty member as the supervisor.")
    problems.raise_any()
    if overlap:
        _refuse_overlap(student, data.date, data.start_time, data.end_time, studio_session)
    return {
        "date": data.date, "studio_id": studio.id, "term_id": term.id, "start_time": data.start_time,
        "end_time": data.end_time, "minutes": minutes, "activity": activity, "project": project[:200],
        "role": role, "supervisor_id": supervisor.id, "notes": (data.notes or "").strip(),
    }


def find_overlap(student_id: int, day: date, start: time, end: time,
                 exclude_id: int | None = None) -> StudioSession | None:
    """The first of the student's sessions that still occupies part of this time range that day, if any.

    A row waiting for the student's confirmation (a group session someone else logged) occupies its slot too: the
    student answers it before logging another session at that time."""
    query = (
        sa.select(StudioSession)
        .where(
            StudioSession.student_id == student_id, StudioSession.date == day,
            StudioSession.status.in_(OCCUPYING), StudioSession.start_time < end, StudioSession.end_time > start,
        )
        .options(joinedload(StudioSession.studio))
        .order_by(StudioSession.start_time)
        .limit(1)
    )
    if exclude_id is not None:
        query = query.where(StudioSession.id != exclude_id)
    return db.session.scalar(query)


def _refuse_overlap(student: User, day: date, start: time, end: time, studio_session: StudioSession | None) -> None:
    """Refuse a time range that intersects another of the student's sessions that still counts."""
    # Serialise one student's session writes on PostgreSQL, so a double submit cannot pass this check twice.
    db.session.execute(sa.select(User.id).where(User.id == student.id).with_for_update())
    clash = find_overlap(student.id, day, start, end, studio_session.id if studio_session is not None else None)
    if clash is not None:
        raise ServiceError(overlap_message(clash), "start_time")


def overlap_message(clash: StudioSession) -> str:
    """The refusal of a time range that overlaps the student's own session `clash` (shown at the start time)."""
    state = ("waiting for your confirmation" if clash.confirmation == Confirmation.AWAITING
             else clash.status.label.lower())
    return (f"This overlaps your session from {clash.start_time:%H:%M} to {clash.end_time:%H:%M} that day "
            f"in {clash.studio.name} ({state}). Change the times, or edit that session.")


def new_session_values(student: User, data: SessionInput, *, actor: User) -> dict:
    """Every check of a new session's fields for `student` but the overlap (find_overlap; the caller locks and checks
    it), refusing with all problems at once; the column values to store."""
    return _check(student, data, actor, None, overlap=False)


def readable(values: dict) -> SimpleNamespace:
    """The history's view of a session's values (see _readable)."""
    return _readable(values)


def _readable(values: dict) -> SimpleNamespace:
    """The history's view of a session: names instead of ids, hours instead of minutes."""
    studio = db.session.get(Studio, values["studio_id"])
    supervisor = db.session.get(User, values["supervisor_id"])
    term = db.session.get(Term, values["term_id"])
    return SimpleNamespace(
        date=values["date"], start_time=values["start_time"], end_time=values["end_time"],
        hours=str((Decimal(values["minutes"]) / 60).quantize(Decimal("0.01"))), studio=studio.name,
        term=term.name, activity=values["activity"], project=values["project"], role=values["role"],
        supervisor=supervisor.display_name, notes=values["notes"],
    )


def _current_values(studio_session: StudioSession) -> dict:
    return {name: getattr(studio_session, name) for name in (
        "date", "studio_id", "term_id", "start_time", "end_time", "minutes", "activity", "project", "role",
        "supervisor_id", "notes")}


def _stale_message(studio_session: StudioSession) -> str:
    """Why a session cannot be saved from a form that was loaded before someone else changed it."""
    if studio_session.status == SessionStatus.WITHDRAWN:
        return "This session has been withdrawn, so it can no longer be changed."
    if studio_session.status in (SessionStatus.APPROVED, SessionStatus.REJECTED, SessionStatus.NEEDS_CHANGES):
        return REVIEWED_WHILE_EDITING
    return ("This session was changed in another window while you were editing it, so your changes were not saved. "
            "Open it again to see the current version.")


def no_longer_editable(studio_session: StudioSession) -> str | None:
    """Why the student can no longer edit or withdraw this session (reviewed, withdrawn, or its term closed), as the
    edit page says when it is opened; None while they can."""
    if studio_session.editable and not studio_session.term.closed:
        return None
    reason = (f"{studio_session.term.name} is closed" if studio_session.editable
              else f"it is {studio_session.status.label.lower()}")
    return f"This session can no longer be changed: {reason}."


def _refuse_unanswered(studio_session: StudioSession) -> None:
    # A participant named in a group session answers first: until then the row is not theirs to change.
    if studio_session.confirmation != Confirmation.CONFIRMED:
        raise ServiceError("Confirm or decline this group session first: you were named in it by another student.")


def _refuse_closed_term(studio_session: StudioSession, actor: User) -> None:
    if not may_change_term_sessions(actor, closed=studio_session.term.closed):
        raise ServiceError(f"{studio_session.term.name} is closed: its sessions can no longer be changed. "
                           "Ask the program office if something is wrong.")


def update_session_where(session_id: int, conditions: Iterable, values: dict) -> bool:
    """Write `values` to a studio session in one UPDATE that matches only while every condition still holds, so a
    change that lands between a service's read and its write makes it match no row instead of being overwritten (on
    every database). It bumps the version (the ORM maintains version_id_col only in its own flushes) and stamps
    updated_at unless `values` does. False, after a rollback, when nothing matched."""
    result = db.session.execute(
        sa.update(StudioSession)
        .where(StudioSession.id == session_id, *conditions)
        .values(**{"updated_at": utcnow(), **values}, version=StudioSession.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return False
    return True


def _guarded_update(studio_session: StudioSession, expected_version: int, values: dict) -> None:
    """Write `values` only if nobody reviewed or changed the session since the form was loaded: the UPDATE checks the
    version and that the status is still editable."""
    if not update_session_where(studio_session.id, [StudioSession.version == expected_version,
                                                    StudioSession.status.in_(EDITABLE)], values):
        raise ServiceError(_stale_message(_reload(studio_session)))


def _reload(studio_session: StudioSession) -> StudioSession:
    return db.session.scalar(
        sa.select(StudioSession).where(StudioSession.id == studio_session.id)
        .execution_options(populate_existing=True)
    )


# ---------------------------------------------------------------- use cases

def log_session(student: User, data: SessionInput, *, actor: User,
                booking: StudioBooking | None = None) -> StudioSession:
    """Log a new session; it waits for the supervisor's review. Logged from `booking` (the student's own, not logged
    yet), the booking is linked to it in the same transaction."""
    refuse_booking_to_log(student, booking)
    values = _check(student, data, actor, None)
    now = utcnow()
    studio_session = StudioSession(student_id=student.id, status=SessionStatus.PENDING, submitted_at=now,
                                   created_at=now, **values)
    db.session.add(studio_session)
    db.session.flush()
    if booking is not None:
        link_booking(booking, studio_session)
    readable = vars(_readable(values))
    history.record(
        actor, "studio_session.logged", ENTITY, studio_session.id, subject_id=student.id,
        summary=f"Logged {readable['hours']} h in {readable['studio']} on {values['date']:%Y-%m-%d}",
        changes=readable,
    )
    db.session.commit()
    return studio_session


def refuse_booking_to_log(student: User, booking: StudioBooking | None) -> None:
    """A session is logged from a booking only by the booking's own student, and only once."""
    if booking is not None and (booking.user_id != student.id or booking.session_id is not None):
        raise ServiceError("This booking has already been logged as a session." if booking.user_id == student.id
                           else "This booking is not yours to log.")


def link_booking(booking: StudioBooking, studio_session: StudioSession) -> None:
    """Record that the session was logged from the booking; of two logs of one booking at once, one links it."""
    linked = db.session.execute(
        sa.update(StudioBooking).where(StudioBooking.id == booking.id, StudioBooking.session_id.is_(None))
        .values(session_id=studio_session.id).execution_options(synchronize_session=False))
    if linked.rowcount != 1:
        db.session.rollback()
        raise ServiceError("This booking has already been logged as a session.")
    set_committed_value(booking, "session_id", studio_session.id)


def update_session(studio_session: StudioSession, data: SessionInput, *, actor: User,
                   expected_version: int | None = None) -> StudioSession:
    """Save an edit; saving a session that was sent back for changes resubmits it for review."""
    expected_version = studio_session.version if expected_version is None else expected_version
    if studio_session.version != expected_version or not studio_session.editable:
        raise ServiceError(_stale_message(studio_session))
    _refuse_unanswered(studio_session)
    _refuse_closed_term(studio_session, actor)
    values = _check(studio_session.student, data, actor, studio_session)
    resubmit = studio_session.status == SessionStatus.NEEDS_CHANGES
    changes = history.diff(_readable(_current_values(studio_session)), vars(_readable(values)))
    if not changes and not resubmit:
        return studio_session
    if resubmit:
        values.update(status=SessionStatus.PENDING, submitted_at=utcnow())
        changes["status"] = [SessionStatus.NEEDS_CHANGES.value, SessionStatus.PENDING.value]
    _guarded_update(studio_session, expected_version, values)
    history.record(
        actor, "studio_session.resubmitted" if resubmit else "studio_session.edited", ENTITY, studio_session.id,
        subject_id=studio_session.student_id,
        summary=("Resubmitted the session after changes" if resubmit else "Edited the session")
        + f" of {values['date']:%Y-%m-%d}",
        changes=changes,
    )
    db.session.commit()
    return studio_session


def withdraw_session(studio_session: StudioSession, *, actor: User, expected_version: int | None = None) -> None:
    """Withdraw a pending or sent-back session: it no longer counts or waits for review."""
    expected_version = studio_session.version if expected_version is None else expected_version
    if studio_session.version != expected_version or not studio_session.editable:
        raise ServiceError(_stale_message(studio_session))
    _refuse_unanswered(studio_session)
    _refuse_closed_term(studio_session, actor)
    old_status = studio_session.status
    _guarded_update(studio_session, expected_version, {"status": SessionStatus.WITHDRAWN})
    history.record(
        actor, "studio_session.withdrawn", ENTITY, studio_session.id, subject_id=studio_session.student_id,
        summary=f"Withdrew the session of {studio_session.date:%Y-%m-%d}",
        changes={"status": [old_status.value, SessionStatus.WITHDRAWN.value]},
    )
    db.session.commit()


# ---------------------------------------------------------------- reading

def session_history(session_id: int) -> list[HistoryEvent]:
    """The session's history events, oldest first, with their actors."""
    return list(db.session.scalars(
        sa.select(HistoryEvent)
        .where(HistoryEvent.entity_type == ENTITY, HistoryEvent.entity_id == session_id)
        .options(joinedload(HistoryEvent.actor))
        .order_by(HistoryEvent.created_at, HistoryEvent.id)
    ))


def sessions_query(student_id: int) -> sa.Select:
    """The student's sessions, newest first, with what the list shows."""
    return (
        sa.select(StudioSession)
        .where(StudioSession.student_id == student_id)
        .options(joinedload(StudioSession.studio), joinedload(StudioSession.supervisor),
                 joinedload(StudioSession.term))
        .order_by(StudioSession.date.desc(), StudioSession.start_time.desc(), StudioSession.id.desc())
    )


def waiting_for_review(student_id: int, limit: int = 10) -> list[StudioSession]:
    """Sessions still with the supervisor or sent back to the student, oldest first."""
    return list(db.session.scalars(
        sa.select(StudioSession)
        .where(StudioSession.student_id == student_id, StudioSession.status.in_(EDITABLE),
               StudioSession.confirmation == Confirmation.CONFIRMED)  # unanswered ones wait for the student
        .options(joinedload(StudioSession.studio), joinedload(StudioSession.supervisor))
        .order_by(StudioSession.date, StudioSession.start_time)
        .limit(limit)
    ))


def recent_reviews(student_id: int, limit: int = 8) -> list[StudioSession]:
    """The latest decisions on the student's sessions (approved, rejected or sent back), newest first."""
    return list(db.session.scalars(
        sa.select(StudioSession)
        .where(
            StudioSession.student_id == student_id, StudioSession.reviewed_at.is_not(None),
            StudioSession.status.in_((SessionStatus.APPROVED, SessionStatus.REJECTED, SessionStatus.NEEDS_CHANGES)),
        )
        .options(joinedload(StudioSession.studio), joinedload(StudioSession.reviewer))
        .order_by(StudioSession.reviewed_at.desc(), StudioSession.id.desc())
        .limit(limit)
    ))


def studio_rule(enrollment: Enrollment | None) -> StudioRule | None:
    """The studio-hours requirement of the student's catalog version that applies to this enrollment, if any."""
    if enrollment is None:
        return None
    return studio_rule_in(rules_for_enrollment(enrollment).rules, enrollment.concentration.code, enrollment.track)


def studio_rule_in(rules, concentration: str, track: str) -> StudioRule | None:
    """The studio-hours requirement among a version's rules (domain.ProgramRules) for a concentration and track."""
    for req in rules.requirements:
        if req.kind != "studio_terms":
            continue
        params = requirement_to_dict(req)["params"]
        applies_to_concentration = not req.concentrations or concentration in req.concentrations
        applies_to_track = req.track is None or req.track == track
        if applies_to_concentration and applies_to_track and params.get("min_hours") is not None:
            total = params.get("total_hours")
            return StudioRule(
                min_hours=Decimal(str(params["min_hours"])),
                terms=int(params["terms"]) if params.get("terms") is not None else None,
                total_hours=Decimal(str(total)) if total is not None else None,
            )
    return None


def hours_by_term(student_id: int, enrollment: Enrollment | None, rule: StudioRule | None) -> list[TermHours]:
    """Approved, pending and rejected hours for each term since the student started (and any with sessions)."""
    sums = db.session.execute(
        sa.select(StudioSession.term_id, StudioSession.status, sa.func.sum(StudioSession.minutes))
        # A group session the student has not confirmed counts nowhere (a declined one is withdrawn).
        .where(StudioSession.student_id == student_id, StudioSession.confirmation == Confirmation.CONFIRMED)
        .group_by(StudioSession.term_id, StudioSession.status)
    ).all()
    minutes: dict[int, dict[SessionStatus, int]] = {}
    for term_id, status, total in sums:
        minutes.setdefault(term_id, {})[SessionStatus(status)] = int(total or 0)
    today = date.today()
    started = enrollment.start_term.start_date if enrollment is not None and enrollment.start_term else None
    if started is not None:
        since_start = sa.and_(Term.start_date >= started, Term.start_date <= today)
    else:
        since_start = sa.and_(Term.start_date <= today, Term.end_date >= today)
    terms = db.session.scalars(
        sa.select(Term).where(sa.or_(Term.id.in_(list(minutes)), since_start)).order_by(Term.start_date, Term.id)
    ).all()

    def hours(term_id: int, status: SessionStatus) -> Decimal:
        return (Decimal(minutes.get(term_id, {}).get(status, 0)) / 60).quantize(Decimal("0.01"))

    return [
        TermHours(term=term, approved=hours(term.id, SessionStatus.APPROVED),
                  pending=hours(term.id, SessionStatus.PENDING) + hours(term.id, SessionStatus.NEEDS_CHANGES),
                  rejected=hours(term.id, SessionStatus.REJECTED), minimum=rule.min_hours if rule else None)
        for term in terms
    ]
