"""Migrations: empty -> head -> empty on the test database's engine, and models that match them."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from tracker import create_app
from tracker.extensions import db


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A brand-new empty database of the same kind as the test database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield "sqlite:///" + str(tmp_path / "migrations.sqlite3")
        return
    name = f"tracker_migr_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _tables(app) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_to_head_then_down_to_empty(empty_database_url):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
    assert _tables(app) == set(db.metadata.tables)
    with app.app_context():
        downgrade(revision="base")
    assert _tables(app) == set()
    with app.app_context():
        db.engine.dispose()


def test_models_match_migrations(empty_database_url):
    """The equivalent of `flask db check`: autogenerate finds nothing to add after upgrading to head."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == []


def _execute(app, *statements):
    with app.app_context():
        with db.engine.begin() as conn:
            results = [conn.execute(sa.text(s)) for s in statements]
            return [r.fetchall() if r.returns_rows else None for r in results]


NOW = "'2026-01-01 00:00:00'"
# Rows whose columns have not changed since the first revision the data-migration tests start from.
PROGRAM_ROW = ("INSERT INTO program (id, code, name, degree, total_credits, min_gpa, max_transfer_credits, updated_at) "
               f"VALUES (1, 'MM', 'Music', 'MM', 36, 3, 6, {NOW})")
STUDENT_ROW = ("INSERT INTO \"user\" (id, email, display_name, role, active, session_token, created_at) VALUES "
               f"(1, 's@x.edu', 'S', 'student', true, 't1', {NOW})")
TRANSFER_ROW = ("INSERT INTO audit_exception (id, student_id, kind, transfer_title, institution, transfer_credits, "
                f"justification, created_by_id, created_at) VALUES (1, 1, 'transfer', 'Acoustics', 'Berklee', 3, 'ok', "
                f"1, {NOW})")


