"""Program requirements in the browser: see them, edit or upload the definition, preview, apply — or be told why not."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import HistoryEvent, Program, Requirement

from .progress_support import DEMO_TOML, demo_program  # noqa: F401  (fixture)

DEMO = DEMO_TOML.read_text(encoding="utf-8")


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def requirement_titles(program_id: int) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Requirement.title).where(Requirement.program_id == program_id)
                                   .order_by(Requirement.position)))


def test_program_page_shows_the_current_requirements(client, admin, demo_program):
    page = client.get(f"/manage/programs/{demo_program.id}").get_data(as_text=True)
    for title in ("Core courses", "Concentration courses", "Electives", "Thesis milestones"):
        assert title in page
    assert "MPT 601, MPT 602, MPT 603, MPT 604" in page
    assert "Thesis" in page and "both tracks" in page


def test_definition_form_is_prefilled_with_the_stored_definition(client, admin, demo_program):
    page = client.get(f"/manage/programs/{demo_program.id}/definition").get_data(as_text=True)
    assert 'name="definition"' in page and "[[requirements]]" in page and 'enctype="multipart/form-data"' in page


def test_preview_lists_the_changes_and_writes_nothing(client, admin, demo_program):
    edited = DEMO.replace('title = "Electives"', 'title = "Free electives"').replace("credits = 6\n", "credits = 9\n", 1)
    response = client.post_form(f"/manage/programs/{demo_program.id}/definition", {"definition": edited})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "change requirement “Free electives”" in page
    assert 'name="definition" type="hidden"' in page
    assert "Apply changes" in page
    assert "Electives" in requirement_titles(demo_program.id)
    assert "Free electives" not in requirement_titles(demo_program.id)


def test_apply_changes_the_requirements_and_records_history(client, admin, demo_program):
    edited = DEMO.replace('title = "Electives"', 'title = "Free electives"')
    response = client.post_form("/manage/programs/apply", {"definition": edited, "program_id": demo_program.id})
    assert response.status_code == 302
    assert "Free electives" in requirement_titles(demo_program.id)
    program = db.session.get(Program, demo_program.id)
    assert program.definition_source == edited
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "program.loaded",
                                                            HistoryEvent.actor_id == admin.id))
    assert "change requirement “Free electives”" in event.changes["changes"]
    assert "Free electives" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_malformed_definition_shows_each_problem_by_key_and_changes_nothing(client, admin, demo_program):
    broken = DEMO.replace("credits = 12\n", "credits = -4\n", 1).replace('kind = "gpa"', 'kind = "nonsense"')
    response = client.post_form(f"/manage/programs/{demo_program.id}/definition", {"definition": broken})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "problems; nothing was changed" in page
    assert "requirements[2].credits" in page
    assert 'aria-invalid="true"' in page
    assert "credits = -4" in page  # the text is kept for fixing
    assert "Apply changes" not in page
    assert "Concentration courses" in requirement_titles(demo_program.id)


def test_not_toml_at_all_is_refused(client, admin, demo_program):
    response = client.post_form(f"/manage/programs/{demo_program.id}/definition", {"definition": "this is [ not toml"})
    assert response.status_code == 200
    assert "nothing was changed" in response.get_data(as_text=True)


def test_apply_checks_the_text_again(client, admin, demo_program):
    """A tampered hidden field is refused the same way, and nothing is half-applied."""
    before = requirement_titles(demo_program.id)
    broken = DEMO.replace('kind = "gpa"', 'kind = "nonsense"').replace('title = "Electives"', 'title = "X"')
    response = client.post_form("/manage/programs/apply", {"definition": broken, "program_id": demo_program.id})
    assert response.status_code == 200
    assert "nothing was changed" in response.get_data(as_text=True)
    assert requirement_titles(demo_program.id) == before


def test_upload_a_toml_file(client, admin, demo_program):
    edited = DEMO.replace('title = "Core courses"', 'title = "Core"')
    response = client.post_form(f"/manage/programs/{demo_program.id}/definition", {
        "definition": "", "upload": (io.BytesIO(edited.encode()), "program.toml")},
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert "change requirement “Core”" in response.get_data(as_text=True)


def test_upload_must_be_a_toml_file(client, admin, demo_program):
    response = client.post_form(f"/manage/programs/{demo_program.id}/definition", {
        "definition": "", "upload": (io.BytesIO(b"x"), "program.exe")}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Upload a .toml file." in response.get_data(as_text=True)


def test_editing_one_program_with_another_programs_code_is_refused(client, admin, demo_program):
    other = DEMO.replace('code = "MM-PROD"', 'code = "MM-OTHER"')
    response = client.post_form(f"/manage/programs/{demo_program.id}/definition", {"definition": other})
    assert response.status_code == 200
    assert "not MM-PROD" in response.get_data(as_text=True)
    response = client.post_form("/manage/programs/apply", {"definition": other, "program_id": demo_program.id})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(Program).where(Program.code == "MM-OTHER")) is None


def test_load_a_new_program(client, admin):
    response = client.post_form("/manage/programs/load", {"definition": DEMO})
    assert "A new program would be created" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Program.id))) == 0
    response = client.post_form("/manage/programs/apply", {"definition": DEMO, "program_id": ""})
    assert response.status_code == 302
    program = db.session.scalar(sa.select(Program).where(Program.code == "MM-PROD"))
    assert program is not None and len(requirement_titles(program.id)) > 5


def test_download_the_definition(client, admin, demo_program):
    response = client.get(f"/manage/programs/{demo_program.id}/definition.toml")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True) == DEMO


def test_programs_list(client, admin, demo_program, count_queries):
    with count_queries() as q:
        page = client.get("/manage/programs").get_data(as_text=True)
    assert "Master of Music in Music Production" in page
    assert q.count <= 6
