"""Catalog versions: each student follows one; a new version changes nobody's audit; an admin moves students with a
preview of each audit; what-if under the newest catalog; reports name each student's version."""
from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import CatalogVersion, Course, Enrollment, HistoryEvent, Program
from tracker.services import audit as audit_service
from tracker.services import catalog_versions
from tracker.services import programs as program_service

from .html_support import page_html, visible_text
from .progress_support import DEMO_TOML, add_course

DEMO = DEMO_TOML.read_text(encoding="utf-8")
# The 2026–27 catalog: the core drops MPT 604 and is renamed, and MPT 601 now carries 4 credits.
NEW_CATALOG = (DEMO.replace('title = "Core courses"', 'title = "Core seminar"')
               .replace('courses = ["MPT 601", "MPT 602", "MPT 603", "MPT 604"]',
                        'courses = ["MPT 601", "MPT 602", "MPT 603"]')
               .replace('code = "MPT 601"\ntitle = "Record Analysis"\ncredits = 3',
                        'code = "MPT 601"\ntitle = "Record Analysis"\ncredits = 4'))
NAME = "2026–27"


def versions_of(program_id: int) -> list[CatalogVersion]:
    db.session.expire_all()
    return catalog_versions.program_versions(program_id)


def enrollment_of(student) -> Enrollment:
    db.session.expire_all()
    return db.session.scalar(sa.select(Enrollment).where(Enrollment.student_id == student.id))


def load_new_version(program: Program, term, text_=NEW_CATALOG, name=NAME, actor=None):
    return program_service.load_program_text(
        text_, actor, program_service.LoadTarget(new_version=True, name=name, start_term_id=term.id))


@pytest.fixture
def admin(login_as):
    return login_as("admin", name="Director Dana")


@pytest.fixture
def two_versions(demo_program, terms, make_user, make_student):
    """Maya (started in the first term) on the demo's Initial catalog, then the 2026–27 catalog loaded from the
    current term, then Theo (starting in the current term), who follows it."""
    advisor = make_user("faculty", name="Prof. Okafor")
    maya = make_student(advisor=advisor, start_term=terms.first, name="Maya Chen")
    for code in ("MPT 601", "MPT 602", "MPT 603", "MPT 604"):
        add_course(maya, code, terms.first, grade="A")
    before = audit_service.audit_student(maya.id).result
    load_new_version(demo_program, terms.current)
    theo = make_student(advisor=advisor, start_term=terms.current, name="Theo Park")
    add_course(theo, "MPT 601", terms.current, grade="A")
    initial, new = versions_of(demo_program.id)
    return {"program": demo_program, "maya": maya, "theo": theo, "advisor": advisor, "initial": initial,
            "new": new, "maya_before": before}


# ---------------------------------------------------------------- which version a student follows

def test_the_demo_loads_as_one_version_every_student_follows(demo_program, make_student):
    [version] = versions_of(demo_program.id)
    assert version.name == "Initial" and version.start_term_id is None and version.source == DEMO
    assert version.digest == catalog_versions.digest_of(version.definition)
    assert enrollment_of(make_student()).catalog_version_id == version.id


def test_a_new_enrollment_follows_the_version_in_force_at_its_start_term(demo_program, terms, make_student):
    load_new_version(demo_program, terms.second)
    initial, new = versions_of(demo_program.id)
    assert enrollment_of(make_student(start_term=terms.first)).catalog_version_id == initial.id
    assert enrollment_of(make_student(start_term=terms.second)).catalog_version_id == new.id
    assert enrollment_of(make_student(start_term=terms.next)).catalog_version_id == new.id
    assert enrollment_of(make_student()).catalog_version_id == initial.id  # no start term: the earliest


def test_the_account_form_enrolls_a_student_in_the_version_in_force(client, admin, demo_program, terms, make_user):
    load_new_version(demo_program, terms.current)
    advisor = make_user("faculty")
    conc = demo_program.concentrations[0]
    response = client.post_form("/admin/users/new", {
        "email": "new@example.edu", "display_name": "New Student", "role": "student", "program_id": demo_program.id,
        "concentration_id": conc.id, "track": "thesis", "start_term_id": terms.next.id, "advisor_id": advisor.id})
    assert response.status_code in (200, 302)
    enrollment = db.session.scalar(sa.select(Enrollment).join(Enrollment.student)
                                   .where(sa.text("email = 'new@example.edu'")))
    assert enrollment is not None and enrollment.catalog_version.name == NAME


