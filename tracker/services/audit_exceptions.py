"""Audit exceptions an advisor or admin records for a student: substitutions, waivers and transfer credit.

The degree audit reads the rows that are not revoked (tracker.services.audit); a revoked exception stays for the record.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..domain import GROUP_KINDS, LETTER_GRADES
from ..domain.requirements import COURSE_KINDS, requirement_to_dict
from ..extensions import db
from ..models import (
    AuditException,
    Course,
    CourseRecord,
    CourseStatus,
    Enrollment,
    ExceptionKind,
    User,
    utcnow,
)
from . import Problems, ServiceError, history
from .catalog_versions import rules_for_enrollment
from .values import check_date, optional_decimal, optional_id, parse_decimal

MAX_WAIVER = Decimal("9999.99")  # the amount column: Numeric(6, 2)
TRANSFER_GRADES = LETTER_GRADES + ("P",)  # a transfer grade: a letter grade, or P for pass/fail credit


@dataclass(frozen=True)
class RequirementChoice:
    """A requirement an exception may name, with the unit a waiver is measured in and its full amount."""

    key: str
    title: str
    kind: str
    unit: str
    full_amount: Decimal | None

    @property
    def takes_substitution(self) -> bool:
        """Only requirements filled by courses can take a substituted course."""
        return self.kind in COURSE_KINDS

    @property
    def partial_waiver(self) -> bool:
        """A GPA or a group of requirements can only be waived whole; every other requirement also in part."""
        return self.kind != "gpa" and self.kind not in GROUP_KINDS

    @property
    def label(self) -> str:
        """The requirement with what it asks for, for a select option."""
        amount = f" — {self.full_amount.normalize():f} {self.unit}" if self.full_amount is not None else ""
        return f"{self.title}{amount}"


def _full_amount(kind: str, params: dict) -> Decimal | None:
    """What the whole requirement asks for, in its unit (None when a partial amount makes no sense)."""
    if kind == "all_courses":
        return Decimal(len(params.get("courses", [])))
    if kind == "milestones":
        return Decimal(len(params.get("milestones", [])))
    for name in ("credits", "terms"):
        if params.get(name) is not None:
            try:
                return Decimal(str(params[name]))
            except InvalidOperation:
                return None
    return None


def requirement_choices(enrollment: Enrollment) -> list[RequirementChoice]:
    """The requirements of the student's catalog version that apply to their concentration and track, in order."""
    conc = enrollment.concentration.code
    out = []
    for req in rules_for_enrollment(enrollment).rules.requirements:
        if req.concentrations and conc not in req.concentrations:
            continue
        if req.track is not None and req.track != enrollment.track:
            continue
        params = requirement_to_dict(req)["params"] or {}
        full = _full_amount(req.kind, params)
        if req.kind in ("credits", "courses") and req.credits is None:
            full = Decimal(req.count)  # a block that needs a number of courses
        out.append(RequirementChoice(req.key, req.title, req.kind, req.measure, full))
    return out


def student_exceptions(student_id: int) -> list[AuditException]:
    """Every exception of a student, newest first, with who recorded and revoked it (one query)."""
    return list(db.session.scalars(
        sa.select(AuditException).where(AuditException.student_id == student_id)
        .options(joinedload(AuditException.created_by), joinedload(AuditException.revoked_by),
                 joinedload(AuditException.course_record).joinedload(CourseRecord.course),
                 joinedload(AuditException.course_record).joinedload(CourseRecord.term),
                 joinedload(AuditException.course))
        .order_by(AuditException.created_at.desc(), AuditException.id.desc())
    ).unique())


def _enrollment(student: User) -> Enrollment:
    enrollment = db.session.scalar(
        sa.select(Enrollment).where(Enrollment.student_id == student.id)
        .options(joinedload(Enrollment.concentration), joinedload(Enrollment.program)))
    if enrollment is None:
        raise ServiceError(f"{student.display_name} is not enrolled in a program.")
    return enrollment


