"""What the audit reads: frozen dataclasses the web app builds from its rows (no database types in here)."""
from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import date, datetime
from decimal import Decimal

from .vocabulary import DEFAULT_MILESTONES

COURSE_STATUSES = ("planned", "in_progress", "completed", "withdrawn")
SESSION_STATUSES = ("pending", "approved", "rejected", "needs_changes", "withdrawn")


@dataclass(frozen=True)
class StudentContext:
    """Who is audited: the concentration code and the track ("thesis" or "non_thesis"); change it for what-if."""

    concentration: str
    track: str
    # The first day of the student's start term (None: unknown): transfer age and the time limit count from it.
    start: date | None = None


@dataclass(frozen=True)
class Term:
    """An academic term; `order` is its chronological sort key."""

    id: int
    name: str
    order: int
    start: date
    end: date


@dataclass(frozen=True)
class CourseRecord:
    """A course on the student's record; transfer credit is a record with transfer=True (term and grade optional).

    Ids must be unique among the course records of one audit: give transfer records ids that cannot collide with
    course-record ids (for example the negated id of the transfer exception).
    """

    id: int
    course_code: str
    title: str
    credits: Decimal
    category: str
    concentration: str | None
    term: Term | None
    status: str
    grade: str | None
    pass_fail: bool = False
    transfer: bool = False
    institution: str | None = None
    earned_on: date | None = None  # transfer credit: when it was earned elsewhere (transfer_max_age_years)


@dataclass(frozen=True)
class EnsembleRecord:
    """Participation in an ensemble for a term."""

    id: int
    ensemble: str
    term: Term
    role: str


@dataclass(frozen=True)
class StudioSession:
    """A logged studio session; only approved hours count."""

    id: int
    term: Term
    date: date
    hours: Decimal
    status: str


@dataclass(frozen=True)
class Milestone:
    """A milestone; passed only when signed off (completed_on is the sign-off date and signed_by is set)."""

    kind: str
    completed_on: date | None
    signed_by: str | None
    note: str = ""

    @property
    def signed_off(self) -> bool:
        """True when the milestone has a sign-off date and a signer."""
        return self.completed_on is not None and bool(self.signed_by)


@dataclass(frozen=True)
class Substitution:
    """An advisor's decision that a course record fills a requirement it would not otherwise fill."""

    record_id: int
    requirement_key: str
    justification: str
    by: str
    at: datetime | date


@dataclass(frozen=True)
class Waiver:
    """Lowers a requirement's need by `amount` of the block's own unit, or waives it whole when amount is None."""

    requirement_key: str
    amount: Decimal | None
    justification: str
    by: str
    at: datetime | date


DEFAULT_MILESTONE_LABELS = tuple((m.code, m.label) for m in DEFAULT_MILESTONES)


@dataclass(frozen=True)
class ProgramRules:
    """The rules the audit applies: the requirements in order and the program-wide settings."""

    requirements: tuple
    code: str = ""
    name: str = ""
    total_credits: Decimal | None = None
    min_gpa: Decimal | None = None
    max_transfer_credits: Decimal = Decimal(6)
    # (code, title) of catalog courses, so "still needed" can name a course the student has not taken yet.
    course_titles: tuple[tuple[str, str], ...] = ()
    # (code, label) of the program's milestone kinds, so blocks name milestones as the program does.
    milestone_labels: tuple[tuple[str, str], ...] = DEFAULT_MILESTONE_LABELS
    # The catalog version's course attributes (tracker.domain.definition.CourseDef), equivalence groups and
    # policies (tracker.domain.definition.Policies; None: the defaults).
    courses: tuple = ()
    equivalences: tuple[tuple[str, ...], ...] = ()
    policies: object = None


@dataclass(frozen=True)
class AuditInput:
    """Everything one audit needs; `program` is a ProgramRules or a ProgramDefinition."""

    program: object
    student: StudentContext
    _: KW_ONLY
    courses: tuple[CourseRecord, ...] = ()
    ensembles: tuple[EnsembleRecord, ...] = ()
    sessions: tuple[StudioSession, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    substitutions: tuple[Substitution, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    today: date
