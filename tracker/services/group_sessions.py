"""Group studio sessions: one student logs a session and names the others who took part, each with their own role.

The group is one StudioSession row per participant (same studio, date, times and supervisor), joined by a
StudioSessionGroup. The logger's row is confirmed; each named student's row waits for their answer (AWAITING), and
until they confirm it counts nowhere (audit, hours, reports) and cannot be decided. Declining keeps the row, marked
declined and withdrawn, so it counts nowhere either and the others are untouched. After that every row is its
student's own: the supervisor decides each one (or approves every confirmed one at once), and each student edits or
withdraws their own row under the usual rules without changing anyone else's. docs/group-sessions.md says the same
for the people who use it.

Logging a group writes one history event per row (logged for the logger, named for each participant), so each
student's session page shows its own story from the start.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..formatting import format_number
from ..models import (
    Confirmation,
    HistoryEvent,
    Role,
    SessionStatus,
    StudioBooking,
    StudioRole,
    StudioSession,
    StudioSessionGroup,
    User,
    utcnow,
)
from ..permissions import may_change_term_sessions
from . import Problems, ServiceError, history, notifications, review, studio
from .review import SessionLink

ENTITY = studio.ENTITY
MAX_PARTICIPANTS = 3  # the form's rows; the logger is one more


@dataclass(frozen=True)
class ParticipantInput:
    """One row of the form's participants: `row` (1, 2, 3) names its fields participant_<row>_student_id/_role."""

    row: int
    student_id: int | None
    role: StudioRole | str | None


def field_name(row: int, name: str) -> str:
    """The form field of a participant row ('student_id' or 'role')."""
    return f"participant_{row}_{name}"


def _role_label(role: StudioRole) -> str:
    return role.label.lower()


# ---------------------------------------------------------------- logging

def _participants(logger: User, rows: Sequence[ParticipantInput], problems: Problems) -> list[tuple[int, User, StudioRole]]:
    """The named students with their roles; every problem of the rows is added to `problems`."""
    if len(rows) > MAX_PARTICIPANTS:
        problems.add(None, f"Name at most {MAX_PARTICIPANTS} other students in one session.")
        return []
    ids = [r.student_id for r in rows if r.student_id]
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    found: list[tuple[int, User, StudioRole]] = []
    seen: set[int] = set()
    for r in rows:
        student_field, role_field = field_name(r.row, "student_id"), field_name(r.row, "role")
        try:
            role = StudioRole(r.role) if r.role else None
        except ValueError:
            role = None
            problems.add(role_field, "Choose a role from the list.")
        if not r.student_id:
            if role is not None:
                problems.add(student_field, "Choose the student who had this role, or clear the role.")
            continue
        user = users.get(r.student_id)
        if user is None or user.role != Role.STUDENT or not user.active:
            problems.add(student_field, "Choose a student from the list.")
            continue
        if user.id == logger.id:
            problems.add(student_field, "That is you: your own role is chosen above.")
            continue
        if user.id in seen:
            problems.add(student_field, f"{user.display_name} is named twice; name each student once.")
            continue
        seen.add(user.id)
        if role is None:
            if not problems.has(role_field):
                problems.add(role_field, f"Choose {user.display_name}'s role in the session.")
            continue
        found.append((r.row, user, role))
    return found


