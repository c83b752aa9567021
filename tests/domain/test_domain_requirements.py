"""Requirement kinds: applies_to, and the exact round trip through the dict (database row) form."""
from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from tracker.domain import (
    KINDS,
    MILESTONE_LABELS,
    AllCoursesRequirement,
    CreditsRequirement,
    DefinitionError,
    EnsembleTermsRequirement,
    GpaRequirement,
    MilestonesRequirement,
    StudioTermsRequirement,
    TotalCreditsRequirement,
    requirement_from_dict,
    requirement_to_dict,
)
from tracker.domain.requirements import (
    AllOfRequirement,
    AnyOfRequirement,
    Cap,
    CoursesRequirement,
    NOfRequirement,
)
from tracker.domain.selectors import Selector

from .domain_factories import DEMO

EXAMPLES = [
    AllCoursesRequirement(key="core", title="Core", courses=("MPT 601", "MPT 602"), min_grade="B-"),
    AllCoursesRequirement(key="thesis", title="Thesis", description="Both parts", track="thesis",
                          courses=("MPT 698", "MPT 699")),
    CreditsRequirement(key="conc", title="Concentration", credits=D("12"), course_concentrations=("$student",)),
    CreditsRequirement(key="a", title="A", credits=D("7.5"), courses=("X 1",), categories=("elective", "core"),
                       course_concentrations=("production", "technical"), min_grade="C", concentrations=("production",),
                       share_with=(("b", D("3")), ("c", D("1.5")))),
    CreditsRequirement(key="electives", title="Electives", credits=D(6), categories=("elective",),
                       accepts_leftovers=True),
    TotalCreditsRequirement(key="total", title="Total", credits=D(36)),
    GpaRequirement(key="gpa", title="GPA", min_gpa=D("3.0")),
    EnsembleTermsRequirement(key="ens", title="Ensembles", terms=2, track="non_thesis"),
    StudioTermsRequirement(key="studio", title="Studio", terms=3, min_hours=D(40)),
    StudioTermsRequirement(key="studio-2", title="Studio", terms=3, min_hours=D("37.5"), total_hours=D(150)),
    MilestonesRequirement(key="ms", title="Milestones", milestones=("proposal", "committee", "defense", "deposit")),
    AllCoursesRequirement(key="core-2", title="Core", courses=("MUS 5010", ("MUS 5020", "MUS 6020"))),
    CreditsRequirement(key="pool", title="Pool", credits=D(12), count=4, subjects=("MUS",), number_range=(5000, 8999),
                       exclude_courses=("MUS 5999",), tags=("seminar",), exclude_tags=("remedial",),
                       max_pass_fail_credits=D(3),
                       caps=(Cap(Selector(tags=("independent-study",)), max_credits=D(3)),
                             Cap(Selector(not_subjects=("MUS",)), max_courses=1))),
    CoursesRequirement(key="choose-two", title="Two seminars", count=2, courses=("MUS 7010", "MUS 7020", "MUS 7030")),
    AllOfRequirement(key="thesis-option", title="Thesis", of=("thesis-courses", "thesis-milestones")),
    AnyOfRequirement(key="culminating", title="Thesis or portfolio", of=("thesis-option", "portfolio-option")),
    NOfRequirement(key="sequences", title="Two sequences", of=("piano", "voice", "guitar"), choose=2),
]


@pytest.mark.parametrize("req", EXAMPLES + list(DEMO.requirements), ids=lambda r: f"{r.kind}-{r.key}")
def test_round_trip_is_exact(req):
    stored = json.loads(json.dumps(requirement_to_dict(req)))  # what a JSON column gives back
    assert requirement_from_dict(**stored) == req


def test_every_kind_has_an_example():
    assert {r.kind for r in EXAMPLES} == set(KINDS)


def test_dict_form_uses_strings_for_decimals_and_leaves_defaults_out():
    assert requirement_to_dict(EXAMPLES[2]) == {
        "kind": "credits", "key": "conc", "title": "Concentration", "description": "", "concentrations": [],
        "track": None, "params": {"credits": "12", "course_concentrations": ["$student"]},
    }
    assert requirement_to_dict(EXAMPLES[3])["params"]["share_with"] == {"b": "3", "c": "1.5"}


@pytest.mark.parametrize("req, concentration, track, applies", [
    (EXAMPLES[0], "production", "thesis", True),
    (EXAMPLES[1], "production", "non_thesis", False),
    (EXAMPLES[1], "technical", "thesis", True),
    (EXAMPLES[3], "production", "non_thesis", True),
    (EXAMPLES[3], "technical", "thesis", False),
    (EXAMPLES[7], "education", "thesis", False),
])
def test_applies_to(req, concentration, track, applies):
    assert req.applies_to(concentration, track) is applies


@pytest.mark.parametrize("kind, params, message", [
    ("credits", {"credits": "-3", "categories": ["elective"]}, "x.params.credits: must be a positive number"),
    ("credits", {"credits": 3}, "x.params.credits: a credits block needs courses"),
    ("credits", {"credits": 3, "categories": ["jazz"]}, 'x.params.categories: unknown category "jazz"'),
    ("credits", {"credits": 3, "categories": ["core"], "colour": "red"}, 'x.params.colour: unknown setting "colour"'),
    ("all_courses", {}, 'x.params.courses: required for kind "all_courses"'),
    ("all_courses", {"courses": ["A 1", "A 1"]}, 'x.params.courses: lists "A 1" twice'),
    ("all_courses", {"courses": ["A 1"], "min_grade": "P"}, "x.params.min_grade: unknown grade 'P'"),
    ("gpa", {"min_gpa": "5"}, "x.params.min_gpa: must be at most 4.0"),
    ("ensemble_terms", {"terms": 1.5}, "x.params.terms: must be a whole number"),
    ("studio_terms", {"terms": 3, "min_hours": "lots"}, "x.params.min_hours: must be a number"),
    ("milestones", {"milestones": ["party"]}, 'x.params.milestones: unknown milestone "party"'),
    ("foo", {}, "x.kind: unknown kind 'foo' (expected one of all_courses, credits"),
])
def test_from_dict_rejects_bad_params(kind, params, message):
    with pytest.raises(DefinitionError) as info:
        requirement_from_dict(kind, "x", "Title", "", [], None, params)
    assert any(error.startswith(message) for error in info.value.errors), info.value.errors


def test_from_dict_collects_every_problem():
    with pytest.raises(DefinitionError) as info:
        requirement_from_dict("studio_terms", "Bad Key", "", "", [], "part_time", {"terms": 0, "min_hours": 0})
    joined = "\n".join(info.value.errors)
    for fragment in ("Bad Key.key:", "Bad Key.title:", "Bad Key.track: unknown track", "params.terms:",
                     "params.min_hours:"):
        assert fragment in joined


def test_milestone_labels():
    assert MILESTONE_LABELS == {
        "proposal": "Thesis proposal approved", "committee": "Committee formed", "defense": "Defense passed",
        "deposit": "Thesis deposited", "capstone": "Capstone project passed",
        "comprehensive_exam": "Comprehensive exam passed",
    }