def _justification(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) < 10:
        raise ServiceError("Explain why (at least a sentence): the justification is kept with the exception.",
                           "justification")
    return text


def _text(value: str | None, field: str, message: str) -> str:
    """A stripped, non-empty text of at most 200 characters (the columns' length)."""
    value = (value or "").strip()
    if not value:
        raise ServiceError(message, field)
    if len(value) > 200:
        raise ServiceError("Use at most 200 characters.", field)
    return value


def _choice(enrollment: Enrollment, key: str | None) -> RequirementChoice:
    for choice in requirement_choices(enrollment):
        if choice.key == key:
            return choice
    raise ServiceError("Choose one of the requirements that apply to this student.", "requirement_key")


def _active(student_id: int, *where) -> AuditException | None:
    return db.session.scalar(sa.select(AuditException).where(
        AuditException.student_id == student_id, AuditException.revoked_at.is_(None), *where).limit(1))


def record_substitution(student: User, course_record_id: int | None, requirement_key: str | None,
                        justification: str, *, actor: User) -> AuditException:
    """Let one of the student's course records count toward a requirement it would not otherwise fill."""
    enrollment = _enrollment(student)
    problems = Problems()
    course_record_id = problems.check(optional_id, course_record_id, "course_record_id",
                                      "Choose one of the student's courses.")
    # Locked (PostgreSQL) so the student cannot change the record between this check and the commit
    # (tracker.services.courses takes the same lock before editing).
    record = (db.session.get(CourseRecord, course_record_id, with_for_update=True, populate_existing=True)
              if course_record_id else None)
    if record is None or record.student_id != student.id:
        if not problems.has("course_record_id"):
            problems.add("course_record_id", "Choose one of the student's courses.")
    elif record.status == CourseStatus.WITHDRAWN:
        problems.add("course_record_id", "A withdrawn course cannot be substituted.")
    elif _active(student.id, AuditException.kind == ExceptionKind.SUBSTITUTION,
                 AuditException.course_record_id == record.id) is not None:
        problems.add("course_record_id", "This course already has a substitution; revoke it first to change it.")
    choice = problems.check(_choice, enrollment, requirement_key)
    if choice is not None and not choice.takes_substitution:
        problems.add("requirement_key", f"{choice.title} is not filled by courses; record a waiver instead.")
    justification = problems.check(_justification, justification)
    problems.raise_any()
    exc = AuditException(student_id=student.id, kind=ExceptionKind.SUBSTITUTION, requirement_key=choice.key,
                         course_record_id=record.id, justification=justification, created_by_id=actor.id)
    db.session.add(exc)
    db.session.flush()
    label = f"{record.course.code} {record.course.title} ({record.term.name})"
    history.record(actor, "exception.created", "audit_exception", exc.id, subject_id=student.id,
                   summary=f"Substitution for {student.email}: {label} counts toward {choice.title}",
                   changes={"kind": exc.kind, "course_record": label, "requirement": choice.key,
                            "justification": justification})
    db.session.commit()
    return exc


