"""Grades: the scale, pass/fail, minimum-grade checks, the GPA and its rounding rule, and the repeat policy.

Scale: A 4.0, A- 3.7, B+ 3.3, B 3.0, B- 2.7, C+ 2.3, C 2.0, C- 1.7, D+ 1.3, D 1.0, D- 0.7, F 0.0.
P and NP are pass/fail grades and carry no grade points.

Credit: every grade but F and NP earns credit. A pass (P) satisfies blocks that accept "any grade" only; it fails
every block that states a minimum letter grade, however low, because a pass says nothing about the letter earned.

GPA: sum(points x credits) / sum(credits) over completed, letter-graded (F included), non-transfer course records.
It is computed exactly and rounded half-up to 2 decimals; the rounded value is both what is shown and what is
compared with the program's minimum, so a GPA of 2.995 shows as 3.00 and meets a 3.0 minimum, while 2.9949 shows
as 2.99 and does not.

Repeat policy: when a student completes the same course more than once, only the most recent completed attempt
(latest term order, then highest record id) counts, for credit and for the GPA; earlier attempts are listed as
"repeated — a later attempt counts" and are not used. The rule is literal: F then B counts the B; B then C counts
the C; B then F counts the F (no credit, and the F is in the GPA). A planned or in-progress retake of a course
already passed does not count until it is graded; the passed attempt keeps counting meanwhile.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Iterable

GRADE_POINTS: dict[str, Decimal] = {
    "A": Decimal("4.0"),
    "A-": Decimal("3.7"),
    "B+": Decimal("3.3"),
    "B": Decimal("3.0"),
    "B-": Decimal("2.7"),
    "C+": Decimal("2.3"),
    "C": Decimal("2.0"),
    "C-": Decimal("1.7"),
    "D+": Decimal("1.3"),
    "D": Decimal("1.0"),
    "D-": Decimal("0.7"),
    "F": Decimal("0.0"),
}
LETTER_GRADES: tuple[str, ...] = tuple(GRADE_POINTS)
PASS_FAIL_GRADES: tuple[str, ...] = ("P", "NP")
GRADES: tuple[str, ...] = LETTER_GRADES + PASS_FAIL_GRADES
FAILING_GRADES = frozenset({"F", "NP"})
GPA_PLACES = 2


def grade_points(grade: str | None) -> Decimal | None:
    """Grade points of a letter grade; None for P, NP, no grade or an unknown grade."""
    return GRADE_POINTS.get(grade) if grade else None


def is_valid_grade(grade: str | None) -> bool:
    """True for a grade on the scale (letters, P, NP)."""
    return grade in GRADES


def is_passing(grade: str | None) -> bool:
    """True when the grade earns credit: any valid grade except F and NP."""
    return grade in GRADES and grade not in FAILING_GRADES


def meets_minimum(grade: str | None, minimum: str | None) -> bool:
    """True when the grade earns credit and reaches the minimum letter grade (P meets no stated minimum)."""
    if not is_passing(grade):
        return False
    if minimum is None:
        return True
    if minimum not in GRADE_POINTS:
        raise ValueError(f"unknown minimum grade {minimum!r}")
    points = grade_points(grade)
    return points is not None and points >= GRADE_POINTS[minimum]


def round_gpa(value: Decimal | Fraction) -> Decimal:
    """Round a GPA half-up to 2 decimals, exactly (no binary floating point, no context precision)."""
    scaled = Fraction(value) * 10**GPA_PLACES
    # floor(x + 1/2) is half-up for the non-negative values a GPA can take.
    rounded = (scaled + Fraction(1, 2)).__floor__()
    return Decimal(rounded).scaleb(-GPA_PLACES).quantize(Decimal(1).scaleb(-GPA_PLACES))


def compute_gpa(graded: Iterable[tuple[str | None, Decimal]]) -> tuple[Decimal | None, Decimal]:
    """GPA of (grade, credits) pairs, counting letter grades only; returns (rounded GPA or None, GPA credits)."""
    points = Fraction(0)
    credits = Decimal(0)
    for grade, record_credits in graded:
        value = grade_points(grade)
        if value is None:
            continue
        points += Fraction(value) * Fraction(record_credits)
        credits += Decimal(record_credits)
    if credits == 0:
        return None, Decimal(0)
    return round_gpa(points / Fraction(credits)), credits


def meets_gpa(gpa: Decimal | None, minimum: Decimal) -> bool:
    """True when the GPA, rounded half-up to 2 decimals, is at least the minimum."""
    return gpa is not None and round_gpa(gpa) >= minimum
