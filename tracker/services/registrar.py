"""The registrar feed: bulk import and export of enrollments and course records, keyed by the registrar's own ids.

An import is all or nothing. Every row is checked first, against the database as it is and against the other rows
of the batch; every problem of every row is reported at once, and only a batch without problems is written, in one
transaction, with one history event per created or changed row and one for the batch. Rows are matched by their
external id (a record or enrollment entered in the app before the feed existed is matched by what it is: the
student's enrollment, or the student's course in that term), so the same batch sent twice changes nothing the
second time and a nightly sync can send everything it has. A dry run checks and reports exactly like the real run
and writes nothing.

The feed never changes what a reviewer relied on: a course record an advisor's substitution counts is refused
until the substitution is revoked. See docs/registrar-feed.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    AuditException,
    Concentration,
    Course,
    CourseRecord,
    CourseStatus,
    Enrollment,
    EnrollmentStatus,
    Program,
    Role,
    Term,
    User,
)
from . import ServiceError, history, unique_or_refuse
from .accounts import normalise_email
from .admin_accounts import EMAIL_PATTERN, program_tracks
from .courses import ENTITY as COURSE_RECORD, check_credits, clean_grade, format_credits, grade_problem, record_credits

MAX_ROWS = 1000
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
FEED = "registrar feed"


@dataclass(frozen=True)
class RowProblem:
    """One problem of one row: the row's index in the batch (from 0), the field, and what is wrong."""

    row: int
    field: str | None
    message: str


class ImportRefused(ServiceError):
    """A batch with problems: nothing was written; `row_problems` lists every one."""

    def __init__(self, problems: list[RowProblem]):
        rows = len({p.row for p in problems})
        super().__init__(f"{rows} row(s) have problems; nothing was imported.")
        self.row_problems = problems


@dataclass
class RowOutcome:
    """What the import does (or, in a dry run, would do) with one row."""

    row: int
    external_id: str
    outcome: str
    id: int | None = None
    changes: dict[str, list] = field(default_factory=dict)


@dataclass
class ImportReport:
    """The outcome of every row, in the batch's order, and the counts by outcome."""

    dry_run: bool
    rows: list[RowOutcome]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)


class _Problems:
    """The problems of a batch, row by row."""

    def __init__(self) -> None:
        self.items: list[RowProblem] = []

    def add(self, row: int, field_name: str | None, message: str) -> None:
        self.items.append(RowProblem(row, field_name, message))

    def raise_any(self) -> None:
        if self.items:
            raise ImportRefused(sorted(self.items, key=lambda p: p.row))


def _text(row: dict, name: str) -> str:
    return (row.get(name) or "").strip()


def _locked(query: sa.Select, model, lock: bool) -> sa.Select:
    """`query`, locking the rows of `model` it reads when the import will write (PostgreSQL row locks; SQLite's
    write transaction already holds the database): a substitution recorded, or a record edited, while the batch
    is checked then waits for the batch, so nothing is written over what the check did not see."""
    return query.with_for_update(of=model) if lock else query


def _repeats(problems: _Problems, rows: list[dict], key, field_name: str, what: str) -> None:
    """Refuse every row whose `key(row)` an earlier row of the batch already has (a batch says each thing once)."""
    first: dict[Any, int] = {}
    for index, row in enumerate(rows):
        value = key(row)
        if value is None:
            continue
        if value in first:
            problems.add(index, field_name, f"Row {first[value]} of this batch (counting from 0, as the pointers "
                                            f"do) has the same {what}; send each one once.")
        else:
            first[value] = index


def _by(column, values: Iterable) -> dict:
    values = {v for v in values if v}
    if not values:
        return {}
    model = column.class_
    return {getattr(row, column.key): row for row in db.session.scalars(sa.select(model).where(column.in_(values)))}


def _record_batch(actor: User, kind: "_Kind", report: ImportReport) -> None:
    counts = {outcome: report.count(outcome) for outcome in (CREATED, UPDATED, UNCHANGED)}
    history.record(actor, f"registrar.{kind.name}_imported", "registrar", None,
                   summary=f"Registrar feed: {kind.words}, " + ", ".join(f"{n} {o}" for o, n in counts.items()),
                   changes=counts)


# ---------------------------------------------------------------- enrollments