# ---------------------------------------------------------------- loading never changes another version's audits

def test_a_new_version_never_changes_another_versions_audits(two_versions):
    maya, theo = two_versions["maya"], two_versions["theo"]
    assert enrollment_of(maya).catalog_version.name == "Initial"
    after = audit_service.audit_student(maya.id).result
    assert after == two_versions["maya_before"]
    assert after.block("core").title == "Core courses" and after.block("core").need == 4
    assert after.total_credits_done == 12                      # MPT 601 still counts 3 credits for her
    theirs = audit_service.audit_student(theo.id)
    assert theirs.version.name == NAME and theirs.result.block("core").title == "Core seminar"
    assert theirs.result.block("core").need == 3 and theirs.result.total_credits_done == 4
    # The shared course row shows the newest catalog.
    assert db.session.scalar(sa.select(Course.credits).where(Course.code == "MPT 601")) == 4


def test_replacing_a_version_changes_only_its_students(two_versions):
    maya, theo, new = two_versions["maya"], two_versions["theo"], two_versions["new"]
    theo_before = audit_service.audit_student(theo.id).result
    renamed = DEMO.replace('title = "Electives"', 'title = "Free electives"')
    _, summary = program_service.load_program_text(
        renamed, None, program_service.LoadTarget(version_id=two_versions["initial"].id))
    assert "change requirement “Free electives”" in summary
    assert audit_service.audit_student(maya.id).result.block("electives").title == "Free electives"
    assert audit_service.audit_student(theo.id).result == theo_before
    assert versions_of(new.program_id)[-1].id == new.id      # still the newest
    # Replacing an older version does not overwrite the shared rows or the program's copy of the newest.
    program = db.session.get(Program, new.program_id)
    assert program.definition_source == NEW_CATALOG
    assert db.session.scalar(sa.select(Course.credits).where(Course.code == "MPT 601")) == 4


def test_reloading_without_a_target_replaces_the_newest_version(two_versions):
    program_service.load_program_text(NEW_CATALOG.replace('title = "Electives"', 'title = "Open electives"'), None)
    assert audit_service.audit_student(two_versions["theo"].id).result.block("electives").title == "Open electives"
    assert audit_service.audit_student(two_versions["maya"].id).result == two_versions["maya_before"]
    assert len(versions_of(two_versions["program"].id)) == 2


@pytest.mark.parametrize("target, field, message", [
    ({"name": "", "start": "current"}, "version_name", "Name the new catalog version"),
    ({"name": "x" * 61, "start": "current"}, "version_name", "at most 60"),
    ({"name": "Bad\x07name", "start": "current"}, "version_name", "Use letters"),
    ({"name": "initial", "start": "current"}, "version_name", "already has a catalog version called"),
    ({"name": "2027", "start": None}, "start_term_id", "Choose the first term"),
])
def test_a_new_version_needs_a_free_name_and_a_start_term(demo_program, terms, target, field, message):
    start = getattr(terms, target["start"]).id if target["start"] else None
    with pytest.raises(program_service.ServiceError) as err:
        program_service.load_program_text(DEMO, None, program_service.LoadTarget(
            new_version=True, name=target["name"], start_term_id=start))
    assert err.value.field == field and message in err.value.message
    assert len(versions_of(demo_program.id)) == 1


def test_two_versions_cannot_start_in_the_same_term(two_versions, terms):
    with pytest.raises(program_service.ServiceError) as err:
        load_new_version(two_versions["program"], terms.current, name="2027–28")
    assert err.value.field == "start_term_id" and f"“{NAME}” already starts in Current term" in err.value.message


