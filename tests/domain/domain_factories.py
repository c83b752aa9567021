"""Builders for domain tests: terms, records from the demo catalog, small ad-hoc programs and one-call audits."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import assume
from hypothesis import strategies as st

from tracker.domain import (
    AllCoursesRequirement,
    AuditInput,
    CourseRecord,
    CreditsRequirement,
    EnsembleRecord,
    Milestone,
    ProgramRules,
    StudentContext,
    StudioSession,
    Substitution,
    Term,
    Waiver,
    audit,
    grade_points,
    load_program_definition,
)

D = Decimal
DEMO_PATH = Path(__file__).resolve().parents[2] / "tracker" / "programs" / "demo.toml"
DEMO = load_program_definition(str(DEMO_PATH))
CATALOG = {c.code: c for c in DEMO.courses}

FALL25 = Term(1, "Fall 2025", 1, date(2025, 8, 25), date(2025, 12, 12))
SPRING26 = Term(2, "Spring 2026", 2, date(2026, 1, 12), date(2026, 5, 8))
FALL26 = Term(3, "Fall 2026", 3, date(2026, 8, 24), date(2026, 12, 11))
SPRING27 = Term(4, "Spring 2027", 4, date(2027, 1, 11), date(2027, 5, 7))
TERMS = (FALL25, SPRING26, FALL26, SPRING27)
TODAY = date(2026, 3, 2)  # in the middle of Spring 2026
WHEN = datetime(2026, 2, 1, 10, 30)


def demo_course(rid: int, code: str, status: str = "completed", grade: str | None = "A", term: Term | None = FALL25,
                **overrides) -> CourseRecord:
    """A course record for a demo catalog course; grade is dropped unless the record is completed."""
    course = CATALOG[code]
    values = dict(
        id=rid, course_code=code, title=course.title, credits=course.credits, category=course.category,
        concentration=course.concentration, term=term, status=status,
        grade=grade if status == "completed" else None, pass_fail=course.pass_fail,
    )
    values.update(overrides)
    return CourseRecord(**values)


def course(rid: int, code: str, credits=3, *, status: str = "completed", grade: str | None = "A",
           term: Term | None = FALL25, category: str = "elective", concentration: str | None = None,
           transfer: bool = False, institution: str | None = None) -> CourseRecord:
    """A course record for ad-hoc programs (any code, any credits)."""
    return CourseRecord(
        id=rid, course_code=code, title=f"Course {code}", credits=D(credits), category=category,
        concentration=concentration, term=term, status=status, grade=grade if status == "completed" else grade,
        transfer=transfer, institution=institution,
    )


def all_courses(key: str, courses, min_grade=None, **kw) -> AllCoursesRequirement:
    """An all_courses requirement."""
    return AllCoursesRequirement(key=key, title=kw.pop("title", key.title()), courses=tuple(courses),
                                 min_grade=min_grade, **kw)


def credits_block(key: str, credits, **kw) -> CreditsRequirement:
    """A credits requirement; list-like settings may be given as lists."""
    for name in ("courses", "categories", "course_concentrations", "concentrations"):
        if name in kw:
            kw[name] = tuple(kw[name])
    if "share_with" in kw:
        kw["share_with"] = tuple(sorted((k, D(v)) for k, v in kw["share_with"].items()))
    return CreditsRequirement(key=key, title=kw.pop("title", key.title()), credits=D(credits), **kw)


def rules(*requirements, max_transfer_credits=6) -> ProgramRules:
    """A ProgramRules of the given requirements."""
    return ProgramRules(requirements=tuple(requirements), code="TEST", name="Test program",
                        max_transfer_credits=D(max_transfer_credits))


def run(courses=(), *, program=DEMO, concentration="production", track="thesis", ensembles=(), sessions=(),
        milestones=(), substitutions=(), waivers=(), today=TODAY):
    """Audit in one call."""
    return audit(AuditInput(
        program, StudentContext(concentration, track), courses=tuple(courses), ensembles=tuple(ensembles),
        sessions=tuple(sessions), milestones=tuple(milestones), substitutions=tuple(substitutions),
        waivers=tuple(waivers), today=today,
    ))


def session(rid: int, hours, status: str = "approved", term: Term = FALL25) -> StudioSession:
    """A studio session on the first day of its term."""
    return StudioSession(rid, term, term.start, D(hours), status)


def ensemble(rid: int, name: str, term: Term, role: str = "performer") -> EnsembleRecord:
    """An ensemble record."""
    return EnsembleRecord(rid, name, term, role)


def milestone(kind: str, on: date | None, by: str | None = "Dr. Rivera") -> Milestone:
    """A milestone; signed off when both a date and a signer are given."""
    return Milestone(kind, on, by)


def substitution(record_id: int, key: str) -> Substitution:
    """A substitution by the advisor."""
    return Substitution(record_id, key, "Equivalent content", "Dr. Rivera", WHEN)


def waiver(key: str, amount=None) -> Waiver:
    """A waiver by the advisor (amount None = whole requirement)."""
    return Waiver(key, None if amount is None else D(amount), "Prior professional work", "Dr. Rivera", WHEN)


def used_ids(result, key: str) -> list:
    """Record ids a block uses."""
    return sorted(u.record_id for u in result.block(key).used)


def unused_reasons(result) -> dict:
    """record id -> reason for every unused course record."""
    return {u.record_id: u.reason for u in result.unused}


def warning_codes(result) -> list:
    """Codes of the result's warnings."""
    return [w.code for w in result.warnings]


