"""A student's courses: add, edit and delete course records, and the by-term list with credit totals."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    LETTER_GRADES,
    PASS_FAIL_GRADES,
    AuditException,
    Course,
    CourseRecord,
    CourseStatus,
    Enrollment,
    Term,
    User,
)
from ..permissions import may_advise
from . import Problems, ServiceError, history, unique_or_refuse
from .catalog_versions import rules_for_enrollment
from .student_records import (active_or_kept, chosen_term, offered_item, recent_records, records_in_term_order,
                              refuse_duplicate)
from .values import parse_decimal

ENTITY = "course_record"


@dataclass(frozen=True)
class CourseInput:
    """What the course form submits (plain values; the service checks every one)."""

    course_id: int | None
    term_id: int | None
    status: CourseStatus | str | None
    grade: str | None = None
    # As typed: only a variable-credit course takes the record's own credits; for any other course it is ignored.
    credits: Decimal | str | None = None


@dataclass
class TermCourses:
    """One term's course records and credit totals by status."""

    term: Term
    records: list[CourseRecord] = field(default_factory=list)
    completed: Decimal = Decimal("0")
    in_progress: Decimal = Decimal("0")
    planned: Decimal = Decimal("0")


def program_id_of(student: User) -> int | None:
    """The id of the program the student is enrolled in, or None."""
    return db.session.scalar(sa.select(Enrollment.program_id).where(Enrollment.student_id == student.id))


def catalog_for(program_id: int, include_id: int | None = None) -> list[Course]:
    """The program's active courses by code (plus `include_id`, a retired course an existing record still uses)."""
    return list(db.session.scalars(
        sa.select(Course).where(Course.program_id == program_id, active_or_kept(Course, include_id))
        .order_by(Course.code)
    ))


def all_terms() -> list[Term]:
    """Every term, oldest first."""
    return list(db.session.scalars(sa.select(Term).order_by(Term.start_date, Term.id)))


def format_credits(value) -> str:
    """3.0 -> '3', 1.5 -> '1.5', 10 -> '10'."""
    return format(Decimal(value).normalize(), "f")


def record_credits(record: CourseRecord) -> Decimal:
    """The credits a record carries: its own for a variable-credit course, the course's otherwise."""
    return Decimal(record.credits if record.credits is not None else record.course.credits)