def test_a_new_version_may_drop_a_track_only_older_students_follow(demo_program, terms, make_student):
    """Each version keeps its vocabulary: the program's labels keep every track some version declares."""
    old = make_student(track="non_thesis", start_term=terms.first)
    thesis_only = DEMO.replace('[[tracks]]\ncode = "non_thesis"\nlabel = "Non-thesis"\n', "")
    thesis_only = re.sub(r'\[\[milestones\]\]\ncode = "(capstone|comprehensive_exam)"\n(?:.+\n)+?\n', "",
                         thesis_only)
    thesis_only = re.sub(r'\[\[requirements\]\]\nkey = "(capstone|additional-electives|non-thesis-milestones)"\n'
                         r'(?:.+\n)+?\n', "", thesis_only)
    load_new_version(demo_program, terms.current, thesis_only)
    assert enrollment_of(old).track_label == "Non-thesis"
    assert audit_service.audit_student(old.id).result.block("capstone") is not None


# ---------------------------------------------------------------- the editor

def test_the_editor_creates_a_new_version_after_a_preview(client, admin, demo_program, terms, make_student):
    make_student(start_term=terms.first)
    form = {"definition": NEW_CATALOG, "mode": "new", "version_name": NAME, "start_term_id": terms.current.id}
    preview = client.post_form(f"/admin/programs/{demo_program.id}/definition", form)
    page = visible_text(preview)
    assert preview.status_code == 200
    assert f"A new catalog version “{NAME}” is created, in force for students who start in Current term" in page
    assert "No current student's audit changes" in page and "change requirement “Core seminar”" in page
    assert len(versions_of(demo_program.id)) == 1                       # the preview wrote nothing
    assert 'name="mode" type="hidden" value="new"' in page_html(preview)
    response = client.post_form("/admin/programs/apply", {**form, "program_id": demo_program.id})
    assert response.status_code == 302
    initial, new = versions_of(demo_program.id)
    assert (new.name, new.start_term_id, new.created_by_id, new.source) == (NAME, terms.current.id, admin.id,
                                                                          NEW_CATALOG)
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "program.loaded",
                                                            HistoryEvent.actor_id == admin.id))
    assert event.changes["catalog_version"] == NAME and event.changes["version_action"] == "created"
    page = visible_text(client.get(response.headers["Location"]))
    assert f"{NAME} newest" in page and "in Current term or later" in page and "Initial" in page
    assert "by Director Dana" in page


def test_the_editor_says_how_many_students_a_replacement_affects(client, admin, two_versions):
    program = two_versions["program"]
    page = visible_text(client.post_form(f"/admin/programs/{program.id}/definition", {
        "definition": DEMO, "mode": "replace", "version_id": two_versions["initial"].id}))
    assert "Replaces catalog version “Initial”: the audit of the 1 student who follows it changes" in page


def test_editor_refusals_are_shown_at_their_field_with_the_text_kept(client, admin, two_versions, terms):
    program = two_versions["program"]
    response = client.post_form(f"/admin/programs/{program.id}/definition", {
        "definition": NEW_CATALOG, "mode": "new", "version_name": NAME, "start_term_id": terms.next.id})
    html = page_html(response)
    assert response.status_code == 200
    assert re.search(r'id="version_name-error"[^>]*>[^<]*already has a catalog version called', html)
    assert "Record Analysis" in html and 'value="2026–27"' in html
    # A tampered apply is refused the same way and writes nothing.
    response = client.post_form("/admin/programs/apply", {
        "definition": NEW_CATALOG, "program_id": program.id, "mode": "new", "version_name": "2028",
        "start_term_id": terms.current.id})
    assert response.status_code == 200 and "already starts in Current term" in page_html(response)
    response = client.post_form("/admin/programs/apply", {
        "definition": NEW_CATALOG, "program_id": program.id, "mode": "replace", "version_id": "999999"})
    assert response.status_code == 200 and "Choose one of this program's catalog versions." in visible_text(response)
    assert len(versions_of(program.id)) == 2


def test_the_editor_opens_a_version_by_its_definition(client, admin, two_versions):
    program, initial = two_versions["program"], two_versions["initial"]
    page = page_html(client.get(f"/admin/programs/{program.id}/definition?version={initial.id}"))
    assert 'title = "Core courses"' in html.unescape(page)
    assert f'<option selected value="{initial.id}">Initial</option>' in page
    assert 'title = "Core seminar"' in html.unescape(page_html(client.get(f"/admin/programs/{program.id}/definition")))


