"""Property tests of the audit on random students of the demo program."""
from __future__ import annotations

import dataclasses
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.domain import GRADES, is_passing

from .domain_factories import (
    CATALOG, DEMO, TERMS, assume_gpa_kept, course, credits_block, demo_course, draw_with_status, ensemble, milestone,
    replacing, rules, run, session,
)

SETTINGS = settings(max_examples=100, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CODES = sorted(CATALOG)
COURSE_STATUSES = ["planned", "in_progress", "completed", "completed", "withdrawn"]
SESSION_STATUSES = ["approved", "approved", "pending", "needs_changes", "rejected", "withdrawn"]
TODAYS = [date(2025, 10, 1), date(2026, 3, 2), date(2026, 4, 25), date(2027, 6, 1)]


@st.composite
def students(draw, repeats: bool = False):
    """Keyword arguments for run(): a random record of the demo program."""
    codes = draw(st.lists(st.sampled_from(CODES), unique=not repeats, max_size=24))
    courses = []
    for rid, code in enumerate(codes, start=1):
        status = draw(st.sampled_from(COURSE_STATUSES))
        grade = draw(st.sampled_from(GRADES)) if status == "completed" else None
        if status == "completed" and draw(st.integers(0, 9)) == 0:
            courses.append(demo_course(rid, code, status, None, None, transfer=True, institution="Elsewhere"))
        else:
            courses.append(demo_course(rid, code, status, grade, draw(st.sampled_from(TERMS))))
    sessions = [
        session(rid, draw(st.sampled_from([5, 10, 15, 20, 25, 40])), draw(st.sampled_from(SESSION_STATUSES)),
                draw(st.sampled_from(TERMS)))
        for rid in range(1, draw(st.integers(0, 10)) + 1)
    ]
    ensembles = [
        ensemble(rid, draw(st.sampled_from(["Choir", "Jazz Band", "Studio Orchestra"])), draw(st.sampled_from(TERMS)))
        for rid in range(1, draw(st.integers(0, 4)) + 1)
    ]
    kinds = draw(st.lists(st.sampled_from(["proposal", "committee", "defense", "deposit", "capstone",
                                           "comprehensive_exam"]), unique=True))
    milestones = [milestone(kind, date(2026, 1, draw(st.integers(1, 28)))) for kind in kinds]
    return dict(
        courses=courses, sessions=sessions, ensembles=ensembles, milestones=milestones,
        concentration=draw(st.sampled_from([c for c, _ in DEMO.concentrations])),
        track=draw(st.sampled_from(["thesis", "non_thesis"])),
        today=draw(st.sampled_from(TODAYS)),
    )


def audit_of(student: dict):
    return run(student["courses"], concentration=student["concentration"], track=student["track"],
               ensembles=student["ensembles"], sessions=student["sessions"], milestones=student["milestones"],
               today=student["today"])


@SETTINGS
@given(students(repeats=True))
def test_block_figures_add_up(student):
    result = audit_of(student)
    for block in result.blocks:
        done = min(block.done, block.need)
        in_progress = min(block.in_progress, block.need - done)
        assert block.remaining >= 0
        assert done + in_progress + block.remaining == block.need, block.key
        assert (block.status == "complete") == (block.done >= block.need), block.key
        assert 0 <= block.percent <= 100
        if block.kind in ("credits", "all_courses"):
            assert block.done == sum(u.amount for u in block.used if not u.provisional)
            assert block.in_progress == sum(u.amount for u in block.used if u.provisional)
    assert 0 <= result.overall_percent <= 100
    assert result.complete == all(b.complete for b in result.blocks)
    assert (result.overall_percent == 100) == result.complete
    # Every course record is either used by a course block or listed as unused, never both.
    used = {u.record_id for b in result.blocks if b.kind in ("credits", "all_courses") for u in b.used}
    unused = {u.record_id for u in result.unused}
    assert used.isdisjoint(unused) and used | unused == {c.id for c in student["courses"]}


@SETTINGS
@given(students(repeats=True), st.randoms(use_true_random=False))
def test_shuffled_input_gives_an_identical_result(student, rnd):
    shuffled = dict(student)
    for name in ("courses", "sessions", "ensembles", "milestones"):
        items = list(student[name])
        rnd.shuffle(items)
        shuffled[name] = items
    assert audit_of(shuffled) == audit_of(student)


@st.composite
def elective_heavy_students(draw):
    """Non-thesis students whose electives compete: the two elective blocks share every leftover course."""
    pool = ["MPT 660", "MPT 661", "MPT 662", "MPT 663", "MPT 664", "MPT 621", "MPT 622", "MPT 631", "MPT 601"]
    codes = draw(st.lists(st.sampled_from(pool), unique=True, min_size=1, max_size=7))
    courses = []
    for rid, code in enumerate(codes, start=1):
        status = draw(st.sampled_from(["planned", "in_progress", "completed"]))
        grade = "P" if CATALOG[code].pass_fail else draw(st.sampled_from(["A", "B", "C"]))
        courses.append(demo_course(rid, code, status, grade, draw(st.sampled_from(TERMS))))
    return dict(courses=courses, sessions=[], ensembles=[], milestones=[], concentration="production",
                track="non_thesis", today=TODAYS[1])


def check_completion_never_lowers_progress(student, data):
    record = draw_with_status(data, student["courses"], ("planned", "in_progress"))
    grade = data.draw(st.sampled_from(["P"] if record.pass_fail else [g for g in GRADES if is_passing(g)]))
    before = audit_of(student)
    assume_gpa_kept(grade, before)
    after = audit_of(dict(student, courses=replacing(student["courses"], record, status="completed", grade=grade)))
    assert after.overall_percent >= before.overall_percent
    assert sum(b.complete for b in after.blocks) >= sum(b.complete for b in before.blocks)
    for old, new in zip(before.blocks, after.blocks):
        # Progress is done up to the need: a complete block may swap a 4-credit course for an exact 3.
        assert min(new.done, new.need) >= min(old.done, old.need), old.key
    assert after.total_credits_done >= before.total_credits_done


@SETTINGS
@given(students(), st.data())
def test_completing_a_record_never_lowers_progress(student, data):
    check_completion_never_lowers_progress(student, data)


@SETTINGS
@given(elective_heavy_students(), st.data())
def test_completing_a_record_never_lowers_progress_of_competing_elective_blocks(student, data):
    check_completion_never_lowers_progress(student, data)


@SETTINGS
@given(students(), st.data())
def test_approving_a_pending_session_never_lowers_progress(student, data):
    chosen = draw_with_status(data, student["sessions"], ("pending", "needs_changes"))
    before = audit_of(student)
    after = audit_of(dict(student, sessions=replacing(student["sessions"], chosen, status="approved")))
    assert after.overall_percent >= before.overall_percent
    old, new = before.block("studio"), after.block("studio")
    assert new.done >= old.done
    assert new.done + new.in_progress >= old.done + old.in_progress


def test_finishing_a_course_keeps_credit_in_a_complete_elective_block():
    """Regression: with "completed blocks first" the 4 credits of Immersive Audio left the complete Additional
    electives block for Electives once Live Sound was finished; with progress first they stay."""
    records = [demo_course(1, "MPT 664"), demo_course(2, "MPT 662", "in_progress"),
               demo_course(3, "MPT 663", "in_progress")]
    before = run(records, track="non_thesis")
    after = run([records[0], dataclasses.replace(records[1], status="completed", grade="A"), records[2]],
                track="non_thesis")
    assert before.block("additional-electives").complete and after.block("additional-electives").complete
    assert (before.block("electives").done, after.block("electives").done) == (0, 2)
    assert after.overall_percent > before.overall_percent


def test_overall_progress_rises_even_when_tied_arrangements_move_a_course():
    """Known limit of any best-arrangement audit: after Course A 1 is finished, B 1 in Block X or in Block Y give
    equal progress, and requirement order puts it in X, so Y drops from 3 done to 1. Overall progress still rises."""
    program = rules(credits_block("x", 3, courses=["A 1", "B 1"]), credits_block("y", 3, courses=["B 1", "C 1"]))
    records = [course(1, "A 1", 1, status="in_progress", grade=None), course(2, "B 1", 2), course(3, "C 1", 1)]
    before = run(records, program=program)
    after = run([dataclasses.replace(records[0], status="completed", grade="A"), *records[1:]], program=program)
    assert (before.block("x").done, before.block("y").done) == (0, 3)
    assert (after.block("x").done, after.block("y").done) == (3, 1)
    assert (before.overall_percent, after.overall_percent) == (50, 66)
