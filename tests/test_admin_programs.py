"""Program requirements in the browser: see them, edit or upload the definition, preview, apply — or be told why not."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import HistoryEvent, Program

from .catalog_support import requirement_titles
from .progress_support import DEMO_TOML

DEMO = DEMO_TOML.read_text(encoding="utf-8")


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def preview(client, program, text: str):
    """Post a definition to the program's editor (the preview step)."""
    return client.post_form(f"/admin/programs/{program.id}/definition", {"definition": text})


def preview_page(client, program, text: str) -> str:
    """The page the editor answers a posted definition with (shown again, never redirected)."""
    response = preview(client, program, text)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_program_page_shows_the_current_requirements(client, admin, demo_program):
    page = client.get(f"/admin/programs/{demo_program.id}").get_data(as_text=True)
    for title in ("Core courses", "Concentration courses", "Electives", "Thesis milestones"):
        assert title in page
    assert "MPT 601, MPT 602, MPT 603, MPT 604" in page
    assert "Thesis" in page and "both tracks" in page


def test_definition_form_is_prefilled_with_the_stored_definition(client, admin, demo_program):
    page = client.get(f"/admin/programs/{demo_program.id}/definition").get_data(as_text=True)
    assert 'name="definition"' in page and "[[requirements]]" in page and 'enctype="multipart/form-data"' in page


def test_preview_lists_the_changes_and_writes_nothing(client, admin, demo_program):
    edited = DEMO.replace('title = "Electives"', 'title = "Free electives"').replace("credits = 6\n", "credits = 9\n", 1)
    page = preview_page(client, demo_program, edited)
    assert "change requirement “Free electives”" in page
    assert 'name="definition" type="hidden"' in page
    assert "Apply changes" in page
    assert "Electives" in requirement_titles(demo_program.id)
    assert "Free electives" not in requirement_titles(demo_program.id)


def test_apply_changes_the_requirements_and_records_history(client, admin, demo_program):
    edited = DEMO.replace('title = "Electives"', 'title = "Free electives"')
    response = client.post_form("/admin/programs/apply", {"definition": edited, "program_id": demo_program.id})
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
    page = preview_page(client, demo_program, broken)
    assert "problems; nothing was changed" in page
    assert "requirements[2].credits" in page
    assert 'aria-invalid="true"' in page
    assert "credits = -4" in page  # the text is kept for fixing
    assert "Apply changes" not in page
    assert "Concentration courses" in requirement_titles(demo_program.id)


def test_not_toml_at_all_is_refused(client, admin, demo_program):
    assert "nothing was changed" in preview_page(client, demo_program, "this is [ not toml")


def test_apply_checks_the_text_again(client, admin, demo_program):
    """A tampered hidden field is refused the same way, and nothing is half-applied."""
    before = requirement_titles(demo_program.id)
    broken = DEMO.replace('kind = "gpa"', 'kind = "nonsense"').replace('title = "Electives"', 'title = "X"')
    response = client.post_form("/admin/programs/apply", {"definition": broken, "program_id": demo_program.id})
    assert response.status_code == 200
    assert "nothing was changed" in response.get_data(as_text=True)
    assert requirement_titles(demo_program.id) == before


def test_upload_a_toml_file(client, admin, demo_program):
    edited = DEMO.replace('title = "Core courses"', 'title = "Core"')
    response = client.post_form(f"/admin/programs/{demo_program.id}/definition", {
        "definition": "", "upload": (io.BytesIO(edited.encode()), "program.toml")},
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert "change requirement “Core”" in response.get_data(as_text=True)


def test_upload_must_be_a_toml_file(client, admin, demo_program):
    response = client.post_form(f"/admin/programs/{demo_program.id}/definition", {
        "definition": "", "upload": (io.BytesIO(b"x"), "program.exe")}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Upload a .toml file." in response.get_data(as_text=True)


def test_editing_one_program_with_another_programs_code_is_refused(client, admin, demo_program):
    other = DEMO.replace('code = "MM-PROD"', 'code = "MM-OTHER"')
    assert "not MM-PROD" in preview_page(client, demo_program, other)
    response = client.post_form("/admin/programs/apply", {"definition": other, "program_id": demo_program.id})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(Program).where(Program.code == "MM-OTHER")) is None


def test_load_a_new_program(client, admin):
    response = client.post_form("/admin/programs/load", {"definition": DEMO})
    assert "A new program would be created" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Program.id))) == 0
    response = client.post_form("/admin/programs/apply", {"definition": DEMO, "program_id": ""})
    assert response.status_code == 302
    program = db.session.scalar(sa.select(Program).where(Program.code == "MM-PROD"))
    assert program is not None and len(requirement_titles(program.id)) > 5


def test_download_the_definition(client, admin, demo_program):
    response = client.get(f"/admin/programs/{demo_program.id}/definition.toml")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True) == DEMO