def log_group_session(logger: User, data: studio.SessionInput, rows: Sequence[ParticipantInput], *, actor: User,
                      session_link: SessionLink, booking: StudioBooking | None = None) -> StudioSession:
    """Log a session for the logger and every named student at once; returns the logger's own row (linked to
    `booking` when it was logged from the logger's booking).

    Every rule of a session (the fields, the term, closed terms, future dates, overlaps) is checked for every
    participant and every problem is refused at once, a participant's at their row, naming them. Each named student
    is notified, with a link (`session_link(their row's id)`) to confirm or decline.
    """
    studio.refuse_booking_to_log(logger, booking)
    problems = Problems()
    named = _participants(logger, rows, problems)
    # Lock every participant's account row in one order (as studio._refuse_overlap does for one student), so two
    # group sessions logged at the same moment cannot both pass the overlap checks, nor deadlock.
    ids = sorted({logger.id, *(user.id for _, user, _ in named)})
    db.session.execute(sa.select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update())
    values = problems.check(studio.new_session_values, logger, data, actor=actor)
    if values is not None:
        clash = studio.find_overlap(logger.id, values["date"], values["start_time"], values["end_time"])
        if clash is not None:
            problems.add("start_time", studio.overlap_message(clash))
        for row, user, _role in named:
            if studio.find_overlap(user.id, values["date"], values["start_time"], values["end_time"]) is not None:
                # Not which session, nor where: that is the other student's record.
                problems.add(field_name(row, "student_id"),
                             f"{user.display_name} already has a studio session that overlaps this time on "
                             f"{values['date']:%Y-%m-%d}; they would have to change or withdraw it first, or "
                             "leave them out of this one.")
    if not named and not problems:
        problems.add(None, "Name at least one other student, or log the session on your own.")
    problems.raise_any()

    now = utcnow()
    group = StudioSessionGroup(created_by_id=logger.id, created_at=now)
    own = StudioSession(student_id=logger.id, status=SessionStatus.PENDING, submitted_at=now, created_at=now,
                        confirmation=Confirmation.CONFIRMED, group=group, **values)
    others = [(user, StudioSession(student_id=user.id, status=SessionStatus.PENDING, submitted_at=now,
                                   created_at=now, confirmation=Confirmation.AWAITING, group=group,
                                   **{**values, "role": role}))
              for _, user, role in named]
    db.session.add_all([group, own, *(row for _, row in others)])
    db.session.flush()
    if booking is not None:
        studio.link_booking(booking, own)

    readable = vars(studio.readable(values))
    with_whom = ", ".join(f"{user.display_name} ({_role_label(row.role)})" for user, row in others)
    history.record(
        actor, "studio_session.logged", ENTITY, own.id, subject_id=logger.id,
        summary=f"Logged {readable['hours']} h in {readable['studio']} on {values['date']:%Y-%m-%d} as a group "
                f"session with {with_whom}",
        changes={**readable, "participants": with_whom, "group": group.id},
    )
    for user, row in others:
        history.record(
            actor, "studio_session.named", ENTITY, row.id, subject_id=user.id,
            summary=f"{logger.display_name} named {user.display_name} as {_role_label(row.role)} in a group session "
                    f"of {values['date']:%Y-%m-%d}; waiting for their confirmation",
            changes={**readable, "role": row.role, "confirmation": Confirmation.AWAITING, "group": group.id},
        )
        notifications.notify(
            user.id,
            f"{logger.display_name} named you as {_role_label(row.role)} in a "
            f"{format_number(row.minutes / 60)}-hour studio session on {row.date:%a %-d %b} ({readable['studio']}). "
            "Confirm that you took part, or decline.",
            session_link(row.id),
        )
    db.session.commit()
    return own


# ---------------------------------------------------------------- the participant's answer

# Confirming or declining (True, False): the answer it stores, its history action and how the event words it.
_ANSWERS = {
    True: (Confirmation.CONFIRMED, "studio_session.confirmed", "Confirmed taking part in"),
    False: (Confirmation.DECLINED, "studio_session.declined", "Declined"),
}


