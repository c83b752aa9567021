"""The example programs in tracker/programs/ (written from real curricula) load cleanly, and a realistic student of
each is audited as the program's rules say, requirement by requirement; the in-app reference documents the language
they use.

NYU Steinhardt's MM in Music Technology exercises course-or-course choices, an equivalence, a subject/number pool,
a cognate (any subject but one), remedial courses that earn no degree credit, a cap and the "repeat" rule for a
core grade below C. UMass Lowell's MM in Sound Recording Technology exercises a thesis-or-project choice (each option
courses plus milestones), 0-credit ensembles repeated every semester, variable-credit thesis registrations and the
transfer-grade policy. Expected percentages are spelled out as the mean of the top-level requirements' progress.
"""
from __future__ import annotations

import dataclasses
import math
import re
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from tracker.domain import (
    AuditInput,
    CourseRecord,
    Milestone,
    Policies,
    StudentContext,
    Term,
    audit,
    parse_program_definition,
)

D = Decimal
PROGRAMS = Path(__file__).resolve().parents[1] / "tracker" / "programs"
NYU_FILE = PROGRAMS / "nyu-mm-music-technology.toml"
UML_FILE = PROGRAMS / "uml-mm-sound-recording-technology.toml"

FALL25 = Term(1, "Fall 2025", 1, date(2025, 9, 2), date(2025, 12, 19))
SPRING26 = Term(2, "Spring 2026", 2, date(2026, 1, 20), date(2026, 5, 8))
FALL26 = Term(3, "Fall 2026", 3, date(2026, 9, 2), date(2026, 12, 18))
SPRING27 = Term(4, "Spring 2027", 4, date(2027, 1, 19), date(2027, 5, 7))
START = FALL25.start
TODAY = date(2027, 3, 1)  # the middle of the students' fourth term