def _app_at(database_url: str, revision: str):
    """An app on the empty database, migrated up to `revision` (to seed rows as they were then)."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade(revision=revision)
    return app


def test_vocabulary_migration_keeps_tracks_and_milestones_and_frees_the_columns(empty_database_url):
    """Existing enrollments and sign-offs keep their values; afterwards any declared code fits; down restores."""
    app = _app_at(empty_database_url, "7c1e4b2a9d30")
    _execute(
        app,
        PROGRAM_ROW,
        "INSERT INTO concentration (id, program_id, code, name, active) VALUES (1, 1, 'prod', 'Production', true)",
        "INSERT INTO \"user\" (id, email, display_name, role, active, session_token, created_at) VALUES "
        f"(1, 's@x.edu', 'S', 'student', true, 't1', {NOW}), (2, 'f@x.edu', 'F', 'faculty', true, 't2', {NOW})",
        "INSERT INTO enrollment (id, student_id, program_id, concentration_id, track, status, created_at) "
        f"VALUES (1, 1, 1, 1, 'non_thesis', 'active', {NOW})",
        "INSERT INTO milestone_record (id, student_id, kind, completed_on, note, signed_by_id, signed_at) "
        f"VALUES (1, 1, 'capstone', '2026-01-01', '', 2, {NOW})",
    )
    with app.app_context():
        upgrade()
    (enrollments, records, programs) = _execute(
        app, "SELECT track FROM enrollment", "SELECT kind FROM milestone_record",
        "SELECT tracks, milestone_kinds FROM program")
    assert enrollments == [("non_thesis",)] and records == [("capstone",)]
    with app.app_context():
        from tracker.models import Program
        program = db.session.get(Program, 1)
        assert [t.code for t in program.vocabulary.tracks] == ["thesis", "non_thesis"]
        assert program.vocabulary.milestone_label("capstone") == "Capstone project passed"
        db.session.remove()
    # A program's own codes now fit the columns (no CHECK of the old enums is left).
    _execute(app, "UPDATE enrollment SET track = 'portfolio'", "UPDATE milestone_record SET kind = 'jury'")
    _execute(app, "UPDATE enrollment SET track = 'thesis'", "UPDATE milestone_record SET kind = 'proposal'")
    with app.app_context():
        downgrade(revision="7c1e4b2a9d30")
    assert _execute(app, "SELECT track FROM enrollment")[0] == [("thesis",)]
    with pytest.raises(sa.exc.IntegrityError):
        _execute(app, "UPDATE enrollment SET track = 'portfolio'")
    with app.app_context():
        db.engine.dispose()


def test_catalog_version_migration_turns_each_program_into_one_version_and_down_restores_its_rows(
        empty_database_url):
    """Each program's rows become one "Initial" version every enrollment follows, audited as before; downgrading
    recreates the requirement rows from each program's newest version."""
    import hashlib
    import json

    app = _app_at(empty_database_url, "b4e8d2f61a93")
    core_params = '{"courses": ["MPT 601", "MPT 602"], "min_grade": "B-"}'
    _execute(
        app,
        "INSERT INTO program (id, code, name, degree, total_credits, min_gpa, max_transfer_credits, "
        "definition_source, updated_at) "
        f"VALUES (1, 'MM', 'Music', 'MM', 36, 3, 6, '[program]', {NOW})",
        "INSERT INTO concentration (id, program_id, code, name, active) VALUES (1, 1, 'production', 'Production', "
        "true)",
        "INSERT INTO course (id, program_id, code, title, credits, category, concentration_id, pass_fail, "
        "description, active) VALUES (1, 1, 'MPT 601', 'Record Analysis', 3, 'core', NULL, false, '', true), "
        "(2, 1, 'MPT 602', 'Music Style', 3, 'core', NULL, false, '', true)",
        "INSERT INTO requirement (id, program_id, key, position, kind, title, description, concentrations, track, "
        f"params) VALUES (1, 1, 'core', 0, 'all_courses', 'Core courses', '', '[]', NULL, '{core_params}'), "
        "(2, 1, 'total', 1, 'total_credits', 'Total credits', '', '[]', NULL, '{\"credits\": \"36\"}')",
        STUDENT_ROW,
        "INSERT INTO term (id, name, start_date, end_date, closed) VALUES (1, 'Fall 2025', '2025-08-25', "
        "'2025-12-15', false), (2, 'Fall 2026', '2026-08-24', '2026-12-14', false)",
        "INSERT INTO enrollment (id, student_id, program_id, concentration_id, track, start_term_id, status, "
        f"created_at) VALUES (1, 1, 1, 1, 'thesis', 1, 'active', {NOW})",
        "INSERT INTO course_record (id, student_id, course_id, term_id, status, grade, created_at, updated_at) "
        f"VALUES (1, 1, 1, 1, 'completed', 'A', {NOW}, {NOW})",
    )
    with app.app_context():
        upgrade()
    with app.app_context():
        assert "requirement" not in sa.inspect(db.engine).get_table_names()
        from tracker.models import CatalogVersion, Enrollment
        from tracker.services import audit

        [version] = db.session.scalars(sa.select(CatalogVersion)).all()
        assert (version.name, version.program_id, version.start_term_id, version.source) == (
            "Initial", 1, None, "[program]")
        canonical = json.dumps(version.definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert version.digest == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        assert db.session.get(Enrollment, 1).catalog_version_id == version.id
        result = audit.audit_student(1).result
        assert [b.key for b in result.blocks] == ["core", "total"]
        core = result.block("core")
        assert (core.title, core.need, core.done) == ("Core courses", 2, 1)
        assert result.total_credits_done == 3 and "Music Style" in " ".join(core.still_needed)
        # A newer version, in force from Fall 2026: the downgrade keeps its requirements.
        newer = dict(version.definition, requirements=[dict(version.definition["requirements"][1], title="All")])
        db.session.add(CatalogVersion(program_id=1, name="2026–27", start_term_id=2, definition=newer,
                                      digest="0" * 64, created_at=version.created_at))
        db.session.commit()
        db.session.remove()
    with app.app_context():
        downgrade(revision="b4e8d2f61a93")
    [rows] = _execute(app, "SELECT program_id, key, position, kind, title, track FROM requirement ORDER BY position")
    assert rows == [(1, "total", 0, "total_credits", "All", None)]
    with app.app_context():
        inspector = sa.inspect(db.engine)
        assert "catalog_version" not in inspector.get_table_names()
        assert "catalog_version_id" not in {c["name"] for c in inspector.get_columns("enrollment")}
        db.engine.dispose()
    # And up again: the restored rows become the version.
    with app.app_context():
        upgrade()
        from tracker.models import CatalogVersion

        [version] = db.session.scalars(sa.select(CatalogVersion)).all()
        assert [r["title"] for r in version.definition["requirements"]] == ["All"]
        db.session.remove()
        db.engine.dispose()


def test_variable_credits_migration_keeps_records_and_drops_the_new_columns_on_the_way_down(empty_database_url):
    """Up: existing courses stay fixed-credit, records take the course's credits, transfers have no date; the new
    columns then hold a variable course, a record's own credits and a transfer's date. Down: the rows stay."""
    app = _app_at(empty_database_url, "b4e8d2f61a93")
    _execute(
        app,
        PROGRAM_ROW,
        "INSERT INTO course (id, program_id, code, title, credits, category, pass_fail, description, active) "
        "VALUES (1, 1, 'MUS 6950', 'Topics in Audio', 1, 'elective', false, '', true)",
        STUDENT_ROW,
        "INSERT INTO term (id, name, start_date, end_date, closed) VALUES (1, 'Fall', '2026-09-01', '2026-12-15', "
        "false)",
        "INSERT INTO course_record (id, student_id, course_id, term_id, status, created_at, updated_at) "
        f"VALUES (1, 1, 1, 1, 'planned', {NOW}, {NOW})",
        TRANSFER_ROW,
    )
    with app.app_context():
        upgrade()
    (courses, records, transfers) = _execute(
        app, "SELECT max_credits FROM course", "SELECT credits FROM course_record",
        "SELECT earned_on FROM audit_exception")
    assert courses == [(None,)] and records == [(None,)] and transfers == [(None,)]
    _execute(app, "UPDATE course SET max_credits = 3", "UPDATE course_record SET credits = 2.5",
             "UPDATE audit_exception SET earned_on = '2024-05-12'")
    (courses, records, transfers) = _execute(
        app, "SELECT max_credits FROM course", "SELECT credits FROM course_record",
        "SELECT earned_on FROM audit_exception")
    assert Decimal(courses[0][0]) == 3 and Decimal(records[0][0]) == Decimal("2.5")
    assert str(transfers[0][0]) == "2024-05-12"
    with app.app_context():
        downgrade(revision="b4e8d2f61a93")
    with app.app_context():
        columns = {t: {c["name"] for c in sa.inspect(db.engine).get_columns(t)}
                   for t in ("course", "course_record", "audit_exception")}
        db.engine.dispose()
    assert "max_credits" not in columns["course"] and "credits" not in columns["course_record"]
    assert "earned_on" not in columns["audit_exception"]
    assert _execute(app, "SELECT code FROM course", "SELECT status FROM course_record",
                    "SELECT transfer_title FROM audit_exception") == [[("MUS 6950",)], [("planned",)],
                                                                      [("Acoustics",)]]
    with app.app_context():
        db.engine.dispose()


def test_transfer_grade_migration_adds_an_empty_grade_and_keeps_the_credit_on_the_way_down(empty_database_url):
    """Up: transfer credit recorded before has no grade (it keeps counting); the column then holds one. Down: the
    credit stays, without its grade."""
    app = _app_at(empty_database_url, "d7a3c9e15b02")
    _execute(
        app,
        STUDENT_ROW,
        TRANSFER_ROW,
    )
    with app.app_context():
        upgrade(revision="e2c6f4a8b1d3")
    assert _execute(app, "SELECT transfer_grade FROM audit_exception") == [[(None,)]]
    _execute(app, "UPDATE audit_exception SET transfer_grade = 'B+'")
    assert _execute(app, "SELECT transfer_grade FROM audit_exception") == [[("B+",)]]
    with app.app_context():
        downgrade(revision="d7a3c9e15b02")
    with app.app_context():
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("audit_exception")}
        db.engine.dispose()
    assert "transfer_grade" not in columns
    assert _execute(app, "SELECT transfer_title FROM audit_exception") == [[("Acoustics",)]]
    with app.app_context():
        db.engine.dispose()