def test_programs_list(client, admin, demo_program, count_queries):
    with count_queries() as q:
        page = client.get("/admin/programs").get_data(as_text=True)
    assert "Master of Music in Music Production" in page
    assert q.count <= 6


# --- validation messages by line, warnings, and the reference ------------------------------------------------------


def line_of(text: str, line: str, after: int = 0) -> int:
    """The 1-based number of the first line equal to `line` (after line `after`)."""
    lines = text.splitlines()
    return lines.index(line, after) + 1


def test_editor_shows_each_problem_with_its_line(client, admin, demo_program):
    broken = DEMO.replace('title = "Total credits"\ncredits = 36', 'title = "Total credits"\ncredits = 30').replace(
        'milestones = ["capstone", "comprehensive_exam"]', 'milestones = ["capstone", "party"]')
    page = preview(client, demo_program, broken).get_data(as_text=True)
    assert "The definition has 2 problems; nothing was changed. Each problem names its line" in page
    total = line_of(broken, "credits = 30")
    assert (f"line {total}: requirements[11].credits: asks for 30 credits in all, but program.total_credits "
            f"(line {line_of(broken, 'total_credits = 36')}) is 36; write the same number in both") in page
    milestones = line_of(broken, 'milestones = ["capstone", "party"]')
    assert f"line {milestones}: requirements[8].milestones: unknown milestone &#34;party&#34;" in page
    assert "Apply changes" not in page


def test_preview_shows_the_warnings_and_can_still_be_applied(client, admin, demo_program):
    lenient = DEMO.replace("max_transfer_credits = 6\n", "")
    page = preview(client, demo_program, lenient).get_data(as_text=True)
    assert 'id="definition-warnings"' in page and "1 warning: the definition can still be applied" in page
    assert (f"line {line_of(lenient, '[program]')}: program.max_transfer_credits: not set, so the default of 6 "
            "transfer credits applies") in page
    assert "Apply changes" in page
    assert 'id="definition-warnings"' not in preview(client, demo_program, DEMO).get_data(as_text=True)


def test_warnings_are_shown_beside_the_problems(client, admin, demo_program):
    both = DEMO.replace("max_transfer_credits = 6\n", "").replace('kind = "gpa"', 'kind = "nonsense"')
    page = preview(client, demo_program, both).get_data(as_text=True)
    assert "requirements[12].kind: unknown kind" in page
    assert "program.max_transfer_credits: not set" in page and "would load once the problems are fixed" in page


def test_editor_links_to_the_reference(client, admin, demo_program):
    page = client.get(f"/admin/programs/{demo_program.id}/definition").get_data(as_text=True)
    assert 'href="/admin/programs/definition-reference"' in page
    assert "definition.py" not in page


def test_reference_renders_the_markdown_for_admins(client, admin):
    response = client.get("/admin/programs/definition-reference")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<h1 id="top">Program definitions: a reference for program directors</h1>' in page
    assert '<h2 id="warnings">Warnings</h2>' in page and "<table" in page and '<pre tabindex="0"><code' in page
    assert "<script" not in page.split('id="definition-reference"')[1].split("</article>")[0]


def test_reference_is_refused_to_students(client, login_as):
    login_as("student")
    assert client.get("/admin/programs/definition-reference").status_code == 403


def test_reference_documents_every_kind_and_setting(client, admin):
    from tracker.domain.definition import (
        _COURSE_KEYS, _MILESTONE_KEYS, _PROGRAM_KEYS, _REQUIREMENT_COMMON, _SECTIONS, _TRACK_KEYS,
    )
    from tracker.domain.requirements import CATEGORIES, MILESTONE_KINDS, PARAM_SPECS, TRACKS
    from tracker.domain.vocabulary import SIGNERS

    page = client.get("/admin/programs/definition-reference").get_data(as_text=True)
    for kind, spec in PARAM_SPECS.items():
        section = page.split(f'id="kind-{kind}"', 1)
        assert len(section) == 2, f"kind {kind} has no section"
        body = section[1].split("<h3", 1)[0].split("<h2", 1)[0]
        for setting in spec:
            assert f"<code>{setting}</code>" in body, f"{kind}.{setting} is not documented"
    for setting in _PROGRAM_KEYS + _COURSE_KEYS + _REQUIREMENT_COMMON:
        assert f"<code>{setting}</code>" in page, setting
    for section in _SECTIONS:
        assert f'id="{section}"' in page, f"[{section}] has no section"
    for section, keys in (("tracks", _TRACK_KEYS), ("milestones", _MILESTONE_KEYS)):
        body = page.split(f'id="{section}"', 1)[1].split("<h2", 1)[0]
        for setting in keys:
            assert f"<code>{setting}</code>" in body, f"{section}.{setting} is not documented"
    for value in CATEGORIES + MILESTONE_KINDS + TRACKS:
        assert f"<code>{value}</code>" in page, value
    for signer in SIGNERS:
        assert f"<code>&quot;{signer}&quot;</code>" in page, signer