@pytest.fixture(scope="module")
def nyu():
    return parse_program_definition(NYU_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def uml():
    return parse_program_definition(UML_FILE.read_text(encoding="utf-8"))


def take(defn, rid: int, code: str, term: Term | None, grade: str | None = "A", *, status: str = "completed",
         credits=None, transfer: bool = False, earned_on: date | None = None) -> CourseRecord:
    """A course record for a catalog course; `credits` is what a variable-credit record carries."""
    course = defn.course(code)
    assert course is not None, code
    return CourseRecord(
        id=rid, course_code=code, title=course.title, credits=D(course.credits if credits is None else credits),
        category=course.category, concentration=course.concentration, term=term, status=status,
        grade=grade if status == "completed" else None, pass_fail=course.pass_fail, transfer=transfer,
        institution="Previous graduate program" if transfer else None, earned_on=earned_on,
    )


def signed(kind: str, on: date) -> Milestone:
    """A milestone signed off by the advisor."""
    return Milestone(kind, on, "Dr. Moylan")


def run(defn, concentration: str, track: str, courses, milestones=()):
    """The audit of one student who started in Fall 2025, today."""
    return audit(AuditInput(defn, StudentContext(concentration, track, START), courses=tuple(courses),
                            milestones=tuple(milestones), today=TODAY))


def used(block) -> list[int]:
    """Record ids a block counts."""
    return sorted(u.record_id for u in block.used)


def figures(block) -> tuple:
    """(status, need, done, in progress) of a block."""
    return block.status, block.need, block.done, block.in_progress


def mean_percent(*fractions) -> int:
    """The overall percentage: each top-level requirement weighs the same; rounded down."""
    return math.floor(sum((Fraction(f) for f in fractions), Fraction(0)) / len(fractions) * 100)


def all_used_ids(result) -> set[int]:
    """Every record id any block (nested ones too) counts."""
    return {u.record_id for block in result.walk() for u in block.used if u.record_kind == "course"}


# --- NYU Steinhardt, MM in Music Technology ------------------------------------------------------------------------


def test_nyu_example_loads_with_no_warnings(nyu):
    assert nyu.warnings == ()
    assert (nyu.code, nyu.degree, nyu.total_credits, nyu.min_gpa) == ("NYU-MMMT", "Master of Music", D(40), D("3.0"))
    assert [t.code for t in nyu.tracks] == ["thesis"]
    assert [m.code for m in nyu.milestones] == ["placement_exams", "thesis_proposal", "thesis_defense",
                                                "thesis_submitted"]
    # Every requirement, group parts included, in file order.
    assert [r.key for r in nyu.requirements] == [
        "core", "performance", "cognate", "electives", "thesis", "thesis-courses", "thesis-milestones",
        "placement", "total-credits", "gpa"]
    performance = nyu.course("MPATE 2609")
    assert performance.variable and (performance.credits, performance.max_credits) == (D(1), D(3))
    assert performance.tags == ("performance",)
    study = nyu.course("MPATE 2900")
    assert study.tags == ("independent-study",) and study.repeatable == 3 and study.max_credits == D(3)
    remedial = nyu.course("MPATC 2930")
    assert remedial.counts_toward_total is False and remedial.tags == ("remedial",) and remedial.pass_fail
    assert nyu.equivalences == (("MPATE 2601", "MPATE 2616"),)
    assert nyu.policies == Policies(failed_in_block="repeat", transfer_min_grade="B", time_limit_years=6)


def nyu_second_year(nyu) -> list[CourseRecord]:
    """Three terms done and the fourth under way: core, performance and cognate finished, thesis II in progress."""
    return [
        take(nyu, 1, "MPATE 2599", FALL25, "A"),
        take(nyu, 2, "MPATE 2598", FALL25, "A"),
        take(nyu, 3, "MPATE 2036", FALL25, "B+"),
        take(nyu, 4, "MPATE 2047", FALL25, "A-"),
        take(nyu, 5, "MPATC 2930", FALL25, "P"),  # remedial after the theory placement exam
        take(nyu, 6, "MPATE 2600", SPRING26, "A"),
        take(nyu, 7, "MPATE 2607", SPRING26, "A"),
        take(nyu, 8, "MPATE 2609", SPRING26, "A", credits=2),  # variable credit: taken for 2
        take(nyu, 9, "CS 6923", SPRING26, "B+"),  # the cognate, outside music technology
        take(nyu, 10, "MPATE 2900", SPRING26, "A", credits=3),
        take(nyu, 11, "MPATE 2601", FALL26, "A-"),
        take(nyu, 12, "MPATE 2623", FALL26, "A"),
        take(nyu, 13, "MPATE 2604", FALL26, "B+"),
        take(nyu, 14, "MPATE 2900", FALL26, "A", credits=3),  # a second independent study (repeatable)
        take(nyu, 15, "MPATE 2602", FALL26, "A"),
        take(nyu, 16, "MPATE 2603", SPRING27, status="in_progress"),
        take(nyu, 17, "MPATE 2610", SPRING27, status="in_progress"),
    ]


def test_nyu_second_year_student_requirement_by_requirement(nyu):
    milestones = [signed("placement_exams", date(2025, 8, 25)), signed("thesis_proposal", date(2026, 10, 15))]
    result = run(nyu, "music-technology", "thesis", nyu_second_year(nyu), milestones)

    # Group parts are shown inside their group, not as requirements of their own.
    assert [b.key for b in result.blocks] == [
        "core", "performance", "cognate", "electives", "thesis", "placement", "total-credits", "gpa"]

    core = result.block("core")
    assert figures(core) == ("complete", D(6), D(6), D(0))
    assert used(core) == [1, 2, 3, 4, 6, 11]  # Colloquy under its current number fills the choice

    performance = result.block("performance")
    assert figures(performance) == ("complete", D(1), D(1), D(0))
    assert used(performance) == [8]
    assert performance.used[0].credits == D(2)  # the variable-credit record shows what was taken

    cognate = result.block("cognate")
    assert (cognate.unit, *figures(cognate)) == ("courses", "complete", D(1), D(1), D(0))
    assert used(cognate) == [9]  # the remedial MPATC course is outside MPATE but excluded by its tag

    electives = result.block("electives")
    assert figures(electives) == ("in_progress", D(18), D(15), D(3))
    assert electives.remaining == D(0) and electives.percent == 83
    assert used(electives) == [7, 10, 12, 13, 14, 17]  # two independent studies: 6 credits, at the cap
    assert 15 not in used(electives)  # Thesis I is an MPATE course, but it counts toward the thesis

    thesis = result.block("thesis")
    assert (thesis.kind, thesis.unit, thesis.choose) == ("all_of", "requirements", None)
    assert (thesis.status, thesis.need, thesis.done) == ("in_progress", D(2), D(0))  # parts complete: 0 of 2
    assert [c.key for c in thesis.children] == ["thesis-courses", "thesis-milestones"]
    assert all(c.counted for c in thesis.children)
    thesis_courses, thesis_milestones = thesis.children
    assert figures(thesis_courses) == ("in_progress", D(2), D(1), D(1))
    assert used(thesis_courses) == [15, 16]
    assert (thesis_milestones.status, thesis_milestones.need, thesis_milestones.done) == ("in_progress", D(3), D(1))
    assert thesis_milestones.still_needed == ("Thesis demonstration and defense passed", "Thesis document submitted")
    assert thesis.percent == mean_percent(Fraction(1, 2), Fraction(1, 3)) == 41  # the mean of its parts

    placement = result.block("placement")
    assert (placement.status, placement.need, placement.done) == ("complete", D(1), D(1))

    total = result.block("total-credits")
    assert figures(total) == ("in_progress", D(40), D(37), D(4))
    assert 5 not in used(total)  # remedial: no degree credit
    assert 5 in {u.record_id for u in result.unused}

    gpa = result.block("gpa")
    assert gpa.status == "complete" and result.gpa == D("3.78") and gpa.done == D("3.78")

    assert result.complete is False
    assert result.overall_percent == mean_percent(
        1, 1, 1, Fraction(15, 18), (Fraction(1, 2) + Fraction(1, 3)) / 2, 1, Fraction(37, 40), 1) == 89
    assert result.deadline == date(2031, 9, 2)  # six years from the start term


def test_nyu_core_grade_below_c_must_be_repeated(nyu):
    records = [take(nyu, rid, code, FALL25) for rid, code in
               enumerate(["MPATE 2599", "MPATE 2598", "MPATE 2600", "MPATE 2036", "MPATE 2047"], start=1)]
    records.append(take(nyu, 6, "MPATE 2601", FALL26, "C-"))
    result = run(nyu, "music-technology", "thesis", records)

    core = result.block("core")
    assert (core.status, core.need, core.done) == ("in_progress", D(6), D(5))
    assert any("Colloquy in Music Technology" in line for line in core.still_needed)
    assert 6 in {r.record_id for r in core.rejected}
    # failed_in_block = "repeat": the C- counts nowhere, though MPATE 2601 is in the electives' pool.
    electives = result.block("electives")
    assert used(electives) == [] and electives.done == D(0)
    assert 6 not in all_used_ids(result)

    # With the default rule the same record would count as an elective instead.
    lenient = run(dataclasses.replace(nyu, policies=Policies()), "music-technology", "thesis", records)
    assert used(lenient.block("electives")) == [6] and lenient.block("electives").done == D(3)
    assert lenient.block("core").done == D(5)


def test_nyu_colloquy_under_either_number_is_one_course(nyu):
    former = run(nyu, "music-technology", "thesis", [take(nyu, 1, "MPATE 2616", FALL25, "B")])
    assert used(former.block("core")) == [1] and former.block("core").done == D(1)

    # Taken under both numbers: the equivalence makes the second a retake; the latest attempt counts, once.
    both = run(nyu, "music-technology", "thesis",
               [take(nyu, 1, "MPATE 2616", FALL25, "B"), take(nyu, 2, "MPATE 2601", FALL26, "A")])
    assert used(both.block("core")) == [2]
    assert 1 not in all_used_ids(both)
    assert "repeated" in {u.record_id: u.reason for u in both.unused}[1]
    assert both.block("total-credits").done == D(3)


def test_nyu_independent_study_beyond_the_cap_does_not_count_as_an_elective(nyu):
    records = [take(nyu, 1, "MPATE 2900", SPRING26, credits=3), take(nyu, 2, "MPATE 2900", FALL26, credits=3),
               take(nyu, 3, "MPATE 2900", FALL26, credits=2)]
    result = run(nyu, "music-technology", "thesis", records)

    electives = result.block("electives")
    assert (electives.done, used(electives)) == (D(6), [1, 2])  # at most 6 credits of independent study
    assert 3 in {u.record_id for u in result.unused}
    assert result.block("total-credits").done == D(8)  # repeatable three times: all three earn degree credit


# --- UMass Lowell, MM in Sound Recording Technology ----------------------------------------------------------------


def test_uml_example_loads_with_no_warnings(uml):
    assert uml.warnings == ()
    assert (uml.code, uml.total_credits, uml.min_gpa, uml.max_transfer_credits) == (
        "UML-MMSRT", D(33), D("3.0"), D(6))
    assert uml.concentrations == (("production", "Advanced Production"), ("technical", "Technical"))
    assert [t.code for t in uml.tracks] == ["full_time", "part_time"]
    assert [r.key for r in uml.requirements] == [
        "core", "concentration", "theory-history", "electives", "capstone", "thesis-option", "thesis-credits",
        "thesis-milestones", "project-option", "project-course", "project-milestones", "ensembles",
        "total-credits", "gpa"]
    ensemble = uml.course("MUEN 5010")
    assert (ensemble.credits, ensemble.repeatable, ensemble.tags, ensemble.pass_fail) == (
        D(0), 4, ("ensemble",), True)
    thesis = uml.course("MUSR 6990")
    assert (thesis.credits, thesis.max_credits, thesis.repeatable, thesis.repeat_max_credits) == (
        D(1), D(6), 4, D(6))
    assert uml.policies == Policies(transfer_min_grade="B", time_limit_years=5)
    assert uml.equivalences == ()


def test_uml_project_student_requirement_by_requirement(uml):
    records = [
        take(uml, 1, "MUSR 5010", FALL25, "A"),
        take(uml, 2, "MUSR 5020", FALL25, "A-"),
        take(uml, 3, "MUSR 5210", FALL25, "A"),
        take(uml, 4, "MUEN 5010", FALL25, "P"),
        take(uml, 5, "MUSR 5030", SPRING26, "B+"),
        take(uml, 6, "MUSR 5220", SPRING26, "A"),
        take(uml, 7, "MUTH 5100", SPRING26, "A-"),
        take(uml, 8, "MUEN 5010", SPRING26, "P"),  # the same ensemble again: repeatable, not a retake
        take(uml, 9, "MUSR 5040", FALL26, "A"),
        take(uml, 10, "MUSR 5230", FALL26, "A"),
        take(uml, 11, "MUSR 5410", FALL26, "B+"),
        take(uml, 12, "MUEN 5020", FALL26, "P"),
        take(uml, 13, "MUSR 6970", SPRING27, status="in_progress"),
        take(uml, 14, "MUSR 5420", SPRING27, status="in_progress"),
        take(uml, 15, "MUEN 5010", SPRING27, status="in_progress"),
    ]
    result = run(uml, "production", "full_time", records, [signed("project_proposal", date(2026, 11, 10))])

    assert [b.key for b in result.blocks] == [
        "core", "concentration", "theory-history", "electives", "capstone", "ensembles", "total-credits", "gpa"]
    assert figures(result.block("core")) == ("complete", D(4), D(4), D(0))
    assert used(result.block("core")) == [1, 2, 5, 9]
    # MUSR 5230 is a concentration course and a MUSR 5000-level course. The audit counts finished courses where
    # they bring the most progress now (tracker.domain.allocation): 6 of 9 concentration credits and all 6
    # elective credits beat 9 of 9 and 3 of 6. Core courses are different: a course a requirement names one by
    # one always counts there, so the pool never takes MUSR 5010-5040 from the core.
    assert figures(result.block("concentration")) == ("in_progress", D(9), D(6), D(0))
    assert used(result.block("concentration")) == [3, 6]
    assert figures(result.block("theory-history")) == ("complete", D(3), D(3), D(0))
    assert used(result.block("theory-history")) == [7]
    electives = result.block("electives")
    assert figures(electives) == ("complete", D(6), D(6), D(0)) and used(electives) == [10, 11]

    capstone = result.block("capstone")
    assert (capstone.kind, capstone.unit, capstone.choose) == ("any_of", "requirements", 1)
    assert (capstone.status, capstone.need, capstone.done) == ("in_progress", D(1), D(0))
    thesis, project = capstone.children
    assert (thesis.key, project.key) == ("thesis-option", "project-option")
    # The project is further along, so it counts; the thesis is shown, not counted.
    assert project.counted is True and thesis.counted is False
    assert (project.status, project.need, project.done, project.percent) == ("in_progress", D(2), D(0), 25)
    assert (thesis.status, thesis.percent) == ("not_started", 0)
    assert capstone.percent == project.percent == mean_percent(0, Fraction(1, 2))
    assert "Project report and portfolio" in capstone.explanation
    project_course, project_milestones = project.children
    assert figures(project_course) == ("in_progress", D(1), D(0), D(1)) and used(project_course) == [13]
    assert (project_milestones.need, project_milestones.done) == (D(2), D(1))
    assert project_milestones.still_needed == ("Project portfolio reviewed and approved",)
    thesis_credits, thesis_milestones = thesis.children
    assert figures(thesis_credits) == ("not_started", D(6), D(0), D(0))
    assert (thesis_milestones.need, thesis_milestones.done) == (D(2), D(0))

    ensembles = result.block("ensembles")
    assert (ensembles.unit, *figures(ensembles)) == ("courses", "in_progress", D(4), D(3), D(1))
    assert used(ensembles) == [4, 8, 12, 15]  # 0-credit courses count as courses

    total = result.block("total-credits")
    assert figures(total) == ("in_progress", D(33), D(27), D(6))  # ensembles add 0 credits
    assert result.gpa == D("3.78")  # P-graded ensembles stay out of the GPA
    assert result.block("gpa").status == "complete"

    assert result.overall_percent == mean_percent(
        1, Fraction(6, 9), 1, 1, Fraction(1, 4), Fraction(3, 4), Fraction(27, 33), 1) == 81
    assert result.deadline == date(2030, 9, 2)  # five years from the start term


def test_uml_thesis_student_with_transfer_credit(uml):
    records = [
        take(uml, 1, "MUSR 5010", FALL25, "A"),
        take(uml, 2, "MUSR 5020", FALL25, "A"),
        take(uml, 3, "MUSR 5310", FALL25, "A-"),
        take(uml, 4, "MUEN 5030", FALL25, "P"),
        take(uml, 5, "MUSR 5030", SPRING26, "A"),
        take(uml, 6, "MUSR 5320", SPRING26, "B+"),
        take(uml, 7, "MUSR 5900", SPRING26, "A", credits=2),
        take(uml, 8, "MUEN 5030", SPRING26, "P"),
        take(uml, 9, "MUSR 5040", FALL26, "A"),
        take(uml, 10, "MUSR 5330", FALL26, "A"),
        take(uml, 11, "MUSR 6990", FALL26, "A", credits=3),
        take(uml, 12, "MUSR 5900", FALL26, "A", credits=3),
        take(uml, 13, "MUEN 5030", FALL26, "P"),
        take(uml, 14, "MUSR 6990", SPRING27, status="in_progress", credits=3),
        take(uml, 15, "MUEN 5030", SPRING27, status="in_progress"),
        # Transfer credit: a B counts; a B- is below the program's transfer_min_grade.
        take(uml, 101, "MUSR 5410", None, "B", transfer=True, earned_on=date(2024, 5, 10)),
        take(uml, 102, "MUSR 5420", None, "B-", transfer=True, earned_on=date(2024, 5, 10)),
    ]
    result = run(uml, "technical", "full_time", records, [signed("thesis_proposal", date(2026, 10, 1))])

    assert figures(result.block("core")) == ("complete", D(4), D(4), D(0))
    assert used(result.block("concentration")) == [3, 6, 10]
    theory = result.block("theory-history")
    assert figures(theory) == ("not_started", D(3), D(0), D(0))
    assert any("3 more credits" in line for line in theory.still_needed)

    electives = result.block("electives")
    assert figures(electives) == ("complete", D(6), D(6), D(0))
    assert used(electives) == [12, 101]  # only 3 credits of independent study: the 2-credit one is left over
    assert 7 in {u.record_id for u in result.unused}
    assert 102 not in all_used_ids(result) and 102 in {u.record_id for u in result.unused}

    capstone = result.block("capstone")
    thesis, project = capstone.children
    assert thesis.counted is True and project.counted is False
    assert (capstone.status, capstone.percent) == ("in_progress", 50)
    assert "Thesis" in capstone.explanation
    thesis_credits, thesis_milestones = thesis.children
    assert figures(thesis_credits) == ("in_progress", D(6), D(3), D(3)) and used(thesis_credits) == [11, 14]
    assert [u.credits for u in thesis_credits.used] == [D(3), D(3)]
    assert (thesis_milestones.done, thesis_milestones.still_needed) == (D(1), ("Thesis defended",))
    assert (project.status, project.percent) == ("not_started", 0)

    ensembles = result.block("ensembles")
    assert figures(ensembles) == ("in_progress", D(4), D(3), D(1)) and used(ensembles) == [4, 8, 13, 15]

    # 29 credits here (the independent study over the cap included) and 3 of transfer; the B- adds nothing.
    assert figures(result.block("total-credits")) == ("in_progress", D(33), D(32), D(3))
    assert result.gpa == D("3.90")  # transfer credit stays out of the GPA
    assert result.overall_percent == mean_percent(
        1, 1, 0, 1, Fraction(1, 2), Fraction(3, 4), Fraction(32, 33), 1) == 77


def test_uml_part_time_students_have_no_ensemble_requirement(uml):
    result = run(uml, "production", "part_time", [take(uml, 1, "MUEN 5010", FALL25, "P")])
    assert result.block("ensembles") is None
    assert "ensembles" not in [b.key for b in result.blocks]
    assert result.block("capstone") is not None and result.block("capstone").status == "not_started"


# --- the reference page ----------------------------------------------------------------------------------------------


@pytest.fixture
def reference(client, login_as) -> str:
    login_as("admin")
    response = client.get("/admin/programs/definition-reference")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(page: str, anchor: str, *, until: str = "<h2") -> str:
    """The page from the heading with this id to the next heading of the same level."""
    parts = page.split(f'id="{anchor}"', 1)
    assert len(parts) == 2, f"no section {anchor}"
    return parts[1].split(until, 1)[0]


def text_of(html: str) -> str:
    """The words of some HTML, without tags or entities, spaces collapsed."""
    words = re.sub(r"<[^>]+>", "", html).replace("&quot;", '"').replace("&amp;", "&")
    return re.sub(r"\s+", " ", words)


def test_reference_has_a_section_for_each_new_construct(reference):
    for anchor in ("equivalences", "policies", "zero-credit", "variable-credits", "tags", "repeatable",
                   "counts_toward_total", "alternatives", "pools", "count", "pass-fail-limit", "caps",
                   "kind-courses", "groups", "kind-all_of", "kind-any_of", "kind-n_of", "progress",
                   "catalog-versions"):
        assert f'id="{anchor}"' in reference, anchor
    courses = section(reference, "courses")
    for setting in ("max_credits", "tags", "repeatable", "repeat_max_credits", "counts_toward_total"):
        assert f"<td><code>{setting}</code></td>" in courses, setting
    caps = section(reference, "caps", until="<h3")
    for setting in ("max_credits", "max_courses"):
        assert f"<code>{setting}</code>" in caps
    # Each construct comes with an example in TOML.
    for anchor in ("zero-credit", "variable-credits", "equivalences", "policies", "alternatives", "pools", "caps",
                   "kind-courses", "kind-all_of", "kind-any_of", "kind-n_of"):
        until = "<h2" if anchor in ("equivalences", "policies") else "<h"
        assert '<code class="language-toml">' in section(reference, anchor, until=until), anchor


def test_reference_documents_every_policy_with_its_default(reference):
    policies = section(reference, "policies")
    for field in dataclasses.fields(Policies):
        assert f"<td><code>{field.name}</code></td>" in policies, field.name
        default = f"<code>&quot;{field.default}&quot;</code>" if isinstance(field.default, str) else "none"
        row = policies.split(f"<td><code>{field.name}</code></td>", 1)[1].split("</tr>", 1)[0]
        assert default in row, field.name


def test_reference_explains_how_groups_choose_and_weigh(reference):
    any_of = text_of(section(reference, "kind-any_of", until="<h3"))
    assert "the option that gives the most progress counts" in any_of
    assert "marked as not counted" in any_of and "listed first in of counts" in any_of
    n_of = text_of(section(reference, "kind-n_of", until="<h3"))
    assert "The N best parts" in n_of and "choose" in n_of
    progress = text_of(section(reference, "progress"))
    assert "each weighs the same" in progress
    assert "an all_of group: the mean of its parts' percentages" in progress
    assert "an any_of group: the percentage of the option that counts" in progress
    assert "an n_of group: the mean of the percentages of the N best options" in progress
    catalog = text_of(section(reference, "catalog-versions"))
    assert "the version of the year they entered" in catalog and "preview" in catalog
    assert "docs/catalog-versions.md" in catalog


def test_reference_lists_the_new_refusals(reference):
    errors = text_of(section(reference, "errors"))
    for message in ('unknown tag "x"', "chooses 3 of 2 options", "the groups contain each other in a circle",
                    "of: must not be empty", "a requirement belongs to one group only",
                    "give max_credits or max_courses (one of them)",
                    "a block that needs both credits and a count of courses cannot share credits",
                    "in an alternatives list", "asks for 4 courses, but it can select only 3",
                    "must be more than credits", "must list at least two course codes"):
        assert message in errors, message


def test_reference_names_example_files_that_exist(reference):
    intro = section(reference, "top", until="<h2")
    named = re.findall(r"<code>(tracker/programs/[a-z0-9_.-]+\.toml)</code>", intro)
    assert {"tracker/programs/nyu-mm-music-technology.toml",
            "tracker/programs/uml-mm-sound-recording-technology.toml"} <= set(named)
    for path in named:
        assert (PROGRAMS.parent.parent / path).is_file(), path


def test_every_toml_example_in_the_reference_is_valid_toml():
    import tomllib

    source = (PROGRAMS.parent.parent / "docs" / "program-definitions.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", source, flags=re.S)
    assert len(blocks) >= 30
    for block in blocks:
        tomllib.loads(block)  # a director copies these: a syntax error here would be copied too
