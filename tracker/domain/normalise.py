"""Stage 1 of the audit: tidy the course record under the program's policies, before anything is matched.

Which records count at all, and why the others do not (the reasons are shown to students, so plain words):
  - withdrawn courses never count;
  - a course taken more than once (equivalent codes are one course) counts once: the latest completed attempt,
    or the best-graded one under `retake = "best"`; a later attempt still planned or in progress counts
    provisionally only when the completed one did not pass;
  - a repeatable course counts each completed attempt, up to its limit of attempts and/or credits;
  - failed courses earn no credit (their grade still enters the GPA, as the counted attempt);
  - transfer credit counts only at `transfer_min_grade` or better, earned no longer than `transfer_max_age_years`
    before the start term, and up to the transfer limit (records in the order they were entered, never split);
  - a course that does not count toward the degree total is kept, marked, and left out of the totals.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable

from .amounts import format_amount
from .grades import grade_points, is_passing, is_valid_grade, meets_minimum
from .inputs import COURSE_STATUSES, CourseRecord

ZERO = Decimal(0)

WITHDRAWN = "withdrawn"
REPEATED = "repeated — a later attempt counts"
REPEATED_BEST = "repeated — the attempt with the best grade counts"
RETAKE_PENDING = "repeat not graded yet — the completed attempt counts until it is"
FAILED = "failed"
OVER_TRANSFER_CAP = "over the transfer cap"
NO_GRADE = "completed without a valid grade"
OVER_REPEAT_LIMIT = "over the course's repeat limit"
NOT_NEEDED = "not needed by any requirement"


@dataclass
class Entry:
    """A course record after this stage: whether it counts, whether it is finished, and why not."""

    rec: CourseRecord
    counted: bool
    done: bool
    reason: str | None = None
    in_total: bool = True  # False for a course that does not count toward the degree total

    @property
    def label(self) -> str:
        """How the record is shown: code, title and term (or transfer institution)."""
        return course_label(self.rec)


def course_label(rec: CourseRecord) -> str:
    """Code, title and term (or "transfer, institution")."""
    base = f"{rec.course_code} {rec.title}"
    if rec.transfer:
        return f"{base} (transfer{', ' + rec.institution if rec.institution else ''})"
    if rec.term is not None:
        return f"{base} ({rec.term.name})"
    return base


def term_key(rec: CourseRecord) -> tuple:
    """Chronological order; transfer credit without a term sorts first: it was earned before the student arrived."""
    return (0, 0) if rec.term is None else (1, rec.term.order)


def _passes(rec: CourseRecord) -> bool:
    return is_passing(rec.grade) or (rec.transfer and rec.grade is None)


def years_after(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February becomes 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)



@dataclass
class Normalised:
    """What stage 1 hands on: entries by record id, GPA pairs, and the warnings it raised."""

    entries: dict[int, Entry]
    gpa_pairs: list[tuple[str | None, Decimal]]


def normalise(courses: Iterable[CourseRecord], *, cap: Decimal, policies, course_info: dict, identity,
              start: date | None, today: date, warn) -> Normalised:
    """Apply withdrawals, the retake and repeat rules, failures and the transfer rules.

    `course_info` maps a code to its CourseDef (attributes: repeatable, counts_toward_total); `identity(code)` is
    the code standing for its equivalence group; `warn(code, message)` records an audit warning.
    """
    records = sorted(courses, key=lambda r: r.id)
    ids = [r.id for r in records]
    if len(ids) != len(set(ids)):
        raise ValueError("course record ids must be unique (give transfer records ids of their own)")
    for rec in records:
        if rec.status not in COURSE_STATUSES:
            raise ValueError(f"course record {rec.id}: unknown status {rec.status!r}")
    entries: dict[int, Entry] = {}
    attempts: dict[str, list[CourseRecord]] = {}
    for rec in records:
        if rec.status == "withdrawn":
            entries[rec.id] = Entry(rec, False, False, WITHDRAWN)
        else:
            attempts.setdefault(identity(rec.course_code), []).append(rec)
    gpa_pairs: list[tuple[str | None, Decimal]] = []
    for code in sorted(attempts):
        tries = sorted(attempts[code], key=lambda r: (term_key(r), r.id))
        info = course_info.get(tries[-1].course_code) or course_info.get(code)
        if info is not None and info.repeatable:
            _repeatable(tries, info, entries, gpa_pairs, warn)
        else:
            _retakes(tries, policies.retake, entries, gpa_pairs, warn)
    for rec in records:
        info = course_info.get(rec.course_code)
        if info is not None and not info.counts_toward_total:
            entries[rec.id].in_total = False
    _transfer_rules(records, entries, cap=cap, policies=policies, start=start, today=today, warn=warn)
    return Normalised(entries, gpa_pairs)


def _graded(rec: CourseRecord, entries: dict, gpa_pairs: list, warn) -> None:
    """A completed attempt that counts if it passes; its grade enters the GPA."""
    if _passes(rec):
        entries[rec.id] = Entry(rec, True, True)
    elif rec.grade is None or not is_valid_grade(rec.grade):
        entries[rec.id] = Entry(rec, False, False, NO_GRADE)
        warn("missing_grade", f"{course_label(rec)} is marked completed but has no valid grade.")
    else:
        entries[rec.id] = Entry(rec, False, False, FAILED)
    if not rec.transfer and grade_points(rec.grade) is not None:
        gpa_pairs.append((rec.grade, Decimal(rec.credits)))


def _retakes(tries: list[CourseRecord], rule: str, entries: dict, gpa_pairs: list, warn) -> None:
    """One attempt of a course counts: the latest completed one, or under rule "best" the best-graded one."""
    completed = [r for r in tries if r.status == "completed"]
    if rule == "best" and completed:
        # Passing first, then grade points (a P passes with no points), then the later attempt.
        counted = max(completed, key=lambda r: (_passes(r), grade_points(r.grade) or ZERO, term_key(r), r.id))
        set_aside = REPEATED_BEST
    else:
        counted = completed[-1] if completed else None
        set_aside = REPEATED
    counted_passes = counted is not None and _passes(counted)
    last_completed = (term_key(completed[-1]), completed[-1].id) if completed else None
    later_provisional = [r for r in tries if r.status != "completed" and (
        last_completed is None or (term_key(r), r.id) > last_completed)]
    counted_provisional = later_provisional[-1] if later_provisional and not counted_passes else None
    for rec in tries:
        if rec is counted:
            _graded(rec, entries, gpa_pairs, warn)
        elif rec is counted_provisional:
            entries[rec.id] = Entry(rec, True, False)
        elif rec in later_provisional and counted_passes:
            entries[rec.id] = Entry(rec, False, False, RETAKE_PENDING)
        else:
            entries[rec.id] = Entry(rec, False, False, set_aside)


def _repeatable(tries: list[CourseRecord], info, entries: dict, gpa_pairs: list, warn) -> None:
    """Every attempt of a repeatable course counts, finished ones first, up to its attempts and credits limits."""
    times, most = info.repeatable, info.repeat_max_credits
    used_times, used_credits = 0, ZERO
    provisional = []
    for rec in tries:
        if rec.status != "completed":
            provisional.append(rec)
            continue
        _graded(rec, entries, gpa_pairs, warn)
        entry = entries[rec.id]
        if not entry.counted:
            continue
        if used_times + 1 > times or (most is not None and used_credits + Decimal(rec.credits) > most):
            entries[rec.id] = Entry(rec, False, False, OVER_REPEAT_LIMIT)
            continue
        used_times += 1
        used_credits += Decimal(rec.credits)
    for rec in provisional:
        if used_times + 1 > times or (most is not None and used_credits + Decimal(rec.credits) > most):
            entries[rec.id] = Entry(rec, False, False, OVER_REPEAT_LIMIT)
            continue
        used_times += 1
        used_credits += Decimal(rec.credits)
        entries[rec.id] = Entry(rec, True, False)


def _transfer_rules(records: list[CourseRecord], entries: dict, *, cap: Decimal, policies, start: date | None,
                    today: date, warn) -> None:
    """Transfer minimum grade and age, then the transfer cap in the order the records were entered."""
    reference = start or today
    for rec in records:
        entry = entries[rec.id]
        if not rec.transfer or not entry.counted:
            continue
        if policies.transfer_min_grade and rec.grade is not None and not meets_minimum(
                rec.grade, policies.transfer_min_grade):
            entries[rec.id] = Entry(rec, False, False,
                                    f"transfer grade {rec.grade} below the minimum {policies.transfer_min_grade}")
            warn("transfer_grade", f"{course_label(rec)}: transfer credit needs a grade of at least "
                                   f"{policies.transfer_min_grade}; {rec.grade} does not count.")
        elif policies.transfer_max_age_years and rec.earned_on is not None and years_after(
                rec.earned_on, policies.transfer_max_age_years) < reference:
            entries[rec.id] = Entry(rec, False, False, f"earned more than {policies.transfer_max_age_years} "
                                                       "years before the start")
            warn("transfer_age", f"{course_label(rec)}: earned on {rec.earned_on.isoformat()}, more than "
                                 f"{policies.transfer_max_age_years} years before the start, so it does not count.")
        elif policies.transfer_max_age_years and rec.earned_on is None:
            warn("transfer_undated", f"{course_label(rec)}: no date earned, so its age "
                                     f"({policies.transfer_max_age_years}-year limit) cannot be checked.")
    transferred = ZERO
    for rec in records:
        entry = entries[rec.id]
        if rec.transfer and entry.counted:
            if transferred + Decimal(rec.credits) > cap:
                entries[rec.id] = Entry(rec, False, False, OVER_TRANSFER_CAP)
                warn("transfer_cap", f"{course_label(rec)}: transfer credit beyond the {format_amount(cap)}-credit "
                                     "limit does not count.")
            else:
                transferred += Decimal(rec.credits)