@dataclass
class _EnrollmentLookups:
    """Everything the rows refer to, loaded once for the batch (a constant number of queries)."""

    programs: dict[str, Program]
    concentrations: dict[tuple[int, str], Concentration]
    terms: dict[str, Term]
    users: dict[str, User]
    by_external_id: dict[str, Enrollment]
    by_student: dict[int, Enrollment]

    @classmethod
    def load(cls, rows: list[dict], lock: bool) -> "_EnrollmentLookups":
        programs = {p.code: p for p in db.session.scalars(sa.select(Program))}
        concentrations = {(c.program_id, c.code): c for c in db.session.scalars(sa.select(Concentration))}
        terms = {t.name: t for t in db.session.scalars(sa.select(Term))}
        emails = {normalise_email(_text(r, key)) for r in rows for key in ("email", "advisor_email")}
        users = _by(User.email, emails)
        with_people = (joinedload(Enrollment.student), joinedload(Enrollment.advisor))
        by_external_id = {e.external_id: e for e in db.session.scalars(_locked(
            sa.select(Enrollment).where(Enrollment.external_id.in_({_text(r, "external_id") for r in rows}))
            .options(*with_people), Enrollment, lock))}
        by_student = {e.student_id: e for e in db.session.scalars(_locked(
            sa.select(Enrollment).where(Enrollment.student_id.in_({u.id for u in users.values()}))
            .options(*with_people), Enrollment, lock))}
        return cls(programs, concentrations, terms, users, by_external_id, by_student)


@dataclass
class _EnrollmentPlan:
    """One checked enrollment row: the values to write and the enrollment it updates (None: a new student)."""

    outcome: RowOutcome
    enrollment: Enrollment | None
    student: User | None
    values: dict[str, Any]


def _enrollment_target(index: int, row: dict, email: str, look: _EnrollmentLookups,
                       problems: _Problems) -> tuple[Enrollment | None, User | None]:
    """The enrollment this row updates and its student (both None for a new student), or problems."""
    external_id = _text(row, "external_id")
    enrollment = look.by_external_id.get(external_id)
    if enrollment is not None:
        if enrollment.student.email != email:
            problems.add(index, "email", f"External id {external_id} is the enrollment of "
                                         f"{enrollment.student.email}; the feed does not move an enrollment to "
                                         "another account.")
        return enrollment, enrollment.student
    user = look.users.get(email)
    if user is None:
        return None, None
    if user.role != Role.STUDENT:
        problems.add(index, "email", f"{email} is a {user.role.label.lower()} account, not a student's.")
        return None, user
    enrollment = look.by_student.get(user.id)
    if enrollment is not None and enrollment.external_id is not None:
        problems.add(index, "external_id", f"{email} is already enrolled under external id "
                                           f"{enrollment.external_id}.")
    return enrollment, user


def _enrollment_values(index: int, row: dict, look: _EnrollmentLookups, enrollment: Enrollment | None,
                       problems: _Problems) -> dict[str, Any]:
    """The row's program, concentration, track, start term, advisor, status and name, checked field by field."""
    values: dict[str, Any] = {"display_name": _text(row, "display_name")}
    if not values["display_name"]:
        problems.add(index, "display_name", "Give the student's name.")
    program = look.programs.get(_text(row, "program"))
    if program is None:
        problems.add(index, "program", f"No program has the code “{_text(row, 'program')}”.")
    elif enrollment is not None and enrollment.program_id != program.id:
        problems.add(index, "program", f"The student is enrolled in {enrollment.program.code}; the feed does not "
                                       "move a student to another program.")
        program = None
    if program is not None:
        conc = look.concentrations.get((program.id, _text(row, "concentration")))
        if conc is None:
            problems.add(index, "concentration", f"{program.code} has no concentration with the code "
                                                 f"“{_text(row, 'concentration')}”.")
        elif not conc.active and (enrollment is None or enrollment.concentration_id != conc.id):
            problems.add(index, "concentration", f"The {conc.name} concentration is retired.")
        tracks = dict(program_tracks(program))
        if _text(row, "track") not in tracks:
            problems.add(index, "track", f"{program.code} has the tracks {', '.join(sorted(tracks))}.")
        values.update(program=program, concentration=conc, track=_text(row, "track"))
    values["start_term"] = look.terms.get(_text(row, "start_term"))
    if values["start_term"] is None:
        problems.add(index, "start_term", f"No term is named “{_text(row, 'start_term')}”.")
    advisor = look.users.get(normalise_email(_text(row, "advisor_email")))
    if advisor is None or advisor.role != Role.FACULTY or not advisor.active:
        problems.add(index, "advisor_email", f"“{_text(row, 'advisor_email')}” is not an active faculty member's "
                                             "e-mail.")
    values["advisor"] = advisor
    try:
        values["status"] = EnrollmentStatus(_text(row, "status") or EnrollmentStatus.ACTIVE.value)
    except ValueError:
        problems.add(index, "status", "Give one of " + ", ".join(s.value for s in EnrollmentStatus) + ".")
    return values


