"""The `flask tracker` commands: create-user, load-program and seed-demo."""
from __future__ import annotations

import sqlalchemy as sa

from tracker.demo import DEMO_PASSWORD, STUDENTS
from tracker.extensions import db
from tracker.models import (
    CatalogVersion,
    Concentration,
    Course,
    CourseRecord,
    Enrollment,
    Ensemble,
    Program,
    Role,
    Studio,
    StudioSession,
    Term,
    User,
)
from tracker.security import verify_password

from .catalog_support import requirement_titles


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_user_prompts_for_a_password(runner):
    result = runner.invoke(args=["tracker", "create-user", "--role", "admin", "--email", "Head@Example.edu",
                                 "--name", "Head of Program"], input="a-long-admin-password\na-long-admin-password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "head@example.edu"))
    assert user.role == Role.ADMIN
    assert verify_password(user.password_hash, "a-long-admin-password")


def test_create_user_refuses_a_short_password_and_a_duplicate(runner, make_user):
    short = runner.invoke(args=["tracker", "create-user", "--email", "x@example.edu", "--name", "X",
                                "--password", "short"])
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    existing = make_user("faculty")
    dup = runner.invoke(args=["tracker", "create-user", "--email", existing.email.upper(), "--name", "Y",
                              "--password", "long-enough-password"])
    assert dup.exit_code != 0 and "already exists" in dup.output


def test_seed_demo_loads_a_realistic_program_and_is_idempotent(runner):
    first = runner.invoke(args=["tracker", "seed-demo"])
    assert first.exit_code == 0, first.output
    counts = {m.__name__: _count(m) for m in (Program, Concentration, Course, CatalogVersion, Term, Studio, Ensemble,
                                              User, Enrollment, CourseRecord, StudioSession)}
    assert counts["Program"] == 1
    assert counts["Concentration"] == 5
    assert 22 <= counts["Course"] <= 32
    assert counts["Term"] == 3 and counts["Studio"] == 4 and counts["Ensemble"] == 3
    roles = dict(db.session.execute(sa.select(User.role, sa.func.count()).group_by(User.role)).all())
    assert roles == {Role.ADMIN: 1, Role.FACULTY: 3, Role.STUDENT: len(STUDENTS)}
    assert counts["CourseRecord"] > 20 and counts["StudioSession"] > 50
    admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN))
    assert verify_password(admin.password_hash, DEMO_PASSWORD)

    second = runner.invoke(args=["tracker", "seed-demo"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert {m.__name__: _count(m) for m in (Program, Concentration, Course, CatalogVersion, Term, Studio, Ensemble,
                                             User, Enrollment, CourseRecord, StudioSession)} == counts


def test_seed_demo_if_empty_leaves_a_database_with_accounts_alone(runner, make_user):
    make_user("admin")
    result = runner.invoke(args=["tracker", "seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "not loaded" in result.output
    assert _count(Program) == 0


def test_seed_demo_refuses_production(app, runner):
    app.config["SEED_DEMO_ALLOWED"] = False
    try:
        result = runner.invoke(args=["tracker", "seed-demo"])
    finally:
        app.config["SEED_DEMO_ALLOWED"] = True
    assert result.exit_code != 0 and "production" in result.output
    assert _count(User) == 0


def test_demo_logins_land_on_their_pages(runner, app):
    runner.invoke(args=["tracker", "seed-demo"])
    for email, landing in [("director@demo.mmtracker.test", "/dashboard/admin"), ("amoreno@demo.mmtracker.test", "/dashboard/faculty"),
                           ("maya@demo.mmtracker.test", "/dashboard/student")]:
        client = app.test_client()
        response = client.login(email, DEMO_PASSWORD)
        assert response.status_code == 302, email
        page = client.get("/", follow_redirects=True)
        assert page.status_code == 200 and page.request.path == landing


def test_load_program_refuses_a_malformed_file_and_loads_nothing(runner, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[program]\ncode = "X"\nname = "Broken"\ntotal_credits = -3\n\n'
                   '[[requirements]]\nkey = "core"\nkind = "nonsense"\ntitle = "Core"\n')
    result = runner.invoke(args=["tracker", "load-program", str(bad)])
    assert result.exit_code == 1
    assert "nothing was loaded" in result.output
    assert "total_credits" in result.output
    assert "requirements[1].kind: unknown kind 'nonsense'" in result.output
    assert _count(Program) == 0


def test_load_program_loads_the_demo_definition(runner):
    result = runner.invoke(args=["tracker", "load-program", "tracker/programs/demo.toml"])
    assert result.exit_code == 0, result.output
    program = db.session.scalar(sa.select(Program))
    assert program.total_credits == 36 and float(program.min_gpa) == 3.0
    assert _count(CatalogVersion) == 1 and len(requirement_titles(program.id)) >= 8
    again = runner.invoke(args=["tracker", "load-program", "tracker/programs/demo.toml"])
    assert again.exit_code == 0 and "no changes" in again.output


def test_demo_records_come_with_their_history(runner):
    """Demo sessions, courses and milestones show who logged, approved or signed them off, as real ones would."""
    from tracker.models import HistoryEvent, SessionStatus

    runner.invoke(args=["tracker", "seed-demo"])
    approved = db.session.scalars(sa.select(StudioSession).where(StudioSession.status == SessionStatus.APPROVED)).all()
    assert approved
    for session in approved[:5]:
        actions = db.session.scalars(sa.select(HistoryEvent.action).where(
            HistoryEvent.entity_type == "studio_session", HistoryEvent.entity_id == session.id)
            .order_by(HistoryEvent.created_at)).all()
        assert actions == ["studio_session.logged", "studio_session.approved"]
    records = _count(CourseRecord)
    added = db.session.scalar(sa.select(sa.func.count(HistoryEvent.id)).where(
        HistoryEvent.action == "course_record.added"))
    assert added == records


def test_load_program_prints_each_problem_and_warning_with_its_line(runner, tmp_path):
    demo = open("tracker/programs/demo.toml", encoding="utf-8").read()
    bad = tmp_path / "bad.toml"
    broken = demo.replace("max_transfer_credits = 6\n", "").replace('title = "Total credits"\ncredits = 36',
                                                                     'title = "Total credits"\ncredits = 30')
    bad.write_text(broken)
    lines = broken.splitlines()
    total_line = lines.index("credits = 30") + 1
    result = runner.invoke(args=["tracker", "load-program", str(bad)])
    assert result.exit_code == 1
    assert (f"  - line {total_line}: requirements[11].credits: asks for 30 credits in all, but program.total_credits "
            f"(line {lines.index('total_credits = 36') + 1}) is 36") in result.output
    assert f"  - warning: line {lines.index('[program]') + 1}: program.max_transfer_credits: not set" in result.output
    assert _count(Program) == 0


def test_load_program_warns_and_loads(runner, tmp_path):
    demo = open("tracker/programs/demo.toml", encoding="utf-8").read()
    quiet = runner.invoke(args=["tracker", "load-program", "tracker/programs/demo.toml"])
    assert quiet.exit_code == 0 and "warning" not in quiet.output
    lenient = tmp_path / "lenient.toml"
    lenient.write_text(demo.replace("max_transfer_credits = 6\n", ""))
    result = runner.invoke(args=["tracker", "load-program", str(lenient)])
    assert result.exit_code == 0, result.output
    assert "1 warning(s)" in result.output
    header = demo.splitlines().index("[program]") + 1
    assert f"  - warning: line {header}: program.max_transfer_credits: not set, so the default of 6" in result.output
    assert "Loaded MM-PROD" in result.output
