"""The progress pages draw richer program definitions: nested groups (all_of / any_of / n_of, any depth) with the
options that count marked and the others shown, "choose N" with what is chosen and what remains, a variable-credit
record's own credits, courses that do not count toward the total, and the time limit's deadline.

Two kinds of tests:
* drawing tests hand the pages a made-up audit result (the `handmade` fixture of tests/fixtures/audits.py replaces
  the audit engine for the request), so the pages are checked against the result's shape
  (tracker.domain.audit.BlockResult) whatever the engine decides;
* end-to-end tests load a small program definition in the requirements language and let the real engine decide.
"""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import Course, CourseRecord, CourseStatus
from tracker.services.programs import load_program_text

from .definition_support import concentration, course, requirement, table, tables
from .html_support import page_html, visible_text
from .progress_support import add_course

D = Decimal


def _card(page: str, key: str) -> str:
    """One top-level requirement card (a <section>), nested options included."""
    start = page.index(f'<section class="card h-100 block-card" id="req-{key}"')
    end = page.find('<section class="card h-100 block-card"', start + 10)
    return page[start:end if end != -1 else len(page)]


def _option(page: str, key: str) -> str:
    """One option of a group (an <li>), up to the next option at any depth."""
    start = page.index(f'id="req-{key}"')
    start = page.rindex("<li", 0, start)
    end = page.find('<li class="group-option', start + 10)
    return page[start:end if end != -1 else len(page)]


def _aria(page: str, label: str) -> int:
    match = re.search(r'aria-label="' + re.escape(label) + r'" aria-valuenow="(\d+)"', page)
    assert match, f"no progress bar labelled {label!r}"
    return int(match.group(1))


@pytest.fixture
def people(demo_program, make_user, make_student):
    advisor = make_user("faculty", name="Prof. Ada Byron")
    student = make_student(advisor=advisor, name="Maya Chen")
    return advisor, student


def _pages(client, people) -> dict[str, str]:
    """The student's own page and the advisor's view of it (each in their own browser)."""
    advisor, student = people
    client.login(student.email)
    own = client.get("/progress")
    other = client.application.test_client()
    other.login(advisor.email)
    advisors = other.get(f"/progress/students/{student.id}")
    assert own.status_code == advisors.status_code == 200
    return {"student": page_html(own), "advisor": page_html(advisors)}


# ---------------------------------------------------------------- drawing (hand-made results)

@pytest.mark.parametrize("viewer", ["student", "advisor"])
def test_a_nested_any_of_marks_the_counted_option_and_shows_the_other(client, people, handmade, viewer):
    page = _pages(client, people)[viewer]
    card = _card(page, "culminating")
    assert 'data-group="any_of"' in card
    # The group's own bar and status, then "choose 1" and why.
    assert _aria(card, "Thesis or portfolio: done") == 0 and "In progress" in visible_text(card)
    assert "Choose 1 of these 2 options." in visible_text(card)
    assert "The thesis option counts: it is further along" in visible_text(card)
    # The options, as a list inside the card, each with its own bar and figures.
    assert '<ol class="group-options' in card and 'aria-label="Options of Thesis or portfolio"' in card
    thesis, portfolio = _option(page, "thesis-option"), _option(page, "portfolio-option")
    assert "option-counted" in thesis and 'data-counted="yes"' in thesis and ">Counts<" in thesis
    assert "Not counted" not in visible_text(thesis)
    assert "option-not-counted" in portfolio and 'data-counted="no"' in portfolio and ">Not counted<" in portfolio
    assert _aria(thesis, "Thesis option: done") == 50 and _aria(portfolio, "Portfolio option: done") == 33
    assert "1 of 3 courses done" in visible_text(portfolio) and "1 of 2 courses done" in visible_text(thesis)
    # Headings nest: the card's h3, its options' h4.
    assert '<h3 id="req-culminating-title"' in card and '<h4 id="req-thesis-option-title"' in card
    # What the counted option still needs is listed; the other's is tucked away but there.
    assert "Thesis II (in progress)" in thesis
    assert "To count instead, it would still need (2)" in visible_text(portfolio) and "Recital" in portfolio