def _enrollment_now(enrollment: Enrollment, student: User) -> dict[str, Any]:
    """An enrollment in words a reader of the history understands (codes, names, e-mails)."""
    return {"display_name": student.display_name, "concentration": enrollment.concentration.code,
            "track": enrollment.track, "start_term": enrollment.start_term.name if enrollment.start_term else None,
            "advisor": enrollment.advisor.email if enrollment.advisor else None, "status": enrollment.status.value,
            "external_id": enrollment.external_id}


def _enrollment_wanted(values: dict) -> dict[str, Any]:
    """A row's checked values in the same words."""
    return {"display_name": values["display_name"], "concentration": values["concentration"].code,
            "track": values["track"], "start_term": values["start_term"].name, "advisor": values["advisor"].email,
            "status": values["status"].value, "external_id": values["external_id"]}


def _changes(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, list]:
    """Field -> [old, new] for what differs (everything given, for something new)."""
    if old is None:
        return {name: [None, value] for name, value in new.items() if value is not None}
    return {name: [old[name], new[name]] for name in new if old[name] != new[name]}


def _plan_enrollment(index: int, row: dict, look: _EnrollmentLookups, problems: _Problems) -> _EnrollmentPlan:
    external_id, email = _text(row, "external_id"), normalise_email(_text(row, "email"))
    before = len(problems.items)
    if not external_id:
        problems.add(index, "external_id", "Give the registrar's id of this enrollment.")
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        problems.add(index, "email", "Give the student's e-mail address.")
    enrollment, student = _enrollment_target(index, row, email, look, problems)
    values = _enrollment_values(index, row, look, enrollment, problems)
    values.update(email=email, external_id=external_id)
    outcome = RowOutcome(index, external_id, CREATED)
    if len(problems.items) == before:
        old = _enrollment_now(enrollment, student) if enrollment is not None else None
        outcome.changes = _changes(old, _enrollment_wanted(values))
        if enrollment is not None:
            outcome.id, outcome.outcome = enrollment.id, UPDATED if outcome.changes else UNCHANGED
    return _EnrollmentPlan(outcome, enrollment, student, values)


def _write_enrollment(plan: _EnrollmentPlan, actor: User) -> None:
    """Write one checked row that changes something: the account if new, the enrollment, its history event."""
    values, outcome = plan.values, plan.outcome
    student = plan.student
    if student is None:
        student = User(email=values["email"], display_name=values["display_name"], role=Role.STUDENT,
                       password_hash=None, active=True)
        db.session.add(student)
        db.session.flush()
        history.record(actor, "user.created", "user", student.id, subject_id=student.id,
                       summary=f"Created student {student.email} ({FEED})",
                       changes={"email": student.email, "display_name": student.display_name, "role": Role.STUDENT})
    enrollment = plan.enrollment
    if enrollment is None:
        enrollment = Enrollment(student_id=student.id, program_id=values["program"].id)
        db.session.add(enrollment)
    student.display_name = values["display_name"]
    enrollment.concentration_id, enrollment.track = values["concentration"].id, values["track"]
    enrollment.start_term_id, enrollment.advisor_id = values["start_term"].id, values["advisor"].id
    enrollment.status, enrollment.external_id = values["status"], values["external_id"]
    db.session.flush()
    outcome.id = enrollment.id
    verb = "Enrolled" if outcome.outcome == CREATED else "Changed the enrollment of"
    history.record(actor, "enrollment.imported", "enrollment", enrollment.id, subject_id=student.id,
                   summary=f"{verb} {student.email} ({FEED}, external id {values['external_id']})",
                   changes=outcome.changes)


def import_enrollments(rows: list[dict], *, actor: User, dry_run: bool = False) -> ImportReport:
    """Create or update each row's enrollment (and a new student's account, without a password: they set one
    with a reset link or log in with single sign-on), all or nothing; see the module's docstring."""
    return _run(_ENROLLMENTS, rows, actor, dry_run)


