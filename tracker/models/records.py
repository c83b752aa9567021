"""What students log and faculty decide: course, ensemble and studio records, milestones, exceptions, notifications."""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from ..extensions import db
from .base import UTCDateTime, enum_column, utcnow
from .catalog import Course, Ensemble, Studio, Term
from .enums import (
    Confirmation,
    CourseStatus,
    EnsembleRole,
    ExceptionKind,
    SessionStatus,
    StudioActivity,
    StudioRole,
)
from .people import User


class CourseRecord(db.Model):
    """A student's course in a term, with its status and grade."""

    __tablename__ = "course_record"
    __table_args__ = (sa.UniqueConstraint("student_id", "course_id", "term_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True, nullable=False)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("term.id"), index=True, nullable=False)
    status: Mapped[CourseStatus] = mapped_column(enum_column(CourseStatus), nullable=False)
    grade: Mapped[Optional[str]] = mapped_column(sa.String(4), nullable=True)
    # The credits the student took, for a variable-credit course only (None: the course's own credits).
    credits: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(4, 1), nullable=True)
    # The registrar's own id of this record, set by the registrar feed (tracker.services.registrar); None for a
    # record a student or an advisor entered.
    external_id: Mapped[Optional[str]] = mapped_column(sa.String(64), nullable=True, unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    student: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
    term: Mapped[Term] = relationship()

    def __repr__(self) -> str:
        return f"<CourseRecord {self.id} student={self.student_id} course={self.course_id} {self.status.value}>"


class EnsembleRecord(db.Model):
    """A student's participation in an ensemble for a term."""

    __tablename__ = "ensemble_record"
    __table_args__ = (sa.UniqueConstraint("student_id", "ensemble_id", "term_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    ensemble_id: Mapped[int] = mapped_column(sa.ForeignKey("ensemble.id"), index=True, nullable=False)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("term.id"), index=True, nullable=False)
    role: Mapped[EnsembleRole] = mapped_column(enum_column(EnsembleRole), nullable=False)
    notes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    student: Mapped[User] = relationship()
    ensemble: Mapped[Ensemble] = relationship()
    term: Mapped[Term] = relationship()

    def __repr__(self) -> str:
        return f"<EnsembleRecord {self.id} student={self.student_id} ensemble={self.ensemble_id}>"


class StudioSession(db.Model):
    """A logged studio session; its hours count once a faculty member approves it."""

    __tablename__ = "studio_session"
    __table_args__ = (
        sa.Index("ix_studio_session_supervisor_status", "supervisor_id", "status", "created_at"),
        sa.Index("ix_studio_session_student_date", "student_id", "date"),
        sa.CheckConstraint("minutes > 0", name="minutes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    studio_id: Mapped[int] = mapped_column(sa.ForeignKey("studio.id"), index=True, nullable=False)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("term.id"), index=True, nullable=False)
    date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    start_time: Mapped[time] = mapped_column(sa.Time, nullable=False)
    end_time: Mapped[time] = mapped_column(sa.Time, nullable=False)
    # Whole minutes, a multiple of 15: exact arithmetic on every database.
    minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    activity: Mapped[StudioActivity] = mapped_column(enum_column(StudioActivity), nullable=False)
    project: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    role: Mapped[StudioRole] = mapped_column(enum_column(StudioRole), nullable=False)
    supervisor_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=False)
    notes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus), nullable=False, default=SessionStatus.PENDING, index=True
    )
    review_note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    reviewer_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=True)
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # Optimistic locking: two writers of the same row cannot both win.
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    # A group session: one row per participant, each with its own role, status and hours, joined by the group.
    group_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("studio_session_group.id", ondelete="SET NULL"), index=True, nullable=True
    )
    # A participant named by another student confirms or declines; a session one logs oneself is confirmed.
    confirmation: Mapped[Confirmation] = mapped_column(
        enum_column(Confirmation), nullable=False, default=Confirmation.CONFIRMED, server_default="confirmed"
    )

    __mapper_args__ = {"version_id_col": version}

    # Whether an active booking of this studio by this student overlaps the session: read only by queries that ask
    # for it (the review queue, with tracker.services.reconciliation.booked_expression); None otherwise.
    booked: Mapped[Optional[bool]] = query_expression()

    group: Mapped[Optional["StudioSessionGroup"]] = relationship(back_populates="sessions")
    student: Mapped[User] = relationship(foreign_keys=[student_id])
    supervisor: Mapped[User] = relationship(foreign_keys=[supervisor_id])
    reviewer: Mapped[Optional[User]] = relationship(foreign_keys=[reviewer_id])
    studio: Mapped[Studio] = relationship()
    term: Mapped[Term] = relationship()

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / Decimal(60)).quantize(Decimal("0.01"))

    @property
    def editable(self) -> bool:
        return self.status in (SessionStatus.PENDING, SessionStatus.NEEDS_CHANGES)

    def __repr__(self) -> str:
        return f"<StudioSession {self.id} student={self.student_id} {self.date} {self.status.value}>"