def full_student(concentration: str = "production", track: str = "thesis"):
    """Course records (all graded A) that complete every course requirement of the demo for this student."""
    conc_codes = sorted(c.code for c in DEMO.courses if c.concentration == concentration)
    codes = ["MPT 601", "MPT 602", "MPT 603", "MPT 604", *conc_codes, "MPT 663", "MPT 662"]
    # Thesis: 6 elective credits, Thesis I and II. Non-thesis: 9 elective credits and the capstone.
    codes += ["MPT 661", "MPT 698", "MPT 699"] if track == "thesis" else ["MPT 664", "MPT 697"]
    return [demo_course(rid, code, term=TERMS[rid % 3]) for rid, code in enumerate(codes, start=1)]


def done_extras(track: str = "thesis"):
    """Ensembles, studio sessions and milestones that complete the non-course requirements."""
    ens = [ensemble(1, "Studio Orchestra", FALL25), ensemble(2, "Jazz Ensemble", SPRING26)]
    studio = [session(1, 40, term=FALL25), session(2, 41, term=SPRING26), session(3, 45, term=FALL26)]
    kinds = ["proposal", "committee", "defense", "deposit"] if track == "thesis" else ["capstone",
                                                                                        "comprehensive_exam"]
    ms = [milestone(kind, date(2026, 1, 1 + i)) for i, kind in enumerate(kinds)]
    return ens, studio, ms


def replacing(items, chosen, **changes) -> list:
    """The items with `chosen` (the very object) replaced by a copy that has `changes`."""
    return [dataclasses.replace(item, **changes) if item is chosen else item for item in items]


def assume_gpa_kept(grade: str, before) -> None:
    """Skip an example where the new grade is below the audit's GPA (`before`): it lowers the GPA, and so the GPA
    block, which is not a regression of the audit."""
    points = grade_points(grade)
    assume(points is None or before.gpa is None or points >= before.gpa + Decimal("0.005"))


def draw_with_status(data, items, statuses: tuple[str, ...]):
    """One of the items whose status is among `statuses`, drawn from hypothesis' `data` (skipping an example that
    has none)."""
    candidates = [item for item in items if item.status in statuses]
    assume(candidates)
    return data.draw(st.sampled_from(candidates))