def enrollments_query(program_code: str | None = None) -> sa.Select:
    """Every enrollment with what the export shows, in id order (stable pages), optionally of one program."""
    query = (sa.select(Enrollment).join(Program, Program.id == Enrollment.program_id)
             .options(joinedload(Enrollment.student), joinedload(Enrollment.program),
                      joinedload(Enrollment.concentration), joinedload(Enrollment.start_term),
                      joinedload(Enrollment.advisor))
             .order_by(Enrollment.id))
    if program_code:
        query = query.where(Program.code == program_code)
    return query


def enrollment_row(enrollment: Enrollment) -> dict:
    """An enrollment in the import's own shape, so an exported row sent back changes nothing."""
    return {"id": enrollment.id, "external_id": enrollment.external_id, "email": enrollment.student.email,
            "display_name": enrollment.student.display_name, "program": enrollment.program.code,
            "concentration": enrollment.concentration.code, "track": enrollment.track,
            "start_term": enrollment.start_term.name if enrollment.start_term else None,
            "advisor_email": enrollment.advisor.email if enrollment.advisor else None,
            "status": enrollment.status.value}


# ---------------------------------------------------------------- course records

# What a substitution relies on: the feed leaves a record alone while an active one counts it.
RELIED_ON = ("course", "term", "status", "grade", "credits")


@dataclass
class _RecordLookups:
    """Everything the rows refer to, loaded once for the batch (a constant number of queries)."""

    students: dict[str, User]
    programs: dict[int, int]
    courses: dict[tuple[int, str], Course]
    terms: dict[str, Term]
    by_external_id: dict[str, CourseRecord]
    by_place: dict[tuple[int, int, int], CourseRecord]
    relied_on: dict[int, AuditException]

    @classmethod
    def load(cls, rows: list[dict], lock: bool) -> "_RecordLookups":
        students = _by(User.email, {normalise_email(_text(r, "student_email")) for r in rows})
        programs = dict(db.session.execute(sa.select(Enrollment.student_id, Enrollment.program_id).where(
            Enrollment.student_id.in_({u.id for u in students.values()}))).all())
        courses = {(c.program_id, c.code): c for c in db.session.scalars(
            sa.select(Course).where(Course.code.in_({_text(r, "course") for r in rows})))}
        terms = {t.name: t for t in db.session.scalars(sa.select(Term))}
        with_parts = (joinedload(CourseRecord.student), joinedload(CourseRecord.course),
                      joinedload(CourseRecord.term))
        by_external_id = {r.external_id: r for r in db.session.scalars(_locked(
            sa.select(CourseRecord).where(CourseRecord.external_id.in_({_text(r, "external_id") for r in rows}))
            .options(*with_parts), CourseRecord, lock))}
        course_ids = {c.id for c in courses.values()}
        by_place = {(r.student_id, r.course_id, r.term_id): r for r in db.session.scalars(_locked(
            sa.select(CourseRecord).where(CourseRecord.student_id.in_(programs), CourseRecord.course_id.in_(course_ids))
            .options(*with_parts), CourseRecord, lock))}
        record_ids = {r.id for r in by_external_id.values()} | {r.id for r in by_place.values()}
        relied_on = {e.course_record_id: e for e in db.session.scalars(
            sa.select(AuditException).where(AuditException.course_record_id.in_(record_ids),
                                            AuditException.revoked_at.is_(None))
            .options(joinedload(AuditException.created_by)))}
        return cls(students, programs, courses, terms, by_external_id, by_place, relied_on)


@dataclass
class _RecordPlan:
    """One checked course-record row: the values to write and the record it updates (None: a new one)."""

    outcome: RowOutcome
    record: CourseRecord | None
    values: dict[str, Any]


def _row_credits(index: int, row: dict, course: Course, problems: _Problems) -> Decimal | None:
    """The record's own credits for a variable-credit course (the course form's rule, courses.check_credits), None
    for a fixed-credit course; a figure that does not fit a fixed-credit course is a problem, never silently
    dropped as the form drops it (a feed's figure is data, not a typo)."""
    raw = row.get("credits")
    if course.max_credits is None:
        if raw is not None and Decimal(str(raw)) != Decimal(course.credits):
            problems.add(index, "credits", f"{course.code} always carries {format_credits(course.credits)} credits.")
        return None
    try:
        return check_credits(course, raw)
    except ServiceError as err:
        problems.add(index, "credits", err.message)
        return None


