"""Faculty review of studio sessions: the queue with its second-look flags, and approve / reject / send back — once.

A decision is a conditional UPDATE (`WHERE id = :id AND status = 'pending'`, plus the version the reviewer saw) whose
row count says whether it won: two reviewers deciding at the same moment cannot both succeed, on any database. On
PostgreSQL the second UPDATE waits for the first transaction's row lock, then re-checks the WHERE clause against the
committed row and matches nothing.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload, with_expression

from ..extensions import db
from ..formatting import format_number
from ..models import Confirmation, SessionStatus, Studio, StudioSession, Term, User, utcnow
from ..permissions import may_change_term_sessions, may_review, review_scope
from . import ServiceError, history, mail, notifications, where_given
from .reconciliation import booked_expression
from .studio import update_session_where

ENTITY = "studio_session"
# What deserves a second look in the queue.
LONG_SESSION_MINUTES = 8 * 60  # a session longer than 8 hours
SEVERAL_SESSIONS_PER_DAY = 2  # the student has at least this many (non-withdrawn) sessions on that date
LATE_LOG_DAYS = 14  # logged more than 14 days after the session took place
MAX_NOTE = 2000
AWAITING_MESSAGE = ("This student was named in a group session and has not confirmed taking part yet, so the session "
                    "cannot be decided. It waits for their answer.")
# The view passes how to link to a session's page (it builds URLs; services do not): session id -> URL.
SessionLink = Callable[[int], str]


class Decision(str, enum.Enum):
    """What a reviewer can decide about a pending session."""

    APPROVE = "approve"
    REJECT = "reject"
    SEND_BACK = "send_back"

    @property
    def status(self) -> SessionStatus:
        """The session's status after this decision."""
        return {"approve": SessionStatus.APPROVED, "reject": SessionStatus.REJECTED,
                "send_back": SessionStatus.NEEDS_CHANGES}[self.value]

    @property
    def action(self) -> str:
        """The history event's action."""
        return {"approve": "studio_session.approved", "reject": "studio_session.rejected",
                "send_back": "studio_session.sent_back"}[self.value]

    @property
    def past(self) -> str:
        """The verb for messages: 'approved', 'rejected', 'sent back'."""
        return {"approve": "approved", "reject": "rejected", "send_back": "sent back"}[self.value]

    @property
    def note_required(self) -> str | None:
        """The refusal when the note is missing, or None when it is optional."""
        return {"reject": "Give the reason for rejecting: the student sees it.",
                "send_back": "Say what the student should change before resubmitting."}.get(self.value)


@dataclass(frozen=True)
class QueueFilters:
    """The queue's optional filters (None = any)."""

    student_id: int | None = None
    studio_id: int | None = None
    term_id: int | None = None


@dataclass(frozen=True)
class QueueRow:
    """A pending session in the queue with what the flags need; a group session's row also carries every
    participant's row (in the reviewer's scope), each with its own flags."""

    session: StudioSession
    same_day_count: int
    participants: tuple["QueueRow", ...] = ()

    @property
    def confirmed_pending(self) -> list[StudioSession]:
        """The group's rows that "Approve all confirmed" would approve."""
        return [p.session for p in self.participants if p.session.status == SessionStatus.PENDING
                and p.session.confirmation == Confirmation.CONFIRMED]

    @property
    def long_session(self) -> bool:
        """Longer than LONG_SESSION_MINUTES."""
        return self.session.minutes > LONG_SESSION_MINUTES

    @property
    def several_on_day(self) -> bool:
        """The student has SEVERAL_SESSIONS_PER_DAY or more non-withdrawn sessions that date."""
        return self.same_day_count >= SEVERAL_SESSIONS_PER_DAY

    @property
    def days_late(self) -> int:
        """Days between the session and when it was logged."""
        # created_at, not submitted_at: a resubmission after "send back" moves submitted_at, but the student logged
        # the session when it was created.
        return (self.session.created_at.date() - self.session.date).days

    @property
    def logged_late(self) -> bool:
        """Logged more than LATE_LOG_DAYS after the session."""
        return self.days_late > LATE_LOG_DAYS

    @property
    def unbooked(self) -> bool:
        """No active booking of the studio by the student overlaps the session (read by queue_query)."""
        return self.session.booked is not None and not self.session.booked

    @property
    def flags(self) -> list[str]:
        """Human labels of the reasons to look twice."""
        out = []
        if self.long_session:
            out.append(f"Long session ({format_number(self.session.hours)} h)")
        if self.several_on_day:
            out.append(f"{self.same_day_count} sessions that day")
        if self.logged_late:
            out.append(f"Logged {self.days_late} days later")
        if self.unbooked:
            out.append("No booking")
        return out


