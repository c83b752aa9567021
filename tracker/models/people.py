"""People: user accounts, enrollments in a program, one-time password-reset links."""
from __future__ import annotations

import secrets
import time
from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ..extensions import db
from .audit_stamps import GENERATION_ID, AuditGeneration, AuditStamp
from .base import UTCDateTime, enum_column, utcnow
from .enums import EnrollmentStatus, Role

if TYPE_CHECKING:
    from .catalog import CatalogVersion, Concentration, Program, Term


def new_session_token() -> str:
    """A fresh random token; changing it ends every session of the user."""
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """An account: a student, a faculty member or an administrator."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique index makes email case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    password_hash: Mapped[Optional[str]] = mapped_column(sa.String(255), nullable=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), nullable=False, index=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True, server_default=sa.true())
    session_token: Mapped[str] = mapped_column(sa.String(64), nullable=False, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    # The secret in the user's calendar feed addresses (iCalendar); None until first asked for, replaced on rotation.
    calendar_token: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True, index=True, nullable=True)

    enrollment: Mapped[Optional["Enrollment"]] = relationship(
        back_populates="student", foreign_keys="Enrollment.student_id", uselist=False
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """The login id "id:token:issued-at:s|r": rotating the token ends old sessions, and the issue time (with
        s = session, r = remembered) lets the user loader end a login after its absolute lifetime."""
        issued_at = getattr(self, "_login_issued_at", None) or int(time.time())
        kind = "r" if getattr(self, "_login_remembered", False) else "s"
        return f"{self.id}:{self.session_token}:{issued_at}:{kind}"

    def mark_login(self, issued_at: int, remembered: bool) -> None:
        """Note when this login began and whether it is remembered (not stored: it travels in the signed id)."""
        self._login_issued_at = issued_at
        self._login_remembered = remembered

    def rotate_session_token(self) -> None:
        """End every existing session of this user."""
        self.session_token = new_session_token()

    @property
    def is_student(self) -> bool:
        return self.role == Role.STUDENT

    @property
    def is_faculty(self) -> bool:
        return self.role == Role.FACULTY

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"


class Enrollment(db.Model):
    """A student's place in a program: concentration, track, start term, advisor and catalog version.

    A new enrollment follows the catalog version in force at its start term (filled in on insert when not given);
    afterwards only an administrator's move changes it (tracker.services.catalog_versions).
    """

    __tablename__ = "enrollment"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), unique=True, nullable=False)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id"), index=True, nullable=False)
    concentration_id: Mapped[int] = mapped_column(sa.ForeignKey("concentration.id"), index=True, nullable=False)
    # A track code the program declares (tracker.services checks it; the program row holds the vocabulary).
    track: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    start_term_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("term.id"), index=True, nullable=True)
    advisor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=True)
    # The catalog version whose rules the student's audit follows (one of the program's versions).
    catalog_version_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_version.id"), index=True, nullable=False)
    status: Mapped[EnrollmentStatus] = mapped_column(
        enum_column(EnrollmentStatus), nullable=False, default=EnrollmentStatus.ACTIVE
    )
    # The registrar's own id of this enrollment, set by the registrar feed (tracker.services.registrar).
    external_id: Mapped[Optional[str]] = mapped_column(sa.String(64), nullable=True, unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # What a cached audit of this student is keyed by (tracker.models.audit_stamps), read with the enrollment.
    audit_stamp: Mapped[Optional[str]] = column_property(
        sa.select(AuditStamp.token).where(AuditStamp.student_id == student_id).scalar_subquery())
    audit_generation: Mapped[Optional[str]] = column_property(
        sa.select(AuditGeneration.token).where(AuditGeneration.id == GENERATION_ID).scalar_subquery())

    student: Mapped[User] = relationship(back_populates="enrollment", foreign_keys=[student_id])
    advisor: Mapped[Optional[User]] = relationship(foreign_keys=[advisor_id])
    program: Mapped["Program"] = relationship()
    concentration: Mapped["Concentration"] = relationship()
    start_term: Mapped[Optional["Term"]] = relationship()
    catalog_version: Mapped["CatalogVersion"] = relationship()

    @property
    def track_label(self) -> str:
        """The track's label in the student's program ("Thesis", "Portfolio")."""
        return self.program.vocabulary.track_label(self.track)

    def __repr__(self) -> str:
        return f"<Enrollment student={self.student_id} program={self.program_id} {self.track}>"


@sa.event.listens_for(Enrollment, "before_insert")
def _follow_the_catalog_in_force(_mapper, connection, target: Enrollment) -> None:
    """Give a new enrollment the catalog version in force at its start term, unless one was chosen.

    Done here, at the one place every enrollment is written (the account form, the CSV import, the demo), so no
    path can forget it.
    """
    if target.catalog_version_id is not None or target.catalog_version is not None:
        return
    from .catalog import Term, version_in_force, version_starts_query

    program_id = target.program_id if target.program_id is not None else target.program.id
    start_date = None
    if target.start_term is not None:
        start_date = target.start_term.start_date
    elif target.start_term_id is not None:
        start_date = connection.scalar(sa.select(Term.start_date).where(Term.id == target.start_term_id))
    version_id = version_in_force(connection.execute(version_starts_query(program_id)).all(), start_date)
    if version_id is None:
        raise ValueError(f"program {program_id} has no catalog version, so a student cannot enroll in it yet")
    target.catalog_version_id = version_id


class PasswordResetToken(db.Model):
    """A one-time link an admin hands to a user; only its hash is stored."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<PasswordResetToken user={self.user_id} used={self.used_at is not None}>"
