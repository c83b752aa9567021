"""Loading a student's rows into the pure audit engine's inputs, within a fixed query budget.

The progress page must stay at five SQL queries whatever the number of records, including the user loader and the
navigation counts. So one student's audit costs two queries:

1. the enrollment, with its program, concentration, advisor, student, start term and catalog version joined in
   (the version's name and digest: its definition is a deferred column);
2. everything else as one UNION ALL over generic columns (`_RECORD_COLUMNS`; each kind's `_Row` names what its
   columns hold): the student's course records, ensemble records, studio sessions, milestones and exceptions, plus
   their catalog versions' definitions (once per version) and their programs' catalog titles (so "still needed" can
   name a course not taken yet).

The rules are the student's catalog version's (tracker.services.catalog_versions parses a definition once per
process, keyed by its digest). A course record counts as the student's version catalogs the course: its credits,
category, concentration and pass/fail come from the version when the version lists the course, so loading another
version (which updates the shared course rows) never changes this student's audit.

The page checks who may see the student between the two (`load_enrollment`, then `audit_enrollment`), so a refused
request never reads the records. `audit_students` does the same for any number of students (still two queries: the
definitions come once per version, not once per student), for the advisees list; `audit_summaries` gives the cohort
report only the figures it lists. `rerun` audits the same loaded rows under another concentration, track or catalog
version (what-if) without touching the database again.

Query 2 and the engine run only for students whose audit is not in this process's cache (services/audit_cache.py):
entries are keyed by the audit stamps query 1 reads with the enrollment (tracker/models/audit_stamps.py), which the
database changes on every write an audit depends on, so a cached audit is never stale in any process. When more
than COMPUTE_BATCH students miss the cache (a whole school's cohort CSV after a restart), query 2 runs once per
batch of that many, so a worker never holds every record of the school at once.
"""
from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from .. import domain
from ..domain import pace
from ..domain.audit import SHORT_TERM_WARNING_DAYS
from ..formatting import format_number
from ..extensions import db
from . import audit_cache, catalog_versions, studio
from ..models import (
    AuditException,
    CatalogVersion,
    Concentration,
    Confirmation,
    Course,
    CourseRecord,
    Enrollment,
    Ensemble,
    EnsembleRecord,
    ExceptionKind,
    MilestoneRecord,
    StudioSession,
    Term,
    User,
)

# Generic columns of the records UNION, typed so both SQLite and PostgreSQL return Python values.
_RECORD_COLUMNS = {
    "kind": sa.String, "id": sa.Integer, "student_id": sa.Integer,
    "term_id": sa.Integer, "term_name": sa.String, "term_start": sa.Date, "term_end": sa.Date,
    "s1": sa.String, "s2": sa.String, "s3": sa.String, "s4": sa.String, "s5": sa.String, "s6": sa.String,
    "s7": sa.String, "n1": sa.Numeric(10, 2), "n2": sa.Numeric(10, 2), "d1": sa.Date, "t1": sa.DateTime,
    "i1": sa.Integer, "i2": sa.Integer, "b1": sa.Boolean, "s8": sa.String,
}
# Positions of those columns in a result row: rows are read by index, which is several times faster than by name.
_POSITION = {name: i for i, name in enumerate(_RECORD_COLUMNS)}
# Every kind of row uses these the same way (the term columns are NULL for kinds without a term).
_KIND, _ID, _STUDENT, _TERM, _TERM_NAME, _TERM_START, _TERM_END = (
    _POSITION[name] for name in ("kind", "id", "student_id", "term_id", "term_name", "term_start", "term_end"))


def _select(kind: str, base, **columns) -> sa.Select:
    """One branch of the UNION: every generic column, a typed NULL where this kind has no value.

    Real columns are only type-coerced (no SQL CAST: SQLite would turn '2026-11-24' into 2026); NULLs are CAST so
    PostgreSQL can resolve each column's type across the branches.
    """
    out = [sa.literal_column(f"'{kind}'", sa.String).label("kind")]
    for name, type_ in _RECORD_COLUMNS.items():
        if name == "kind":
            continue
        value = sa.type_coerce(columns[name], type_) if name in columns else sa.cast(sa.null(), type_)
        out.append(value.label(name))
    return sa.select(*out).select_from(base)