def record_waiver(student: User, requirement_key: str | None, amount, justification: str, *,
                  actor: User) -> AuditException:
    """Waive a requirement, whole (amount blank) or in part (an amount in the requirement's unit)."""
    enrollment = _enrollment(student)
    problems = Problems()
    choice = problems.check(_choice, enrollment, requirement_key)
    if choice is not None and _active(student.id, AuditException.kind == ExceptionKind.WAIVER,
                                      AuditException.requirement_key == choice.key) is not None:
        problems.add("requirement_key", f"{choice.title} already has a waiver; revoke it first to change it.")
    amount = problems.check(optional_decimal, amount, "amount", places=2, maximum=MAX_WAIVER,
                            message="Enter a positive amount, or leave it blank to waive the whole requirement.")
    if amount is not None and choice is not None:
        if not choice.partial_waiver:
            problems.add("amount", f"{choice.title} can only be waived whole; leave the amount blank.")
        elif choice.full_amount is not None and amount > choice.full_amount:
            problems.add("amount", f"{choice.title} asks for {choice.full_amount.normalize():f} {choice.unit}; "
                                   "waive at most that much (blank waives it whole).")
    justification = problems.check(_justification, justification)
    problems.raise_any()
    exc = AuditException(student_id=student.id, kind=ExceptionKind.WAIVER, requirement_key=choice.key,
                         amount=amount, justification=justification, created_by_id=actor.id)
    db.session.add(exc)
    db.session.flush()
    what = "whole" if amount is None else f"{amount.normalize():f} {choice.unit}"
    history.record(actor, "exception.created", "audit_exception", exc.id, subject_id=student.id,
                   summary=f"Waiver for {student.email}: {choice.title} ({what})",
                   changes={"kind": exc.kind, "requirement": choice.key, "amount": amount,
                            "justification": justification})
    db.session.commit()
    return exc


def record_transfer(student: User, title: str, institution: str, credits, course_id: int | None,
                    justification: str, *, actor: User, earned_on: date | None = None,
                    grade: str | None = None, today: date | None = None) -> AuditException:
    """Accept credit from another institution, optionally as the equivalent of a catalog course and with the day
    it was earned there (the audit may refuse credit older than the program's limit)."""
    enrollment = _enrollment(student)
    problems = Problems()
    title = problems.check(_text, title, "transfer_title", "Enter the course title at the other institution.")
    institution = problems.check(_text, institution, "institution", "Enter the institution.")
    credits = problems.check(parse_decimal, credits, "transfer_credits", places=1, maximum=99,
                             message="Enter the credits accepted (a positive number, at most 99).")
    earned_on = problems.check(check_date, earned_on, "earned_on")
    if earned_on is not None and earned_on > (today or date.today()):
        problems.add("earned_on", "Credit cannot be earned in the future: enter the day the course was completed "
                                  "there, or leave the date blank.")
    grade = grade or None
    if grade is not None and grade not in TRANSFER_GRADES:
        problems.add("transfer_grade", f"Choose a letter grade ({', '.join(TRANSFER_GRADES)}) or no grade.")
    course = None
    course_id = problems.check(optional_id, course_id, "course_id",
                               "Choose a course of the student's program, or none.")
    if course_id:
        course = db.session.get(Course, course_id)
        if course is None or course.program_id != enrollment.program_id:
            problems.add("course_id", "Choose a course of the student's program, or none.")
    justification = problems.check(_justification, justification)
    problems.raise_any()
    exc = AuditException(student_id=student.id, kind=ExceptionKind.TRANSFER, transfer_title=title,
                         institution=institution, transfer_credits=credits, course_id=course.id if course else None,
                         earned_on=earned_on, transfer_grade=grade, justification=justification,
                         created_by_id=actor.id)
    db.session.add(exc)
    db.session.flush()
    history.record(actor, "exception.created", "audit_exception", exc.id, subject_id=student.id,
                   summary=f"Transfer credit for {student.email}: {title}, {institution} ({credits:f} credits)",
                   changes={"kind": exc.kind, "title": title, "institution": institution, "credits": credits,
                            "equivalent": course.code if course else None, "earned_on": earned_on, "grade": grade,
                            "justification": justification})
    db.session.commit()
    return exc


def revoke(exc: AuditException, *, actor: User) -> None:
    """Withdraw an exception; the audit stops using it and the row stays with who revoked it and when."""
    if exc.revoked_at is not None:
        raise ServiceError("This exception is already revoked.")
    exc.revoked_at = utcnow()
    exc.revoked_by_id = actor.id
    history.record(actor, "exception.revoked", "audit_exception", exc.id, subject_id=exc.student_id,
                   summary=f"Revoked {exc.kind.label.lower()} #{exc.id}",
                   changes={"revoked_at": [None, exc.revoked_at]})
    db.session.commit()
