"""Read-only reports for the program office: studio usage, review turnaround and cohort progress.

Each report runs a fixed number of queries whatever the amount of data (aggregates in SQL; the review medians from
one query of decision times). CSV exports go through tracker.csv_export, which neutralises formula-like cells.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    Confirmation,
    Enrollment,
    Role,
    SessionStatus,
    Studio,
    StudioSession,
    Term,
    User,
    utcnow,
)
from . import where_given


def _hours(minutes) -> Decimal:
    return (Decimal(minutes or 0) / Decimal(60)).quantize(Decimal("0.01"))


# ---------------------------------------------------------------- studio usage

@dataclass
class StudioUsageRow:
    """Sessions and hours in one studio during one term."""

    term_id: int
    term_name: str
    studio_id: int
    studio_name: str
    sessions: int
    approved_hours: Decimal
    pending_hours: Decimal


def studio_usage(term_id: int | None = None, studio_id: int | None = None) -> list[StudioUsageRow]:
    """Sessions (not withdrawn), approved and pending hours by term (newest first) and studio — one query."""
    approved = sa.func.sum(sa.case((StudioSession.status == SessionStatus.APPROVED, StudioSession.minutes), else_=0))
    pending = sa.func.sum(sa.case((StudioSession.status == SessionStatus.PENDING, StudioSession.minutes), else_=0))
    query = (
        sa.select(Term.id, Term.name, Studio.id, Studio.name, sa.func.count(StudioSession.id), approved, pending)
        .select_from(StudioSession)
        .join(Term, StudioSession.term_id == Term.id)
        .join(Studio, StudioSession.studio_id == Studio.id)
        # Not withdrawn (nor declined), and not waiting for a named participant's confirmation.
        .where(StudioSession.status != SessionStatus.WITHDRAWN, StudioSession.confirmation == Confirmation.CONFIRMED)
        .group_by(Term.id, Term.name, Term.start_date, Studio.id, Studio.name)
        .order_by(Term.start_date.desc(), Studio.name)
    )
    if term_id:
        query = query.where(Term.id == term_id)
    if studio_id:
        query = query.where(Studio.id == studio_id)
    return [StudioUsageRow(t_id, t_name, s_id, s_name, int(n), _hours(a), _hours(p))
            for t_id, t_name, s_id, s_name, n, a, p in db.session.execute(query)]


STUDIO_USAGE_HEADER = ("Term", "Studio", "Sessions", "Approved hours", "Pending hours")


def studio_usage_csv_rows(rows: list[StudioUsageRow]) -> list[tuple]:
    """The studio usage rows as CSV cells."""
    return [(r.term_name, r.studio_name, r.sessions, r.approved_hours, r.pending_hours) for r in rows]


# ---------------------------------------------------------------- review turnaround

TURNAROUND_WINDOW_DAYS = 90
DECIDED = (SessionStatus.APPROVED, SessionStatus.REJECTED, SessionStatus.NEEDS_CHANGES)


@dataclass
class TurnaroundRow:
    """One supervisor's review load: what waits, for how long, and how fast they decided lately."""

    user_id: int
    name: str
    email: str
    active: bool
    pending: int = 0
    oldest_pending_days: int | None = None
    decided: int = 0
    median_days: Decimal | None = None


def review_turnaround(now: datetime | None = None) -> list[TurnaroundRow]:
    """Per faculty member (and anyone else supervising sessions): pending count, oldest pending age in days, and
    the median days from submission to decision over the last 90 days — three queries."""
    now = now or utcnow()
    since = now - timedelta(days=TURNAROUND_WINDOW_DAYS)
    pending = {
        supervisor: (int(count), oldest)
        for supervisor, count, oldest in db.session.execute(
            sa.select(StudioSession.supervisor_id, sa.func.count(StudioSession.id),
                      sa.func.min(StudioSession.submitted_at))
            .where(StudioSession.status == SessionStatus.PENDING,
                   StudioSession.confirmation == Confirmation.CONFIRMED)  # an unanswered one cannot be decided yet
            .group_by(StudioSession.supervisor_id))
    }
    durations: dict[int, list[float]] = {}
    for supervisor, submitted, reviewed in db.session.execute(
        sa.select(StudioSession.supervisor_id, StudioSession.submitted_at, StudioSession.reviewed_at)
        .where(StudioSession.status.in_(DECIDED), StudioSession.reviewed_at >= since)
    ):
        if submitted is not None and reviewed is not None:
            durations.setdefault(supervisor, []).append(max(0.0, (reviewed - submitted).total_seconds()) / 86400)
    ids = set(pending) | set(durations)
    people = db.session.scalars(
        sa.select(User).where(sa.or_(sa.and_(User.role == Role.FACULTY, User.active.is_(True)),
                                     User.id.in_(ids or [0])))
    ).all()
    rows = []
    for user in people:
        row = TurnaroundRow(user.id, user.display_name, user.email, user.active)
        if user.id in pending:
            row.pending, oldest = pending[user.id]
            row.oldest_pending_days = max(0, (now - oldest).days) if oldest else None
        if user.id in durations:
            row.decided = len(durations[user.id])
            row.median_days = Decimal(str(statistics.median(durations[user.id]))).quantize(Decimal("0.1"))
        rows.append(row)
    rows.sort(key=lambda r: (-r.pending, -(r.oldest_pending_days or 0), r.name.lower()))
    return rows


