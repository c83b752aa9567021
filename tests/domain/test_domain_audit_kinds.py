"""Each requirement kind, both tracks and every concentration of the demo program."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tracker.domain import (
    AuditInput,
    EnsembleTermsRequirement,
    GpaRequirement,
    MilestonesRequirement,
    StudentContext,
    StudioTermsRequirement,
    TotalCreditsRequirement,
    audit,
)

from .domain_factories import (
    DEMO,
    FALL25,
    SPRING26,
    course,
    credits_block,
    demo_course,
    done_extras,
    ensemble,
    full_student,
    milestone,
    rules,
    run,
    session,
    used_ids,
    waiver,
    warning_codes,
)

AFTER_GRADUATION = date(2027, 6, 1)
CONCENTRATIONS = [code for code, _ in DEMO.concentrations]


# --- kinds -------------------------------------------------------------------------------------------------------


def test_all_courses_lists_what_is_missing_with_the_minimum_grade():
    result = run([demo_course(1, "MPT 601"), demo_course(2, "MPT 602", grade="C+")])
    core = result.block("core")
    assert (core.unit, core.need, core.done, core.remaining, core.percent) == ("courses", 4, 1, 3, 25)
    assert core.still_needed == ("Music Style (at least B-)", "Music Structure (at least B-)",
                                 "Music History (at least B-)")
    assert [w.message for w in result.warnings if w.code == "below_minimum_grade"] == [
        "MPT 602 Music Style: grade C+ below minimum B- for Core courses."]


def test_all_courses_with_a_partial_waiver_asks_for_any_of_the_rest():
    result = run([demo_course(1, "MPT 601")], waivers=[waiver("core", 1)])
    assert result.block("core").still_needed == (
        "2 more courses from: Music Style, Music Structure, Music History (at least B-)",)


def test_credits_filters_are_alternatives():
    program = rules(credits_block("mix", 9, courses=["X 1"], categories=["core"], course_concentrations=["technical"]))
    records = [course(1, "X 1"), course(2, "C 1", category="core"), course(3, "T 1", concentration="technical"),
               course(4, "E 1")]
    result = run(records, program=program)
    assert used_ids(result, "mix") == [1, 2, 3]
    assert {u.record_id: u.reason.split(";")[0] for u in result.block("mix").used} == {
        1: "listed course", 2: "core course", 3: "technical concentration course"}
    assert result.unused[0].record_id == 4 and result.unused[0].reason == "not needed by any requirement"


def test_credits_min_grade_and_still_needed():
    program = rules(credits_block("adv", 6, categories=["elective"], min_grade="B", title="Advanced electives"))
    result = run([course(1, "E 1", grade="B"), course(2, "E 2", grade="C"), course(3, "E 3", status="planned",
                                                                              grade=None)], program=program)
    block = result.block("adv")
    assert (block.done, block.in_progress, block.remaining, block.status) == (3, 3, 0, "in_progress")
    assert block.still_needed == ("3 credits planned or in progress",)
    assert {r.record_id: r.reason for r in block.rejected} == {2: "grade C below minimum B"}


def test_student_concentration_resolves_from_the_student_context():
    records = [demo_course(1, "MPT 641"), demo_course(2, "MPT 642")]
    assert used_ids(run(records, concentration="education"), "concentration") == [1, 2]
    assert used_ids(run(records, concentration="composition"), "concentration") == []
    assert run(records, concentration="composition").block("concentration").still_needed == (
        "12 more credits of concentration courses",)


def test_total_credits_counts_every_counted_record_once():
    program = rules(TotalCreditsRequirement(key="total", title="Total", credits=D(10)))
    records = [course(1, "A 1"), course(2, "B 1", status="in_progress", grade=None), course(3, "C 1", grade="F"),
               course(4, "D 1", status="withdrawn", grade=None), course(5, "E 1", 2, grade="P")]
    total = run(records, program=program).block("total")
    assert (total.done, total.in_progress, total.remaining) == (5, 3, 2)
    assert {r.record_id: r.reason for r in total.rejected} == {3: "failed", 4: "withdrawn"}
    assert total.still_needed == ("2 more credits in all", "3 credits planned or in progress")


def test_gpa_block_states():
    program = rules(GpaRequirement(key="gpa", title="GPA", min_gpa=D("3.0")))
    empty = run([], program=program).block("gpa")
    assert (empty.status, empty.done, empty.need) == ("not_started", D("0.00"), D("3.00"))
    assert empty.still_needed == ("A GPA of at least 3.00 (no graded courses yet)",)
    low = run([course(1, "A 1", grade="C")], program=program)
    assert low.block("gpa").status == "in_progress" and low.block("gpa").still_needed == (
        "Raise the GPA from 2.00 to at least 3.00",)
    assert str(low.block("gpa").remaining) == "1.00"
    assert run([course(1, "A 1", grade="A-")], program=program).block("gpa").status == "complete"


def test_ensemble_terms():
    program = rules(EnsembleTermsRequirement(key="ens", title="Ensembles", terms=2))
    assert run(program=program).block("ens").status == "not_started"
    both = run(ensembles=[ensemble(1, "Choir", FALL25), ensemble(2, "Choir", SPRING26)], program=program,
               today=AFTER_GRADUATION)
    assert both.block("ens").status == "complete" and both.block("ens").percent == 100


def test_studio_terms_with_total_hours():
    program = rules(StudioTermsRequirement(key="studio", title="Studio", terms=2, min_hours=D(40),
                                           total_hours=D(100)))
    result = run(sessions=[session(1, 45, term=FALL25), session(2, 40, term=SPRING26)], program=program)
    studio = result.block("studio")
    assert studio.done == 2 and studio.status == "in_progress"  # 85 of 100 hours
    assert "15 more approved studio hours in all" in studio.still_needed
    assert studio.percent == 85
    more = run(sessions=[session(1, 60, term=FALL25), session(2, 40, term=SPRING26)], program=program)
    assert more.block("studio").status == "complete"


def test_milestones_non_thesis():
    program = rules(MilestonesRequirement(key="ms", title="MS", milestones=("capstone", "comprehensive_exam")))
    result = run(milestones=[milestone("capstone", date(2026, 1, 5)), milestone("comprehensive_exam", None)],
                 program=program)
    block = result.block("ms")
    assert (block.done, block.still_needed) == (1, ("Comprehensive exam passed",))
    assert block.rejected[0].reason == "not signed off yet"


def test_unknown_statuses_and_duplicate_ids_are_rejected():
    with pytest.raises(ValueError):
        run([course(1, "A 1"), course(1, "B 1")])
    with pytest.raises(ValueError):
        run([course(1, "A 1", status="dropped")])


def test_program_definition_and_rules_give_the_same_audit():
    records = full_student()
    by_definition = audit(AuditInput(DEMO, StudentContext("production", "thesis"), courses=tuple(records),
                                     today=date(2026, 3, 2)))
    by_rules = audit(AuditInput(DEMO.rules(), StudentContext("production", "thesis"), courses=tuple(records),
                                today=date(2026, 3, 2)))
    assert by_definition == by_rules


# --- tracks and concentrations of the demo program ---------------------------------------------------------------


@pytest.mark.parametrize("track", ["thesis", "non_thesis"])
@pytest.mark.parametrize("concentration", CONCENTRATIONS)
def test_a_finished_student_completes_the_demo_program(concentration, track):
    ens, studio, ms = done_extras(track)
    result = run(full_student(concentration, track), concentration=concentration, track=track, ensembles=ens,
                 sessions=studio, milestones=ms, today=AFTER_GRADUATION)
    assert [b.key for b in result.blocks if not b.complete] == []
    assert result.complete and result.overall_percent == 100
    assert result.total_credits_done == 36 and result.gpa == D("4.00")
    assert result.unused == () and result.warnings == () and result.search_note is None
    keys = {b.key for b in result.blocks}
    if track == "thesis":
        assert {"thesis", "thesis-milestones"} <= keys and not {"capstone", "additional-electives"} & keys
    else:
        assert {"capstone", "additional-electives", "non-thesis-milestones"} <= keys and "thesis" not in keys


@pytest.mark.parametrize("concentration", CONCENTRATIONS)
def test_what_if_another_concentration(concentration):
    other = CONCENTRATIONS[(CONCENTRATIONS.index(concentration) + 1) % len(CONCENTRATIONS)]
    records = full_student(concentration)
    actual = run(records, concentration=concentration)
    what_if = run(records, concentration=other)
    assert actual.block("concentration").complete
    assert what_if.block("concentration").done == 0
    assert what_if.block("electives").complete  # the old concentration's courses fall through
    assert what_if.total_credits_done == actual.total_credits_done == 36
    assert len(what_if.unused) > 0


def test_non_thesis_electives_are_split_without_waste():
    # 3 + 2 + 4 elective credits: 4 + 2 fill the 6, the 3 fills the 3 more of the non-thesis track.
    records = full_student("production", "non_thesis")
    result = run(records, track="non_thesis")
    assert result.block("electives").done == 6 and result.block("additional-electives").done == 3
    assert used_ids(result, "capstone") == [12]
    # With one more elective, nothing is wasted and the extra course is simply not needed.
    more = run(records + [demo_course(50, "MPT 661")], track="non_thesis")
    assert [u.record_id for u in more.unused] == [50] and more.total_credits_done == 37


def test_empty_record_is_not_started_everywhere():
    result = run([], track="thesis")
    assert {b.status for b in result.blocks} == {"not_started"}
    assert result.overall_percent == 0 and not result.complete and result.gpa is None
    assert result.block("thesis-milestones").still_needed == (
        "Thesis proposal approved", "Committee formed", "Defense passed", "Thesis deposited")
    assert "studio_term_short" not in warning_codes(result)


def test_in_progress_studio_and_ensemble_terms_appear_in_progress():
    result = run(ensembles=[ensemble(1, "Choir", SPRING26)], sessions=[session(1, 30, term=SPRING26),
                                                                     session(2, 15, "pending", term=SPRING26)])
    assert result.block("ensembles").status == "in_progress"
    assert result.block("studio").status == "in_progress"
    assert result.block("studio").still_needed == (
        "2 more studio terms with at least 40 approved hours", "Review of 15 pending studio hours in Spring 2026")
    assert result.block("studio").studio_terms[0].status == "pending review"