@dataclass
class BulkResult:
    """What a bulk decision did: how many were decided and why the others were not."""

    decided: int = 0
    already_reviewed: int = 0  # no longer pending: another reviewer decided, or the student withdrew it
    changed: int = 0  # still pending, but the student edited it after the page was loaded
    unavailable: int = 0  # not in this reviewer's queue, or in a closed term they may not change
    awaiting: int = 0  # a group session's participant who has not confirmed yet


@dataclass(frozen=True)
class _Facts:
    """Plain values of a session read before deciding (ORM objects expire at each commit)."""

    id: int
    student_id: int
    date: date
    minutes: int
    studio: str
    status: SessionStatus
    version: int
    review_note: str
    term_name: str
    term_closed: bool
    confirmation: Confirmation = Confirmation.CONFIRMED

    @classmethod
    def of(cls, s: StudioSession) -> "_Facts":
        return cls(s.id, s.student_id, s.date, s.minutes, s.studio.name, s.status, s.version, s.review_note or "",
                   s.term.name, s.term.closed, s.confirmation)


# ---------------------------------------------------------------- reading

def _scoped(query: sa.Select, user: User) -> sa.Select:
    """The query narrowed to the sessions this user reviews (permissions.review_scope)."""
    return query.where(review_scope(user))


def reviewable_or_none(user: User, session_id: int) -> StudioSession | None:
    """A session this user may decide (any status), with what its page shows; None hides others' sessions."""
    return db.session.scalar(_scoped(
        sa.select(StudioSession).where(StudioSession.id == session_id).options(
            joinedload(StudioSession.student), joinedload(StudioSession.supervisor),
            joinedload(StudioSession.reviewer), joinedload(StudioSession.studio), joinedload(StudioSession.term),
        ), user))


def queue_query(user: User, filters: QueueFilters) -> sa.Select:
    """Pending sessions for this reviewer, oldest submission first, with what each row shows.

    A group session appears once: by the first of its pending rows (with the same supervisor) that the filters
    match; queue_rows then attaches the other participants."""
    query = _scoped(
        sa.select(StudioSession)
        .where(StudioSession.status == SessionStatus.PENDING)
        .options(joinedload(StudioSession.student), joinedload(StudioSession.studio),
                 joinedload(StudioSession.term), joinedload(StudioSession.supervisor),
                 with_expression(StudioSession.booked, booked_expression()))
        .order_by(StudioSession.submitted_at, StudioSession.id),
        user,
    )
    query = where_given(query, (StudioSession.student_id, filters.student_id),
                        (StudioSession.studio_id, filters.studio_id), (StudioSession.term_id, filters.term_id))
    other = aliased(StudioSession)
    earlier = where_given(
        sa.select(other.id).where(other.group_id == StudioSession.group_id, other.id < StudioSession.id,
                                  other.status == SessionStatus.PENDING,
                                  other.supervisor_id == StudioSession.supervisor_id),
        (other.student_id, filters.student_id), (other.studio_id, filters.studio_id), (other.term_id, filters.term_id))
    return query.where(sa.or_(StudioSession.group_id.is_(None), ~earlier.exists()))


def queue_rows(sessions: Sequence[StudioSession], user: User | None = None) -> list[QueueRow]:
    """Attach to each session how many sessions its student has that day — one grouped query for the whole page —
    and, to a group session's row, every participant's row in `user`'s review scope (one more query when the page
    shows a group)."""
    group_ids = sorted({s.group_id for s in sessions if s.group_id is not None})
    members: dict[int, list[StudioSession]] = {}
    if group_ids and user is not None:
        for member in db.session.scalars(_scoped(
                sa.select(StudioSession).where(StudioSession.group_id.in_(group_ids))
                .options(joinedload(StudioSession.student)).order_by(StudioSession.id), user)):
            members.setdefault(member.group_id, []).append(member)
    pairs = {(s.student_id, s.date) for s in sessions}
    pairs |= {(m.student_id, m.date) for group in members.values() for m in group}
    counts: dict[tuple[int, date], int] = {}
    if pairs:
        rows = db.session.execute(
            sa.select(StudioSession.student_id, StudioSession.date, sa.func.count(StudioSession.id))
            .where(sa.tuple_(StudioSession.student_id, StudioSession.date).in_(sorted(pairs)),
                   StudioSession.status != SessionStatus.WITHDRAWN)
            .group_by(StudioSession.student_id, StudioSession.date)
        )
        counts = {(student_id, day): n for student_id, day, n in rows}

    def row(s: StudioSession) -> QueueRow:
        group = members.get(s.group_id, ()) if s.group_id is not None else ()
        return QueueRow(s, counts.get((s.student_id, s.date), 1),
                        tuple(QueueRow(m, counts.get((m.student_id, m.date), 1)) for m in group))

    return [row(s) for s in sessions]