class _Row:
    """One kind of row of the UNION: which generic column holds each of its values. Its attributes are those
    columns' positions (`row[_COURSE.title]`); `select` builds its branch from the same names."""

    def __init__(self, name: str, **columns: str):
        self.name = name
        self._columns = columns  # meaning -> generic column
        for meaning, column in columns.items():
            setattr(self, meaning, _POSITION[column])

    def select(self, base, **values) -> sa.Select:
        """This kind's branch: `values` by meaning, plus the shared id, student_id and term columns."""
        return _select(self.name, base, **{self._columns.get(key, key): value for key, value in values.items()})


# A variable-credit course record carries its own credits (own_credits); `credits` is those or the course's.
_COURSE = _Row("course", code="s1", title="s2", category="s3", concentration="s4", status="s5", grade="s6",
               credits="n1", own_credits="n2", course_id="i1", pass_fail="b1")
_ENSEMBLE = _Row("ensemble", ensemble="s1", role="s2")
_SESSION = _Row("session", status="s5", minutes="i1", date="d1")
_MILESTONE = _Row("milestone", kind="s1", signed_by="s2", note="s3", completed_on="d1", signed_at="t1")
_EXCEPTION = _Row("exception", kind="s1", requirement_key="s2", transfer_title="s3", institution="s4",
                  justification="s5", created_by="s6", equivalent_code="s7", amount="n1", transfer_credits="n2",
                  created_at="t1", course_record_id="i1", earned_on="d1", transfer_grade="s8")
_VERSION = _Row("version", program_id="i1", digest="s1", definition="s2")
_CATALOG = _Row("catalog", program_id="i1", code="s1", title="s2")


@functools.cache
def _records_statement() -> sa.CompoundSelect:
    """The records UNION, built once: its parameters are the lists `student_ids`, `program_ids` and `version_ids`.

    Building this statement costs more than running it (hundreds of column objects), so it is built once per
    process and executed with new parameters; SQLAlchemy's compiled cache then skips recompiling it too.
    """
    return _records_query(lambda col: col.in_(sa.bindparam("student_ids", expanding=True)),
                          lambda col: col.in_(sa.bindparam("program_ids", expanding=True)),
                          lambda col: col.in_(sa.bindparam("version_ids", expanding=True)))


def _fetch_records(student_ids: Iterable[int], program_ids: Iterable[int], version_ids: Iterable[int]) -> list:
    """Query 2: the students' records, their versions' definitions and catalog titles, in one round trip."""
    return db.session.execute(_records_statement(), {"student_ids": sorted(set(student_ids)),
                                                     "program_ids": sorted(set(program_ids)),
                                                     "version_ids": sorted(set(version_ids))}).all()