def _stamp_triggers(app) -> set[str]:
    """The audit-stamp trigger names on studio_session (the studio-life migration copies that table on SQLite)."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            query = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = 'studio_session'::regclass")
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'studio_session'"
        with db.engine.connect() as conn:
            names = {row[0] for row in conn.execute(sa.text(query))}
        db.engine.dispose()
    return names


def test_studio_life_migration_keeps_sessions_and_their_audit_stamps_both_ways(empty_database_url):
    """Up: a session logged before is confirmed and in no group, studios get default booking limits, the program no
    quota; a session written afterwards still changes the student's audit stamp. Down: the session stays and the
    triggers are back."""
    app = _app_at(empty_database_url, "f3b9a1c7d2e4")
    triggers_before = _stamp_triggers(app)
    _execute(
        app,
        PROGRAM_ROW,
        STUDENT_ROW,
        "INSERT INTO term (id, name, start_date, end_date, closed) VALUES (1, 'Fall', '2026-09-01', '2026-12-15', "
        "false)",
        "INSERT INTO studio (id, name, location, active) VALUES (1, 'Studio A', '', true)",
        "INSERT INTO studio_session (id, student_id, studio_id, term_id, date, start_time, end_time, minutes, "
        "activity, project, role, supervisor_id, notes, status, review_note, submitted_at, created_at, updated_at, "
        f"version) VALUES (1, 1, 1, 1, '2026-10-01', '10:00:00', '12:00:00', 120, 'mixing', 'EP', 'engineer', 1, '', "
        f"'pending', '', {NOW}, {NOW}, {NOW}, 1)",
    )
    with app.app_context():
        upgrade(revision="d7c51544d8f0")
    assert _execute(app, "SELECT confirmation, group_id FROM studio_session",
                    "SELECT max_booking_minutes, booking_weeks_ahead FROM studio",
                    "SELECT booking_weekly_quota_minutes, reconciliation_tolerance_minutes, late_cancellation_hours "
                    "FROM program") == [[("confirmed", None)], [(240, 4)], [(None, 15, 24)]]
    assert _stamp_triggers(app) == triggers_before
    (before,) = _execute(app, "SELECT token FROM audit_stamp WHERE student_id = 1")
    _execute(app, "UPDATE studio_session SET notes = 'edited' WHERE id = 1")
    (after,) = _execute(app, "SELECT token FROM audit_stamp WHERE student_id = 1")
    assert after != before
    with app.app_context():
        downgrade(revision="f3b9a1c7d2e4")
    assert _stamp_triggers(app) == triggers_before
    assert _execute(app, "SELECT project, notes FROM studio_session") == [[("EP", "edited")]]
    with app.app_context():
        db.engine.dispose()


def test_mail_migration_adds_the_outbox_and_preferences_and_down_removes_only_them(empty_database_url):
    """Up: the two tables appear, existing accounts stay, and a message and a preference can be stored; the status
    and kind columns refuse unknown values. Down: both tables go, the account stays."""
    app = _app_at(empty_database_url, "89afc694247d")
    _execute(app, STUDENT_ROW)
    with app.app_context():
        upgrade(revision="2430514b56c9")
    _execute(
        app,
        "INSERT INTO outbox_message (recipient_id, kind, subject, body_text, status, attempts, next_attempt_at, "
        f"last_error, created_at) VALUES (1, 'session_reviewed', 'Hi', 'Text', 'queued', 0, {NOW}, '', {NOW})",
        f"INSERT INTO mail_preference (user_id, kind, mode, updated_at) VALUES (1, 'sessions_waiting', 'off', {NOW})",
    )
    assert _execute(app, "SELECT status, attempts FROM outbox_message", "SELECT kind, mode FROM mail_preference") \
        == [[("queued", 0)], [("sessions_waiting", "off")]]
    with pytest.raises(sa.exc.IntegrityError):
        _execute(app, "INSERT INTO outbox_message (recipient_id, kind, subject, body_text, status, attempts, "
                      f"next_attempt_at, last_error, created_at) VALUES (1, 'session_reviewed', 'Hi', 'Text', "
                      f"'lost', 0, {NOW}, '', {NOW})")
    with pytest.raises(sa.exc.IntegrityError):  # one choice per user and kind
        _execute(app, "INSERT INTO mail_preference (user_id, kind, mode, updated_at) VALUES "
                      f"(1, 'sessions_waiting', 'daily', {NOW})")
    with app.app_context():
        downgrade(revision="89afc694247d")
    assert {"outbox_message", "mail_preference"}.isdisjoint(_tables(app))
    assert _execute(app, 'SELECT email FROM "user"') == [[("s@x.edu",)]]
    with app.app_context():
        db.engine.dispose()


def test_api_token_migration_adds_the_table_and_down_drops_it_keeping_the_users(empty_database_url):
    """Up: the table of personal access tokens, one secret hash once only; down: gone, the accounts stay."""
    app = _app_at(empty_database_url, "2430514b56c9")
    _execute(app, STUDENT_ROW)
    with app.app_context():
        upgrade(revision="3a3ae9d03824")
    _execute(app, "INSERT INTO api_token (id, user_id, name, token_hash, prefix, scopes, created_at, expires_at) "
                  f"VALUES (1, 1, 'Sync', '{'a' * 64}', 'mtt_abcdef', 'read write', {NOW}, {NOW})")
    with pytest.raises(sa.exc.IntegrityError):
        _execute(app, "INSERT INTO api_token (id, user_id, name, token_hash, prefix, scopes, created_at, expires_at) "
                      f"VALUES (2, 1, 'Copy', '{'a' * 64}', 'mtt_abcdef', 'read', {NOW}, {NOW})")
    assert _execute(app, "SELECT name, scopes FROM api_token") == [[("Sync", "read write")]]
    with app.app_context():
        downgrade(revision="2430514b56c9")
    with app.app_context():
        assert "api_token" not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
    assert _execute(app, "SELECT email FROM \"user\"") == [[("s@x.edu",)]]
    with app.app_context():
        db.engine.dispose()