def filter_choices(user: User) -> tuple[list[tuple[int, str]], list[tuple[int, str]], list[tuple[int, str]]]:
    """(id, label) pairs for the queue's filters: the students with sessions waiting for this reviewer (by name),
    every studio (by name) and every term (newest first). One UNION ALL query, not three: this page is the one
    reviewers keep open, and each round trip is a good part of its cost."""
    waiting = _scoped(sa.select(StudioSession.student_id).where(StudioSession.status == SessionStatus.PENDING), user)

    def part(kind: int, id_column, label_column, *order_by):
        return sa.select(sa.literal(kind).label("kind"), id_column.label("id"), label_column.label("label"),
                         sa.func.row_number().over(order_by=order_by).label("position"))

    query = sa.union_all(
        part(0, User.id, User.display_name, User.display_name, User.id).where(User.id.in_(waiting)),
        part(1, Studio.id, Studio.name, Studio.name),
        part(2, Term.id, Term.name, Term.start_date.desc()),
    ).order_by(sa.text("kind"), sa.text("position"))
    found: tuple[list, list, list] = ([], [], [])
    for kind, id_, label, _position in db.session.execute(query):
        found[kind].append((id_, label))
    return found


# ---------------------------------------------------------------- deciding

def _decision(value: Decision | str | None) -> Decision:
    try:
        return Decision(value)
    except ValueError:
        raise ServiceError("Choose approve, reject or send back for changes.") from None


def _clean_note(decision: Decision, note: str | None) -> str:
    note = (note or "").strip()
    if decision.note_required and not note:
        raise ServiceError(decision.note_required, "note")
    if len(note) > MAX_NOTE:
        raise ServiceError(f"Use at most {MAX_NOTE} characters.", "note")
    return note


def _refuse_closed_term(facts: _Facts, actor: User) -> None:
    # A closed term accepts studio changes from administrators only (see Term).
    if not may_change_term_sessions(actor, closed=facts.term_closed):
        raise ServiceError(f"{facts.term_name} is closed: only the program office can decide its sessions now.")


def _message(actor_name: str, decision: Decision, facts: _Facts, note: str) -> str:
    """'Prof. X approved your 4-hour session on Mon 2 Nov (Studio A)' — plus the reason or note when there is one."""
    what = f"your {format_number(facts.minutes / 60)}-hour session on {facts.date:%a %-d %b} ({facts.studio})"
    if decision == Decision.SEND_BACK:
        text = f"{actor_name} sent back {what} for changes"
    else:
        text = f"{actor_name} {decision.past} {what}"
    return f"{text}: {note}" if note else text


def _apply(facts: _Facts, decision: Decision, note: str, actor: User, expected_version: int | None,
           session_link: SessionLink) -> bool:
    """The conditional UPDATE, then history and notification in the same transaction; False if it matched nothing."""
    now = utcnow()
    # Only a confirmed row is decided: a participant named in a group session answers first.
    conditions = [StudioSession.status == SessionStatus.PENDING, StudioSession.confirmation == Confirmation.CONFIRMED]
    if expected_version is not None:
        conditions.append(StudioSession.version == expected_version)
    if not update_session_where(facts.id, conditions, {"status": decision.status, "reviewer_id": actor.id,
                                                       "reviewed_at": now, "review_note": note, "updated_at": now}):
        return False
    changes = {"status": [SessionStatus.PENDING.value, decision.status.value]}
    if note != facts.review_note:
        changes["review_note"] = [facts.review_note, note]
    history.record(
        actor, decision.action, ENTITY, facts.id, subject_id=facts.student_id,
        summary=f"{decision.past.capitalize()} the {format_number(facts.minutes / 60)}-hour session of "
                f"{facts.date:%Y-%m-%d} in {facts.studio}",
        changes=changes,
    )
    message = _message(actor.display_name, decision, facts, note)
    notifications.notify(facts.student_id, message, session_link(facts.id))
    mail.session_reviewed(facts.student_id, message, session_link(facts.id))  # the e-mail, in this transaction
    db.session.commit()
    return True