def _records_query(student_ids, program_ids, version_ids) -> sa.CompoundSelect:
    """The UNION for the students, programs and versions matched by the three column -> condition functions."""
    conc = aliased(Concentration)
    signer = aliased(User)
    creator = aliased(User)
    equivalent = aliased(Course)
    courses = _COURSE.select(
        sa.join(CourseRecord, Course, CourseRecord.course_id == Course.id)
        .join(Term, CourseRecord.term_id == Term.id)
        .outerjoin(conc, Course.concentration_id == conc.id),
        id=CourseRecord.id, student_id=CourseRecord.student_id, term_id=Term.id, term_name=Term.name,
        term_start=Term.start_date, term_end=Term.end_date, code=Course.code, title=Course.title,
        category=Course.category, concentration=conc.code, status=CourseRecord.status, grade=CourseRecord.grade,
        pass_fail=Course.pass_fail, course_id=Course.id,
        credits=sa.func.coalesce(CourseRecord.credits, Course.credits), own_credits=CourseRecord.credits,
    ).where(student_ids(CourseRecord.student_id))
    ensembles = _ENSEMBLE.select(
        sa.join(EnsembleRecord, Ensemble, EnsembleRecord.ensemble_id == Ensemble.id)
        .join(Term, EnsembleRecord.term_id == Term.id),
        id=EnsembleRecord.id, student_id=EnsembleRecord.student_id, term_id=Term.id, term_name=Term.name,
        term_start=Term.start_date, term_end=Term.end_date, ensemble=Ensemble.name, role=EnsembleRecord.role,
    ).where(student_ids(EnsembleRecord.student_id))
    sessions = _SESSION.select(
        sa.join(StudioSession, Term, StudioSession.term_id == Term.id),
        id=StudioSession.id, student_id=StudioSession.student_id, term_id=Term.id, term_name=Term.name,
        term_start=Term.start_date, term_end=Term.end_date, status=StudioSession.status,
        minutes=StudioSession.minutes, date=StudioSession.date,
    # A group session its participant has not confirmed counts nowhere in their audit (tracker/services/group_sessions).
    ).where(student_ids(StudioSession.student_id), StudioSession.confirmation == Confirmation.CONFIRMED)
    milestones = _MILESTONE.select(
        sa.join(MilestoneRecord, signer, MilestoneRecord.signed_by_id == signer.id),
        id=MilestoneRecord.id, student_id=MilestoneRecord.student_id, kind=MilestoneRecord.kind,
        signed_by=signer.display_name, note=MilestoneRecord.note, completed_on=MilestoneRecord.completed_on,
        signed_at=MilestoneRecord.signed_at,
    ).where(student_ids(MilestoneRecord.student_id))
    exceptions = _EXCEPTION.select(
        sa.join(AuditException, creator, AuditException.created_by_id == creator.id)
        .outerjoin(equivalent, AuditException.course_id == equivalent.id),
        id=AuditException.id, student_id=AuditException.student_id, kind=AuditException.kind,
        requirement_key=AuditException.requirement_key, transfer_title=AuditException.transfer_title,
        institution=AuditException.institution, justification=AuditException.justification,
        created_by=creator.display_name, equivalent_code=equivalent.code, amount=AuditException.amount,
        transfer_credits=AuditException.transfer_credits, created_at=AuditException.created_at,
        course_record_id=AuditException.course_record_id, earned_on=AuditException.earned_on,
        transfer_grade=AuditException.transfer_grade,
    ).where(student_ids(AuditException.student_id), AuditException.revoked_at.is_(None))
    # The definition (JSON) travels as text (a real CAST: PostgreSQL cannot UNION json with varchar); it is parsed
    # only when its digest is not in the rules cache.
    versions = _VERSION.select(
        CatalogVersion, id=CatalogVersion.id, program_id=CatalogVersion.program_id, digest=CatalogVersion.digest,
        definition=sa.cast(CatalogVersion.definition, sa.Text),
    ).where(version_ids(CatalogVersion.id))
    catalog = _CATALOG.select(
        Course, id=Course.id, program_id=Course.program_id, code=Course.code, title=Course.title,
    ).where(program_ids(Course.program_id))
    return sa.union_all(courses, ensembles, sessions, milestones, exceptions, versions, catalog)


@dataclass(frozen=True)
class MilestoneRow:
    """A signed-off milestone as stored (with its row id, so it can be revoked)."""

    id: int
    kind: str
    completed_on: date
    signed_by: str
    note: str
    signed_at: datetime | None


@dataclass(frozen=True)
class ExceptionRow:
    """An exception on the student's record, for display: what, where, who, when, why."""

    id: int
    kind: str  # "substitution" | "waiver" | "transfer"
    requirement_key: str | None
    description: str
    justification: str
    by: str
    at: datetime | None


@dataclass
class StudentRecords:
    """The raw material of one audit, already in domain types."""

    courses: list = field(default_factory=list)
    ensembles: list = field(default_factory=list)
    sessions: list = field(default_factory=list)
    milestones: list = field(default_factory=list)
    substitutions: list = field(default_factory=list)
    waivers: list = field(default_factory=list)
    transfers: list = field(default_factory=list)  # transfer credits are course records with transfer=True
    own_credits: set = field(default_factory=set)  # ids of records that carry their own credits (variable-credit)
    exception_rows: list[ExceptionRow] = field(default_factory=list)
    milestone_rows: list[MilestoneRow] = field(default_factory=list)

    @property
    def pending_sessions(self) -> int:
        """Studio sessions still waiting for a faculty review."""
        return sum(1 for s in self.sessions if s.status == "pending")


