"""Program definitions that cannot be right are refused (every problem, by position and line); defaults warn."""
from __future__ import annotations

import pytest

from tracker.domain import DefinitionError, load_program_definition, parse_program_definition
from tracker.domain.positions import SourcePositions, with_lines

from ..definition_support import BASE, block, errors_of
from .domain_factories import DEMO_PATH

TOTAL_12, TOTAL_9 = 'title = "Total"\ncredits = 12\n', 'title = "Total"\ncredits = 9\n'


def test_the_base_file_is_valid_and_quiet():
    assert parse_program_definition(BASE).warnings == ()


def test_the_demo_program_loads_without_errors_or_warnings():
    demo = load_program_definition(str(DEMO_PATH))
    assert demo.warnings == ()
    assert len(demo.requirements) == 12


# --- refusals: contradicting totals ------------------------------------------------------------------------------


def test_total_credits_requirement_contradicting_the_program_is_refused():
    text = BASE.replace(TOTAL_12, TOTAL_9)
    assert errors_of(text) == ["requirements[1].credits: asks for 9 credits in all, but program.total_credits is 12; "
                               "write the same number in both"]


def test_gpa_requirement_contradicting_the_program_is_refused():
    text = BASE + block(key='"gpa-2"', kind='"gpa"', title='"Higher GPA"', min_gpa='"3.3"', track='"thesis"')
    assert errors_of(text) == ["requirements[3].min_gpa: asks for 3.3 as the minimum GPA, but program.min_gpa is 3.0; "
                               "write the same number in both"]


def test_equal_numbers_written_differently_agree():
    assert parse_program_definition(BASE.replace('min_gpa = "3.0"\n', "min_gpa = 3\n", 1))


# --- refusals: blocks the catalog can never satisfy --------------------------------------------------------------


def test_credits_block_worth_less_than_its_courses_is_refused():
    text = BASE + block(key='"core-credits"', kind='"credits"', title='"Core"', credits=6, categories='["core"]')
    assert errors_of(text) == ["requirements[3].credits: asks for 6 credits, but the courses it can select are worth "
                               "3 credits in all; lower credits or let it select more courses"]


def test_credits_block_of_the_students_concentration_is_checked_per_concentration():
    text = BASE + block(key='"conc"', kind='"credits"', title='"Concentration"', credits=6,
                        course_concentrations='["$student"]')
    assert errors_of(text) == ['requirements[3].credits: asks for 6 credits, but for a student in the "technical" '
                               "concentration the courses it can select are worth 3 credits in all; lower credits or "
                               "let it select more courses"]
    # Scoped to the production concentration only, it can be met.
    assert parse_program_definition(text.replace('course_concentrations = ["$student"]',
                                                 'course_concentrations = ["$student"]\nconcentrations = ["production"]'))


def test_credits_block_with_a_minimum_grade_cannot_count_pass_fail_courses():
    text = BASE + block(key='"el"', kind='"credits"', title='"Electives"', credits=1, categories='["elective"]',
                        min_grade='"C"')
    errors = errors_of(text)
    assert errors == ["requirements[3].credits: asks for 1 credits, but the courses it can select are worth 0 credits "
                      "in all; lower credits or let it select more courses"]


def test_transfer_credit_counts_toward_elective_and_leftover_blocks():
    text = BASE.replace("max_transfer_credits = 0", "max_transfer_credits = 6") + block(
        key='"el"', kind='"credits"', title='"Electives"', credits=6, categories='["elective"]')
    assert parse_program_definition(text).requirement("el").credits == 6
    over = text.replace("credits = 6\ncategories", "credits = 8\ncategories")
    assert errors_of(over) == ["requirements[3].credits: asks for 8 credits, but the courses it can select are worth "
                               "7 credits in all (with up to 6 transfer credits); lower credits or let it select "
                               "more courses"]


def test_total_credits_beyond_the_whole_catalog_is_refused():
    text = BASE.replace("total_credits = 12", "total_credits = 40").replace("credits = 12\n", "credits = 40\n")
    assert errors_of(text) == ["requirements[1].credits: asks for 40 credits in all, but the whole catalog is worth "
                               "13 credits (with up to 0 transfer credits), and a course counts once; lower credits "
                               "or add courses"]


def test_all_courses_block_listing_a_course_not_in_the_catalog_is_refused():
    text = BASE + block(key='"core"', kind='"all_courses"', title='"Core"', courses='["C1", "X9", "Y9"]')
    assert errors_of(text) == ['requirements[3].courses: unknown course "X9"', 'requirements[3].courses: unknown course "Y9"']


