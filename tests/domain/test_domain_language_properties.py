"""Property tests of the richer language: random students of a program that uses every construct.

The program (rich_program.toml) has course-or-course alternatives, an equivalence group, a subject and level pool
with a cap, a count block, repeatable 0-credit ensembles, a course outside the degree total, a variable-credit
repeatable course, and an any_of of two all_of options; its policies take the best attempt and make a course
below a block's minimum grade be repeated.
"""
from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal as D
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tracker.domain import (
    AuditInput,
    CourseRecord,
    Milestone,
    StudentContext,
    Term,
    audit,
    is_passing,
    parse_program_definition,
)
from tracker.domain.requirements import GroupRequirement

from .domain_factories import assume_gpa_kept, draw_with_status, replacing

RICH = parse_program_definition((Path(__file__).parent / "rich_program.toml").read_text(encoding="utf-8"))
RULES = RICH.rules()
COURSES = {c.code: c for c in RICH.courses}
CODES = sorted(COURSES) + ["TR 100"]
TERMS = tuple(Term(i, f"Term {i}", i, date(2024 + i // 2, 1 + 6 * (i % 2), 10), date(2024 + i // 2, 5 + 6 * (i % 2),
                                                                                     20)) for i in range(1, 6))
GRADES = ["A", "A-", "B+", "B", "B-", "C", "F", "P"]
SETTINGS = settings(max_examples=80, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TODAY = date(2026, 3, 2)


@st.composite
def students(draw):
    codes = draw(st.lists(st.sampled_from(CODES), max_size=16))
    records = []
    for rid, code in enumerate(codes, start=1):
        status = draw(st.sampled_from(["planned", "in_progress", "completed", "completed", "withdrawn"]))
        course = COURSES.get(code)
        credits = course.credits if course else D(3)
        if course is not None and course.max_credits is not None:
            credits = D(draw(st.integers(int(course.credits), int(course.max_credits))))
        grade = draw(st.sampled_from(GRADES)) if status == "completed" else None
        transfer = course is None
        records.append(CourseRecord(
            id=-rid if transfer else rid, course_code=code, title=course.title if course else "Transfer",
            credits=credits, category=course.category if course else "elective", concentration=None,
            term=None if transfer else draw(st.sampled_from(TERMS)), status="completed" if transfer else status,
            grade=(grade or "B") if transfer else grade, pass_fail=bool(course and course.pass_fail),
            transfer=transfer, earned_on=date(2020, 1, 1) if transfer else None))
    milestones = [Milestone(kind, date(2026, 1, 5), "Prof. X")
                  for kind in draw(st.lists(st.sampled_from(["defense", "portfolio_review"]), unique=True))]
    return dict(records=records, milestones=milestones, track=draw(st.sampled_from(["thesis", "portfolio"])))


def audit_of(student: dict, rules=RULES):
    return audit(AuditInput(rules, StudentContext("general", student["track"], start=date(2024, 1, 10)),
                            courses=tuple(student["records"]), milestones=tuple(student["milestones"]),
                            today=TODAY))


@SETTINGS
@given(students(), st.randoms(use_true_random=False))
def test_input_order_never_changes_the_result(student, rnd):
    shuffled = dict(student)
    for name in ("records", "milestones"):
        items = list(student[name])
        rnd.shuffle(items)
        shuffled[name] = items
    assert audit_of(shuffled) == audit_of(student)


@SETTINGS
@given(students(), st.data())
def test_completing_a_record_never_lowers_overall_progress(student, data):
    record = draw_with_status(data, student["records"], ("planned", "in_progress"))
    grade = data.draw(st.sampled_from([g for g in GRADES if is_passing(g)]))
    before = audit_of(student)
    assume_gpa_kept(grade, before)
    after = audit_of(dict(student, records=replacing(student["records"], record, status="completed", grade=grade)))
    assert after.overall_percent >= before.overall_percent


def _subtree(key: str) -> tuple:
    """The requirement and everything nested in it, as a program of its own."""
    by_key = {r.key: r for r in RULES.requirements}
    keys, stack = [], [key]
    while stack:
        current = stack.pop()
        keys.append(current)
        if isinstance(by_key[current], GroupRequirement):
            stack.extend(by_key[current].of)
    return tuple(r for r in RULES.requirements if r.key in keys)


@SETTINGS
@given(students())
def test_an_any_of_never_reports_less_than_its_best_option_alone(student):
    group_alone = audit_of(student, dataclasses.replace(RULES, requirements=_subtree("culminating")))
    group = group_alone.block("culminating")
    assume(group is not None)
    for option in group.children:
        alone = audit_of(student, dataclasses.replace(RULES, requirements=_subtree(option.key)))
        assert group.percent >= alone.block(option.key).percent


@SETTINGS
@given(students())
def test_groups_count_no_more_options_than_they_choose(student):
    for block in audit_of(student).walk():
        if block.choose is not None:
            assert sum(1 for c in block.children if c.counted) <= block.choose
            assert sum(1 for c in block.children if c.counted) == min(block.choose, len(block.children))


@SETTINGS
@given(students())
def test_an_equivalence_group_and_a_repeatable_course_count_within_their_limits(student):
    result = audit_of(student)
    records = {r.id: r for r in student["records"]}
    counted = [records[u.record_id] for b in result.walk() if b.kind in ("credits", "courses", "all_courses")
               for u in b.used]
    # MUS 5010 and MUS 6010 are one course: at most one of their records counts, anywhere.
    assert len({r.id for r in counted if r.course_code in ("MUS 5010", "MUS 6010")}) <= 1
    for code, course in COURSES.items():
        if course.repeatable:
            ids = {r.id for r in counted if r.course_code == code}
            assert len(ids) <= course.repeatable
            if course.repeat_max_credits is not None:
                assert sum(records[i].credits for i in ids) <= course.repeat_max_credits
    # The total never counts a course outside the degree total.
    assert all(records[u.record_id].course_code != "MUS 4999" for u in result.block("total").used)


@SETTINGS
@given(students())
def test_no_block_passes_its_caps(student):
    result = audit_of(student)
    records = {r.id: r for r in student["records"]}
    pool = result.block("pool")
    independent = sum(records[u.record_id].credits for u in pool.used if records[u.record_id].course_code
                      == "MUS 6900")
    assert independent <= 3
    core = result.block("core")
    # One of MUS 5020 / MUS 5030 fills the second core item, never both.
    assert sum(1 for u in core.used if records[u.record_id].course_code in ("MUS 5020", "MUS 5030")) <= 1