def _answer(studio_session: StudioSession, actor: User, *, confirm: bool) -> None:
    """Store the named student's answer and its history event in one transaction."""
    if studio_session.student_id != actor.id:
        raise ServiceError("Only the student named in a session can confirm or decline it.")
    if studio_session.confirmation != Confirmation.AWAITING or studio_session.status != SessionStatus.PENDING:
        raise ServiceError(f"You already answered: this session is {studio_session.confirmation.label.lower()}.")
    if not may_change_term_sessions(actor, closed=studio_session.term.closed):
        raise ServiceError(f"{studio_session.term.name} is closed: its sessions can no longer be confirmed or "
                           "declined. Ask the program office if something is wrong.")
    answer, action, said = _ANSWERS[confirm]
    values = {"confirmation": answer}
    changes = {"confirmation": [Confirmation.AWAITING.value, answer.value]}
    if not confirm:  # a declined row counts nowhere and waits for no one: it is withdrawn
        values["status"] = SessionStatus.WITHDRAWN
        changes["status"] = [SessionStatus.PENDING.value, SessionStatus.WITHDRAWN.value]
    # Conditional, as every write of a session is: a second click or a second tab matches no row.
    if not studio.update_session_where(studio_session.id, [StudioSession.confirmation == Confirmation.AWAITING,
                                                           StudioSession.status == SessionStatus.PENDING], values):
        raise ServiceError("You already answered for this session in another window.")
    history.record(actor, action, ENTITY, studio_session.id, subject_id=actor.id, changes=changes,
                   summary=f"{said} the group session of {studio_session.date:%Y-%m-%d} as "
                           f"{_role_label(studio_session.role)}")
    db.session.commit()


def confirm(studio_session: StudioSession, *, actor: User) -> None:
    """The named student confirms taking part: their row now waits for the supervisor like any other."""
    _answer(studio_session, actor, confirm=True)


def decline(studio_session: StudioSession, *, actor: User) -> None:
    """The named student declines: their row is kept as declined (and withdrawn); the others are untouched."""
    _answer(studio_session, actor, confirm=False)


# ---------------------------------------------------------------- review

def approve_confirmed(sessions: Sequence[StudioSession], selected: Iterable[tuple[int, int | None]], *,
                      actor: User, session_link: SessionLink) -> review.BulkResult:
    """Approve every confirmed, pending row of a group (`sessions`, loaded in the reviewer's scope) among the
    (id, version seen) pairs the page sent; each row is decided once, as review.decide_many does."""
    in_group = {s.id for s in sessions}
    wanted = [(session_id, version) for session_id, version in selected if session_id in in_group]
    if not wanted:
        raise ServiceError("Nobody in this group session is confirmed and waiting for your review.")
    return review.decide_many(wanted, review.Decision.APPROVE, "", actor=actor, session_link=session_link)


# ---------------------------------------------------------------- reading

def awaiting_confirmation(student_id: int, limit: int = 10) -> list[StudioSession]:
    """The group sessions other students named this student in that wait for their answer, oldest first."""
    return list(db.session.scalars(
        sa.select(StudioSession)
        .where(StudioSession.student_id == student_id, StudioSession.confirmation == Confirmation.AWAITING,
               StudioSession.status == SessionStatus.PENDING)
        .options(joinedload(StudioSession.studio), joinedload(StudioSession.supervisor),
                 joinedload(StudioSession.term), joinedload(StudioSession.group).joinedload(StudioSessionGroup.created_by))
        .order_by(StudioSession.date, StudioSession.start_time, StudioSession.id)
        .limit(limit)
    ))


def group_history(session_ids: Sequence[int]) -> list[HistoryEvent]:
    """Every step of these rows (logged, named, confirmed or declined, decided...), oldest first, with who did it
    and whom it concerns."""
    if not session_ids:
        return []
    return list(db.session.scalars(
        sa.select(HistoryEvent)
        .where(HistoryEvent.entity_type == ENTITY, HistoryEvent.entity_id.in_(sorted(session_ids)))
        .options(joinedload(HistoryEvent.actor), joinedload(HistoryEvent.subject))
        .order_by(HistoryEvent.created_at, HistoryEvent.id)
    ))


def other_students(student_id: int) -> list[User]:
    """The active students a student can name in a session (everyone but themself), by name."""
    return list(db.session.scalars(
        sa.select(User).where(User.role == Role.STUDENT, User.active.is_(True), User.id != student_id)
        .order_by(User.display_name, User.id)))
