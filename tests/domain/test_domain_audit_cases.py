"""The fifteen cases of docs/audit-engine.md, one test each (plus close variants), named after the case."""
from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal as D

from tracker.domain import EnsembleTermsRequirement, GpaRequirement, StudioTermsRequirement

from .domain_factories import (
    FALL25,
    FALL26,
    SPRING26,
    SPRING27,
    all_courses,
    course,
    credits_block,
    demo_course,
    ensemble,
    milestone,
    rules,
    run,
    session,
    substitution,
    unused_reasons,
    used_ids,
    waiver,
    warning_codes,
)


def test_case_01_repeated_course_f_then_b_the_retake_counts():
    result = run([demo_course(1, "MPT 601", grade="F", term=FALL25),
                  demo_course(2, "MPT 601", grade="B", term=SPRING26)])
    assert used_ids(result, "core") == [2]
    assert unused_reasons(result) == {1: "repeated — a later attempt counts"}
    assert result.total_credits_done == 3  # credits once
    assert (result.gpa, result.gpa_credits) == (D("3.00"), 3)  # the F left the GPA with its attempt


def test_case_01_repeated_course_b_then_c_the_latest_attempt_counts():
    result = run([demo_course(1, "MPT 601", grade="B", term=FALL25),
                  demo_course(2, "MPT 601", grade="C", term=SPRING26)])
    core = result.block("core")
    assert core.done == 0
    assert [(r.record_id, r.reason) for r in core.rejected] == [
        (1, "repeated — a later attempt counts"), (2, "grade C below minimum B-")]
    assert "below_minimum_grade" in warning_codes(result)
    assert (result.gpa, result.total_credits_done) == (D("2.00"), 3)
    assert used_ids(result, "electives") == [2]  # a passed course still earns elective credit


def test_case_01_repeat_in_the_same_term_the_higher_record_id_counts():
    result = run([demo_course(7, "MPT 601", grade="A", term=FALL25),
                  demo_course(3, "MPT 601", grade="B", term=FALL25)])
    assert used_ids(result, "core") == [7]
    assert unused_reasons(result) == {3: "repeated — a later attempt counts"}


def test_case_02_withdrawn_course_earns_nothing_and_is_listed():
    result = run([demo_course(1, "MPT 601", status="withdrawn", grade=None)])
    assert result.block("core").done == 0 and result.block("core").in_progress == 0
    assert [(r.record_id, r.reason) for r in result.block("core").rejected] == [(1, "withdrawn")]
    assert unused_reasons(result) == {1: "withdrawn"}
    assert (result.total_credits_done, result.total_credits_in_progress, result.gpa) == (0, 0, None)
    assert all(1 not in used_ids(result, b.key) for b in result.blocks if b.kind in ("credits", "all_courses"))


def test_case_03_pass_fail_counts_for_any_grade_blocks_only_and_stays_out_of_the_gpa():
    program = rules(
        all_courses("strict", ["Y 1"], min_grade="B"),
        all_courses("any", ["X 1"]),
        credits_block("pool", 3, courses=["Z 1"]),
        credits_block("electives", 6, accepts_leftovers=True),
    )
    result = run([course(1, "X 1", grade="P"), course(2, "Y 1", grade="P"), course(3, "Z 1", grade="P"),
                  course(4, "W 1", grade="A")], program=program)
    assert result.block("any").status == "complete"
    assert result.block("pool").status == "complete"
    assert result.block("strict").done == 0
    assert result.block("strict").rejected[0].reason == "pass/fail grade P does not meet the minimum B"
    assert used_ids(result, "electives") == [2, 4]  # the pass still earns credit as a leftover
    assert (result.gpa, result.gpa_credits) == (D("4.00"), 3)  # only W 1's A
    assert result.total_credits_done == 12


def test_case_04_in_progress_counts_provisionally_without_grade_check_or_gpa():
    result = run([demo_course(1, "MPT 601", status="in_progress"), demo_course(2, "MPT 602", status="planned")])
    core = result.block("core")
    assert (core.status, core.done, core.in_progress, core.remaining) == ("in_progress", 0, 2, 2)
    assert all(u.provisional for u in core.used)
    assert result.gpa is None and result.total_credits_in_progress == 6 and result.total_credits_done == 0
    assert "Record Analysis (in progress, needs at least B-)" in core.still_needed


