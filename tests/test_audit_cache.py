"""The cached degree audit is never stale: after any write an audit depends on, the next view shows it.

Two app instances share the database as two gunicorn processes (or hosts) would: this test's app writes, the
second app (its own cache) reads. For each kind of write the reader's warm page must equal the page computed cold,
and differ from what it showed before (so the write was visible at all).
"""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker import create_app
from tracker.extensions import db
from tracker.models import (
    AuditException,
    CatalogVersion,
    Concentration,
    Course,
    CourseRecord,
    Enrollment,
    ExceptionKind,
    SessionStatus,
    StudioSession,
    Term,
    User,
)
from tracker.models.audit_stamps import trigger_names
from tracker.services import audit as audit_service
from tracker.services import audit_cache

from .fixtures.app import TrackerClient
from .progress_support import add_course, add_ensemble, add_exception, add_sessions, sign

CSRF_VALUE = re.compile(r'name="csrf_token"[^>]*value="[^"]*"')


@pytest.fixture
def reader_app(database_url):
    """A second app on the same database, with its own audit cache: another process."""
    other = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    other.test_client_class = TrackerClient
    yield other
    with other.app_context():
        db.engine.dispose()


@pytest.fixture
def cast(demo_program, terms, make_user, make_student):
    advisor = make_user("faculty", name="Prof. Ada Reyes")
    student = make_student(concentration="production", track="thesis", advisor=advisor, start_term=terms.first)
    add_course(student, "MPT 601", terms.first, grade="A")
    add_course(student, "MPT 602", terms.first, grade="B")
    add_course(student, "MPT 611", terms.second, grade="A")  # a production course: counts only in production
    add_ensemble(student, terms.first)
    add_sessions(student, advisor, terms.current, count=2, hours=4, status="pending")
    return {"student": student, "advisor": advisor, "terms": terms}


def _reader(reader_app, student):
    client = reader_app.test_client()
    assert client.login(student.email).status_code == 302
    return client


def _page(client) -> str:
    """The student's progress page, without its CSRF tokens (signed with the time, so they change by the second)."""
    response = client.get("/progress")
    assert response.status_code == 200
    return CSRF_VALUE.sub('name="csrf_token" value=""', response.get_data(as_text=True))


def _student_row(model, student):
    return db.session.scalar(sa.select(model).where(model.student_id == student.id).order_by(model.id))


def _course(code):
    return db.session.scalar(sa.select(Course).where(Course.code == code))


# Each write: what a user (student, advisor, admin) or the system does that an audit depends on.
def add_a_course(c):
    add_course(c["student"], "MPT 603", c["terms"].second, grade="A")


def change_a_grade(c):
    _student_row(CourseRecord, c["student"]).grade = "C"


def delete_a_course(c):
    db.session.delete(_student_row(CourseRecord, c["student"]))


def add_an_ensemble(c):
    add_ensemble(c["student"], c["terms"].second)


def approve_a_session(c):
    _student_row(StudioSession, c["student"]).status = SessionStatus.APPROVED


def decide_by_bulk_update(c):
    """A bulk UPDATE, as the review queue's bulk approval sends: no ORM object is loaded or flushed."""
    db.session.execute(sa.update(StudioSession).where(StudioSession.student_id == c["student"].id)
                       .values(status=SessionStatus.APPROVED))


def record_a_waiver(c):
    add_exception(c["student"], c["advisor"], "waiver", requirement_key="studio_hours")


def revoke_an_exception(c):
    add_exception(c["student"], c["advisor"], "waiver", requirement_key="studio_hours")
    db.session.commit()
    return lambda: setattr(_student_row(AuditException, c["student"]), "revoked_at", db.func.now())


def sign_a_milestone(c):
    sign(c["student"], "proposal", date.today() - timedelta(days=3), c["advisor"])


def change_the_concentration(c):
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.student_id == c["student"].id))
    enrollment.concentration_id = db.session.scalar(sa.select(Concentration.id).where(
        Concentration.code == "technical", Concentration.program_id == enrollment.program_id))