@dataclass
class _Loaded:
    """Query 2's rows, sorted out: records by student, versions' rules by version id, catalog titles by program."""

    records: dict[int, StudentRecords] = field(default_factory=lambda: defaultdict(StudentRecords))
    versions: dict[int, catalog_versions.VersionRules] = field(default_factory=dict)
    titles: dict[int, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))


def _describe_exception(kind: ExceptionKind, row) -> str:
    """Plain words for an exception row, before the audit says what it did."""
    x = _EXCEPTION
    if kind == ExceptionKind.WAIVER:
        amount = "in full" if row[x.amount] is None else f"by {domain.format_amount(Decimal(row[x.amount]))}"
        return f"Waiver of “{row[x.requirement_key]}” {amount}"
    if kind == ExceptionKind.SUBSTITUTION:
        return f"Substitution into “{row[x.requirement_key]}”"
    credits = domain.format_amount(Decimal(row[x.transfer_credits] or 0))
    where = f" from {row[x.institution]}" if row[x.institution] else ""
    equivalent = f", equivalent to {row[x.equivalent_code]}" if row[x.equivalent_code] else ""
    earned_on = row[x.earned_on]
    earned = f", earned on {earned_on.day} {earned_on:%B %Y}" if earned_on else ""
    grade = f", grade {row[x.transfer_grade]}" if row[x.transfer_grade] else ""
    return f"Transfer credit: {row[x.transfer_title] or 'course'} ({credits} credits{where}{equivalent}{grade}{earned})"


def _to_domain(rows: Iterable) -> _Loaded:
    """Turn UNION rows into domain inputs grouped by student, rules by version and titles by program."""
    out = _Loaded()
    terms: dict[int, domain.Term] = {}
    hours_of: dict[int, Decimal] = {}
    hundredth = Decimal("0.01")

    def term_of(row) -> domain.Term | None:
        term_id = row[_TERM]
        if term_id is None:
            return None
        term = terms.get(term_id)
        if term is None:
            start = row[_TERM_START]
            term = terms[term_id] = domain.Term(id=term_id, name=row[_TERM_NAME], order=start.toordinal(),
                                                start=start, end=row[_TERM_END])
        return term

    c, e, m, x, v, t = _COURSE, _ENSEMBLE, _MILESTONE, _EXCEPTION, _VERSION, _CATALOG
    session_minutes, session_date, session_status = _SESSION.minutes, _SESSION.date, _SESSION.status
    for row in rows:
        kind = row[_KIND]
        if kind == "session":  # by far the most rows: keep this branch lean
            minutes = row[session_minutes]
            hours = hours_of.get(minutes)
            if hours is None:
                hours = hours_of[minutes] = (Decimal(minutes) / 60).quantize(hundredth)
            out.records[row[_STUDENT]].sessions.append(domain.StudioSession(
                id=row[_ID], term=term_of(row), date=row[session_date], hours=hours, status=row[session_status]))
        elif kind == "course":
            if row[c.own_credits] is not None:
                out.records[row[_STUDENT]].own_credits.add(row[_ID])
            out.records[row[_STUDENT]].courses.append(domain.CourseRecord(
                id=row[_ID], course_code=row[c.code], title=row[c.title], credits=Decimal(row[c.credits]),
                category=row[c.category], concentration=row[c.concentration], term=term_of(row),
                status=row[c.status], grade=row[c.grade], pass_fail=bool(row[c.pass_fail])))
        elif kind == "ensemble":
            out.records[row[_STUDENT]].ensembles.append(domain.EnsembleRecord(
                id=row[_ID], ensemble=row[e.ensemble], term=term_of(row), role=row[e.role]))
        elif kind == "catalog":
            out.titles[row[t.program_id]].append((row[t.code], row[t.title]))
        elif kind == "version":
            out.versions[row[_ID]] = catalog_versions.rules_for(row[v.digest], row[v.definition])
        elif kind == "milestone":
            rec = out.records[row[_STUDENT]]
            note = row[m.note] or ""
            rec.milestones.append(domain.Milestone(kind=row[m.kind], completed_on=row[m.completed_on],
                                                   signed_by=row[m.signed_by], note=note))
            rec.milestone_rows.append(MilestoneRow(row[_ID], row[m.kind], row[m.completed_on], row[m.signed_by],
                                                   note, row[m.signed_at]))
        elif kind == "exception":
            rec = out.records[row[_STUDENT]]
            exc = ExceptionKind(row[x.kind])
            at, key, why, by = row[x.created_at], row[x.requirement_key], row[x.justification], row[x.created_by]
            rec.exception_rows.append(ExceptionRow(row[_ID], exc.value, key, _describe_exception(exc, row), why, by,
                                                   at))
            if exc == ExceptionKind.SUBSTITUTION and row[x.course_record_id] is not None and key:
                rec.substitutions.append(domain.Substitution(record_id=row[x.course_record_id], requirement_key=key,
                                                             justification=why, by=by, at=at))
            elif exc == ExceptionKind.WAIVER and key:
                amount = row[x.amount]
                rec.waivers.append(domain.Waiver(requirement_key=key,
                                                 amount=Decimal(amount) if amount is not None else None,
                                                 justification=why, by=by, at=at))
            elif exc == ExceptionKind.TRANSFER:
                # Negative ids cannot collide with course-record ids in the same audit.
                rec.transfers.append(domain.CourseRecord(
                    id=-row[_ID], course_code=row[x.equivalent_code] or f"TRANSFER-{row[_ID]}",
                    title=row[x.transfer_title] or "Transfer credit", credits=Decimal(row[x.transfer_credits] or 0),
                    category="elective", concentration=None, term=None, status="completed",
                    grade=row[x.transfer_grade] or None, transfer=True, institution=row[x.institution] or None,
                    earned_on=row[x.earned_on]))
    for rec in out.records.values():
        rec.milestone_rows.sort(key=lambda m: (m.completed_on, m.id))
        rec.exception_rows.sort(key=lambda e: e.id)
    return out