def test_case_04_completed_record_wins_over_in_progress_for_the_same_slot():
    program = rules(credits_block("slot", 3, courses=["X 1", "Y 1"]))
    for ids in ((1, 2), (2, 1)):
        result = run([course(ids[0], "X 1", status="in_progress", term=SPRING26),
                      course(ids[1], "Y 1", grade="B", term=FALL25)], program=program)
        slot = result.block("slot")
        assert (slot.done, slot.in_progress, slot.status) == (3, 0, "complete")
        assert used_ids(result, "slot") == [ids[1]]


def test_case_04_a_retake_in_progress_does_not_displace_the_completed_attempt():
    result = run([demo_course(1, "MPT 601", grade="B", term=FALL25),
                  demo_course(2, "MPT 601", status="in_progress", term=SPRING26)])
    assert used_ids(result, "core") == [1]
    assert result.block("core").in_progress == 0
    assert unused_reasons(result)[2].startswith("repeat not graded yet")


def test_case_05_course_in_core_and_concentration_goes_to_core_whatever_the_order():
    # Concentration first in requirement order, so first-fit in requirement order would take X away from core.
    program = rules(credits_block("concentration", 3, courses=["X 1", "Y 1"]), all_courses("core", ["X 1"]))
    records = [course(1, "X 1"), course(2, "Y 1")]
    results = set()
    for order in itertools.permutations(records):
        result = run(order, program=program)
        assert used_ids(result, "core") == [1] and used_ids(result, "concentration") == [2]
        results.add(result)
    assert len(results) == 1  # identical, not just equivalent


def test_case_06_greedy_trap_block_b_gets_x_and_block_a_gets_y_and_z():
    program = rules(credits_block("a", 6, courses=["X 1", "Y 1", "Z 1"]), all_courses("b", ["X 1"]))
    result = run([course(1, "X 1"), course(2, "Y 1"), course(3, "Z 1")], program=program)
    assert used_ids(result, "a") == [2, 3] and used_ids(result, "b") == [1]
    assert result.complete and result.overall_percent == 100


def test_case_07_sharing_cap_between_two_blocks_is_respected():
    def program(cap_a, cap_b):
        a = credits_block("a", 6, courses=["X 1", "Y 1", "Z 1"], **({"share_with": {"b": cap_a}} if cap_a else {}))
        b = credits_block("b", 6, courses=["X 1", "Y 1", "Z 1"], **({"share_with": {"a": cap_b}} if cap_b else {}))
        return rules(a, b)

    records = [course(1, "X 1"), course(2, "Y 1"), course(3, "Z 1")]
    shared = run(records, program=program(3, 5))  # both allow; the smaller limit (3) applies
    a, b = set(used_ids(shared, "a")), set(used_ids(shared, "b"))
    assert len(a & b) == 1 and a | b == {1, 2, 3}
    assert shared.block("a").complete and shared.block("b").complete
    assert any("shared with B" in u.reason for u in shared.block("a").used)

    one_sided = run(records, program=program(3, None))  # only A allows it: no sharing
    assert not set(used_ids(one_sided, "a")) & set(used_ids(one_sided, "b"))
    assert not one_sided.complete

    too_small = run(records, program=program(2, 2))  # a 3-credit course cannot fit a 2-credit sharing limit
    assert not set(used_ids(too_small, "a")) & set(used_ids(too_small, "b"))


def test_case_08_uneven_credits_take_four_plus_two_and_the_other_four_goes_to_electives():
    program = rules(credits_block("six", 6, courses=["P 1", "Q 1", "R 1"]),
                    credits_block("electives", 4, accepts_leftovers=True))
    result = run([course(1, "P 1", 4), course(2, "Q 1", 4), course(3, "R 1", 2)], program=program)
    six = result.block("six")
    assert (six.done, sorted(u.amount for u in six.used)) == (6, [2, 4])
    assert used_ids(result, "six") == [1, 3] and used_ids(result, "electives") == [2]
    assert result.complete


