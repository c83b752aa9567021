"""The allocation search: exact against brute force on small cases, bounded on large ones, and fast."""
from __future__ import annotations

import itertools
from decimal import Decimal as D
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.allocation import Candidate, SearchBudget, allocate

from .domain_factories import (
    CATALOG, TERMS, all_courses, course, credits_block, demo_course, ensemble, rules, run, session,
)


def score(needs, cands, assignment, caps):
    """The objective of an assignment, computed independently of the engine (credit blocks only)."""
    done = {b: Fraction(0) for b in needs}
    total = {b: Fraction(0) for b in needs}
    shared = {pair: 0 for pair in caps}
    for cand in cands:
        blocks = assignment[cand.rid]
        if len(blocks) == 2:
            if tuple(blocks) not in caps:
                return None
            shared[tuple(blocks)] += cand.credits
        for b in blocks:
            amount = Fraction(dict(cand.amounts)[b])
            total[b] += amount
            if cand.done:
                done[b] += amount
    if any(shared[p] > caps[p] for p in caps):
        return None
    return (
        sum(min(Fraction(1), done[b] / Fraction(needs[b])) for b in needs),
        sum(done[b] >= needs[b] for b in needs),
        sum(total[b] >= needs[b] for b in needs),
        sum(min(Fraction(1), total[b] / Fraction(needs[b])) for b in needs),
        -sum(max(Fraction(0), total[b] - Fraction(needs[b])) for b in needs),
    )


@st.composite
def problems(draw):
    n_blocks = draw(st.integers(1, 3))
    needs = {b: D(draw(st.sampled_from([1, 2, 3, 4, 6]))) for b in range(n_blocks)}
    cands = []
    for rid in range(draw(st.integers(1, 7))):
        eligible = draw(st.lists(st.sampled_from(range(n_blocks)), min_size=1, unique=True))
        credits = D(draw(st.sampled_from([1, 2, 3, 4])))
        cands.append(Candidate(rid, draw(st.booleans()), credits, tuple((b, credits) for b in sorted(eligible)),
                               (rid,)))
    caps = {}
    if n_blocks >= 2 and draw(st.booleans()):
        caps[(0, 1)] = D(draw(st.sampled_from([1, 3, 6])))
    return needs, cands, caps


@settings(max_examples=150, deadline=None, database=None)
@given(problems())
def test_exact_search_matches_brute_force(problem):
    needs, cands, caps = problem
    zero = {b: D(0) for b in needs}
    result, approx = allocate(needs, zero, dict(zero), cands, caps, SearchBudget())
    assert not approx
    got = score(needs, cands, result, caps)
    assert got is not None
    options = []
    for cand in cands:
        blocks = [b for b, _ in cand.amounts]
        opts = [()] + [(b,) for b in blocks] + [pair for pair in itertools.combinations(blocks, 2) if pair in caps]
        options.append(opts)
    best = max(
        s for combo in itertools.product(*options)
        if (s := score(needs, cands, {c.rid: o for c, o in zip(cands, combo)}, caps)) is not None
    )
    assert got == best


def test_allocation_does_not_depend_on_candidate_order():
    needs = {0: D(6), 1: D(3)}
    cands = [Candidate(i, i % 2 == 0, D(c), ((0, D(c)), (1, D(c))), (i,)) for i, c in enumerate([1, 2, 3, 4, 2])]
    zero = {0: D(0), 1: D(0)}
    first, _ = allocate(needs, zero, dict(zero), cands, {}, SearchBudget())
    second, _ = allocate(needs, zero, dict(zero), list(reversed(cands)), {}, SearchBudget())
    assert first == second


