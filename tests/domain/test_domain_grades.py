"""Grade scale, pass/fail, minimums and the GPA rounding rule."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from tracker.domain import GRADES, compute_gpa, grade_points, is_passing, meets_gpa, meets_minimum, round_gpa


def test_grades_in_display_order():
    assert GRADES == ("A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F", "P", "NP")


@pytest.mark.parametrize("grade, points", [
    ("A", "4.0"), ("A-", "3.7"), ("B+", "3.3"), ("B", "3.0"), ("B-", "2.7"), ("C+", "2.3"), ("C", "2.0"),
    ("C-", "1.7"), ("D+", "1.3"), ("D", "1.0"), ("D-", "0.7"), ("F", "0.0"),
])
def test_grade_points(grade, points):
    assert grade_points(grade) == D(points)


@pytest.mark.parametrize("grade", ["P", "NP", None, "", "Z"])
def test_no_grade_points(grade):
    assert grade_points(grade) is None


@pytest.mark.parametrize("grade, passing", [("A", True), ("D-", True), ("P", True), ("F", False), ("NP", False),
                                            (None, False), ("W", False)])
def test_is_passing(grade, passing):
    assert is_passing(grade) is passing


@pytest.mark.parametrize("grade, minimum, ok", [
    ("B-", "B-", True), ("B", "B-", True), ("C+", "B-", False), ("P", None, True), ("P", "B-", False),
    ("P", "D-", False), ("F", None, False), ("NP", None, False), ("A", "A", True), ("D-", None, True),
])
def test_meets_minimum(grade, minimum, ok):
    assert meets_minimum(grade, minimum) is ok


def test_unknown_minimum_is_an_error():
    with pytest.raises(ValueError):
        meets_minimum("A", "Q")


@pytest.mark.parametrize("value, rounded", [
    ("2.995", "3.00"), ("2.9949999", "2.99"), ("3.125", "3.13"), ("3.0", "3.00"), ("4", "4.00"), ("0", "0.00"),
])
def test_round_gpa_half_up(value, rounded):
    assert str(round_gpa(D(value))) == rounded


def test_gpa_of_2_995_rounds_up_and_meets_3():
    # 1 credit of B- (2.7) and 59 credits of B (3.0): exactly 179.7 / 60 = 2.995.
    gpa, credits = compute_gpa([("B-", D(1)), ("B", D(59))])
    assert (gpa, credits) == (D("3.00"), D(60))
    assert meets_gpa(gpa, D("3.0"))


def test_gpa_just_under_rounds_down():
    gpa, _ = compute_gpa([("B-", D(2)), ("B", D(117))])  # (5.4 + 351) / 119 = 2.99495...
    assert gpa == D("2.99")
    assert not meets_gpa(gpa, D("3.0"))


def test_gpa_ignores_pass_fail_and_counts_f():
    gpa, credits = compute_gpa([("A", D(3)), ("P", D(1)), ("NP", D(1)), ("F", D(3))])
    assert (gpa, credits) == (D("2.00"), D(6))


def test_gpa_of_nothing():
    assert compute_gpa([("P", D(3))]) == (None, D(0))