def test_case_09_partial_waiver_completes_the_block_but_not_the_total():
    records = [demo_course(1, "MPT 611"), demo_course(2, "MPT 612"), demo_course(3, "MPT 613")]
    result = run(records, waivers=[waiver("concentration", 3)])
    conc = result.block("concentration")
    assert (conc.need, conc.done, conc.status, conc.remaining) == (9, 9, "complete", 0)
    assert conc.exceptions[0].kind == "waiver" and conc.exceptions[0].by == "Dr. Rivera"
    assert conc.exceptions[0].justification == "Prior professional work" and conc.exceptions[0].amount == 3
    total = result.block("total-credits")
    assert (total.need, total.done) == (36, 9)  # waived credits are not real credits
    whole = run(records, waivers=[waiver("core")])
    assert whole.block("core").status == "complete" and whole.block("core").need == 0


def test_case_10_substitution_fills_the_slot_and_leaves_the_elective_pool():
    records = [demo_course(1, "MPT 601"), demo_course(2, "MPT 602"), demo_course(3, "MPT 603"),
               demo_course(4, "MPT 663"), demo_course(5, "MPT 662")]
    result = run(records, substitutions=[substitution(4, "core")])
    core = result.block("core")
    assert core.status == "complete" and used_ids(result, "core") == [1, 2, 3, 4]
    assert core.exceptions[0].kind == "substitution" and core.exceptions[0].record_id == 4
    assert used_ids(result, "electives") == [5]
    assert ("used by Core courses" in
            {r.reason for r in result.block("electives").rejected if r.record_id == 4})
    missing = run(records, substitutions=[substitution(999, "core")])
    assert "substitution_missing" in warning_codes(missing)
    assert missing.block("core").done == 3


def test_case_11_transfer_credit_without_grade_counts_by_equivalence_and_is_capped():
    transfer = dict(term=None, grade=None, transfer=True, institution="Berklee")
    records = [demo_course(101, "MPT 601", **transfer), demo_course(102, "MPT 663", **transfer),
               demo_course(103, "MPT 662", **transfer), demo_course(5, "MPT 602", grade="A")]
    result = run(records)
    assert used_ids(result, "core") == [5, 101]  # the transfer satisfies MPT 601, no grade needed
    assert "transfer" in next(u.label for u in result.block("core").used if u.record_id == 101)
    assert (result.gpa, result.gpa_credits) == (D("4.00"), 3)  # transfer stays out of the GPA
    # Cap 6, in the order entered: 3 + 3 fit, the 2 credits of record 103 would pass it.
    assert unused_reasons(result) == {103: "over the transfer cap"}
    assert result.total_credits_done == 9 and "transfer_cap" in warning_codes(result)
    assert used_ids(result, "electives") == [102]


def test_case_11_transfer_cap_drops_the_record_that_would_pass_the_limit():
    transfer = dict(term=None, grade=None, transfer=True, institution="Berklee")
    records = [demo_course(1, "MPT 601", **transfer), demo_course(2, "MPT 663", **transfer),
               demo_course(3, "MPT 664", **transfer)]  # 3 + 3 + 4 credits, cap 6
    result = run(records)
    assert unused_reasons(result) == {3: "over the transfer cap"}
    assert result.total_credits_done == 6 and "transfer_cap" in warning_codes(result)
    assert result.block("core").done == 1 and result.gpa is None


def test_case_12_studio_terms_only_approved_hours_count_and_pending_is_pending_review():
    program = rules(StudioTermsRequirement(key="studio", title="Studio", terms=3, min_hours=D(40)))
    sessions = [
        session(1, 20, term=FALL25), session(2, 25, term=FALL25),  # two sessions, one term: 45 approved
        session(3, 30, term=SPRING26), session(4, 15, "pending", term=SPRING26), session(5, 20, "rejected", SPRING26),
        session(6, 10, term=FALL26), session(7, 5, "pending", term=FALL26), session(8, 50, "rejected", FALL26),
        session(9, 60, "withdrawn", term=SPRING27),
    ]
    result = run(sessions=sessions, program=program)
    studio = result.block("studio")
    assert (studio.done, studio.in_progress, studio.remaining, studio.status) == (1, 1, 1, "in_progress")
    assert [(t.term_name, t.approved_hours, t.pending_hours, t.rejected_hours, t.counts, t.status)
            for t in studio.studio_terms] == [
        ("Fall 2025", 45, 0, 0, True, "complete"),
        ("Spring 2026", 30, 15, 20, False, "pending review"),
        ("Fall 2026", 10, 5, 50, False, "short"),
    ]
    assert "30 more approved studio hours in Fall 2026" in studio.still_needed
    assert {u.record_id for u in studio.used if not u.provisional} == {1, 2, 3}
    assert {u.record_id for u in studio.used if u.provisional} == {4}