def with_titles(version: catalog_versions.VersionRules, course_titles: Iterable[tuple[str, str]] = ()
                ) -> domain.ProgramRules:
    """A version's rules with the program's current catalog titles (the course rows' titles win over the version's,
    as the course list shows them; the version's name the courses it lists that the rows do not)."""
    titles = dict(version.rules.course_titles)
    titles.update(course_titles)
    return replace(version.rules, course_titles=tuple(sorted(titles.items())))


def _under_catalog(records: Iterable[domain.CourseRecord], catalog: dict, own_credits: set = frozenset()) -> tuple:
    """Course records as the version catalogs their courses: credits (a fixed-credit course's), category,
    concentration and pass/fail from the version's course where it lists it; unlisted courses keep their row's.

    A record that carries its own credits keeps them: the course form accepts them only for a course the catalog
    offers for a range of credits (and the audit flags credits outside the version's range)."""
    out = []
    for rec in records:
        course = catalog.get(rec.course_code)
        if course is not None and not rec.transfer:
            credits = rec.credits if course.variable or rec.id in own_credits else course.credits
            if (credits, course.category, course.concentration, course.pass_fail) != (
                    rec.credits, rec.category, rec.concentration, rec.pass_fail):
                rec = replace(rec, credits=credits, category=course.category, concentration=course.concentration,
                              pass_fail=course.pass_fail)
        out.append(rec)
    return tuple(out)


def _enrollments(where) -> list[Enrollment]:
    """Query 1: enrollments with program, concentration, advisor, student, start term and catalog version."""
    return list(db.session.scalars(
        sa.select(Enrollment)
        .where(where)
        .options(joinedload(Enrollment.program), joinedload(Enrollment.concentration),
                 joinedload(Enrollment.advisor), joinedload(Enrollment.student),
                 joinedload(Enrollment.start_term), joinedload(Enrollment.catalog_version))
        .order_by(Enrollment.student_id)
    ))