def _given(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def check_credits(course: Course, value) -> Decimal | None:
    """The record's own credits for a variable-credit course (required, within the course's range); None for a
    fixed-credit course, whatever was typed (the course's credits are what the record carries)."""
    if course.max_credits is None:
        return None
    low, high = Decimal(course.credits), Decimal(course.max_credits)
    words = f"from {format_credits(low)} to {format_credits(high)}"
    if not _given(value):
        raise ServiceError(f"{course.code} is a variable-credit course: enter the credits you take, {words}.",
                           "credits")
    return parse_decimal(value, "credits", places=1, minimum=low, allow_minimum=True, maximum=high,
                         message=f"{course.code} carries {words} credits: enter a number in that range, "
                                 "like 2 or 1.5.")


def ignored_credits_note(course: Course, value) -> str | None:
    """What to tell a student who typed credits for a fixed-credit course (they are not used), or None."""
    if course.max_credits is not None or not _given(value):
        return None
    typed = str(value).strip()
    try:
        if Decimal(typed) == Decimal(course.credits):
            return None
    except ArithmeticError:
        pass
    return (f"{course.code} always carries {format_credits(course.credits)} credits, so the credits you entered "
            f"({typed[:12]}) were not used.")


def grade_choices() -> list[str]:
    """Every grade the form offers: letters, then pass/fail."""
    return [*LETTER_GRADES, *PASS_FAIL_GRADES]


def clean_grade(value: str | None) -> str | None:
    """A grade as stored: upper case, None when empty."""
    return (value or "").strip().upper() or None


def grade_problem(course: Course | None, status: CourseStatus, grade: str | None) -> str | None:
    """What is wrong with this grade for a record of `course` with `status` (None when it is right): a completed
    course needs its kind of grade (letter or pass/fail), any other status none."""
    if status != CourseStatus.COMPLETED:
        if grade is not None:
            return (f"A grade is recorded only for a completed course, not a {status.label.lower()} one. "
                    "Leave the grade empty.")
        return None
    if grade is None:
        return "Enter the grade you received for a completed course."
    if course is not None and course.pass_fail and grade not in PASS_FAIL_GRADES:
        return f"{course.code} is graded pass/fail: choose P or NP."
    if course is not None and not course.pass_fail and grade not in LETTER_GRADES:
        return f"{course.code} takes a letter grade (A to F); P/NP is for pass/fail courses."
    return None


def _check(
    student: User, data: CourseInput, record: CourseRecord | None
) -> tuple[Course, Term, CourseStatus, str | None, Decimal | None]:
    """Validate the input against the catalog, the course's credit range and the grade rules; returns the clean
    values (credits: the record's own, for a variable-credit course only)."""
    program_id = program_id_of(student)
    if program_id is None:
        raise ServiceError("You are not enrolled in a program yet, so there is no catalog to choose from.")
    problems = Problems()
    course = offered_item(Course, data.course_id, record.course_id if record is not None else None)
    if course is None or course.program_id != program_id:
        course = None
        problems.add("course_id", "Choose a course from your program's catalog.")
    credits = problems.check(check_credits, course, data.credits) if course is not None else None
    term = chosen_term(data.term_id, problems)
    try:
        status = CourseStatus(data.status)
    except ValueError:
        status = None
        problems.add("status", "Choose a status.")
    grade = clean_grade(data.grade)
    if status is not None and (wrong := grade_problem(course, status, grade)):
        problems.add("grade", wrong)
    problems.raise_any()
    refuse_duplicate(CourseRecord, CourseRecord.course_id, student, course, term, record, _duplicate)
    return course, term, status, grade, credits


def _duplicate(course: Course, term: Term) -> ServiceError:
    return ServiceError(f"You already have {course.code} in {term.name}. Edit that record instead.", "course_id")


def add_course_record(student: User, data: CourseInput, *, actor: User) -> CourseRecord:
    """Add a course record for the student."""
    course, term, status, grade, credits = _check(student, data, None)
    record = CourseRecord(student_id=student.id, course_id=course.id, term_id=term.id, status=status, grade=grade,
                          credits=credits)
    db.session.add(record)
    with unique_or_refuse(_duplicate(course, term)):
        db.session.flush()
    changes = {"course": course.code, "term": term.name, "status": status, "grade": grade}
    if credits is not None:
        changes["credits"] = format_credits(credits)
    history.record(
        actor, "course_record.added", ENTITY, record.id, subject_id=student.id,
        summary=f"Added {course.code} in {term.name} ({status.label.lower()}"
                + (f", {format_credits(credits)} credits)" if credits is not None else ")"),
        changes=changes,
    )
    db.session.commit()
    return record


def update_course_record(record: CourseRecord, data: CourseInput, *, actor: User) -> CourseRecord:
    """Change a course record's course, term, status, grade or (variable-credit course) credits.

    A record an active substitution rests on keeps what the advisor relied on (course, term, status, grade) unless
    the actor is someone who may change that substitution (the student's advisor or an admin).
    """
    _lock(record)
    course, term, status, grade, credits = _check(record.student, data, record)
    values = {"course_id": course.id, "term_id": term.id, "status": status, "grade": grade, "credits": credits}
    # The history shows codes and term names, which a reader understands, rather than ids.
    changes = history.diff(_readable(record.course, record.term, record.status, record.grade, record.credits),
                           vars(_readable(course, term, status, grade, credits)))
    if not changes:
        return record
    _refuse_if_relied_on(record, actor, changing=changes)
    for name, value in values.items():
        setattr(record, name, value)
    with unique_or_refuse(_duplicate(course, term)):
        db.session.flush()
    history.record(
        actor, "course_record.edited", ENTITY, record.id, subject_id=record.student_id,
        summary=f"Edited {course.code} in {term.name}", changes=changes,
    )
    db.session.commit()
    return record


def _readable(course: Course, term: Term, status: CourseStatus, grade: str | None,
              credits: Decimal | None) -> SimpleNamespace:
    # Credits as written for people ('2', not '2.0'), so 2 and 2.0 are no change.
    return SimpleNamespace(course=course.code, term=term.name, status=status, grade=grade,
                           credits=None if credits is None else format_credits(credits))


def _lock(record: CourseRecord) -> None:
    """Serialise writes to this record with an advisor recording a substitution for it (a row lock on PostgreSQL;
    SQLite write requests already hold the database's write lock)."""
    db.session.execute(sa.select(CourseRecord.id).where(CourseRecord.id == record.id).with_for_update())


def relied_on_by(record: CourseRecord) -> AuditException | None:
    """The active substitution that counts this record toward a requirement, if any."""
    return db.session.scalar(
        sa.select(AuditException)
        .where(AuditException.course_record_id == record.id, AuditException.revoked_at.is_(None))
        .options(joinedload(AuditException.created_by))
        .order_by(AuditException.id)
        .limit(1)
    )


def _requirement_title(student_id: int, key: str | None) -> str | None:
    """The title of a requirement of the student's catalog version (its key when the version has no such one)."""
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.student_id == student_id))
    if enrollment is None:
        return key
    found = next((r for r in rules_for_enrollment(enrollment).rules.requirements if r.key == key), None)
    return found.title if found is not None else key