def test_case_12_short_studio_term_near_its_end_warns():
    program = rules(StudioTermsRequirement(key="studio", title="Studio", terms=2, min_hours=D(40)))
    sessions = [session(1, 26, term=SPRING26)]
    assert "studio_term_short" not in warning_codes(run(sessions=sessions, program=program))  # 9 weeks left
    late = run(sessions=sessions, program=program, today=date(2026, 4, 20))  # 18 days before the end
    assert "studio_term_short" in warning_codes(late)
    assert "14 more approved studio hours in Spring 2026" in late.block("studio").still_needed


def test_case_13_two_ensembles_in_one_term_are_one_ensemble_term():
    program = rules(EnsembleTermsRequirement(key="ens", title="Ensembles", terms=2))
    result = run(ensembles=[ensemble(1, "Choir", FALL25), ensemble(2, "Jazz Band", FALL25)], program=program)
    ens = result.block("ens")
    assert (ens.done, ens.in_progress, ens.remaining) == (1, 0, 1)
    assert sum(u.amount for u in ens.used) == 1
    assert ens.still_needed == ("1 more ensemble term",)
    current = run(ensembles=[ensemble(1, "Choir", FALL25), ensemble(3, "Choir", SPRING26)], program=program)
    assert (current.block("ens").done, current.block("ens").in_progress) == (1, 1)  # Spring 2026 ends after today


def test_case_14_track_and_concentration_changes_reroute_requirements():
    records = [demo_course(1, "MPT 698"), demo_course(2, "MPT 621"), demo_course(3, "MPT 622")]
    thesis = run(records, track="thesis", concentration="technical")
    assert thesis.block("thesis") is not None and used_ids(thesis, "thesis") == [1]
    assert used_ids(thesis, "concentration") == [2, 3]
    non_thesis = run(records, track="non_thesis", concentration="technical")
    assert non_thesis.block("thesis") is None and non_thesis.block("thesis-milestones") is None
    assert non_thesis.block("capstone") is not None
    # After a change to production, the technical courses fall through to the electives.
    changed = run(records, track="thesis", concentration="production")
    assert used_ids(changed, "concentration") == []
    assert used_ids(changed, "electives") == [2, 3]


def test_case_15_milestones_out_of_order_are_flagged():
    ms = [milestone("proposal", date(2026, 2, 1)), milestone("committee", date(2026, 1, 15)),
          milestone("deposit", date(2026, 3, 1)), milestone("defense", None, None)]
    result = run(milestones=ms)
    block = result.block("thesis-milestones")
    assert (block.done, block.remaining) == (3, 1)
    assert block.still_needed == ("Defense passed",)
    messages = [w.message for w in result.warnings if w.code == "milestone_order"]
    assert messages == [
        "Committee formed was signed off (2026-01-15) before Thesis proposal approved (2026-02-01).",
        "Thesis deposited was signed off (2026-03-01) before Defense passed.",
    ]
    in_order = run(milestones=[milestone("proposal", date(2026, 1, 1)), milestone("committee", date(2026, 1, 2))])
    assert "milestone_order" not in warning_codes(in_order)


def test_case_15_a_gpa_of_2_995_meets_3_0_by_the_rounding_rule():
    program = rules(GpaRequirement(key="gpa", title="GPA", min_gpa=D("3.0")))
    # 1 credit of B- and 59 credits of B: exactly 2.995, shown and compared as 3.00.
    records = [course(1, "X 1", 1, grade="B-")] + [course(10 + i, f"B {i}", 3, grade="B") for i in range(19)]
    records.append(course(99, "B 99", 2, grade="B"))
    result = run(records, program=program)
    assert (result.gpa, result.gpa_credits) == (D("3.00"), 60)
    assert result.block("gpa").status == "complete" and "gpa_below_minimum" not in warning_codes(result)
    lower = run(records + [course(100, "X 2", D("0.5"), grade="B-")], program=program)  # 2.9925 -> 2.99
    assert lower.gpa == D("2.99") and lower.block("gpa").status == "in_progress"
    assert "gpa_below_minimum" in warning_codes(lower)
