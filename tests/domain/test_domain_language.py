"""The richer requirements language, end to end in the engine: each construct on a small program written as TOML.

Each test states what a registrar would check on the audit: which record counts where, what is still needed.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tracker.domain import (
    AuditInput,
    CourseRecord,
    DefinitionError,
    Milestone,
    StudentContext,
    Term,
    audit,
    parse_program_definition,
)

from ..definition_support import requirement, table, tables

D = Decimal
T1 = Term(1, "Fall 2025", 1, date(2025, 8, 25), date(2025, 12, 12))
T2 = Term(2, "Spring 2026", 2, date(2026, 1, 12), date(2026, 5, 8))
T3 = Term(3, "Fall 2026", 3, date(2026, 8, 24), date(2026, 12, 11))
TODAY = date(2026, 3, 2)

HEAD = """
[program]
code = "T"
name = "Test"
degree = "MM"
total_credits = 3
min_gpa = "3.0"
max_transfer_credits = 6

[[concentrations]]
code = "general"
name = "General"

[[tracks]]
code = "thesis"
label = "Thesis"

[[tracks]]
code = "portfolio"
label = "Portfolio"

[[milestones]]
code = "defense"
label = "Thesis defense"
signed_by = "advisor"

[[milestones]]
code = "review"
label = "Portfolio review"
signed_by = "advisor"
"""


def catalog(*courses: tuple) -> str:
    """[[courses]] tables from (code, credits, extra TOML lines) tuples; category elective unless given."""
    out = []
    for code, credits, *extra in courses:
        lines = "\n".join(extra)
        category = "" if "category" in lines else 'category = "elective"\n'
        out.append(f'[[courses]]\ncode = "{code}"\ntitle = "Course {code}"\ncredits = {credits}\n{category}{lines}\n')
    return "\n".join(out)


def program(courses: str, requirements: str, policies: str = ""):
    """A definition: the head, optional [policies], the catalog and the requirements (GPA/total blocks not added)."""
    return parse_program_definition(HEAD + (f"\n[policies]\n{policies}\n" if policies else "") + "\n" + courses
                                    + "\n" + requirements)


def rec(rid: int, code: str, credits=3, *, grade: str | None = "A", status: str = "completed", term: Term | None = T1,
        transfer: bool = False, earned_on: date | None = None, pass_fail: bool = False) -> CourseRecord:
    return CourseRecord(id=rid, course_code=code, title=f"Course {code}", credits=D(credits), category="elective",
                        concentration=None, term=term, status=status,
                        grade=grade if status == "completed" else None, transfer=transfer, earned_on=earned_on,
                        pass_fail=pass_fail)


def run(defn, *records, track: str = "thesis", milestones=(), start: date | None = None, today: date = TODAY):
    return audit(AuditInput(defn, StudentContext("general", track, start=start), courses=tuple(records),
                            milestones=tuple(milestones), today=today))


def used_ids(block) -> list[int]:
    return [u.record_id for u in block.used]


# --- course-or-course, equivalences ---------------------------------------------------------------------------------


def test_alternatives_count_one_of_the_two_and_free_the_other_for_electives():
    defn = program(catalog(("MUS 5010", 3), ("MUS 5020", 3), ("MUS 6020", 3)), tables(
        requirement("core", "all_courses", "Core", courses=["MUS 5010", ["MUS 5020", "MUS 6020"]]),
        requirement("electives", "credits", "Electives", credits=3, accepts_leftovers=True),
    ))
    result = run(defn, rec(1, "MUS 5010"), rec(2, "MUS 5020"), rec(3, "MUS 6020"))
    core = result.block("core")
    assert core.complete and core.done == 2 and len(core.used) == 2
    assert result.block("electives").complete  # the second alternative went to electives, not to core twice
    assert sorted(used_ids(core) + used_ids(result.block("electives"))) == [1, 2, 3]


def test_alternatives_still_needed_names_both():
    defn = program(catalog(("MUS 5010", 3), ("MUS 5020", 3), ("MUS 6020", 3)), tables(
        requirement("core", "all_courses", "Core", courses=["MUS 5010", ["MUS 5020", "MUS 6020"]]),
    ))
    core = run(defn, rec(1, "MUS 5010")).block("core")
    assert core.still_needed == ("Course MUS 5020 or Course MUS 6020",)


def test_equivalent_codes_are_one_course_a_retake_across_codes_counts_once():
    defn = program(catalog(("MUS 5010", 3), ("MUS 6010", 3)) + tables(
        table("[equivalences]", courses=["MUS 5010", "MUS 6010"]),
    ), tables(
        requirement("core", "all_courses", "Core", courses=["MUS 5010"]),
        requirement("total", "total_credits", "Total", credits=3),
    ))
    result = run(defn, rec(1, "MUS 5010", grade="C"), rec(2, "MUS 6010", grade="A", term=T2))
    assert used_ids(result.block("core")) == [2]  # the later attempt, under the other code, fills MUS 5010
    assert result.total_credits_done == 3  # counted once, not 6
    assert [u.reason for u in result.unused] == ["repeated — a later attempt counts"]


# --- pools, tags, counts, caps ---------------------------------------------------------------------------------------

POOL_CATALOG = catalog(("MUS 5100", 3), ("MUS 5200", 2), ("MUS 6300", 4), ("MUS 4100", 3), ("CS 5500", 3),
                       ("MUS 5900", 1, "max_credits = 3", 'tags = ["independent-study"]', "repeatable = 3"))


def test_a_subject_and_level_pool_counts_courses_of_different_credits():
    defn = program(POOL_CATALOG, tables(
        requirement("pool", "courses", "MUS courses at the 5000 level or above", count=3, subjects=["MUS"],
                    number_range=[5000, 8999]),
    ))
    result = run(defn, rec(1, "MUS 5100"), rec(2, "MUS 4100"), rec(3, "CS 5500"), rec(4, "MUS 5200", 2))
    pool = result.block("pool")
    assert sorted(used_ids(pool)) == [1, 4]  # MUS 4100 is below the level, CS 5500 another subject
    assert pool.unit == "courses" and pool.done == 2 and pool.remaining == 1
    assert pool.still_needed == ("1 more course of MUS courses at the 5000 level or above",)


def test_a_cognate_from_outside_the_department():
    defn = program(POOL_CATALOG, tables(requirement("cognate", "courses", "Cognate", count=1, not_subjects=["MUS"])))
    result = run(defn, rec(1, "MUS 5100"), rec(2, "CS 5500"))
    assert used_ids(result.block("cognate")) == [2] and result.block("cognate").complete


def test_credits_and_count_both_needed():
    defn = program(POOL_CATALOG, tables(
        requirement("pool", "credits", "Seminars", credits=6, count=3, subjects=["MUS"]),
    ))
    two_big = run(defn, rec(1, "MUS 6300", 4), rec(2, "MUS 5100", 3)).block("pool")
    assert two_big.done == 7 and not two_big.complete  # credits met, but only two courses
    assert "1 more course of seminars (3 courses in all)" in two_big.still_needed
    three = run(defn, rec(1, "MUS 6300", 4), rec(2, "MUS 5100", 3), rec(3, "MUS 5200", 2)).block("pool")
    assert three.complete


# Music electives of which independent study may fill no more than 3 credits.
CAPPED_ELECTIVES = tables(
    requirement("electives", "credits", "Music electives", credits=6, subjects=["MUS"]),
    table("[requirements.caps]", tags=["independent-study"], max_credits=3),
)


def test_a_cap_limits_independent_study_and_the_rest_goes_elsewhere():
    defn = program(POOL_CATALOG, CAPPED_ELECTIVES + tables(
        requirement("free", "credits", "Free electives", credits=3, accepts_leftovers=True)))
    result = run(defn, rec(1, "MUS 5900", 3), rec(2, "MUS 5900", 3, term=T2), rec(3, "MUS 5100"))
    electives = result.block("electives")
    assert electives.complete and sorted(used_ids(electives)) in ([1, 3], [2, 3])
    assert result.block("free").complete  # the second independent study counts as a free elective


def test_a_cap_never_passed_even_when_the_block_stays_short():
    defn = program(POOL_CATALOG, CAPPED_ELECTIVES)
    block = run(defn, rec(1, "MUS 5900", 3), rec(2, "MUS 5900", 3, term=T2)).block("electives")
    assert block.done == 3 and block.remaining == 3


def test_max_pass_fail_credits():
    defn = program(POOL_CATALOG, tables(
        requirement("electives", "credits", "Electives", credits=6, subjects=["MUS"], max_pass_fail_credits=3),
    ))
    block = run(defn, rec(1, "MUS 5100", grade="P", pass_fail=True), rec(2, "MUS 5200", 3, grade="P", pass_fail=True)
                ).block("electives")
    assert block.done == 3 and not block.complete


# --- course attributes ----------------------------------------------------------------------------------------------

ENSEMBLE_CATALOG = catalog(("MUS 5000", 0, "repeatable = 4"), ("MUS 4999", 2, "counts_toward_total = false"),
                           ("MUS 5100", 3), ("MUS 5900", 1, "max_credits = 3", "repeatable = 3",
                                             "repeat_max_credits = 4"))


def test_zero_credit_repeatable_ensembles_count_per_term_up_to_the_limit():
    defn = program(ENSEMBLE_CATALOG, tables(
        requirement("ensembles", "courses", "Ensembles", count=4, courses=["MUS 5000"]),
    ))
    terms = [T1, T2, T3, Term(4, "Spring 2027", 4, date(2027, 1, 11), date(2027, 5, 7)),
             Term(5, "Fall 2027", 5, date(2027, 8, 23), date(2027, 12, 10))]
    records = [rec(i, "MUS 5000", 0, term=t) for i, t in enumerate(terms, start=1)]
    result = run(defn, *records)
    block = result.block("ensembles")
    assert block.complete and block.done == 4 and used_ids(block) == [1, 2, 3, 4]
    assert [(u.record_id, u.reason) for u in result.unused] == [(5, "over the course's repeat limit")]


def test_repeatable_credit_limit_and_variable_credits():
    defn = program(ENSEMBLE_CATALOG, tables(
        requirement("research", "credits", "Research", credits=4, courses=["MUS 5900"]),
    ))
    result = run(defn, rec(1, "MUS 5900", 3), rec(2, "MUS 5900", 2, term=T2), rec(3, "MUS 5900", 1, term=T3))
    block = result.block("research")
    assert [(u.record_id, u.credits) for u in block.used] == [(1, 3), (3, 1)]  # 3 + 2 would pass 4 credits
    assert block.done == 4
    assert any(u.reason == "over the course's repeat limit" for u in result.unused)


def test_variable_credits_outside_the_range_are_flagged():
    defn = program(ENSEMBLE_CATALOG, tables(
        requirement("research", "credits", "Research", credits=3, courses=["MUS 5900"]),
    ))
    result = run(defn, rec(1, "MUS 5900", 5))
    assert [w.code for w in result.warnings] == ["variable_credits"]


def test_a_course_outside_the_degree_total_is_marked_and_never_a_leftover():
    defn = program(ENSEMBLE_CATALOG, tables(
        requirement("electives", "credits", "Electives", credits=3, accepts_leftovers=True),
        requirement("total", "total_credits", "Total", credits=3),
    ))
    result = run(defn, rec(1, "MUS 4999", 2), rec(2, "MUS 5100"))
    assert result.total_credits_done == 3
    assert used_ids(result.block("electives")) == [2]
    total = result.block("total")
    assert [(r.record_id, r.reason) for r in total.rejected] == [(1, "does not count toward the total")]


def test_a_course_outside_the_total_may_fill_a_block_that_names_it():
    defn = program(ENSEMBLE_CATALOG, tables(
        requirement("review", "all_courses", "Theory review", courses=["MUS 4999"]),
    ))
    block = run(defn, rec(1, "MUS 4999", 2)).block("review")
    assert block.complete and "does not count toward the total" in block.used[0].reason


# --- groups ---------------------------------------------------------------------------------------------------------

GROUP_CATALOG = catalog(("MUS 6980", 3, 'category = "thesis"', "repeatable = 2"),
                        ("MUS 6970", 3, 'category = "capstone"'), ("MUS 5100", 3), ("MUS 5200", 3), ("MUS 5300", 3))
CULMINATING = tables(
    requirement("culminating", "any_of", "Thesis or portfolio", of=["thesis-option", "portfolio-option"]),
    requirement("thesis-option", "all_of", "Thesis", of=["thesis-credits", "thesis-defense"]),
    requirement("thesis-credits", "credits", "Thesis credits", credits=6, courses=["MUS 6980"]),
    requirement("thesis-defense", "milestones", "Defense", milestones=["defense"]),
    requirement("portfolio-option", "all_of", "Portfolio", of=["portfolio-course", "portfolio-review"]),
    requirement("portfolio-course", "all_courses", "Portfolio project", courses=["MUS 6970"]),
    requirement("portfolio-review", "milestones", "Portfolio review", milestones=["review"]),
)


def test_any_of_counts_the_option_with_most_progress_and_shows_the_other():
    defn = program(GROUP_CATALOG, CULMINATING)
    result = run(defn, rec(1, "MUS 6970"), milestones=[Milestone("review", date(2026, 2, 1), "Prof. X")])
    group = result.block("culminating")
    assert [b.key for b in result.blocks] == ["culminating"]  # the parts are nested, not top-level
    assert group.kind == "any_of" and group.complete and group.choose == 1
    thesis, portfolio = group.children
    assert (thesis.key, thesis.counted, portfolio.key, portfolio.counted) == (
        "thesis-option", False, "portfolio-option", True)
    assert [c.key for c in portfolio.children] == ["portfolio-course", "portfolio-review"]
    assert portfolio.complete and thesis.status == "not_started"
    assert group.explanation.startswith("Portfolio (100%) counts")
    assert "Not counted: Thesis (0% if it counted instead)" in group.explanation
    assert result.overall_percent == 100 and result.complete


def test_any_of_with_two_started_options_reports_the_best_and_what_the_other_would_bring():
    defn = program(GROUP_CATALOG, CULMINATING)
    result = run(defn, rec(1, "MUS 6980"), rec(2, "MUS 6980", term=T2), rec(3, "MUS 6970"))
    group = result.block("culminating")
    thesis, portfolio = group.children
    assert thesis.counted and not portfolio.counted
    assert thesis.percent == 50 and portfolio.percent == 50  # tie: the first listed counts
    assert group.percent == 50 and not group.complete
    assert group.still_needed == ("1 more of: Thesis, Portfolio",)


def test_an_option_limited_to_a_track_is_not_offered_to_other_tracks():
    defn = program(GROUP_CATALOG, CULMINATING.replace('title = "Thesis"\n', 'title = "Thesis"\ntrack = "thesis"\n'))
    group = run(defn, rec(1, "MUS 6980"), track="portfolio").block("culminating")
    assert [c.key for c in group.children] == ["portfolio-option"]


NOF = tables(
    requirement("sequences", "n_of", "Two of three sequences", choose=2, of=["seq-a", "seq-b", "seq-c"]),
    requirement("seq-a", "all_courses", "Sequence A", courses=["MUS 5100"]),
    requirement("seq-b", "all_courses", "Sequence B", courses=["MUS 5200"]),
    requirement("seq-c", "all_courses", "Sequence C", courses=["MUS 5300"]),
)


def test_n_of_counts_no_more_than_n_and_says_what_remains():
    defn = program(GROUP_CATALOG, NOF)
    one = run(defn, rec(1, "MUS 5200")).block("sequences")
    assert one.choose == 2 and one.need == 2 and one.done == 1 and one.percent == 50
    assert [c.key for c in one.children if c.counted] == ["seq-a", "seq-b"]
    assert one.still_needed == ("1 more of: Sequence A, Sequence C",)
    three = run(defn, rec(1, "MUS 5100"), rec(2, "MUS 5200"), rec(3, "MUS 5300")).block("sequences")
    assert three.complete and sum(1 for c in three.children if c.counted) == 2


def test_nested_groups_weigh_in_the_overall_percentage():
    defn = program(GROUP_CATALOG, CULMINATING + tables(
        requirement("electives", "credits", "Electives", credits=6, courses=["MUS 5100", "MUS 5200"])))
    result = run(defn, rec(1, "MUS 6980"), rec(2, "MUS 5100"))
    # culminating: thesis 3/6 credits (50%) and no defense (0%) -> 25%; electives 50% -> overall 37%.
    assert result.block("culminating").percent == 25
    assert result.overall_percent == 37


def test_a_waived_group_is_complete():
    from tracker.domain import Waiver
    defn = program(GROUP_CATALOG, CULMINATING)
    result = audit(AuditInput(defn, StudentContext("general", "thesis"), today=TODAY, waivers=(
        Waiver("culminating", None, "Prior degree", "Dr. A", date(2026, 1, 5)),)))
    assert result.block("culminating").complete and result.complete


# --- policies -------------------------------------------------------------------------------------------------------

SIMPLE = tables(
    requirement("core", "all_courses", "Core", courses=["MUS 5100"], min_grade="B"),
    requirement("electives", "credits", "Electives", credits=6, accepts_leftovers=True),
)


def test_retake_best_keeps_the_better_grade():
    defn = program(GROUP_CATALOG, SIMPLE, 'retake = "best"')
    result = run(defn, rec(1, "MUS 5100", grade="A"), rec(2, "MUS 5100", grade="C", term=T2))
    assert used_ids(result.block("core")) == [1]
    assert result.gpa == D("4.00")
    latest = run(program(GROUP_CATALOG, SIMPLE), rec(1, "MUS 5100", grade="A"), rec(2, "MUS 5100", grade="C", term=T2))
    assert used_ids(latest.block("core")) == [] and latest.gpa == D("2.00")


def test_failed_in_block_repeat_keeps_a_low_grade_out_of_every_block():
    elsewhere = run(program(GROUP_CATALOG, SIMPLE), rec(1, "MUS 5100", grade="C"))
    assert used_ids(elsewhere.block("electives")) == [1]  # the default: it still counts as an elective
    repeat = run(program(GROUP_CATALOG, SIMPLE, 'failed_in_block = "repeat"'), rec(1, "MUS 5100", grade="C"))
    assert used_ids(repeat.block("electives")) == []
    assert repeat.unused[0].reason == "grade C below minimum B for Core; the course must be repeated"


def test_transfer_minimum_grade_and_age():
    defn = program(GROUP_CATALOG, SIMPLE, 'transfer_min_grade = "B"\ntransfer_max_age_years = 5')
    start = date(2025, 8, 25)
    result = run(defn,
                 rec(-1, "TR 1", grade="B+", term=None, transfer=True, earned_on=date(2022, 5, 1)),
                 rec(-2, "TR 2", grade="C", term=None, transfer=True, earned_on=date(2023, 5, 1)),
                 rec(-3, "TR 3", grade="A", term=None, transfer=True, earned_on=date(2019, 5, 1)),
                 start=start)
    assert used_ids(result.block("electives")) == [-1]
    reasons = {u.record_id: u.reason for u in result.unused}
    assert reasons == {-2: "transfer grade C below the minimum B", -3: "earned more than 5 years before the start"}
    assert {w.code for w in result.warnings} >= {"transfer_grade", "transfer_age"}


def test_time_limit_gives_a_deadline_and_warns_near_and_after_it():
    defn = program(GROUP_CATALOG, SIMPLE, "time_limit_years = 3")
    start = date(2023, 8, 28)
    far = run(defn, start=start, today=date(2025, 3, 1))
    assert far.deadline == date(2026, 8, 28) and not any(w.code.startswith("time_limit") for w in far.warnings)
    near = run(defn, start=start, today=date(2026, 5, 1))
    assert [w.code for w in near.warnings if w.code.startswith("time_limit")] == ["time_limit_near"]
    past = run(defn, start=start, today=date(2026, 9, 1))
    assert [w.code for w in past.warnings if w.code.startswith("time_limit")] == ["time_limit_passed"]


def test_residency_adds_a_block_of_terms_with_a_course_here():
    defn = program(GROUP_CATALOG, SIMPLE, "min_terms_in_residence = 3")
    result = run(defn, rec(1, "MUS 5100"), rec(2, "MUS 5200", term=T2, status="in_progress"),
                 rec(-1, "TR 1", term=None, transfer=True))
    block = result.block("terms-in-residence")
    assert block.kind == "residency" and block.done == 1 and block.in_progress == 1 and block.remaining == 1
    assert not result.complete


# --- refusals -------------------------------------------------------------------------------------------------------


def errors_of(courses: str, requirements: str, policies: str = "") -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        program(courses, requirements, policies)
    return caught.value.errors


@pytest.mark.parametrize("requirements, expected", [
    ('[[requirements]]\nkey = "g"\nkind = "any_of"\ntitle = "G"\nof = ["nope"]\n',
     'requirements[1].of: unknown requirement "nope"'),
    ('[[requirements]]\nkey = "g"\nkind = "any_of"\ntitle = "G"\nof = []\n', "requirements[1].of: must not be empty"),
    ('[[requirements]]\nkey = "g"\nkind = "n_of"\ntitle = "G"\nchoose = 3\nof = ["a", "b"]\n'
     '[[requirements]]\nkey = "a"\nkind = "gpa"\ntitle = "A"\nmin_gpa = 3\n'
     '[[requirements]]\nkey = "b"\nkind = "gpa"\ntitle = "B"\nmin_gpa = 3\n',
     "requirements[1].choose: chooses 3 of 2 options"),
    ('[[requirements]]\nkey = "g"\nkind = "all_of"\ntitle = "G"\nof = ["h"]\n'
     '[[requirements]]\nkey = "h"\nkind = "all_of"\ntitle = "H"\nof = ["g"]\n',
     "requirements[1].of: the groups contain each other in a circle"),
    ('[[requirements]]\nkey = "g"\nkind = "all_of"\ntitle = "G"\nof = ["a"]\n'
     '[[requirements]]\nkey = "h"\nkind = "all_of"\ntitle = "H"\nof = ["a"]\n'
     '[[requirements]]\nkey = "a"\nkind = "gpa"\ntitle = "A"\nmin_gpa = 3\n',
     'requirements[2].of: "a" is already part of "g"'),
    ('[[requirements]]\nkey = "e"\nkind = "credits"\ntitle = "E"\ncredits = 3\ntags = ["jazz"]\n',
     'requirements[1].tags: unknown tag "jazz"'),
    ('[[requirements]]\nkey = "e"\nkind = "credits"\ntitle = "E"\ncredits = 3\ncourses = ["MUS 5100"]\n'
     '[[requirements.caps]]\ntags = ["jazz"]\nmax_credits = 1\n',
     'requirements[1].caps[1].tags: unknown tag "jazz"'),
    ('[[requirements]]\nkey = "c"\nkind = "all_courses"\ntitle = "C"\ncourses = [["MUS 5100", "MUS 9999"]]\n',
     'requirements[1].courses: unknown course "MUS 9999"'),
    ('[[requirements]]\nkey = "c"\nkind = "courses"\ntitle = "C"\ncount = 4\nsubjects = ["MUS"]\n'
     'number_range = [5000, 5999]\n', "requirements[1].count: asks for 4 courses, but it can select only 3"),
    ('[[requirements]]\nkey = "c"\nkind = "credits"\ntitle = "C"\ncredits = 30\nsubjects = ["MUS"]\n',
     "requirements[1].credits: asks for 30 credits, but the courses it can select are worth 18 credits"),
    ('[[requirements]]\nkey = "a"\nkind = "credits"\ntitle = "A"\ncredits = 3\ncount = 1\nsubjects = ["MUS"]\n'
     "share_with = { b = 3 }\n"
     '[[requirements]]\nkey = "b"\nkind = "credits"\ntitle = "B"\ncredits = 3\nsubjects = ["MUS"]\n'
     "share_with = { a = 3 }\n",
     "requirements[1].share_with: a block that needs both credits and a count of courses cannot share"),
    ('[[requirements]]\nkey = "c"\nkind = "credits"\ntitle = "C"\ncredits = 3\nnumber_range = [6000, 5000]\n',
     "requirements[1].number_range: must go from a lower to a higher course number"),
    ('[[requirements]]\nkey = "terms-in-residence"\nkind = "gpa"\ntitle = "C"\nmin_gpa = 3\n',
     'requirements[1].key: "terms-in-residence" is the key of the block'),
])
def test_refusals_name_the_problem(requirements, expected):
    errors = errors_of(GROUP_CATALOG, requirements)
    assert any(e.startswith(expected) for e in errors), errors


def test_catalog_and_policy_refusals_are_all_reported():
    errors = errors_of(catalog(("MUS 5100", 3, "max_credits = 2", "repeat_max_credits = 6"),
                               ("MUS 5200", 3, "repeatable = 1")) + tables(
                                   table("[equivalences]", courses=["MUS 5100", "MUS 7777"]),
                               ), '[[requirements]]\nkey = "g"\nkind = "gpa"\ntitle = "G"\nmin_gpa = 3\n',
        'retake = "worst"\ntime_limit_years = 0\ntransfer_min_grade = "Z"\nresidency = 2')
    expected = [
        "courses[1].max_credits: must be more than credits (3)",
        "courses[1].repeat_max_credits: only for a repeatable course",
        "courses[2].repeatable: must be how many times the course counts",
        'equivalences[1].courses: unknown course "MUS 7777"',
        "policies.retake: must be one of latest, best",
        "policies.time_limit_years: must be a whole number of years",
        "policies.transfer_min_grade: unknown grade",
        'policies.residency: unknown setting "residency"',
    ]
    for message in expected:
        assert any(e.startswith(message) for e in errors), (message, errors)


def test_a_cap_without_effect_is_a_warning():
    defn = program(GROUP_CATALOG, '[[requirements]]\nkey = "e"\nkind = "credits"\ntitle = "E"\ncredits = 3\n'
                                  'subjects = ["MUS"]\n[[requirements.caps]]\ncourses = ["MUS 5100"]\nmax_credits = 3\n')
    assert any(w.startswith("requirements[1].caps[1]: a limit of 3 has no effect") for w in defn.warnings)


def test_new_positions_get_line_numbers_for_the_editor():
    from pathlib import Path

    from tracker.domain.positions import with_lines
    text = (Path(__file__).parent / "rich_program.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    out = with_lines(text, ["requirements[2].caps[1].tags: x", "policies.retake: x", "equivalences[1].courses: x"])
    numbers = [int(m.split(":")[0].removeprefix("line ")) for m in out]
    assert lines[numbers[0] - 1].startswith("tags") and "[[requirements.caps]]" in lines[numbers[0] - 2]
    assert lines[numbers[1] - 1].startswith("retake")
    assert lines[numbers[2] - 1].startswith("courses") and lines[numbers[2] - 2] == "[[equivalences]]"