class StudioSessionGroup(db.Model):
    """Several students in one studio session: each participant's own StudioSession row points here."""

    __tablename__ = "studio_session_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    created_by: Mapped[User] = relationship()
    sessions: Mapped[list[StudioSession]] = relationship(back_populates="group", order_by="StudioSession.id")

    def __repr__(self) -> str:
        return f"<StudioSessionGroup {self.id}>"


class MilestoneRecord(db.Model):
    """A thesis or non-thesis milestone signed off by the advisor or an admin."""

    __tablename__ = "milestone_record"
    __table_args__ = (sa.UniqueConstraint("student_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    # A milestone code the student's program declares (checked by tracker.services.milestones).
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    completed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    signed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    student: Mapped[User] = relationship(foreign_keys=[student_id])
    signed_by: Mapped[User] = relationship(foreign_keys=[signed_by_id])

    def __repr__(self) -> str:
        return f"<MilestoneRecord student={self.student_id} {self.kind}>"


class AuditException(db.Model):
    """A substitution, waiver or transfer credit recorded by an advisor or admin, with its justification."""

    __tablename__ = "audit_exception"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    kind: Mapped[ExceptionKind] = mapped_column(enum_column(ExceptionKind), nullable=False)
    requirement_key: Mapped[Optional[str]] = mapped_column(sa.String(64), nullable=True)
    # Substitution: the record that fills the requirement.
    course_record_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("course_record.id", ondelete="CASCADE"), index=True, nullable=True
    )
    # Waiver: how much of the requirement is waived (None = all of it), in the requirement's own unit.
    amount: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(6, 2), nullable=True)
    # Transfer credit: the outside course, its credits and, optionally, the catalog course it is equivalent to.
    course_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("course.id"), index=True, nullable=True)
    transfer_title: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    transfer_credits: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(4, 1), nullable=True)
    institution: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    # Transfer credit: when it was earned at the other institution (optional; the program may limit its age).
    earned_on: Mapped[Optional[date]] = mapped_column(sa.Date, nullable=True)
    # Transfer credit: the grade earned there (optional; a program may refuse transfer credit below a grade).
    transfer_grade: Mapped[Optional[str]] = mapped_column(sa.String(4), nullable=True)
    justification: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    revoked_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=True)

    student: Mapped[User] = relationship(foreign_keys=[student_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[Optional[User]] = relationship(foreign_keys=[revoked_by_id])
    course_record: Mapped[Optional[CourseRecord]] = relationship()
    course: Mapped[Optional[Course]] = relationship()

    def __repr__(self) -> str:
        return f"<AuditException {self.id} {self.kind.value} student={self.student_id}>"


class Notification(db.Model):
    """An in-app message to one user, e.g. that a studio session was reviewed."""

    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    message: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    link: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    read_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.id} user={self.user_id}>"
