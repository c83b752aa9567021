"""What a program offers: programs, their catalog versions, concentrations, courses, terms, ensembles and studios."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, enum_column, utcnow
from ..domain.vocabulary import DEFAULT_VOCABULARY, Vocabulary
from .enums import CourseCategory

if TYPE_CHECKING:
    from .people import User


def _default_json() -> tuple[list, list]:
    """The default vocabulary as the program row stores it (a program created without a definition)."""
    return DEFAULT_VOCABULARY.to_json()


class Program(db.Model):
    """A degree program, e.g. the Master of Music in Music Production.

    Its rules live in its catalog versions (CatalogVersion); the name, degree, credit and GPA figures and the
    definition source here repeat the newest version's, for pages that list programs (the audit never reads them).
    """

    __tablename__ = "program"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    degree: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="Master of Music")
    total_credits: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    min_gpa: Mapped[Decimal] = mapped_column(sa.Numeric(3, 2), nullable=False)
    max_transfer_credits: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False, default=Decimal("6"))
    # The newest catalog version's definition (TOML), so an admin can download and edit it.
    definition_source: Mapped[Optional[str]] = mapped_column(sa.Text, nullable=True)
    # The program's vocabulary (tracker.domain.Vocabulary.to_json): the newest version's tracks and milestone kinds,
    # then any only an older version still declares (its students keep their labels). A JSON list each,
    # read with the program row, so pages that show a track or milestone label need no other query. NULL reads as
    # the default vocabulary (the migration writes it out for programs stored before vocabularies existed).
    tracks: Mapped[Optional[list]] = mapped_column(sa.JSON, nullable=True, default=lambda: _default_json()[0])
    milestone_kinds: Mapped[Optional[list]] = mapped_column(sa.JSON, nullable=True,
                                                            default=lambda: _default_json()[1])
    # Studio settings of the program (operations, not degree rules, so not in its catalog versions):
    # the most a student may have booked in one week (None: no quota), how far a logged session may differ from its
    # booking before the reconciliation report lists it, and how late a cancellation may come before it is recorded
    # as late.
    booking_weekly_quota_minutes: Mapped[Optional[int]] = mapped_column(sa.Integer, nullable=True)
    reconciliation_tolerance_minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=15,
                                                                  server_default="15")
    late_cancellation_hours: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=24,
                                                         server_default="24")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    concentrations: Mapped[list["Concentration"]] = relationship(
        back_populates="program", order_by="Concentration.name"
    )
    courses: Mapped[list["Course"]] = relationship(back_populates="program", order_by="Course.code")
    # Every catalog version of the program, oldest first by creation (tracker.services.catalog_versions orders them
    # by start term).
    versions: Mapped[list["CatalogVersion"]] = relationship(back_populates="program", order_by="CatalogVersion.id")

    @property
    def vocabulary(self) -> Vocabulary:
        """The program's tracks and milestone kinds (domain objects).

        Parsed once per loaded row (list pages ask for it on every line): the memo holds only while the row's two
        JSON values are the very objects it was parsed from; an assignment, a refresh or an expiry replaces them.
        """
        memo = getattr(self, "_vocabulary_memo", None)
        if memo is None or memo[0] is not self.tracks or memo[1] is not self.milestone_kinds:
            memo = (self.tracks, self.milestone_kinds, Vocabulary.from_json(self.tracks, self.milestone_kinds))
            self._vocabulary_memo = memo
        return memo[2]

    def __repr__(self) -> str:
        return f"<Program {self.code}>"


class Concentration(db.Model):
    """A concentration within a program (production, technical, acoustical studies, education, composition)."""

    __tablename__ = "concentration"
    __table_args__ = (sa.UniqueConstraint("program_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id"), index=True, nullable=False)
    code: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True, server_default=sa.true())

    program: Mapped[Program] = relationship(back_populates="concentrations")

    def __repr__(self) -> str:
        return f"<Concentration {self.code}>"


class Course(db.Model):
    """A catalog course; retired courses stay for the records that use them."""

    __tablename__ = "course"
    __table_args__ = (sa.UniqueConstraint("program_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id"), index=True, nullable=False)
    code: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    credits: Mapped[Decimal] = mapped_column(sa.Numeric(4, 1), nullable=False)
    # Set for a variable-credit course: each record carries its own credits, from `credits` up to this.
    max_credits: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(4, 1), nullable=True)
    category: Mapped[CourseCategory] = mapped_column(enum_column(CourseCategory), nullable=False)
    concentration_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("concentration.id"), index=True, nullable=True
    )
    pass_fail: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True, server_default=sa.true())

    program: Mapped[Program] = relationship(back_populates="courses")
    concentration: Mapped[Optional[Concentration]] = relationship()

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}"

    def __repr__(self) -> str:
        return f"<Course {self.code}>"


class CatalogVersion(db.Model):
    """One catalog of a program (e.g. "2025–26"): its whole definition, in force for students starting from a term.

    `definition` is tracker.domain.definition_to_json of the loaded definition (the audit's only source of rules for
    the students who follow this version); `digest` is the SHA-256 of its canonical JSON, so the parsed rules can be
    cached by content. An enrollment follows one version (Enrollment.catalog_version_id).
    """

    __tablename__ = "catalog_version"
    # One version per name and per start term (NULL, "from the beginning", is the first version's alone: the
    # services keep it so, since a unique constraint lets NULLs repeat).
    __table_args__ = (sa.UniqueConstraint("program_id", "name"), sa.UniqueConstraint("program_id", "start_term_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id"), index=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    # In force for students whose start term starts on or after this term's start; NULL: from the beginning.
    start_term_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("term.id"), index=True, nullable=True)
    # Deferred: list pages and the audit's first query never need these; the audit reads the definition once per
    # version in its second query (tracker.services.audit).
    source: Mapped[Optional[str]] = mapped_column(sa.Text, nullable=True, deferred=True)
    definition: Mapped[dict] = mapped_column(sa.JSON, nullable=False, deferred=True)
    digest: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=True)
    # The last time the version's definition was replaced (NULL: never since it was created), and by whom.
    replaced_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    replaced_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=True)

    program: Mapped[Program] = relationship(back_populates="versions")
    start_term: Mapped[Optional["Term"]] = relationship()
    created_by: Mapped[Optional["User"]] = relationship(foreign_keys=[created_by_id])
    replaced_by: Mapped[Optional["User"]] = relationship(foreign_keys=[replaced_by_id])

    @property
    def label(self) -> str:
        """How pages name it: "Catalog 2025–26"."""
        return f"Catalog {self.name}"

    def __repr__(self) -> str:
        return f"<CatalogVersion {self.program_id} {self.name}>"


class Term(db.Model):
    """An academic term; a closed term accepts studio changes from administrators only."""

    __tablename__ = "term"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    start_date: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    end_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    closed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)

    def contains(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date

    def __repr__(self) -> str:
        return f"<Term {self.name}>"


class Ensemble(db.Model):
    """One of the school's ensembles."""

    __tablename__ = "ensemble"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True, server_default=sa.true())

    def __repr__(self) -> str:
        return f"<Ensemble {self.name}>"