def _record_values(index: int, row: dict, look: _RecordLookups, problems: _Problems) -> dict[str, Any]:
    """The row's student, course, term, status, grade and credits, checked field by field."""
    email = normalise_email(_text(row, "student_email"))
    student = look.students.get(email)
    program_id = look.programs.get(student.id) if student is not None else None
    if student is None or student.role != Role.STUDENT:
        problems.add(index, "student_email", f"No student has the e-mail “{email}”.")
    elif program_id is None:
        problems.add(index, "student_email", f"{email} is not enrolled in a program; import the enrollment first.")
    course = look.courses.get((program_id, _text(row, "course"))) if program_id is not None else None
    if program_id is not None and course is None:
        problems.add(index, "course", f"The student's program has no course “{_text(row, 'course')}”.")
    term = look.terms.get(_text(row, "term"))
    if term is None:
        problems.add(index, "term", f"No term is named “{_text(row, 'term')}”.")
    try:
        status = CourseStatus(_text(row, "status"))
    except ValueError:
        status = None
        problems.add(index, "status", "Give one of " + ", ".join(s.value for s in CourseStatus) + ".")
    grade = clean_grade(row.get("grade"))
    if status is not None and (wrong := grade_problem(course, status, grade)):
        problems.add(index, "grade", wrong)
    credits = _row_credits(index, row, course, problems) if course is not None else None
    return {"student": student, "course": course, "term": term, "status": status, "grade": grade,
            "credits": credits, "external_id": _text(row, "external_id")}


def _readable_record(record) -> dict[str, Any]:
    return {"course": record.course.code, "term": record.term.name, "status": record.status.value,
            "grade": record.grade, "credits": format_credits(record_credits(record)),
            "external_id": record.external_id}


def _readable_values(values: dict) -> dict[str, Any]:
    course = values["course"]
    credits = values["credits"] if values["credits"] is not None else course.credits
    return {"course": course.code, "term": values["term"].name, "status": values["status"].value,
            "grade": values["grade"], "credits": format_credits(credits), "external_id": values["external_id"]}


def _record_target(index: int, values: dict, look: _RecordLookups, problems: _Problems) -> CourseRecord | None:
    """The record this row updates (None: a new one), checking that nothing else holds its place."""
    student, course, term, external_id = values["student"], values["course"], values["term"], values["external_id"]
    record = look.by_external_id.get(external_id)
    if record is not None and record.student_id != student.id:
        problems.add(index, "student_email", f"External id {external_id} is a course record of "
                                             f"{record.student.email}; the feed does not move records between "
                                             "students.")
        return record
    holder = look.by_place.get((student.id, course.id, term.id))
    if holder is not None and holder is not record:
        if record is None and holder.external_id is None:
            return holder  # entered before the feed: this row adopts it
        where = f"under external id {holder.external_id}" if holder.external_id else "already"
        problems.add(index, "course", f"{student.email} has {course.code} in {term.name} {where}; a student has "
                                      "each course once per term.")
    return record


def _refuse_relied_on(index: int, record: CourseRecord, changes: dict, look: _RecordLookups,
                      problems: _Problems) -> None:
    exception = look.relied_on.get(record.id)
    touched = [name for name in RELIED_ON if name in changes]
    if exception is not None and touched:
        problems.add(index, touched[0], f"{exception.created_by.display_name} counted {record.course.code} in "
                                        f"{record.term.name} as a substitution, so the feed cannot change its "
                                        f"{', '.join(touched)}; the substitution must be revoked first.")


def _plan_record(index: int, row: dict, look: _RecordLookups, problems: _Problems) -> _RecordPlan:
    before = len(problems.items)
    if not _text(row, "external_id"):
        problems.add(index, "external_id", "Give the registrar's id of this course record.")
    values = _record_values(index, row, look, problems)
    outcome = RowOutcome(index, values["external_id"], CREATED)
    if len(problems.items) > before:
        return _RecordPlan(outcome, None, values)
    record = _record_target(index, values, look, problems)
    if record is not None and len(problems.items) == before:
        outcome.changes = _changes(_readable_record(record), _readable_values(values))
        outcome.id, outcome.outcome = record.id, UPDATED if outcome.changes else UNCHANGED
        _refuse_relied_on(index, record, outcome.changes, look, problems)
    elif record is None:
        outcome.changes = _changes(None, _readable_values(values))
    return _RecordPlan(outcome, record, values)