def test_a_version_page_shows_its_own_requirements(client, admin, two_versions):
    program, initial = two_versions["program"], two_versions["initial"]
    page = visible_text(client.get(f"/admin/programs/{program.id}/versions/{initial.id}"))
    assert "Catalog Initial not the newest" in page and "Core courses" in page and "Core seminar" not in page
    assert client.get(f"/admin/programs/{program.id}/versions/999999").status_code == 404
    download = client.get(f"/admin/programs/{program.id}/versions/{initial.id}/definition.toml")
    assert download.status_code == 200 and page_html(download) == DEMO
    assert "mm-prod-initial.toml" in download.headers["Content-Disposition"]


def test_the_cli_creates_a_new_version(runner, demo_program, terms, tmp_path):
    path = tmp_path / "new.toml"
    path.write_text(NEW_CATALOG, encoding="utf-8")
    result = runner.invoke(args=["tracker", "load-program", str(path), "--new-version", NAME,
                                 "--start-term", "Current term"])
    assert result.exit_code == 0, result.output
    assert [v.name for v in versions_of(demo_program.id)] == ["Initial", NAME]
    again = runner.invoke(args=["tracker", "load-program", str(path), "--new-version", NAME,
                                "--start-term", "Next term"])
    assert again.exit_code == 1 and "already has a catalog version" in again.output
    missing = runner.invoke(args=["tracker", "load-program", str(path), "--new-version", "X"])
    assert missing.exit_code != 0 and "--start-term" in missing.output


# ---------------------------------------------------------------- moving students, end to end

def test_moving_a_student_end_to_end(client, admin, two_versions, count_queries):
    program, maya, theo = two_versions["program"], two_versions["maya"], two_versions["theo"]
    initial, new = two_versions["initial"], two_versions["new"]
    listing = visible_text(client.get(f"/admin/programs/{program.id}"))
    assert f"{NAME} newest in Current term or later 1" in listing and "Initial from the beginning 1" in listing
    choose = client.get(f"/admin/programs/{program.id}/versions/move?current={initial.id}")
    assert choose.status_code == 200
    page = visible_text(choose)
    assert "Maya Chen" in page and "Theo Park" not in page                # filtered by current version
    before = {name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
              for name, table in (("history", HistoryEvent), ("enrollment", Enrollment))}

    with count_queries() as q:
        preview = client.post_form(f"/admin/programs/{program.id}/versions/move?current={initial.id}",
                                   {"students": [maya.id], "target": new.id})
    assert preview.status_code == 200
    assert not [s for s in q.statements if s.lstrip().upper().startswith(("UPDATE", "DELETE"))]
    page = visible_text(preview)
    assert f"Preview: move 1 student to Catalog {NAME}" in page
    # Her audit now (4 core courses, 12 credits) and under 2026–27 (core of 3, MPT 601 worth 4 credits).
    now = audit_service.audit_student(maya.id)
    then = audit_service.rerun(now, version=new)
    assert then.result.block("core").title == "Core seminar" and then.result.total_credits_done == 13
    assert f"{now.result.overall_percent}% overall · Catalog Initial" in page
    assert f"{then.result.overall_percent}% overall · Catalog {NAME}" in page
    assert "Complete: Core courses" in page and "Complete: Core seminar" in page
    assert enrollment_of(maya).catalog_version_id == initial.id          # nothing moved yet

    confirm = re.search(r'name="students" type="hidden" value="([^"]*)"', page_html(preview)).group(1)
    response = client.post_form(f"/admin/programs/{program.id}/versions/move/apply",
                                {"students": confirm, "target": new.id})
    assert response.status_code == 302
    assert f"Moved 1 student to Catalog {NAME}" in visible_text(client.get(response.headers["Location"]))
    assert enrollment_of(maya).catalog_version_id == new.id
    [event] = db.session.scalars(sa.select(HistoryEvent).where(HistoryEvent.action == "enrollment.catalog_moved"))
    assert (event.subject_id, event.actor_id) == (maya.id, admin.id)
    assert event.changes["catalog_version"] == ["Initial", NAME]
    assert event.summary == f"Moved {maya.email} from Catalog Initial to Catalog {NAME}"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HistoryEvent)) == before["history"] + 1

    # The audit follows the new version: on her page, and in the student's own view.
    after = audit_service.audit_student(maya.id)
    assert after.result == then.result and after.version.name == NAME
    assert f"Catalog {NAME}" in visible_text(client.get(f"/progress/students/{maya.id}"))
    history = visible_text(client.get(f"/admin/history?subject={maya.id}"))
    assert f"Moved {maya.email} from Catalog Initial to Catalog {NAME}" in history
    # Moving back is the same operation.
    client.post_form(f"/admin/programs/{program.id}/versions/move/apply",
                     {"students": str(maya.id), "target": initial.id})
    db.session.expire_all()
    assert audit_service.audit_student(maya.id).result == two_versions["maya_before"]
    assert audit_service.audit_student(theo.id).version.name == NAME


