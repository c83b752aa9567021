"""Program definition files: the demo program's figures and the parser's error messages."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from tracker.domain import (
    AllCoursesRequirement,
    CreditsRequirement,
    parse_program_definition,
)

from ..definition_support import concentration, course, errors_of, requirement, table, tables
from .domain_factories import DEMO, DEMO_PATH

GOOD = tables(
    table("program", code="MM-X", name="Test", degree="Master of Music", total_credits=36, min_gpa="3.0"),
    concentration("production", "Production"),
    course("MPT 601", "Record Analysis", 3, "core"),
    course("MPT 611", "Advanced Mixing", 3, "concentration", concentration="production"),
    requirement("core", "all_courses", "Core", courses=["MPT 601"], min_grade="B-"),
)


# --- the demo program --------------------------------------------------------------------------------------------


def test_demo_program_settings():
    assert (DEMO.code, DEMO.name, DEMO.degree) == ("MM-PROD", "Master of Music in Music Production", "Master of Music")
    assert (DEMO.total_credits, DEMO.min_gpa, DEMO.max_transfer_credits) == (D(36), D("3.0"), D(6))
    assert DEMO.concentrations == (("production", "Production"), ("technical", "Technical"),
                                   ("acoustical", "Acoustical Studies"), ("education", "Education"),
                                   ("composition", "Composition"))


def test_demo_catalog():
    assert 25 <= len(DEMO.courses) <= 34
    core = [c for c in DEMO.courses if c.category == "core"]
    assert [c.title for c in core] == ["Record Analysis", "Music Style", "Music Structure", "Music History"]
    assert all(c.credits == 3 for c in core)
    for code, _name in DEMO.concentrations:
        mine = [c for c in DEMO.courses if c.concentration == code]
        assert 3 <= len(mine) <= 4 and sum(c.credits for c in mine) >= 12, code
        assert all(c.credits == 3 and c.category == "concentration" for c in mine)
    electives = [c for c in DEMO.courses if c.category == "elective"]
    assert any(c.pass_fail for c in electives) and any(c.credits == 1 for c in electives)
    assert {c.title for c in DEMO.courses if c.category == "thesis"} == {"Thesis I", "Thesis II"}
    assert [c.title for c in DEMO.courses if c.category == "capstone"] == ["Capstone Project"]


def test_demo_requirements_match_the_product_issue():
    req = {r.key: r for r in DEMO.requirements}
    assert [r.key for r in DEMO.requirements] == [
        "core", "concentration", "electives", "thesis", "thesis-milestones", "capstone", "additional-electives",
        "non-thesis-milestones", "ensembles", "studio", "total-credits", "gpa"]
    assert req["total-credits"].credits == 36
    assert isinstance(req["core"], AllCoursesRequirement) and req["core"].min_grade == "B-"
    assert req["core"].courses == ("MPT 601", "MPT 602", "MPT 603", "MPT 604")
    assert isinstance(req["concentration"], CreditsRequirement)
    assert (req["concentration"].credits, req["concentration"].course_concentrations) == (12, ("$student",))
    assert (req["electives"].credits, req["electives"].accepts_leftovers, req["electives"].track) == (6, True, None)
    assert (req["thesis"].courses, req["thesis"].track) == (("MPT 698", "MPT 699"), "thesis")
    assert req["thesis-milestones"].milestones == ("proposal", "committee", "defense", "deposit")
    assert (req["capstone"].courses, req["capstone"].track) == (("MPT 697",), "non_thesis")
    extra = req["additional-electives"]
    assert (extra.credits, extra.accepts_leftovers, extra.track) == (3, True, "non_thesis")
    assert req["non-thesis-milestones"].milestones == ("capstone", "comprehensive_exam")
    assert req["non-thesis-milestones"].track == "non_thesis"
    assert req["ensembles"].terms == 2
    assert (req["studio"].terms, req["studio"].min_hours, req["studio"].total_hours) == (3, 40, None)
    assert req["gpa"].min_gpa == D("3.0")


@pytest.mark.parametrize("track", ["thesis", "non_thesis"])
def test_demo_course_blocks_add_up_to_36_credits_on_each_track(track):
    credits = D(0)
    for r in DEMO.requirements:
        if not r.applies_to("production", track):
            continue
        if isinstance(r, AllCoursesRequirement):
            credits += sum(DEMO.course(c).credits for c in r.courses)
        elif isinstance(r, CreditsRequirement):
            credits += r.credits
    assert credits == 36


def test_demo_file_round_trips_through_rules():
    rules = DEMO.rules()
    assert rules.requirements == DEMO.requirements and rules.max_transfer_credits == 6
    assert dict(rules.course_titles)["MPT 604"] == "Music History"
    assert DEMO_PATH.exists()


def test_a_good_small_file_parses():
    program = parse_program_definition(GOOD)
    assert program.course("MPT 611").concentration == "production"
    assert program.requirement("core").min_grade == "B-"


# --- error messages ----------------------------------------------------------------------------------------------


def test_toml_syntax_error_names_the_line():
    head = GOOD + "\n[[requirements]]\n"
    errors = errors_of(head + "key = \n")
    assert len(errors) == 1
    assert errors[0].startswith("TOML syntax error:") and f"line {head.count(chr(10)) + 1}," in errors[0]


@pytest.mark.parametrize("extra, expected", [
    ('\n[[requirements]]\nkey = "x"\nkind = "credits"\ntitle = "X"\ncredits = -3\ncategories = ["elective"]\n',
     "requirements[2].credits: must be a positive number"),
    ('\n[[courses]]\ncode = "MPT 601"\ntitle = "Again"\ncredits = 3\ncategory = "core"\n',
     'courses[3].code: duplicate course code "MPT 601"'),
    ('\n[[requirements]]\nkey = "x"\nkind = "all_courses"\ntitle = "X"\ncourses = ["XYZ 1"]\n',
     'requirements[2].courses: unknown course "XYZ 1"'),
    ('\n[[requirements]]\nkey = "x"\nkind = "ensemble_terms"\ntitle = "X"\nterms = 2\nconcentrations = ["jazz"]\n',
     'requirements[2].concentrations: unknown concentration "jazz"'),
    ('\n[[requirements]]\nkey = "x"\nkind = "foo"\ntitle = "X"\n',
     "requirements[2].kind: unknown kind 'foo' (expected one of all_courses, credits, courses, total_credits, "
     "gpa, ensemble_terms, studio_terms, milestones, all_of, any_of, n_of)"),
    ('\n[[requirements]]\nkey = "core"\nkind = "gpa"\ntitle = "X"\nmin_gpa = 3\n',
     'requirements[2].key: duplicate requirement key "core"'),
    ('\n[[requirements]]\nkey = "x"\nkind = "credits"\ntitle = "X"\ncredits = 3\n'
     'course_concentrations = ["jazz"]\n', 'requirements[2].course_concentrations: unknown concentration "jazz"'),
    ('\n[[courses]]\ncode = "MPT 700"\ntitle = "T"\ncredits = 3\ncategory = "jazz"\n',
     'courses[3].category: unknown category "jazz"'),
    ('\n[[courses]]\ncode = "MPT 700"\ntitle = "T"\ncredits = 3\ncategory = "concentration"\n',
     'courses[3].concentration: required for category "concentration"'),
    ('\n[[courses]]\ncode = "MPT 700"\ntitle = "T"\ncredits = "three"\ncategory = "elective"\n',
     "courses[3].credits: must be a number"),
    ('\n[[requirements]]\nkey = "x"\nkind = "milestones"\ntitle = "X"\nmilestones = ["party"]\n',
     'requirements[2].milestones: unknown milestone "party"'),
    ('\n[[requirements]]\nkey = "x"\nkind = "studio_terms"\ntitle = "X"\nterms = 3\n',
     'requirements[2].min_hours: required for kind "studio_terms"'),
    ('\n[[requirements]]\nkey = "x"\nkind = "gpa"\ntitle = "X"\nmin_gpa = 3\ntrack = "part_time"\n',
     "requirements[2].track: unknown track 'part_time'"),
    ('\n[[requirements]]\nkey = "x"\nkind = "all_courses"\ntitle = "X"\ncourses = ["MPT 601"]\nmin_grade = "Q"\n',
     "requirements[2].min_grade: unknown grade 'Q'"),
    ('\n[[requirements]]\nkey = "x"\nkind = "gpa"\ntitle = "X"\nmin_gpa = 3\nminimum = 2\n',
     'requirements[2].minimum: unknown setting "minimum"'),
    ('\n[extras]\nfoo = 1\n', 'extras: unknown section "extras"'),
])
def test_error_names_the_key(extra, expected):
    errors = errors_of(GOOD + extra)
    assert any(e.startswith(expected) for e in errors), errors


def test_program_table_errors():
    errors = errors_of(GOOD.replace('total_credits = 36', 'total_credits = 0').replace('min_gpa = "3.0"',
                                                                                           'min_gpa = "4.5"'))
    assert "program.total_credits: must be a positive number" in errors
    assert "program.min_gpa: must be at most 4" in errors


def test_missing_program_table():
    assert "program: missing [program] table" in errors_of(GOOD.replace("[program]", "[programme]"))


def test_every_error_is_collected():
    text = GOOD + tables(
        course("MPT 601", "Duplicate", 3, "core"),
        requirement("bad", "credits", "Bad", credits=0, courses=["NOPE 1"]),
        requirement("worse", "foo", "Worse"),
        requirement("ens", "ensemble_terms", "Ensembles", terms=2, concentrations=["jazz"]),
    )
    errors = errors_of(text)
    assert 'courses[3].code: duplicate course code "MPT 601"' in errors
    assert "requirements[2].credits: must be a positive number" in errors
    assert 'requirements[2].courses: unknown course "NOPE 1"' in errors
    assert any(e.startswith("requirements[3].kind: unknown kind 'foo'") for e in errors)
    assert 'requirements[4].concentrations: unknown concentration "jazz"' in errors
    assert len(errors) == 5, errors


def test_sharing_needs_both_sides():
    text = GOOD + tables(
        requirement("a", "credits", "A", credits=3, categories=["core"], share_with={"b": 3}),
        requirement("b", "credits", "B", credits=3, categories=["concentration"]),
        requirement("c", "credits", "C", credits=3, categories=["core"], share_with={"nowhere": 3}),
    )
    errors = errors_of(text)
    assert errors == [
        'requirements[2].share_with.b: "b" does not list "a" in its share_with (sharing needs both blocks to allow it)',
        'requirements[4].share_with.nowhere: unknown requirement "nowhere"',
    ]
    fixed = text.replace('categories = ["concentration"]', 'categories = ["concentration"]\nshare_with = { a = 2 }')
    fixed = fixed.replace("share_with = { nowhere = 3 }", "")
    program = parse_program_definition(fixed)
    assert program.requirement("a").share_limit("b") == 3 and program.requirement("b").share_limit("a") == 2