TURNAROUND_HEADER = ("Faculty member", "Email", "Pending", "Oldest pending (days)",
                     f"Decided in last {TURNAROUND_WINDOW_DAYS} days", "Median days to decide")


def turnaround_csv_rows(rows: list[TurnaroundRow]) -> list[tuple]:
    """The turnaround rows as CSV cells."""
    return [(r.name, r.email, r.pending, r.oldest_pending_days, r.decided, r.median_days) for r in rows]


# ---------------------------------------------------------------- cohort progress

@dataclass
class CohortFilters:
    """Which students a cohort report covers; None means any."""

    program_id: int | None = None
    concentration_id: int | None = None
    track: str | None = None
    start_term_id: int | None = None
    advisor_id: int | None = None


def cohort_query(filters: CohortFilters) -> sa.Select:
    """Ids of the enrolled students matching the filters, ordered by name."""
    query = (sa.select(Enrollment.student_id).join(User, User.id == Enrollment.student_id)
             .order_by(User.display_name, User.id))
    return where_given(query, (Enrollment.program_id, filters.program_id),
                       (Enrollment.concentration_id, filters.concentration_id), (Enrollment.track, filters.track),
                       (Enrollment.start_term_id, filters.start_term_id), (Enrollment.advisor_id, filters.advisor_id))


@dataclass
class CohortRow:
    """One student's standing: each requirement's block (None where it does not apply) and the overall figures."""

    student_id: int
    name: str
    email: str
    concentration: str
    track: str
    start_term: str
    advisor: str
    overall_percent: int
    gpa: Decimal | None
    blocks: list = field(default_factory=list)
    catalog_version: str = ""  # the name of the catalog version the student follows ("2025–26")


@dataclass(frozen=True)
class RequirementColumn:
    """A column of the cohort report: a requirement key and its title."""

    key: str
    title: str


def requirement_columns(program_id: int | None) -> list[RequirementColumn]:
    """The report's columns: the newest catalog version's requirements in order, then those only an older version
    has (newest first), so every student's blocks have a column whichever version they follow (one query)."""
    from .catalog_versions import program_versions, rules_of

    if not program_id:
        return []
    columns: dict[str, RequirementColumn] = {}
    for version in reversed(program_versions(program_id, with_definitions=True)):
        for req in rules_of(version).rules.requirements:
            columns.setdefault(req.key, RequirementColumn(req.key, req.title))
    return list(columns.values())


def cohort_rows(student_ids: list[int], columns: list[RequirementColumn]) -> list[CohortRow]:
    """The students' audit summaries (two queries at most) with their blocks lined up under the columns."""
    from .audit import audit_summaries

    summaries = audit_summaries(student_ids)
    rows = []
    for student_id in student_ids:
        if student_id not in summaries:
            continue
        e, result = summaries[student_id]
        by_key = result.blocks
        rows.append(CohortRow(
            student_id=student_id, name=e.student.display_name, email=e.student.email,
            concentration=e.concentration.name, track=e.track_label,
            start_term=e.start_term.name if e.start_term else "", advisor=e.advisor.display_name if e.advisor else "",
            overall_percent=result.overall_percent, gpa=result.gpa,
            blocks=[by_key.get(req.key) for req in columns], catalog_version=e.catalog_version.name,
        ))
    return rows


def cohort_csv(rows: list[CohortRow], columns: list[RequirementColumn]) -> tuple[list[str], list[list]]:
    """Header and cells of the cohort CSV: per requirement its percent and status ('n/a' when it does not apply)."""
    # The catalog version comes after the overall figures, so the columns older exports had keep their places.
    header = ["Student", "Email", "Concentration", "Track", "Start term", "Advisor", "Overall %", "GPA",
              "Catalog version"]
    for req in columns:
        header += [f"{req.title} %", f"{req.title} status"]
    cells = []
    for r in rows:
        line = [r.name, r.email, r.concentration, r.track, r.start_term, r.advisor, r.overall_percent,
                r.gpa if r.gpa is not None else "", r.catalog_version]
        for block in r.blocks:
            line += ["n/a", "n/a"] if block is None else [block.percent, block.status.replace("_", " ")]
        cells.append(line)
    return header, cells