def _write_record(plan: _RecordPlan, actor: User) -> None:
    """Write one checked row that changes something: the course record and its history event."""
    values, outcome = plan.values, plan.outcome
    record = plan.record
    if record is None:
        record = CourseRecord(student_id=values["student"].id)
        db.session.add(record)
    record.course_id, record.term_id = values["course"].id, values["term"].id
    record.status, record.grade, record.credits = values["status"], values["grade"], values["credits"]
    record.external_id = values["external_id"]
    db.session.flush()
    outcome.id = record.id
    verb = "Added" if outcome.outcome == CREATED else "Edited"
    action = "course_record.added" if outcome.outcome == CREATED else "course_record.edited"
    history.record(actor, action, COURSE_RECORD, record.id, subject_id=values["student"].id,
                   summary=f"{verb} {values['course'].code} in {values['term'].name} ({FEED}, external id "
                           f"{values['external_id']})",
                   changes=outcome.changes)


def import_course_records(rows: list[dict], *, actor: User, dry_run: bool = False) -> ImportReport:
    """Create or update each row's course record, all or nothing; see the module's docstring."""
    return _run(_COURSE_RECORDS, rows, actor, dry_run)


def course_records_query(program_code: str | None = None, term_name: str | None = None) -> sa.Select:
    """Every course record with what the export shows, in id order (stable pages), optionally of one program
    or one term."""
    query = (sa.select(CourseRecord)
             .join(Course, Course.id == CourseRecord.course_id)
             .join(Term, Term.id == CourseRecord.term_id)
             .options(joinedload(CourseRecord.student), joinedload(CourseRecord.course),
                      joinedload(CourseRecord.term))
             .order_by(CourseRecord.id))
    if program_code:
        query = query.join(Program, Program.id == Course.program_id).where(Program.code == program_code)
    if term_name:
        query = query.where(Term.name == term_name)
    return query


def course_record_row(record: CourseRecord) -> dict:
    """A course record in the import's own shape, so an exported row sent back changes nothing."""
    return {"id": record.id, "external_id": record.external_id, "student_email": record.student.email,
            "course": record.course.code, "term": record.term.name, "status": record.status.value,
            "grade": record.grade, "credits": record_credits(record)}


# ---------------------------------------------------------------- one import, either kind

@dataclass(frozen=True)
class _Kind:
    """What differs between importing enrollments and course records."""

    name: str  # in history actions: registrar.<name>_imported
    words: str  # in messages: "enrollments"
    lookups: Any  # a class with load(rows, lock)
    plan: Callable[..., Any]
    write: Callable[..., None]
    # (key of a row, field, what it is): a batch says each of these once
    once: tuple[tuple[Callable[[dict], Any], str, str], ...]


def _external_id(row: dict) -> str | None:
    return _text(row, "external_id") or None


_ENROLLMENTS = _Kind("enrollment", "enrollments", _EnrollmentLookups, _plan_enrollment, _write_enrollment, (
    (_external_id, "external_id", "external id"),
    (lambda r: normalise_email(_text(r, "email")) or None, "email", "e-mail")))
_COURSE_RECORDS = _Kind("course_record", "course records", _RecordLookups, _plan_record, _write_record, (
    (_external_id, "external_id", "external id"),
    (lambda r: (normalise_email(_text(r, "student_email")), _text(r, "course"), _text(r, "term")), "course",
     "student, course and term")))


def _run(kind: _Kind, rows: list[dict], actor: User, dry_run: bool) -> ImportReport:
    """Check every row, refuse the batch with every problem, or (unless a dry run) write it in one transaction."""
    problems = _Problems()
    look = kind.lookups.load(rows, lock=not dry_run)
    plans = [kind.plan(index, row, look, problems) for index, row in enumerate(rows)]
    for key, field_name, what in kind.once:
        _repeats(problems, rows, key, field_name, what)
    problems.raise_any()
    report = ImportReport(dry_run, [plan.outcome for plan in plans])
    if dry_run:
        return report
    with unique_or_refuse(f"Someone else wrote one of these {kind.words} meanwhile; nothing was imported. Send "
                          "the batch again."):
        for plan in plans:
            if plan.outcome.outcome != UNCHANGED:  # nothing to write, nothing to record
                kind.write(plan, actor)
        _record_batch(actor, kind, report)
        db.session.commit()
    return report