def _current(session_id: int) -> StudioSession | None:
    """The committed state of a session, bypassing the stale copy in the identity map."""
    return db.session.scalar(
        sa.select(StudioSession).where(StudioSession.id == session_id)
        .options(joinedload(StudioSession.reviewer)).execution_options(populate_existing=True)
    )


def not_decided_message(studio_session: StudioSession | None) -> str:
    """Why a decision on this session was not recorded (someone got there first, or it changed)."""
    if studio_session is None:
        return "This session no longer exists."
    if studio_session.confirmation == Confirmation.AWAITING:
        return AWAITING_MESSAGE
    if studio_session.confirmation == Confirmation.DECLINED:
        return "The student declined being in this group session, so it is not reviewed. Your decision was not recorded."
    if studio_session.status == SessionStatus.WITHDRAWN:
        return "The student withdrew this session, so it no longer waits for review. Your decision was not recorded."
    if studio_session.status == SessionStatus.PENDING:
        return ("The student changed this session after you opened it, so your decision was not recorded. "
                "Review the current version.")
    by = f" by {studio_session.reviewer.display_name}" if studio_session.reviewer else ""
    return (f"This session was already reviewed ({studio_session.status.label.lower()}{by}). "
            "Your decision was not recorded.")


def decide(studio_session: StudioSession, decision: Decision | str | None, note: str | None, *, actor: User,
           session_link: SessionLink, expected_version: int | None = None) -> StudioSession:
    """Approve, reject (reason required) or send back (note required) one pending session, exactly once; the
    student's notification links to `session_link(session id)`."""
    decision = _decision(decision)
    facts = _Facts.of(studio_session)
    if studio_session.confirmation != Confirmation.CONFIRMED:
        raise ServiceError(not_decided_message(studio_session))
    if studio_session.status != SessionStatus.PENDING or (expected_version is not None
                                                          and expected_version != studio_session.version):
        raise ServiceError(not_decided_message(studio_session))
    if not may_review(actor, studio_session):
        raise ServiceError("Only the session's supervisor or an administrator can decide it.")
    _refuse_closed_term(facts, actor)
    note = _clean_note(decision, note)
    if not _apply(facts, decision, note, actor, expected_version, session_link):
        raise ServiceError(not_decided_message(_current(facts.id)))
    return studio_session


def decide_many(selected: Iterable[tuple[int, int | None]], decision: Decision | str | None, note: str | None, *,
                actor: User, session_link: SessionLink) -> BulkResult:
    """Decide several sessions (id, version seen) the same way; each in its own transaction, each at most once."""
    decision = _decision(decision)
    wanted = dict(selected)
    if not wanted:
        raise ServiceError("Select at least one session.")
    note = _clean_note(decision, note)
    sessions = db.session.scalars(_scoped(
        sa.select(StudioSession).where(StudioSession.id.in_(sorted(wanted)))
        .options(joinedload(StudioSession.studio), joinedload(StudioSession.term))
        .order_by(StudioSession.submitted_at, StudioSession.id), actor)).all()
    # Read everything first: each commit below expires the loaded objects.
    found = [_Facts.of(s) for s in sessions]
    result = BulkResult(unavailable=len(wanted) - len(found))
    for facts in found:
        expected = wanted[facts.id]
        if facts.status != SessionStatus.PENDING:
            result.already_reviewed += 1
        elif expected is not None and expected != facts.version:
            result.changed += 1
        elif not may_change_term_sessions(actor, closed=facts.term_closed):
            result.unavailable += 1
        elif facts.confirmation != Confirmation.CONFIRMED:
            result.awaiting += 1
        elif _apply(facts, decision, note, actor, expected, session_link):
            result.decided += 1
        else:
            current = _current(facts.id)
            if current is not None and current.status == SessionStatus.PENDING:
                result.changed += 1
            else:
                result.already_reviewed += 1
    db.session.commit()  # ends the read-only transaction of the last check
    return result