@pytest.mark.parametrize("viewer", ["student", "advisor"])
def test_an_n_of_says_choose_n_with_what_is_chosen_and_what_remains(client, people, handmade, viewer):
    page = _pages(client, people)[viewer]
    card = _card(page, "seminars")
    text = visible_text(card)
    assert "Choose 2 of these 3 options. Chosen: Listening seminar, History seminar." in text
    assert "Listening and History count: both are complete." in text
    assert "2 of 2 requirements done" in text
    assert ">Not counted<" in _option(page, "seminar-lab") and ">Counts<" in _option(page, "seminar-history")
    # A group inside a group inside a group: its own bar, heading one level deeper, its explanation.
    deep = _option(page, "seminar-deep-dive")
    assert _aria(deep, "Deep-dive project: done") == 0
    assert '<h6 id="req-seminar-deep-dive-title"' in page
    assert "All of these 2 parts are needed." in visible_text(_option(page, "seminar-lab"))
    assert "Nothing started yet." in page
    culminating = visible_text(_card(page, "culminating"))
    assert "Still needed Finish the thesis option" in culminating


@pytest.mark.parametrize("viewer", ["student", "advisor"])
def test_records_show_their_own_credits_and_the_not_in_total_badge(client, people, handmade, viewer):
    page = _pages(client, people)[viewer]
    topics = visible_text(_card(page, "topics"))
    assert "MUS 6950 Topics in Audio (Past term B) — 2 cr" in topics
    assert "Not in the degree total" in topics and "does not count toward the total" in topics
    # A course counted in a courses-unit block still shows the credits the record carries.
    assert "MPT 698 Thesis I (Past term A) — 3 cr" in visible_text(_option(page, "thesis-option"))
    assert "Not in the degree total" not in visible_text(_card(page, "culminating"))


@pytest.mark.parametrize("viewer", ["student", "advisor"])
def test_the_deadline_is_shown(client, people, handmade, viewer):
    page = _pages(client, people)[viewer]
    assert "Finish by 30 June 2031" in visible_text(page) and 'data-deadline="2031-06-30"' in page


def test_no_deadline_without_a_time_limit(client, people):
    assert "Finish by" not in visible_text(_pages(client, people)["student"])


def test_group_cards_take_the_full_width_and_need_no_script(client, people, handmade):
    page = _pages(client, people)["student"]
    assert '<div class="col col-lg-12"><section class="card h-100 block-card" id="req-culminating"' in page.replace(
        "\n", "").replace("  ", "")
    card = _card(page, "culminating")
    assert "<script" not in card and "onclick" not in card and "style=" not in card


def test_what_if_draws_the_options_under_their_group(client, people, handmade):
    advisor, student = people
    client.login(student.email)
    page = page_html(client.get("/progress/what-if?concentration=technical&track=thesis"))
    rows = re.findall(r'<tr data-requirement="([^"]+)"', page)
    # Groups are followed by their options, in order, nested ones too (blocks the program does not list, as these
    # hand-made ones, come after the program's own).
    rows = rows[rows.index("culminating"):]
    assert rows[:9] == ["culminating", "thesis-option", "portfolio-option", "seminars", "seminar-listening",
                        "seminar-history", "seminar-lab", "seminar-lab-one", "seminar-lab-two"]
    portfolio = page[page.index('<tr data-requirement="portfolio-option"'):]
    portfolio = portfolio[:portfolio.index("</tr>")]
    assert portfolio.count(">Not counted<") == 2 and "Option: " in portfolio and "depth-1" in portfolio
    assert "Choose 2 of 3; chosen: Listening seminar, History seminar." in visible_text(page)
    assert _aria(page, "What if: Thesis option: done") == 50
    assert "Finish by 30 June 2031" in visible_text(page)


