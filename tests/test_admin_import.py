"""Importing students from CSV: a dry run that names every bad row, and nothing written while any row is bad."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import Enrollment, HistoryEvent, PasswordResetToken, Role, User
from tracker.services.admin_accounts import plan_import

HEADER = "email,name,concentration,track,start term,advisor\n"


@pytest.fixture
def setup(login_as, make_program, make_term, make_user):
    """An admin, a program, a term called Fall 2030 and two faculty members (one deactivated)."""
    admin = login_as("admin")
    program = make_program()
    make_term("Fall 2030")
    make_user("faculty", email="moreno@example.edu", name="Alicia Moreno")
    make_user("faculty", email="gone@example.edu", active=False)
    make_user("student", email="already@example.edu")
    return program


def upload(client, program, text: str, **kwargs):
    return client.post_form("/admin/users/import", {
        "program_id": program.id, "csv_file": (io.BytesIO(text.encode("utf-8")), "students.csv")},
        content_type="multipart/form-data", **kwargs)


def students() -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)).where(User.role == Role.STUDENT))


GOOD = HEADER + (
    "maya@example.edu,Maya Chen,production,thesis,Fall 2030,moreno@example.edu\n"
    "jonah@example.edu,Jonah Park,Technical,non-thesis,fall 2030,MORENO@example.edu\n"
)


def test_dry_run_of_a_good_file_writes_nothing_and_offers_the_import(client, setup):
    before = students()
    response = upload(client, setup, GOOD)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "All 2 rows are correct" in page and "Import 2 students" in page
    assert "Maya Chen" in page and "Jonah Park" in page
    assert students() == before


def test_apply_creates_students_enrollments_and_links(client, setup):
    before = students()
    response = client.post_form("/admin/users/import/apply", {"program_id": setup.id, "csv_text": GOOD})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "2 students imported" in page
    assert len(re.findall(r"/auth/reset/[A-Za-z0-9_\-]{40,}", page)) == 2
    assert students() == before + 2
    jonah = db.session.scalar(sa.select(User).where(User.email == "jonah@example.edu"))
    assert jonah.password_hash is None
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.student_id == jonah.id))
    assert enrollment.track == "non_thesis" and enrollment.concentration.code == "technical"
    assert enrollment.start_term.name == "Fall 2030" and enrollment.advisor.email == "moreno@example.edu"
    assert db.session.scalar(sa.select(sa.func.count(PasswordResetToken.id))) == 2
    created = db.session.scalars(sa.select(HistoryEvent).where(HistoryEvent.action == "user.created")).all()
    assert len(created) == 2 and all("CSV import" in e.summary for e in created)
    listing = client.get("/admin/users?role=student").get_data(as_text=True)
    assert "Maya Chen" in listing and "Jonah Park" in listing


BAD_ROWS = [
    ("maya@example.edu,Maya,production,thesis,Fall 2030,moreno@example.edu\n"
     "MAYA@example.edu,Maya again,production,thesis,Fall 2030,moreno@example.edu", 3, "email", "appears twice"),
    ("already@example.edu,Old,production,thesis,Fall 2030,moreno@example.edu", 2, "email", "already exists"),
    ("x@example.edu,X,jazz,thesis,Fall 2030,moreno@example.edu", 2, "concentration", "unknown concentration"),
    ("x@example.edu,X,production,thesis,Spring 1999,moreno@example.edu", 2, "start term", "unknown term"),
    ("x@example.edu,X,production,thesis,Fall 2030,nobody@example.edu", 2, "advisor", "no account"),
    ("x@example.edu,X,production,thesis,Fall 2030,gone@example.edu", 2, "advisor", "not an active faculty member"),
    ("x@example.edu,X,production,thesis,Fall 2030,already@example.edu", 2, "advisor", "not an active faculty member"),
    ("x@example.edu,X,production,masters,Fall 2030,moreno@example.edu", 2, "track", "is not a track"),
    ("x@example.edu,,production,thesis,Fall 2030,moreno@example.edu", 2, "name", "missing value"),
    ("x@example.edu,X,production,thesis,Fall 2030", 2, "advisor", "missing value"),
    ("not-an-email,X,production,thesis,Fall 2030,moreno@example.edu", 2, "email", "not a valid email"),
]


@pytest.mark.parametrize("rows, row, column, problem", BAD_ROWS)
def test_each_kind_of_bad_row_is_reported(setup, rows, row, column, problem):
    plan = plan_import(HEADER + rows + "\n", setup)
    assert not plan.ok
    assert any(p.row == row and p.column == column and problem in p.problem for p in plan.problems), plan.problems


def test_one_bad_row_blocks_the_whole_file(client, setup):
    before = students()
    text = GOOD + "bad@example.edu,Bad Row,production,thesis,Never,moreno@example.edu\n"
    page = upload(client, setup, text).get_data(as_text=True)
    assert "1 problem found; nothing was imported." in page
    assert re.search(r"<td>4</td><td>start term</td><td>unknown term", page)
    assert "Import 3" not in page
    response = client.post_form("/admin/users/import/apply", {"program_id": setup.id, "csv_text": text})
    assert response.status_code == 200
    assert "nothing was imported" in response.get_data(as_text=True)
    assert students() == before
    assert db.session.scalar(sa.select(sa.func.count(PasswordResetToken.id))) == 0


def test_every_problem_of_a_row_is_listed(setup):
    plan = plan_import(HEADER + "already@example.edu,,jazz,maybe,Never,nobody@example.edu\n", setup)
    assert {p.column for p in plan.problems} == {"email", "name", "concentration", "track", "start term", "advisor"}


def test_missing_columns_and_empty_files(setup):
    plan = plan_import("email,name\nx@example.edu,X\n", setup)
    assert {p.column for p in plan.problems} == {"concentration", "track", "start term", "advisor"}
    assert all(p.row == 1 for p in plan.problems)
    assert plan_import("", setup).problems[0].column == "file"
    assert "no students" in plan_import(HEADER, setup).problems[0].problem


def test_header_aliases_and_blank_lines(setup):
    text = "E-mail,Full name,Concentration,Track,Start_term,Advisor email\n\nz@example.edu,Z,composition,Thesis,Fall 2030,moreno@example.edu\n"
    plan = plan_import(text, setup)
    assert plan.ok and plan.rows[0].row == 3


def test_a_non_utf8_file_is_refused(client, setup):
    response = client.post_form("/admin/users/import", {
        "program_id": setup.id, "csv_file": (io.BytesIO("é".encode("utf-16")), "students.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert "not UTF-8" in response.get_data(as_text=True)


def test_a_file_is_required(client, setup):
    response = client.post_form("/admin/users/import", {"program_id": setup.id}, content_type="multipart/form-data")
    assert "Choose a CSV file." in response.get_data(as_text=True)


def test_dry_run_costs_the_same_queries_for_any_length(client, setup, count_queries):
    def rows(n: int) -> str:
        return HEADER + "".join(f"s{i}@example.edu,S {i},production,thesis,Fall 2030,moreno@example.edu\n"
                                for i in range(n))

    client.csrf_token()  # fetched once, outside the counts
    setup.id  # loaded outside the counts too
    with count_queries() as small:
        upload(client, setup, rows(3))
    with count_queries() as large:
        page = upload(client, setup, rows(300)).get_data(as_text=True)
    assert "All 300 rows are correct" in page
    assert large.count == small.count