def test_moving_many_students_at_once(client, admin, two_versions, make_student, terms):
    program, initial, new = two_versions["program"], two_versions["initial"], two_versions["new"]
    others = [make_student(start_term=terms.first, name=f"Student {i}") for i in range(3)]
    for s in others:
        enrollment = enrollment_of(s)
        enrollment.catalog_version_id = initial.id
    db.session.commit()
    preview = client.post_form(f"/admin/programs/{program.id}/versions/move?current={initial.id}",
                               {"everyone": "y", "target": new.id})
    page = visible_text(preview)
    assert "Preview: move 4 students" in page and all(s.display_name in page for s in others)
    ids = re.search(r'name="students" type="hidden" value="([^"]*)"', page_html(preview)).group(1)
    client.post_form(f"/admin/programs/{program.id}/versions/move/apply", {"students": ids, "target": new.id})
    assert catalog_versions.students_by_version(program.id) == {new.id: 5}
    assert db.session.scalar(sa.select(sa.func.count()).where(HistoryEvent.action == "enrollment.catalog_moved")) == 4


def test_a_student_who_cannot_move_stops_the_whole_move(client, admin, demo_program, terms, make_student):
    portfolio = DEMO.replace('[[tracks]]\ncode = "non_thesis"\nlabel = "Non-thesis"\n', "")
    portfolio = re.sub(r'\[\[milestones\]\]\ncode = "(capstone|comprehensive_exam)"\n(?:.+\n)+?\n', "", portfolio)
    portfolio = re.sub(r'\[\[requirements\]\]\nkey = "(capstone|additional-electives|non-thesis-milestones)"\n'
                       r'(?:.+\n)+?\n', "", portfolio)
    thesis = make_student(track="thesis", name="Ana Thesis")
    other = make_student(track="non_thesis", name="Ben Capstone")
    load_new_version(demo_program, terms.current, portfolio)
    initial, new = versions_of(demo_program.id)
    preview = client.post_form(f"/admin/programs/{demo_program.id}/versions/move",
                               {"students": [thesis.id, other.id], "target": new.id})
    page = visible_text(preview)
    assert f"Catalog {NAME} has no Non-thesis track, which Ben Capstone follows." in page
    assert "cannot be moved, so nobody will be" in page and "Move these students" not in page
    # Forcing the apply moves nobody, not even the student who could move.
    response = client.post_form(f"/admin/programs/{demo_program.id}/versions/move/apply",
                                {"students": f"{thesis.id},{other.id}", "target": new.id})
    assert response.status_code == 302
    assert "Nobody was moved" in visible_text(client.get(response.headers["Location"]))
    assert {enrollment_of(s).catalog_version_id for s in (thesis, other)} == {initial.id}
    assert db.session.scalar(sa.select(sa.func.count()).where(HistoryEvent.action == "enrollment.catalog_moved")) == 0