def rename_a_catalog_course(c):
    _course("MPT 603").title = "Immersive Audio Production"


def rename_a_term(c):
    db.session.get(Term, c["terms"].first.id).name = "Fall of the first year"


def rename_the_advisor(c):
    """The signer's name on a milestone comes with the audit's records."""
    sign(c["student"], "proposal", date.today() - timedelta(days=3), c["advisor"])
    return lambda: setattr(db.session.get(User, c["advisor"].id), "display_name", "Prof. Ada Reyes-Okafor")


def change_the_catalog_version(c):
    """A definition edited in place (its digest changes): the program's rules for everyone on it."""
    version = db.session.scalar(sa.select(CatalogVersion).order_by(CatalogVersion.id))
    version.definition = json.loads(json.dumps(version.definition).replace('"Core courses"', '"Core seminar"'))
    version.digest = "0" * 64


WRITES = [add_a_course, change_a_grade, delete_a_course, add_an_ensemble, approve_a_session, decide_by_bulk_update,
          record_a_waiver, revoke_an_exception, sign_a_milestone, change_the_concentration, rename_a_catalog_course,
          rename_a_term, rename_the_advisor, change_the_catalog_version]


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__)
def test_the_next_view_in_another_process_shows_each_write(reader_app, cast, write):
    reader = _reader(reader_app, cast["student"])
    setup = write(cast) if write in (revoke_an_exception, rename_the_advisor) else None
    before = _page(reader)
    assert _page(reader) == before  # warm: the second view is served from the reader's cache
    cache = reader_app.extensions["audit_cache"]
    assert cache.hits >= 1
    (setup or (lambda: write(cast)))()
    db.session.commit()
    after = _page(reader)
    cache.clear()
    assert after == _page(reader), "the reader served a stale audit"
    assert after != before, "the write should change the page"


def test_the_date_is_part_of_the_key(cast):
    enrollment = audit_service.load_enrollment(cast["student"].id)
    today = date.today()
    first = audit_service.audit_enrollment(enrollment, today=today)
    assert audit_service.audit_enrollment(enrollment, today=today).result is first.result
    later = audit_service.audit_enrollment(enrollment, today=today + timedelta(days=400))
    assert later.result is not first.result and later.today == today + timedelta(days=400)


def test_a_cache_hit_skips_the_records_query(client, cast, count_queries):
    client.login(cast["student"].email)
    client.get("/progress")
    with count_queries() as warm:
        client.get("/progress")
    audit_cache.current_cache().clear()
    with count_queries() as cold:
        client.get("/progress")
    assert warm.count == cold.count - 1


def test_the_stamp_triggers_exist_at_the_migrations_head_and_in_create_all(app):
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        rows = db.session.execute(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
    else:
        rows = db.session.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    assert set(trigger_names(dialect)) <= {r[0] for r in rows}


@pytest.mark.parametrize("write", [change_a_grade, change_the_concentration, rename_a_term],
                         ids=lambda w: w.__name__)
def test_the_cohort_report_in_another_process_shows_each_write(reader_app, cast, make_user, write):
    """The cohort CSV lists every student from cached summaries: a write shows at once there too."""
    admin = _reader(reader_app, make_user("admin"))

    def csv_text():
        response = admin.get("/reports/cohort?format=csv")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    before = csv_text()
    assert csv_text() == before and reader_app.extensions["audit_summaries"].hits >= 1
    write(cast)
    db.session.commit()
    after = csv_text()
    reader_app.extensions["audit_summaries"].clear()
    reader_app.extensions["audit_cache"].clear()
    assert after == csv_text(), "the cohort report served a stale summary"
    assert after != before


def test_list_pages_keep_summaries_not_full_audits(reader_app, cast, make_user):
    admin = _reader(reader_app, make_user("admin"))
    assert admin.get("/reports/cohort?format=csv").status_code == 200
    assert len(reader_app.extensions["audit_summaries"]._entries) == 1
    assert len(reader_app.extensions["audit_cache"]._entries) == 0