def _refuse_if_relied_on(record: CourseRecord, actor: User, *, changing: dict | None = None) -> None:
    """Refuse a student's change to a record an advisor's substitution relies on, saying who and why."""
    exc = relied_on_by(record)
    if exc is None or may_advise(actor, record.student_id):
        return
    what = "deleted" if changing is None else "changed in its " + ", ".join(
        name for name in ("course", "term", "status", "grade", "credits") if name in changing)
    requirement = _requirement_title(record.student_id, exc.requirement_key)
    raise ServiceError(
        f"{exc.created_by.display_name} counted {record.course.code} in {record.term.name} toward "
        f"{requirement} as a substitution, so this record can no longer be {what}. "
        "Ask them to revoke the substitution first; they can record it again afterwards."
    )


def delete_course_record(record: CourseRecord, *, actor: User) -> None:
    """Delete a course record, unless an advisor's substitution rests on it."""
    _lock(record)
    _refuse_if_relied_on(record, actor)
    summary = f"Deleted {record.course.code} in {record.term.name}"
    changes = {"course": record.course.code, "term": record.term.name, "status": record.status, "grade": record.grade}
    if record.credits is not None:
        changes["credits"] = format_credits(record.credits)
    history.record(actor, "course_record.deleted", ENTITY, record.id, subject_id=record.student_id,
                   summary=summary, changes=changes)
    db.session.delete(record)
    db.session.commit()


def courses_by_term(student_id: int) -> list[TermCourses]:
    """The student's course records grouped by term (oldest term first) with credits per status."""
    records = records_in_term_order(CourseRecord, CourseRecord.course, Course.code, student_id)
    groups: dict[int, TermCourses] = {}
    totals: dict[int, dict[CourseStatus, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for record in records:
        group = groups.setdefault(record.term_id, TermCourses(term=record.term))
        group.records.append(record)
        totals[record.term_id][record.status] += record_credits(record)
    for term_id, group in groups.items():
        group.completed = totals[term_id][CourseStatus.COMPLETED]
        group.in_progress = totals[term_id][CourseStatus.IN_PROGRESS]
        group.planned = totals[term_id][CourseStatus.PLANNED]
    return list(groups.values())


def recent_courses(student_id: int, limit: int = 5) -> list[CourseRecord]:
    """The student's most recently added or changed course records."""
    return recent_records(CourseRecord, CourseRecord.course, student_id, limit)


def records_query(student_id: int) -> sa.Select:
    """The student's course records, oldest term first (then by course code), with their course and term: the
    order of the courses page, for one page at a time (the JSON API's list)."""
    return (
        sa.select(CourseRecord)
        .join(Term, Term.id == CourseRecord.term_id)
        .join(Course, Course.id == CourseRecord.course_id)
        .where(CourseRecord.student_id == student_id)
        .options(joinedload(CourseRecord.course), joinedload(CourseRecord.term))
        .order_by(Term.start_date, Term.id, Course.code, CourseRecord.id)
    )