def test_move_refusals(client, admin, two_versions, make_program, make_student):
    program, maya, new = two_versions["program"], two_versions["maya"], two_versions["new"]
    url = f"/admin/programs/{program.id}/versions/move"
    nobody = client.post_form(url, {"target": new.id})
    assert nobody.status_code == 200 and "Choose at least one student." in page_html(nobody)
    no_target = client.post_form(url, {"students": [maya.id]})
    assert "Choose the catalog version to move them to." in page_html(no_target)
    assert re.search(r'value="%d"[^>]*checked|checked[^>]*value="%d"' % (maya.id, maya.id), page_html(no_target))
    stranger = make_student(program=make_program(), name="Elsewhere")
    other_program = client.post_form(url, {"students": [stranger.id], "target": new.id})
    assert other_program.status_code == 200 and "Choose students of this program only." in page_html(other_program)
    already = client.post_form(url, {"students": [two_versions["theo"].id], "target": new.id})
    assert f"Theo Park already follows Catalog {NAME}." in visible_text(already)
    assert client.post_form(url, {"students": ["x1"], "target": new.id}).status_code == 400
    assert client.post_form(url, {"students": [str(2**70)], "target": new.id}).status_code == 400
    apply_url = f"{url}/apply"
    assert client.post_form(apply_url, {"students": "1,,x", "target": new.id}).status_code == 400
    assert client.post_form(apply_url, {"students": f"{stranger.id}", "target": new.id}).status_code == 302
    assert enrollment_of(stranger).catalog_version.program_id != program.id
    wrong_target = client.post_form(apply_url, {"students": str(maya.id), "target": "999999"})
    assert wrong_target.status_code == 302 and enrollment_of(maya).catalog_version.name == "Initial"
    assert client.get(apply_url).status_code == 405
    assert client.post(apply_url, data={"students": str(maya.id), "target": new.id}).status_code == 400  # no CSRF
    assert client.get("/admin/programs/999999/versions/move").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).where(HistoryEvent.action == "enrollment.catalog_moved")) == 0


@pytest.mark.parametrize("role", ["student", "faculty"])
def test_only_admins_move_students(client, login_as, two_versions, role):
    login_as(role)
    program, maya, new = two_versions["program"], two_versions["maya"], two_versions["new"]
    assert client.get(f"/admin/programs/{program.id}/versions/move").status_code == 403
    response = client.post_form(f"/admin/programs/{program.id}/versions/move/apply",
                                {"students": str(maya.id), "target": new.id})
    assert response.status_code == 403 and enrollment_of(maya).catalog_version.name == "Initial"


# ---------------------------------------------------------------- what the student and advisor see

def test_the_progress_page_names_the_version_and_keeps_its_query_count(app, two_versions, count_queries):
    counts = {}
    for key in ("maya", "theo"):
        browser = app.test_client()
        browser.login(two_versions[key].email)
        with count_queries() as q:
            response = browser.get("/progress")
        counts[key] = q.count
        assert response.status_code == 200
    assert counts["maya"] == counts["theo"] <= 5
    browser = app.test_client()
    browser.login(two_versions["maya"].email)
    assert "Catalog Initial" in visible_text(browser.get("/progress"))
    advisor = app.test_client()
    advisor.login(two_versions["advisor"].email)
    assert f"Catalog {NAME}" in visible_text(advisor.get(f"/progress/students/{two_versions['theo'].id}"))


