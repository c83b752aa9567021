"""A program with its own tracks and milestone kinds, end to end: loaded, enrolled in, signed off through the pages."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tracker.domain import DefinitionError
from tracker.extensions import db
from tracker.models import Enrollment, HistoryEvent, MilestoneRecord, Program, User
from tracker.services.programs import load_program_text

from .definition_support import VOCABULARY, concentration, course, requirement, table, tables

DEFINITION = tables(
    table("program", code="MM-PERF", name="Master of Music in Performance", degree="Master of Music", total_credits=3,
          min_gpa="3.0", max_transfer_credits=0),
    concentration("piano", "Piano"),
    lead="",
) + VOCABULARY + tables(
    course("PERF 601", "Performance Seminar", 3, "core"),
    requirement("total", "total_credits", "Total credits", credits=3),
    requirement("gpa", "gpa", "GPA", min_gpa="3.0"),
    requirement("portfolio-milestones", "milestones", "Portfolio milestones", track="portfolio",
                milestones=["portfolio_review", "jury"]),
    requirement("recital-milestones", "milestones", "Recital milestones", track="recital", milestones=["jury"]),
)


@pytest.fixture
def program(app) -> Program:
    program, _ = load_program_text(DEFINITION, actor=None)
    return program


def _client(app, user: User):
    client = app.test_client()
    assert client.login(user.email).status_code == 302
    return client


def test_the_program_row_holds_its_vocabulary_and_the_load_is_in_the_history(program):
    assert [t["code"] for t in program.tracks] == ["portfolio", "recital"]
    assert program.vocabulary.milestone("jury").signed_by == ("admin",)
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "program.loaded"))
    assert event.entity_id == program.id


def test_admin_enrolls_a_student_in_a_track_of_the_program_through_the_pages(app, program, make_user, make_term):
    admin, advisor, term = make_user("admin"), make_user("faculty"), make_term()
    client = _client(app, admin)
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert '<option value="portfolio">Portfolio</option>' in page
    conc = program.concentrations[0]
    data = {"email": "ana@example.edu", "display_name": "Ana", "role": "student", "program_id": program.id,
            "concentration_id": conc.id, "start_term_id": term.id, "advisor_id": advisor.id}
    refused = client.post_form("/admin/users/new", dict(data, track="thesis")).get_data(as_text=True)
    assert "Choose a track of this program: portfolio or recital." in refused
    assert client.post_form("/admin/users/new", dict(data, track="recital")).status_code == 200
    student = db.session.scalar(sa.select(User).where(User.email == "ana@example.edu"))
    assert student.enrollment.track == "recital" and student.enrollment.track_label == "Recital"
    # The user's page offers the program's tracks, and moving the student checks them too.
    page = client.get(f"/admin/users/{student.id}").get_data(as_text=True)
    assert '<option value="portfolio">Portfolio</option>' in page and "Non-thesis" not in page
    client.post_form(f"/admin/users/{student.id}/enrollment", {"concentration_id": conc.id, "track": "portfolio"})
    db.session.expire_all()
    assert db.session.get(Enrollment, student.enrollment.id).track == "portfolio"


def test_the_import_accepts_the_programs_track_labels(app, program, make_user, make_term):
    from tracker.services.admin_accounts import plan_import

    advisor, term = make_user("faculty", email="moreno@example.edu"), make_term(name="Fall 2030")
    text = ("email,name,concentration,track,start term,advisor\n"
            f"a@example.edu,A,piano,Portfolio,Fall 2030,{advisor.email}\n"
            f"b@example.edu,B,piano,thesis,Fall 2030,{advisor.email}\n")
    plan = plan_import(text, program)
    assert [p.problem for p in plan.problems] == ["“thesis” is not a track of MM-PERF; write portfolio or recital"]
    assert plan.total_rows == 2


def test_advisor_signs_off_what_signed_by_allows_and_is_refused_the_rest_admin_signs_that(
        app, program, make_user, make_student):
    advisor, admin = make_user("faculty", name="Dr. Ines Sola"), make_user("admin", name="Office")
    student = make_student(concentration="piano", track="portfolio", advisor=advisor, program=program,
                           name="Tomás Ruiz")
    url = f"/advising/students/{student.id}/milestones"
    faculty = _client(app, advisor)

    page = faculty.get(url).get_data(as_text=True)
    assert "Portfolio track" in page
    assert '<option value="portfolio_review">Portfolio review passed</option>' in page
    assert '<option value="jury">Jury passed (signed off by an administrator only)</option>' in page

    today = date.today().isoformat()
    done = faculty.post_form(url, {"kind": "portfolio_review", "completed_on": today, "note": ""})
    assert done.status_code == 302
    assert "Signed off “Portfolio review passed” for Tomás Ruiz." in faculty.get(url).get_data(as_text=True)

    refused = faculty.post_form(url, {"kind": "jury", "completed_on": today, "note": ""})
    assert refused.status_code == 200
    body = refused.get_data(as_text=True)
    error = body.split('id="kind-error"', 1)[1].split("</div>", 1)[0]  # the message at the milestone field
    assert "“Jury passed” is signed off by an administrator only; you cannot sign it off." in error
    assert [r.kind for r in db.session.scalars(sa.select(MilestoneRecord))] == ["portfolio_review"]

    office = _client(app, admin)
    assert office.post_form(url, {"kind": "jury", "completed_on": today, "note": "Jury of three."}).status_code == 302
    assert sorted(r.kind for r in db.session.scalars(sa.select(MilestoneRecord))) == ["jury", "portfolio_review"]

    # The progress page and the audit speak the program's words.
    progress = office.get(f"/progress/students/{student.id}").get_data(as_text=True)
    assert "Portfolio track" in progress and "Jury passed" in progress and "Portfolio review passed" in progress


def test_a_recital_student_is_not_offered_the_portfolio_review(app, program, make_user, make_student):
    advisor = make_user("faculty")
    student = make_student(concentration="piano", track="recital", advisor=advisor, program=program)
    client = _client(app, make_user("admin"))
    page = client.get(f"/advising/students/{student.id}/milestones").get_data(as_text=True)
    assert 'value="jury"' in page and 'value="portfolio_review"' not in page
    refused = client.post_form(f"/advising/students/{student.id}/milestones",
                               {"kind": "portfolio_review", "completed_on": date.today().isoformat()})
    assert "“Portfolio review passed” is not a milestone of the recital track." in refused.get_data(as_text=True)


def test_reports_filter_by_the_programs_tracks(app, program, make_user, make_student):
    make_student(concentration="piano", track="portfolio", program=program, name="Pia Portfolio")
    make_student(concentration="piano", track="recital", program=program, name="Rita Recital")
    client = _client(app, make_user("admin"))
    page = client.get(f"/reports/cohort?program={program.id}&track=recital").get_data(as_text=True)
    assert "Recital</option>" in page and "Non-thesis" not in page
    assert "Rita Recital" in page and "Pia Portfolio" not in page


def test_a_track_in_use_cannot_be_dropped_from_the_definition(program, make_student):
    make_student(concentration="piano", track="recital", program=program)
    without_recital = DEFINITION.replace('[[tracks]]\ncode = "recital"\nlabel = "Recital"\n', "").replace(
        'tracks = ["portfolio", "recital"]', 'track = "portfolio"').replace(
        'track = "recital"\nmilestones = ["jury"]', 'track = "portfolio"\nmilestones = ["jury"]').replace(
        'key = "recital-milestones"', 'key = "more-milestones"')
    with pytest.raises(DefinitionError) as err:
        load_program_text(without_recital, actor=None)
    assert err.value.errors == ['tracks: track "recital" is no longer declared, but 1 student(s) of the program '
                                "follow it; keep its [[tracks]] table or move them to another track first"]
    db.session.expire_all()
    assert [t["code"] for t in db.session.get(Program, program.id).tracks] == ["portfolio", "recital"]


def test_the_admin_program_page_lists_the_vocabulary(app, program, make_user):
    page = _client(app, make_user("admin")).get(f"/admin/programs/{program.id}").get_data(as_text=True)
    assert "Jury passed <code>jury</code> · signed off by an administrator" in page
    assert "Portfolio review passed <code>portfolio_review</code> · signed off by the student&#39;s advisor" in page