def test_the_csv_lists_options_with_their_group_and_whether_they_count(client, people, handmade):
    advisor, student = people
    client.login(advisor.email)
    rows = list(csv.reader(io.StringIO(page_html(client.get(f"/progress/students/{student.id}/export.csv"))
                                       .lstrip("\ufeff"))))
    by_key = {row[0]: row for row in rows[1:]}
    assert by_key["culminating"][10:] == ["", "yes"]
    assert by_key["thesis-option"][10:] == ["culminating", "yes"]
    assert by_key["portfolio-option"][10:] == ["culminating", "no"]
    assert by_key["seminar-lab-two"][10:] == ["seminar-lab", "yes"]
    assert by_key["portfolio-option"][9] == "Portfolio review; Recital"


def test_nested_pages_keep_their_query_count(app, client, people, terms, handmade, count_queries):
    advisor, student = people
    counts = []
    for records in (0, 12):
        for code in ("MPT 601", "MPT 602", "MPT 603", "MPT 604", "MPT 611", "MPT 612")[:records // 2]:
            for term in (terms.first, terms.second):
                add_course(student, code, term)
        browser = app.test_client()
        browser.login(student.email)
        with count_queries() as q:
            assert browser.get("/progress").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1] <= 5, counts


# ---------------------------------------------------------------- the real engine (a small definition)

NESTED_TOML = tables(
    table("program", code="MM-NEST", name="Master of Music (nested test)", degree="Master of Music", total_credits=12,
          min_gpa="3.0"),
    concentration("production", "Production"),
    course("MPT 601", "Record Analysis", 3, "core"),
    course("MPT 602", "Music Style", 3, "core"),
    course("MPT 652", "Style Studies", 3, "core"),
    course("MPT 698", "Thesis I", 3, "thesis"),
    course("MPT 690", "Portfolio", 3, "elective"),
    course("MUS 6950", "Topics in Audio", 1, "elective", max_credits=3),
    *(course(f"MPT 66{n}", f"Seminar {x}", 1, "elective") for n, x in ((1, "A"), (2, "B"), (3, "C"))),
    requirement("core", "all_courses", "Core", courses=["MPT 601", ["MPT 602", "MPT 652"]]),
    requirement("culminating", "any_of", "Thesis or portfolio", of=["thesis-option", "portfolio-option"]),
    requirement("thesis-option", "all_courses", "Thesis option", courses=["MPT 698"]),
    requirement("portfolio-option", "all_courses", "Portfolio option", courses=["MPT 690"]),
    requirement("seminars", "n_of", "Seminars", choose=2, of=["seminar-a", "seminar-b", "seminar-c"]),
    *(requirement(f"seminar-{x.lower()}", "all_courses", f"Seminar {x}", courses=[f"MPT 66{n}"])
      for n, x in ((1, "A"), (2, "B"), (3, "C"))),
    requirement("topics", "credits", "Topics in audio", credits=3, courses=["MUS 6950"]),
    requirement("total-credits", "total_credits", "Total credits", credits=12),
)


@pytest.fixture
def nested_program(terms, make_user, make_student):
    """The nested definition loaded, and a student who took the thesis, one seminar and 2 credits of topics."""
    program, _ = load_program_text(NESTED_TOML, actor=None)
    advisor = make_user("faculty", name="Prof. Ada Byron")
    student = make_student(program=program, advisor=advisor, name="Maya Chen")

    def take(code, term, credits=None, status="completed", grade="A"):
        course = db.session.scalar(sa.select(Course).where(Course.program_id == program.id, Course.code == code))
        db.session.add(CourseRecord(student_id=student.id, course_id=course.id, term_id=term.id,
                                    status=CourseStatus(status), grade=grade if status == "completed" else None,
                                    credits=credits))

    take("MPT 601", terms.first)
    take("MPT 652", terms.first)
    take("MPT 698", terms.second)
    take("MPT 661", terms.second)
    take("MPT 662", terms.current, status="in_progress")
    take("MUS 6950", terms.second, credits=D(2))
    db.session.commit()
    return program, advisor, student


