"""What a program offers: programs, concentrations, courses, requirements, terms, ensembles and studios."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, enum_column, utcnow
from ..domain.vocabulary import DEFAULT_VOCABULARY, Vocabulary
from .enums import CourseCategory


def _default_json() -> tuple[list, list]:
    """The default vocabulary as the program row stores it (a program created without a definition)."""
    return DEFAULT_VOCABULARY.to_json()


class Program(db.Model):
    """A degree program, e.g. the Master of Music in Music Production."""

    __tablename__ = "program"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    degree: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="Master of Music")
    total_credits: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    min_gpa: Mapped[Decimal] = mapped_column(sa.Numeric(3, 2), nullable=False)
    max_transfer_credits: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False, default=Decimal("6"))
    # The program definition (TOML) last loaded or saved, so an admin can download and edit it.
    definition_source: Mapped[Optional[str]] = mapped_column(sa.Text, nullable=True)
    # The program's vocabulary as its definition declares it (tracker.domain.Vocabulary.to_json): a JSON list each,
    # read with the program row, so pages that show a track or milestone label need no other query. NULL reads as
    # the default vocabulary (the migration writes it out for programs stored before vocabularies existed).
    tracks: Mapped[Optional[list]] = mapped_column(sa.JSON, nullable=True, default=lambda: _default_json()[0])
    milestone_kinds: Mapped[Optional[list]] = mapped_column(sa.JSON, nullable=True,
                                                            default=lambda: _default_json()[1])
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    concentrations: Mapped[list["Concentration"]] = relationship(
        back_populates="program", order_by="Concentration.name"
    )
    courses: Mapped[list["Course"]] = relationship(back_populates="program", order_by="Course.code")
    requirements: Mapped[list["Requirement"]] = relationship(
        back_populates="program", order_by="Requirement.position", cascade="all, delete-orphan"
    )

    @property
    def vocabulary(self) -> Vocabulary:
        """The program's tracks and milestone kinds (domain objects)."""
        return Vocabulary.from_json(self.tracks, self.milestone_kinds)

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


class Requirement(db.Model):
    """One block of a program's requirements; `params` holds the kind's settings (see tracker.domain)."""

    __tablename__ = "requirement"
    __table_args__ = (sa.UniqueConstraint("program_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id"), index=True, nullable=False)
    key: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    concentrations: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)  # empty = all
    track: Mapped[Optional[str]] = mapped_column(sa.String(32), nullable=True)  # a declared track code; None = all
    params: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)

    program: Mapped[Program] = relationship(back_populates="requirements")

    def __repr__(self) -> str:
        return f"<Requirement {self.key} {self.kind}>"


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

    def __repr__(self) -> str:
        return f"<Studio {self.name}>"