@dataclass
class StudentAudit:
    """An audit with what the pages need around it (`version`: the catalog version it was audited under)."""

    enrollment: Enrollment
    result: domain.AuditResult
    records: StudentRecords
    context: domain.StudentContext
    rules: domain.ProgramRules
    today: date
    version: CatalogVersion | None = None
    version_rules: catalog_versions.VersionRules | None = None
    catalog_titles: tuple = ()  # the program's course rows' (code, title), for a rerun under another version

    @property
    def version_label(self) -> str:
        """ "Catalog 2025–26": the catalog version this audit follows."""
        version = self.version or self.enrollment.catalog_version
        return version.label if version is not None else ""

    @property
    def student(self) -> User:
        """The audited student."""
        return self.enrollment.student

    def applicable_requirements(self) -> list:
        """The program's requirements that apply to this audit's concentration and track, in order."""
        return [r for r in self.rules.requirements if r.applies_to(self.context.concentration, self.context.track)]


def _run(enrollment: Enrollment, version: CatalogVersion, version_rules: catalog_versions.VersionRules,
         rules: domain.ProgramRules, titles: tuple, records: StudentRecords, today: date,
         concentration: str | None = None, track: str | None = None) -> StudentAudit:
    # The start term's first day: transfer credit's age and the time limit count from it.
    start = enrollment.start_term.start_date if enrollment.start_term is not None else None
    context = domain.StudentContext(concentration=concentration or enrollment.concentration.code,
                                    track=track or enrollment.track, start=start)
    inp = domain.AuditInput(
        rules, context,
        courses=_under_catalog(records.courses, version_rules.courses, records.own_credits)
        + tuple(records.transfers),
        ensembles=tuple(records.ensembles),
        sessions=tuple(records.sessions), milestones=tuple(records.milestones),
        substitutions=tuple(records.substitutions), waivers=tuple(records.waivers), today=today,
    )
    return StudentAudit(enrollment, domain.audit(inp), records, context, rules, today, version, version_rules,
                        titles)


def load_enrollment(student_id: int) -> Enrollment | None:
    """Query 1 for one student (check access on it before reading records); None when not enrolled."""
    found = _enrollments(Enrollment.student_id == student_id)
    return found[0] if found else None


# How many students' records query 2 loads at a time when audits must be computed (see _audits).
COMPUTE_BATCH = 250


def _audits(enrollments: list[Enrollment], today: date, summaries: bool = False) -> dict:
    """Each enrollment's audit (or with `summaries`, its AuditSummary): from this process's cache where its key
    still holds, else computed from query 2 (run only for the students missing) and kept in the cache."""
    full = audit_cache.current_cache()
    cache = audit_cache.current_cache("audit_summaries") if summaries else full
    out: dict = {}
    missing = []
    for e in enrollments:
        key = audit_cache.audit_key(e, today)
        found = cache.get(key) if cache is not None else None
        if found is None and summaries and full is not None:
            audit = full.get(key)
            found = AuditSummary.of(audit.result) if audit is not None else None
        if found is None:
            missing.append(e)
        else:
            out[e.student_id] = found if summaries else replace(found, enrollment=e, version=e.catalog_version)
    # Query 2 in batches: a whole school's cohort CSV with cold caches would otherwise hold every record of every
    # student at once (a worker peaked at 260 MB for 2,000 students); a page of a list is one batch.
    for start in range(0, len(missing), COMPUTE_BATCH):
        for e, audit in _computed(missing[start:start + COMPUTE_BATCH], today):
            value = AuditSummary.of(audit.result) if summaries else audit
            if cache is not None:
                cache.put(audit_cache.audit_key(e, today), value)
            out[e.student_id] = value
    return {e.student_id: out[e.student_id] for e in enrollments}