def test_all_courses_block_with_a_minimum_grade_cannot_list_a_pass_fail_course():
    text = BASE + block(key='"core"', kind='"all_courses"', title='"Core"', courses='["C1", "E1"]', min_grade='"B"')
    assert errors_of(text) == ['requirements[3].courses: "E1" is graded pass/fail (courses[5]) and a P meets no minimum '
                               'grade, so min_grade = "B" can never be met; drop min_grade or the course']


def test_two_all_courses_blocks_one_student_has_cannot_require_the_same_course():
    text = BASE + block(key='"a"', kind='"all_courses"', title='"A"', courses='["C1"]') + block(
        key='"b"', kind='"all_courses"', title='"B"', courses='["C1", "P1"]')
    assert errors_of(text) == ['requirements[4].courses: "C1" is also required by requirements[3] ("a"), and a course '
                               "counts toward one of them only, so a student who has both can never complete both; "
                               "list it in one block"]
    # On different tracks no student has both.
    apart = text.replace('title = "A"', 'title = "A"\ntrack = "thesis"').replace('title = "B"',
                                                                                  'title = "B"\ntrack = "non_thesis"')
    assert parse_program_definition(apart)


# --- refusals: unknown names, all of them ------------------------------------------------------------------------


def test_every_unknown_course_concentration_and_milestone_is_reported():
    text = BASE + block(key='"x"', kind='"credits"', title='"X"', credits=3, courses='["NO1", "NO2"]',
                        course_concentrations='["jazz", "folk"]') + block(
        key='"m"', kind='"milestones"', title='"M"', milestones='["cake", "defense", "party"]',
        concentrations='["opera", "production", "rock"]')
    errors = errors_of(text)
    assert 'requirements[3].courses: unknown course "NO1"' in errors
    assert 'requirements[3].courses: unknown course "NO2"' in errors
    assert 'requirements[3].course_concentrations: unknown concentration "jazz"' in errors
    assert 'requirements[3].course_concentrations: unknown concentration "folk"' in errors
    assert any(e.startswith('requirements[4].milestones: unknown milestone "cake"') for e in errors)
    assert any(e.startswith('requirements[4].milestones: unknown milestone "party"') for e in errors)
    assert 'requirements[4].concentrations: unknown concentration "opera"' in errors
    assert 'requirements[4].concentrations: unknown concentration "rock"' in errors
    assert len(errors) == 8, errors


def test_unknown_categories_and_repeated_codes_are_all_reported():
    text = BASE + block(key='"x"', kind='"credits"', title='"X"', credits=3, categories='["jazz", "core", "folk"]',
                        courses='["C1", "P1", "C1", "P1"]')
    errors = errors_of(text)
    assert [e.split(" (")[0] for e in errors] == [
        'requirements[3].courses: lists "C1" twice', 'requirements[3].courses: lists "P1" twice',
        'requirements[3].categories: unknown category "jazz"', 'requirements[3].categories: unknown category "folk"']


def test_requirement_keys_used_twice_are_all_reported_with_the_first_use():
    gpa = dict(kind='"ensemble_terms"', title='"E"', terms=1)
    text = BASE + block(key='"gpa"', **gpa) + block(key='"gpa"', **gpa) + block(key='"total"', **gpa)
    assert errors_of(text) == [
        'requirements[3].key: duplicate requirement key "gpa" (first used by requirements[2])',
        'requirements[4].key: duplicate requirement key "gpa" (first used by requirements[2])',
        'requirements[5].key: duplicate requirement key "total" (first used by requirements[1])',
    ]


def test_share_with_naming_unknown_keys_is_reported_even_beside_another_problem():
    text = BASE + block(key='"a"', kind='"credits"', title='"A"', credits=-1, categories='["core"]',
                        share_with="{ nowhere = 3, elsewhere = 2, gpa = 1 }")
    assert errors_of(text) == [
        "requirements[3].credits: must be a positive number",
        'requirements[3].share_with.nowhere: unknown requirement "nowhere"',
        'requirements[3].share_with.elsewhere: unknown requirement "elsewhere"',
        'requirements[3].share_with.gpa: "gpa" is not a credits block (only credits blocks can share)',
    ]


def test_every_bad_share_limit_is_reported():
    text = BASE + block(key='"a"', kind='"credits"', title='"A"', credits=3, categories='["core"]',
                        share_with='{ total = 0, gpa = "x" }')
    errors = errors_of(text)
    assert "requirements[3].share_with: total: must be a positive number" in errors
    assert "requirements[3].share_with: gpa: must be a number" in errors


# --- warnings ----------------------------------------------------------------------------------------------------