class Studio(db.Model):
    """A recording studio room."""

    __tablename__ = "studio"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    location: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True, server_default=sa.true())
    # Booking settings (tracker.services.bookings): the longest single booking, and how far ahead one may book.
    max_booking_minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=240, server_default="240")
    booking_weeks_ahead: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=4, server_default="4")

    # Opening hours per weekday (no row for a weekday: closed that day), by weekday.
    opening_hours: Mapped[list["StudioOpeningHours"]] = relationship(
        back_populates="studio", order_by="StudioOpeningHours.weekday", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Studio {self.name}>"


def version_starts_query(program_id) -> sa.Select:
    """(version id, its start term's first day or None) of every catalog version of a program: what
    `version_in_force` chooses from."""
    return (sa.select(CatalogVersion.id, Term.start_date).select_from(CatalogVersion)
            .outerjoin(Term, Term.id == CatalogVersion.start_term_id)
            .where(CatalogVersion.program_id == program_id))


def version_in_force(starts, start_date: date | None) -> int | None:
    """The version in force for a student starting on `start_date`, among (id, start date or None) pairs.

    That is the version whose start term starts latest on or before that date (a version without a start term is
    in force from the beginning); when none is, or the student's start is unknown, the earliest version.
    """
    def order(item):
        version_id, begins = item
        return (begins is not None, begins or date.min, version_id)

    ordered = sorted(starts, key=order)
    if not ordered:
        return None
    if start_date is not None:
        in_force = [item for item in ordered if item[1] is None or item[1] <= start_date]
        if in_force:
            return in_force[-1][0]
    return ordered[0][0]