def _computed(enrollments: list[Enrollment], today: date) -> Iterable[tuple[Enrollment, StudentAudit]]:
    """Query 2 for these enrollments and the engine's audit of each."""
    loaded = _to_domain(_fetch_records([e.student_id for e in enrollments], [e.program_id for e in enrollments],
                                       [e.catalog_version_id for e in enrollments]))
    rules: dict[int, domain.ProgramRules] = {}
    for e in enrollments:
        if e.catalog_version_id not in rules:
            rules[e.catalog_version_id] = with_titles(loaded.versions[e.catalog_version_id],
                                                      loaded.titles.get(e.program_id, ()))
        yield e, _run(e, e.catalog_version, loaded.versions[e.catalog_version_id], rules[e.catalog_version_id],
                      tuple(loaded.titles.get(e.program_id, ())), loaded.records.get(e.student_id) or StudentRecords(),
                      today)


@dataclass(frozen=True)
class BlockFigure:
    """One requirement's figures in a summary: what the cohort report shows of it."""

    key: str
    percent: int
    status: str


@dataclass(frozen=True)
class AuditSummary:
    """The figures of an audit that list pages show for a whole school, without the records (a few hundred bytes)."""

    overall_percent: int
    complete: bool
    gpa: Decimal | None
    blocks: dict[str, BlockFigure]

    @classmethod
    def of(cls, result: domain.AuditResult) -> "AuditSummary":
        return cls(result.overall_percent, result.complete, result.gpa,
                   {b.key: BlockFigure(b.key, b.percent, b.status) for b in result.walk()})


def audit_summaries(student_ids: Iterable[int], *, today: date | None = None
                    ) -> dict[int, tuple[Enrollment, AuditSummary]]:
    """The students' enrollments and audit summaries (two queries at most; cached summaries cost none of query 2),
    in student-id order: what the cohort report lists."""
    ids = sorted(set(student_ids))
    enrollments = _enrollments(Enrollment.student_id.in_(ids)) if ids else []
    found = _audits(enrollments, today or date.today(), summaries=True)
    return {e.student_id: (e, found[e.student_id]) for e in enrollments}


def audit_keys(student_ids: Iterable[int], today: date) -> dict[int, tuple]:
    """The current audit key of each enrolled student among these (one light query, no rows loaded): what a page
    that keeps rendered parts per audit checks before deciding whether anything must be audited at all."""
    ids = sorted(set(student_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Enrollment.student_id, Enrollment.audit_stamp, Enrollment.audit_generation,
                  Enrollment.catalog_version_id, CatalogVersion.digest)
        .outerjoin(CatalogVersion, CatalogVersion.id == Enrollment.catalog_version_id)
        .where(Enrollment.student_id.in_(ids)))
    return {row[0]: audit_cache.stamps_key(*row, today) for row in rows}


def audit_enrollment(enrollment: Enrollment, *, today: date | None = None, concentration: str | None = None,
                     track: str | None = None) -> StudentAudit:
    """The audit (cached, or query 2 and the engine), for an enrollment from `load_enrollment`; a concentration or
    track other than the enrollment's is a what-if on the same records."""
    audit = _audits([enrollment], today or date.today())[enrollment.student_id]
    if concentration or track:
        return rerun(audit, concentration=concentration, track=track)
    return audit


def audit_student(student_id: int, *, today: date | None = None, concentration: str | None = None,
                  track: str | None = None) -> StudentAudit | None:
    """Audit one student live (two queries); pass concentration/track for a what-if. None when not enrolled."""
    enrollment = load_enrollment(student_id)
    if enrollment is None:
        return None
    return audit_enrollment(enrollment, today=today, concentration=concentration, track=track)


def rerun(audit: StudentAudit, *, concentration: str | None = None, track: str | None = None,
          version: CatalogVersion | None = None,
          version_rules: catalog_versions.VersionRules | None = None) -> StudentAudit:
    """The same records audited under another concentration, track and/or catalog version (what-if, or a move's
    preview): no query, nothing written. `version_rules` are the version's (catalog_versions.rules_of)."""
    if version is None:
        version, version_rules, rules = audit.version, audit.version_rules, audit.rules
    else:
        version_rules = version_rules or catalog_versions.rules_of(version)
        rules = with_titles(version_rules, audit.catalog_titles)
    return _run(audit.enrollment, version, version_rules, rules, audit.catalog_titles, audit.records, audit.today,
                concentration or audit.context.concentration, track or audit.context.track)