def test_omitted_max_transfer_credits_warns_and_defaults_to_6():
    program = parse_program_definition(BASE.replace("max_transfer_credits = 0\n", ""))
    assert program.max_transfer_credits == 6
    assert program.warnings == (
        "program.max_transfer_credits: not set, so the default of 6 transfer credits applies; write "
        "max_transfer_credits = 6 (or the number you mean) to say so",)


def test_program_total_without_a_total_credits_requirement_warns():
    text = BASE.replace('[[requirements]]\nkey = "total"\nkind = "total_credits"\ntitle = "Total"\ncredits = 12\n', "")
    program = parse_program_definition(text)
    assert program.warnings == (
        'program.total_credits: no requirement of kind "total_credits" checks it, so progress pages show 12 but the '
        'audit never requires it; add a [[requirements]] table with kind = "total_credits" and credits = 12',)


def test_program_gpa_without_a_gpa_requirement_warns():
    text = BASE.replace('[[requirements]]\nkey = "gpa"\nkind = "gpa"\ntitle = "GPA"\nmin_gpa = "3.0"\n', "")
    assert parse_program_definition(text).warnings[0].startswith(
        'program.min_gpa: no requirement of kind "gpa" checks it, so progress pages show 3.0')


def test_credits_block_with_a_minimum_grade_warns_about_the_pass_fail_courses_it_selects():
    text = BASE + block(key='"x"', kind='"credits"', title='"X"', credits=3, categories='["core", "elective"]',
                        min_grade='"C"')
    assert parse_program_definition(text).warnings == (
        "requirements[3].min_grade: the pass/fail courses it selects (E1) can never count toward it, since a P meets "
        "no minimum grade",)


def test_studio_total_hours_below_the_terms_warns():
    text = BASE + block(key='"studio"', kind='"studio_terms"', title='"Studio"', terms=3, min_hours=40, total_hours=100)
    assert parse_program_definition(text).warnings == (
        "requirements[3].total_hours: 100 hours in all has no effect: 3 terms of at least 40 hours already make 120; "
        "remove it or raise it",)


def test_warnings_travel_with_the_errors():
    text = BASE.replace("max_transfer_credits = 0\n", "").replace(TOTAL_12, TOTAL_9)
    with pytest.raises(DefinitionError) as info:
        parse_program_definition(text)
    assert info.value.warnings[0].startswith("program.max_transfer_credits: not set")


# --- line numbers ------------------------------------------------------------------------------------------------

SMALL = '''\
# a comment
[program]
code = "S"
total_credits = 10

[[courses]]
code = "A"
description = """
[[requirements]]
key = "not a table"
"""

[[requirements]]
key = "one"
courses = [
  "A",
  "B",
]
share_with = { two = 3 }

[[requirements]]
"key" = "two"
credits.value = 3  # dotted keys count too

[requirements.share_with]
one = 3
'''


def test_positions_are_found_in_the_source():
    where = SourcePositions(SMALL)
    assert where.line_of("program") == 2
    assert where.line_of("program.total_credits") == 4
    assert where.line_of("program.min_gpa") == 2  # not written: the table's header
    assert where.line_of("courses[1].description") == 8
    assert where.line_of("requirements[1]") == 13  # the [[requirements]] inside the string is not a table
    assert where.line_of("requirements[1].courses") == 15
    assert where.line_of("requirements[1].share_with.two") == 19
    assert where.line_of("requirements[2].key") == 22
    assert where.line_of("requirements[2].credits") == 23
    assert where.line_of("requirements[2].share_with.one") == 26
    assert where.line_of("requirements[3].key") is None
    assert where.line_of("extras") is None


def test_messages_get_the_line_of_their_position_and_of_each_position_they_name():
    assert with_lines(SMALL, [
        "requirements[2].credits: asks for 3 credits in all, but program.total_credits is 10",
        "TOML syntax error: Expected '=' (at line 3, column 4)",
        "requirements: at least one [[requirements]] table is needed",
    ]) == [
        "line 23: requirements[2].credits: asks for 3 credits in all, but program.total_credits (line 4) is 10",
        "TOML syntax error: Expected '=' (at line 3, column 4)",
        "requirements: at least one [[requirements]] table is needed",
    ]


def test_a_small_file_with_problems_gets_line_numbers():
    text = BASE + block(key='"core"', kind='"all_courses"', title='"Core"', courses='["C1", "X9"]')
    lines = with_lines(text, errors_of(text.replace(TOTAL_12, TOTAL_9)))
    total_line = text.splitlines().index("credits = 12") + 1
    courses_line = text.splitlines().index('courses = ["C1", "X9"]') + 1
    assert lines == [
        f'line {courses_line}: requirements[3].courses: unknown course "X9"',
        f"line {total_line}: requirements[1].credits: asks for 9 credits in all, but program.total_credits (line 5) "
        "is 12; write the same number in both",
    ]
