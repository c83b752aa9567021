"""Helpers for the tests that work on the demo program (its fixture `demo_program` is in tests/fixtures/programs.py):
its course codes and milestones, the four-term `Terms`, and record builders."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import (
    AuditException,
    Course,
    CourseRecord,
    CourseStatus,
    Ensemble,
    EnsembleRecord,
    EnsembleRole,
    ExceptionKind,
    MilestoneRecord,
    SessionStatus,
    Studio,
    StudioActivity,
    StudioRole,
    StudioSession,
    Term,
    User,
)

DEMO_TOML = Path(__file__).resolve().parent.parent / "tracker" / "programs" / "demo.toml"
CONCENTRATIONS = ("production", "technical", "acoustical", "education", "composition")
CONCENTRATION_COURSES = {
    "production": ("MPT 611", "MPT 612", "MPT 613", "MPT 614"),
    "technical": ("MPT 621", "MPT 622", "MPT 623", "MPT 624"),
    "acoustical": ("MPT 631", "MPT 632", "MPT 633", "MPT 634"),
    "education": ("MPT 641", "MPT 642", "MPT 643", "MPT 644"),
    "composition": ("MPT 651", "MPT 652", "MPT 653", "MPT 654"),
}
CORE = ("MPT 601", "MPT 602", "MPT 603", "MPT 604")
THESIS_MILESTONES = ("proposal", "committee", "defense", "deposit")
NON_THESIS_MILESTONES = ("capstone", "comprehensive_exam")


@dataclass
class Terms:
    """Four terms around today: two finished, the current one and the next."""

    first: Term
    second: Term
    current: Term
    next: Term


def course(code: str) -> Course:
    """A catalog course of the demo program by code."""
    found = db.session.scalar(sa.select(Course).where(Course.code == code))
    assert found is not None, code
    return found


def course_record(student: User, course: Course, term: Term, status: str = "completed",
                  grade: str | None = "A") -> CourseRecord:
    """An unsaved course record; the grade is kept only for a completed course."""
    return CourseRecord(student_id=student.id, course_id=course.id, term_id=term.id, status=CourseStatus(status),
                        grade=grade if status == "completed" else None)


def studio_session(student: User, supervisor: User, studio: Studio, term: Term, day: date, start: time, minutes: int,
                   status: str, **values) -> StudioSession:
    """An unsaved studio session of `minutes` from `start`; a reviewed one (neither pending nor withdrawn) was
    reviewed by its supervisor just now. `values`: the other columns (activity, project, role, ...)."""
    end = (datetime.combine(day, start) + timedelta(minutes=minutes)).time()
    reviewed = status not in ("pending", "withdrawn")
    return StudioSession(
        student_id=student.id, supervisor_id=supervisor.id, studio_id=studio.id, term_id=term.id, date=day,
        start_time=start, end_time=end, minutes=minutes, status=SessionStatus(status),
        reviewer_id=supervisor.id if reviewed else None,
        reviewed_at=datetime.now(timezone.utc) if reviewed else None, **values)


def add_course(student: User, code: str, term: Term, status: str = "completed", grade: str | None = "A",
               commit: bool = True) -> CourseRecord:
    record = course_record(student, course(code), term, status, grade)
    db.session.add(record)
    if commit:
        db.session.commit()
    return record


def ensemble(name: str = "Jazz Ensemble") -> Ensemble:
    found = db.session.scalar(sa.select(Ensemble).where(Ensemble.name == name))
    if found is None:
        found = Ensemble(name=name)
        db.session.add(found)
        db.session.commit()
    return found


def studio() -> Studio:
    found = db.session.scalar(sa.select(Studio).order_by(Studio.id))
    if found is None:
        found = Studio(name="Studio A", location="Room 110")
        db.session.add(found)
        db.session.commit()
    return found


def add_ensemble(student: User, term: Term, name: str = "Jazz Ensemble", commit: bool = True) -> EnsembleRecord:
    record = EnsembleRecord(student_id=student.id, ensemble_id=ensemble(name).id, term_id=term.id,
                            role=EnsembleRole.ENGINEER)
    db.session.add(record)
    if commit:
        db.session.commit()
    return record


def add_sessions(student: User, supervisor: User, term: Term, *, count: int = 1, hours: float = 4,
                 status: str = "approved", commit: bool = True) -> list[StudioSession]:
    """`count` sessions of `hours` each on consecutive days from the term's start (capped at the term's end)."""
    room = studio()
    made = []
    for i in range(count):
        day = min(term.start_date + timedelta(days=i % 90), term.end_date)
        made.append(studio_session(student, supervisor, room, term, day, time(10, 0), int(hours * 60), status,
                                   activity=StudioActivity.MIXING, project="Thesis EP", role=StudioRole.ENGINEER))
    db.session.add_all(made)
    if commit:
        db.session.commit()
    return made


def sign(student: User, kind: str, on: date, by: User, note: str = "") -> MilestoneRecord:
    record = MilestoneRecord(student_id=student.id, kind=kind, completed_on=on, note=note,
                             signed_by_id=by.id)
    db.session.add(record)
    db.session.commit()
    return record


def add_exception(student: User, by: User, kind: str, justification: str = "Approved by the program committee",
                  **values) -> AuditException:
    row = AuditException(student_id=student.id, kind=ExceptionKind(kind), justification=justification,
                         created_by_id=by.id, **values)
    db.session.add(row)
    db.session.commit()
    return row


def complete_records(student: User, advisor: User, terms: Terms, concentration: str, track: str) -> None:
    """Everything the demo program asks of this concentration and track, finished in the two past terms."""
    t1, t2 = terms.first, terms.second
    for code in CORE:
        add_course(student, code, t1, grade="A", commit=False)
    for code in CONCENTRATION_COURSES[concentration]:
        add_course(student, code, t2, grade="A-", commit=False)
    electives = ("MPT 663", "MPT 662", "MPT 661") if track == "thesis" else ("MPT 663", "MPT 664", "MPT 662")
    for code in electives:
        add_course(student, code, t2, grade="B+", commit=False)
    if track == "thesis":
        add_course(student, "MPT 698", t1, grade="A", commit=False)
        add_course(student, "MPT 699", t2, grade="A", commit=False)
    else:
        add_course(student, "MPT 697", t2, grade="A", commit=False)
    add_ensemble(student, t1, commit=False)
    add_ensemble(student, t2, commit=False)
    for term in (t1, t2, terms.current):
        add_sessions(student, advisor, term, count=10, hours=4, commit=False)
    db.session.commit()
    kinds = THESIS_MILESTONES if track == "thesis" else NON_THESIS_MILESTONES
    for i, kind in enumerate(kinds):
        sign(student, kind, t1.start_date + timedelta(days=10 * (i + 1)), advisor)