def test_what_if_under_the_newest_catalog(app, two_versions, count_queries):
    browser = app.test_client()
    browser.login(two_versions["maya"].email)
    form = visible_text(browser.get("/progress/what-if"))
    assert f"Under the newest catalog ({NAME})" in form and "Current catalog (Initial)" in form
    with count_queries() as q:
        response = browser.get("/progress/what-if?concentration=production&track=thesis&catalog=newest")
    assert not [s for s in q.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    page = visible_text(response)
    assert f"What if: Production, Thesis, Catalog {NAME}" in page and "Now: Production, Thesis, Catalog Initial" in page
    assert "4 of 4 courses" in page and "3 of 3 courses" in page    # her core now, and under 2026–27
    assert enrollment_of(two_versions["maya"]).catalog_version.name == "Initial"
    # A student already on the newest catalog is not offered it.
    theo = app.test_client()
    theo.login(two_versions["theo"].email)
    assert "Under the newest catalog" not in visible_text(theo.get("/progress/what-if"))
    refused = theo.get("/progress/what-if?concentration=production&track=thesis&catalog=newest")
    assert refused.status_code == 200 and "Not a valid choice" in page_html(refused)


def test_the_cohort_report_and_csv_name_each_students_version(client, admin, two_versions):
    page = page_html(client.get(f"/reports/cohort?program={two_versions['program'].id}"))
    assert "<th scope=\"col\">Catalog</th>" in page
    # One column per requirement key, titled as the newest version titles it; each cell is the student's own block.
    assert "Core seminar" in page and "Core courses" not in page
    rows = list(csv.reader(io.StringIO(page_html(client.get(
        f"/reports/cohort?format=csv&program={two_versions['program'].id}")).lstrip("\ufeff"))))
    header = rows[0]
    by_name = {r[0]: dict(zip(header, r)) for r in rows[1:]}
    assert header[8] == "Catalog version"
    assert by_name["Maya Chen"]["Catalog version"] == "Initial" and by_name["Theo Park"]["Catalog version"] == NAME
    assert by_name["Maya Chen"]["Core seminar %"] == "100" and by_name["Theo Park"]["Core seminar %"] == "33"


def test_exceptions_offer_the_students_own_versions_requirements(client, admin, two_versions):
    from tracker.services.audit_exceptions import requirement_choices

    maya, theo = enrollment_of(two_versions["maya"]), enrollment_of(two_versions["theo"])
    assert "Core courses" in [c.title for c in requirement_choices(maya)]
    assert "Core seminar" in [c.title for c in requirement_choices(theo)]
    core = next(c for c in requirement_choices(theo) if c.key == "core")
    assert core.full_amount == 3


# ---------------------------------------------------------------- the demo's audits

def test_the_demos_audits_are_unchanged():
    """The demo seeded on 15 October 2026 audits exactly as before catalog versions (the figures were taken from
    the app before this change: tests/data/demo_audits_2026-10-15.json)."""
    from tracker import demo

    today = date(2026, 10, 15)
    demo.seed(today=today)
    expected = json.loads((Path(__file__).parent / "data" / "demo_audits_2026-10-15.json").read_text())
    audits = {a.enrollment.student.email: a for a in audit_service.audit_students(today=today).values()}
    assert set(audits) == set(expected)
    for email, audit in audits.items():
        r, want = audit.result, expected[email]
        summary = want["summary"]
        assert (r.overall_percent, r.complete, r.total_credits_done, r.total_credits_in_progress, len(r.unused)) == (
            summary["overall_percent"], summary["complete"], Decimal(summary["credits_done"]),
            Decimal(summary["credits_in_progress"]), summary["unused"]), email
        assert r.gpa == (None if summary["gpa"] is None else Decimal(summary["gpa"])), email
        assert sorted(w.code for w in r.warnings) == summary["warnings"], email
        assert [(b.key, b.status, b.done, b.need, b.percent) for b in r.blocks] == [
            (key, status, Decimal(done), Decimal(need), percent) for key, status, done, need, percent
            in want["blocks"]], email
        assert audit.version.name == "Initial"


def test_rules_are_parsed_once_per_digest(two_versions):
    initial = catalog_versions.program_versions(two_versions["program"].id, with_definitions=True)[0]
    first = catalog_versions.rules_of(initial)
    assert catalog_versions.rules_for(initial.digest, json.dumps(initial.definition)) is first
    assert catalog_versions.digest_of(json.loads(json.dumps(initial.definition))) == initial.digest


def test_the_move_preview_costs_the_same_for_one_student_or_many(client, admin, two_versions, make_student, terms,
                                                                 count_queries):
    program, initial, new_id = two_versions["program"], two_versions["initial"], two_versions["new"].id
    url = f"/admin/programs/{program.id}/versions/move?current={initial.id}"
    client.csrf_token()
    with count_queries() as one:
        assert client.post_form(url, {"everyone": "y", "target": new_id}).status_code == 200
    for i in range(6):
        student = make_student(start_term=terms.first, name=f"Extra {i}")
        add_course(student, "MPT 602", terms.first)
        enrollment_of(student).catalog_version_id = initial.id
        db.session.commit()
    with count_queries() as many:
        page = visible_text(client.post_form(url, {"everyone": "y", "target": new_id}))
    assert "Preview: move 7 students" in page
    assert many.count == one.count


def test_directors_find_how_versions_work_from_the_program_page(client, admin, two_versions):
    page = page_html(client.get(f"/admin/programs/{two_versions['program'].id}"))
    assert 'href="/admin/programs/catalog-versions-help"' in page
    help_page = client.get("/admin/programs/catalog-versions-help")
    assert help_page.status_code == 200
    body = page_html(help_page)
    assert 'id="moving-students"' in body and "Preview the move" in body and "<script" not in body.split(
        'id="catalog-versions-help"')[1].split("</article>")[0]