def test_a_300_record_student_is_solved_exactly():
    """Speed goals live in bench/audit_engine.py; here: a realistic 300-record student needs no fallback."""
    codes = sorted(CATALOG)
    courses = [demo_course(i, codes[i % len(codes)], status=["completed", "completed", "in_progress", "planned",
                                                              "withdrawn"][i % 5],
                           grade=["A", "B", "C", "P", "F"][i % 5] if i % 5 < 2 else "B", term=TERMS[i % 4])
               for i in range(1, 61)]
    sessions = [session(i, 5 + i % 7, ["approved", "pending", "rejected", "approved"][i % 4], TERMS[i % 4])
                for i in range(1, 201)]
    ensembles = [ensemble(i, ["Choir", "Jazz Band"][i % 2], TERMS[i % 4]) for i in range(1, 41)]
    result = run(courses, sessions=sessions, ensembles=ensembles, track="non_thesis")
    assert result.search_note is None


def test_adversarial_records_are_bounded_and_flagged():
    # Six overlapping blocks with awkward needs, 150 records each eligible for all of them.
    blocks = [credits_block(f"b{i}", [7, 5, 11, 13, 17, 19][i], categories=["elective"]) for i in range(6)]
    program = rules(*blocks, credits_block("left", 9, accepts_leftovers=True))
    records = [course(i, f"E {i}", [1, 2, 3, 4][i % 4], status="completed" if i % 3 else "in_progress",
                      grade="A" if i % 3 else None, term=TERMS[i % 4]) for i in range(1, 151)]
    result = run(records, program=program)
    assert result.search_note is not None and "approximate" in result.search_note
    assert result.complete  # 150 records are plenty; the fallback still finds a complete arrangement
    again = run(list(reversed(records)), program=program)
    assert again == result  # the fallback is deterministic too


def test_a_program_with_many_overlapping_blocks_is_solved_exactly_and_fast():
    program = rules(
        all_courses("core", ["C 1", "C 2", "C 3", "C 4"], min_grade="B-"),
        credits_block("conc", 12, course_concentrations=["$student"]),
        credits_block("tech", 6, categories=["concentration", "elective"], courses=["C 4"]),
        credits_block("methods", 3, courses=["M 1", "M 2", "P 3"]),
        credits_block("seminar", 4, courses=["S 1", "S 2", "P 1", "E 2"]),
        credits_block("electives", 9, accepts_leftovers=True),
    )
    prod, tech = ("concentration", "production"), ("concentration", "technical")
    rows = [("C 1", 3, "core", None, "completed"), ("C 2", 3, "core", None, "completed"),
            ("C 3", 3, "core", None, "in_progress"), ("C 4", 3, "core", None, "completed"),
            ("P 1", 3, *prod, "completed"), ("P 2", 3, *prod, "completed"), ("P 3", 3, *prod, "in_progress"),
            ("P 4", 3, *prod, "planned"), ("P 5", 3, *prod, "completed"), ("T 1", 3, *tech, "completed"),
            ("T 2", 3, *tech, "completed"), ("E 1", 1, "elective", None, "completed"),
            ("E 2", 2, "elective", None, "completed"), ("E 3", 4, "elective", None, "in_progress"),
            ("E 4", 3, "elective", None, "completed"), ("M 1", 3, "elective", None, "completed"),
            ("M 2", 2, "elective", None, "planned"), ("S 1", 2, "elective", None, "completed"),
            ("S 2", 1, "elective", None, "completed"), ("E 5", 1, "elective", None, "planned")]
    records = [course(i, code, credits, category=category, concentration=conc, status=status,
                      grade="A" if status == "completed" else None, term=TERMS[i % 4])
               for i, (code, credits, category, conc, status) in enumerate(rows, start=1)]
    result = run(records, program=program)
    assert result.search_note is None
    # Every block that can be complete with finished courses is.
    assert {b.key: b.status for b in result.blocks} == {
        "core": "in_progress", "conc": "in_progress", "tech": "complete", "methods": "complete",
        "seminar": "complete", "electives": "in_progress"}
    assert result.block("conc").done == 9 and result.block("conc").in_progress == 3