def test_loading_a_definition_makes_the_course_variable_credit(nested_program):
    """(Needs the one line in services/programs.py that copies CourseDef.max_credits onto the course.)"""
    program, _, _ = nested_program
    topics = db.session.scalar(sa.select(Course).where(Course.program_id == program.id, Course.code == "MUS 6950"))
    assert (topics.credits, topics.max_credits) == (D(1), D(3))


@pytest.mark.parametrize("viewer", ["student", "advisor"])
def test_real_engine_any_of_marks_the_thesis_and_shows_the_portfolio(client, nested_program, viewer):
    _, advisor, student = nested_program
    page = _pages(client, (advisor, student))[viewer]
    card = _card(page, "culminating")
    assert 'data-group="any_of"' in card and "Choose 1 of these 2 options." in visible_text(card)
    assert ">Counts<" in _option(page, "thesis-option")
    assert ">Not counted<" in _option(page, "portfolio-option")
    assert _aria(card, "Portfolio option: done") == 0
    assert "Core" in page and _aria(_card(page, "core"), "Core: done") == 100  # MPT 652 is MPT 602's alternative


@pytest.mark.parametrize("viewer", ["student", "advisor"])
def test_real_engine_n_of_shows_what_is_chosen_and_what_remains(client, nested_program, viewer):
    _, advisor, student = nested_program
    page = _pages(client, (advisor, student))[viewer]
    text = visible_text(_card(page, "seminars"))
    assert "Choose 2 of these 3 options." in text and "Chosen: Seminar A, Seminar B." in text
    assert ">Not counted<" in _option(page, "seminar-c")
    assert "Still needed" in text


@pytest.mark.parametrize("viewer", ["student", "advisor"])
def test_real_engine_shows_a_variable_credit_records_credits(client, nested_program, viewer):
    _, advisor, student = nested_program
    page = _pages(client, (advisor, student))[viewer]
    topics = visible_text(_card(page, "topics"))
    assert "MUS 6950 Topics in Audio (Past term B) — 2 cr" in topics
    assert "2 of 3 credits done" in topics


# ---------------------------------------------------------------- variable credits through today's engine

@pytest.mark.parametrize("viewer", ["student", "advisor"])
def test_a_variable_credit_record_counts_and_shows_its_own_credits(client, people, terms, viewer):
    advisor, student = people
    elective = db.session.scalar(sa.select(Course).where(Course.code == "MPT 663"))
    elective.credits, elective.max_credits = D(1), D(3)
    db.session.add(CourseRecord(student_id=student.id, course_id=elective.id, term_id=terms.second.id,
                                status=CourseStatus.COMPLETED, grade="A", credits=D("2.5")))
    db.session.commit()
    page = _pages(client, people)[viewer]
    electives = visible_text(_card(page, "electives"))
    assert "2.5 of 6 credits done" in electives
    assert re.search(r"MPT 663 \S.* \(Past term B\) — 2\.5 cr", electives), electives
    assert "2.5 of 36" in visible_text(page)                     # the total counts the record's own credits


def test_a_group_can_be_waived_whole_only_and_a_waived_group_is_complete(client, nested_program):
    from tracker.services import ServiceError
    from tracker.services import audit_exceptions as exception_service
    from tracker.services.audit import audit_student

    program, advisor, student = nested_program
    group = next(r for r in audit_student(student.id).rules.requirements if r.kind == "any_of")
    with pytest.raises(ServiceError, match="can only be waived whole"):
        exception_service.record_waiver(student, group.key, "1", "Committee decision of 3 March.", actor=advisor)
    exception_service.record_waiver(student, group.key, None, "Committee decision of 3 March.", actor=advisor)
    block = audit_student(student.id).result.block(group.key)
    assert block.complete and block.exceptions[0].description == "Requirement waived"