def audit_students(student_ids: Iterable[int] | None = None, *, today: date | None = None) -> dict[int, StudentAudit]:
    """Audit many students (two queries in all); None audits every enrolled student. Keys in student-id order."""
    ids = None if student_ids is None else sorted(set(student_ids))
    if ids is not None and not ids:
        return {}
    enrollments = _enrollments(sa.true() if ids is None else Enrollment.student_id.in_(ids))
    if not enrollments:
        return {}
    return _audits(enrollments, today or date.today())


# --- "at risk": what the advisees list flags ------------------------------------------------------------------------

# Audit warnings that put a student at risk of not finishing (the others - e.g. milestones signed out of order, a
# transfer over the cap - are record-keeping matters, shown on the progress page but not flagged as risk).
RISK_WARNING_CODES = ("gpa_below_minimum", "below_minimum_grade", "studio_term_short")
# The plan a full-time student follows: four terms (two years). Used only to judge "behind schedule".
PLANNED_TERMS = 4


def completed_terms(enrollment: Enrollment, terms: Iterable[Term], today: date) -> int | None:
    """How many terms have ended since the student started (None when the start term is unknown)."""
    start = enrollment.start_term
    if start is None:
        return None
    return sum(1 for t in terms if t.start_date >= start.start_date and t.end_date < today)


def risk_reasons(audit: StudentAudit, terms_done: int | None, terms: Iterable[Term] = ()) -> list[str]:
    """Why a student is at risk, in plain words (empty when on track).

    At risk means any of: the GPA is below the program minimum; a core course is below its minimum grade; a studio
    term is short of its minimum hours within three weeks of its end or after it; the studio pace forecast of the
    term in progress (among `terms`) falls short of the minimum; or, after at least one completed term, overall
    progress is under half of the planned pace (terms completed / PLANNED_TERMS).
    """
    reasons = [w.message for w in audit.result.warnings if w.code in RISK_WARNING_CODES]
    reasons += pace_reasons(audit, terms or ())
    if terms_done and not audit.result.complete:
        expected = min(100, terms_done * 100 // PLANNED_TERMS)
        if audit.result.overall_percent * 2 < expected:
            reasons.append(f"Behind schedule: {audit.result.overall_percent}% done after {terms_done} of "
                           f"{PLANNED_TERMS} planned terms (about {expected}% expected).")
    return reasons


def pace_reasons(audit: StudentAudit, terms: Iterable[Term]) -> list[str]:
    """The studio terms in progress (among `terms`) whose pace forecast falls short of the minimum hours.

    Reads only the audit (its rules and sessions) and the terms given: no query. A term whose shortfall the audit
    already warns about (it has sessions and ends within SHORT_TERM_WARNING_DAYS) is not flagged twice, and nothing
    is flagged once the studio requirement is complete.
    """
    rule = studio.studio_rule_in(audit.rules, audit.context.concentration, audit.context.track)
    if rule is None or _studio_requirement_complete(audit):
        return []
    today = audit.today
    reasons = []
    for term in terms:
        if not term.start_date <= today <= term.end_date:
            continue
        counted = [s for s in audit.records.sessions if s.term.id == term.id and s.status != "withdrawn"]
        if counted and (term.end_date - today).days <= SHORT_TERM_WARNING_DAYS:
            continue
        approved = sum((s.hours for s in counted if s.status == "approved"), Decimal(0))
        pending = sum((s.hours for s in counted if s.status in ("pending", "needs_changes")), Decimal(0))
        outlook = pace.forecast(approved, pending, starts_on=term.start_date, ends_on=term.end_date, today=today,
                                minimum=rule.min_hours)
        if approved < rule.min_hours and outlook is not None and outlook.falls_short:
            reasons.append(f"Studio pace in {term.name}: about {format_number(outlook.projected)} of "
                           f"{format_number(rule.min_hours)} approved hours by {term.end_date:%-d %b} at the pace so far.")
    return reasons


def _studio_requirement_complete(audit: StudentAudit) -> bool:
    return any(block.kind == "studio_terms" and block.status == "complete" for block in audit.result.walk())
