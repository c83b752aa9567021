"""The registrar feed (/api/v1/registrar/...): the student-information system sends enrollments and course records
in batches keyed by its own ids and reads them back; an administrator's admin-scope token only. A batch is all or
nothing, every bad row is named at once, the same batch twice changes nothing, and a dry run writes nothing."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import (AuditException, CourseRecord, Enrollment, EnrollmentStatus, ExceptionKind, HistoryEvent,
                            Role, User)
from tracker.services import audit as audit_service
from tracker.services import registrar

from .api_support import bearer, token
from .db_support import at_once

URL = "/api/v1/registrar"


def _bearer(user, scopes=("read", "write", "admin")) -> dict:
    return bearer(token(user, scopes)[1])


@pytest.fixture
def feed(client, make_user, make_program, make_term):
    """An administrator's token and what rows refer to: a program, an advisor, two terms."""
    admin = make_user("admin")
    program = make_program(code="MMUS")
    advisor = make_user("faculty", email="reyes@school.edu", name="Prof. Reyes")
    fall, spring = make_term(name="Fall 2026"), make_term(name="Spring 2027")
    headers = _bearer(admin)

    class Feed:
        def send(self, kind: str, rows: list[dict], dry_run: bool = False):
            return self.post(kind, {"rows": rows, "dry_run": dry_run})

        def post(self, kind: str, body):
            return client.post(f"{URL}/{kind}", json=body, headers=headers)

        def read(self, kind: str, query: str = ""):
            return client.get(f"{URL}/{kind}{query}", headers=headers)

    feed = Feed()
    feed.admin, feed.program, feed.advisor, feed.fall, feed.spring = admin, program, advisor, fall, spring
    return feed


def _enrollment(n: int = 1, **overrides) -> dict:
    row = {"external_id": f"E-{n}", "email": f"student{n}@school.edu", "display_name": f"Student {n}",
           "program": "MMUS", "concentration": "production", "track": "thesis", "start_term": "Fall 2026",
           "advisor_email": "reyes@school.edu"}
    return row | overrides


def _outcomes(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [row["outcome"] for row in response.get_json()["rows"]]


def _errors(response) -> list[tuple[str, str, str]]:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return [(e["field"], e["pointer"], e["detail"]) for e in response.get_json()["errors"]]


def _details(errors) -> dict[str, str]:
    """Each refused field's message."""
    return {field: detail for field, _, detail in errors}


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ---------------------------------------------------------------- enrollments

def test_new_enrollments_make_password_less_student_accounts_and_the_same_batch_again_changes_nothing(feed):
    rows = [_enrollment(1), _enrollment(2, track="non_thesis", status="on_leave")]
    first = feed.send("enrollments", rows)
    assert _outcomes(first) == ["created", "created"]
    assert first.get_json()["created"] == 2
    student = db.session.scalar(sa.select(User).where(User.email == "student2@school.edu"))
    assert student.role == Role.STUDENT and student.password_hash is None and student.display_name == "Student 2"
    enrollment = student.enrollment
    assert (enrollment.external_id, enrollment.track, enrollment.status, enrollment.advisor_id,
            enrollment.start_term_id) == ("E-2", "non_thesis", EnrollmentStatus.ON_LEAVE, feed.advisor.id,
                                          feed.fall.id)
    assert enrollment.catalog_version_id is not None  # the catalog in force at the start term, as for any enrollment
    events = db.session.scalars(sa.select(HistoryEvent.action).where(HistoryEvent.subject_id == student.id)).all()
    assert sorted(events) == ["enrollment.imported", "user.created"]
    again = feed.send("enrollments", rows)
    assert _outcomes(again) == ["unchanged", "unchanged"]
    assert _count(User) == 4 and _count(Enrollment) == 2
    batches = db.session.scalars(sa.select(HistoryEvent.summary).where(
        HistoryEvent.action == "registrar.enrollment_imported").order_by(HistoryEvent.id)).all()
    assert batches == ["Registrar feed: enrollments, 2 created, 0 updated, 0 unchanged",
                       "Registrar feed: enrollments, 0 created, 0 updated, 2 unchanged"]


def test_a_changed_row_updates_the_enrollment_and_says_what_changed(feed, make_user):
    feed.send("enrollments", [_enrollment(1)])
    make_user("faculty", email="kim@school.edu")
    response = feed.send("enrollments", [_enrollment(1, advisor_email="KIM@school.edu", status="graduated",
                                                     display_name="Student One")])
    [row] = response.get_json()["rows"]
    assert row["outcome"] == "updated"
    assert row["changes"] == {"advisor": ["reyes@school.edu", "kim@school.edu"], "status": ["active", "graduated"],
                              "display_name": ["Student 1", "Student One"]}
    student = db.session.scalar(sa.select(User).where(User.email == "student1@school.edu"))
    assert student.display_name == "Student One" and student.enrollment.status == EnrollmentStatus.GRADUATED
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "enrollment.imported")
                              .order_by(HistoryEvent.id.desc()))
    assert event.actor_id == feed.admin.id and event.changes["status"] == ["active", "graduated"]


def test_an_enrollment_made_in_the_tracker_is_adopted_by_its_students_email(feed, make_student):
    student = make_student(program=feed.program, advisor=feed.advisor, email="maya@school.edu")
    response = feed.send("enrollments", [_enrollment(7, email="maya@school.edu", display_name=student.display_name,
                                                     start_term="Fall 2026")])
    [row] = response.get_json()["rows"]
    assert row["outcome"] == "updated" and row["id"] == student.enrollment.id
    assert row["changes"]["external_id"] == [None, "E-7"]
    assert _count(Enrollment) == 1


def test_every_bad_enrollment_row_is_named_at_once_and_nothing_is_written(feed, make_user, make_student):
    make_user("faculty", email="prof@school.edu")
    make_student(program=feed.program, advisor=feed.advisor, email="taken@school.edu")
    feed.send("enrollments", [_enrollment(9, email="nine@school.edu")])
    users_before, events_before = _count(User), _count(HistoryEvent)
    rows = [
        _enrollment(1),  # fine on its own
        _enrollment(2, program="NOPE"),
        _enrollment(3, concentration="jazz", track="double"),
        _enrollment(4, start_term="Summer 1999", advisor_email="nobody@school.edu"),
        _enrollment(5, email="prof@school.edu"),
        _enrollment(9, email="someone-else@school.edu"),  # E-9 is nine@'s enrollment
        _enrollment(1, email="other@school.edu"),  # the same external id twice in one batch
        _enrollment(6, email="student1@school.edu"),  # the same student twice
        _enrollment(8, display_name="   "),
    ]
    errors = _errors(feed.send("enrollments", rows))
    fields = [field for field, _, _ in errors]
    assert fields == ["rows.1.program", "rows.2.concentration", "rows.2.track", "rows.3.start_term",
                      "rows.3.advisor_email", "rows.4.email", "rows.5.email", "rows.6.external_id",
                      "rows.7.email", "rows.8.display_name"]
    details = _details(errors)
    assert "No program has the code “NOPE”" in details["rows.1.program"]
    assert "MMUS has no concentration with the code “jazz”" in details["rows.2.concentration"]
    assert "not an active faculty member" in details["rows.3.advisor_email"]
    assert "faculty account" in details["rows.4.email"]
    assert "enrollment of nine@school.edu" in details["rows.5.email"]
    assert "Row 0 of this batch (counting from 0, as the pointers do) has the same external id" in details["rows.6.external_id"]
    assert ("rows.1.program", "#/rows/1/program") in [(f, p) for f, p, _ in errors]
    assert _count(User) == users_before and _count(HistoryEvent) == events_before


def test_the_feed_moves_no_student_to_another_program(feed, make_program):
    feed.send("enrollments", [_enrollment(1)])
    make_program(code="MAMT")
    errors = _errors(feed.send("enrollments", [_enrollment(1, program="MAMT")]))
    assert errors[0][0] == "rows.0.program" and "does not move a student to another program" in errors[0][2]


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(feed):
    events = _count(HistoryEvent)
    response = feed.send("enrollments", [_enrollment(1)], dry_run=True)
    body = response.get_json()
    assert body["dry_run"] is True and _outcomes(response) == ["created"] and body["rows"][0]["id"] is None
    assert _count(Enrollment) == 0 and _count(HistoryEvent) == events
    # a bad row is refused in a dry run exactly as in a real one
    assert _errors(feed.send("enrollments", [_enrollment(1, program="X")], dry_run=True))[0][0] == "rows.0.program"


# ---------------------------------------------------------------- course records

@pytest.fixture
def enrolled(feed, make_course):
    """Two students enrolled through the feed, and three courses of their program (one variable-credit)."""
    feed.send("enrollments", [_enrollment(1), _enrollment(2)])
    courses = {
        "MPT 601": make_course(code="MPT 601", credits=3, program=feed.program),
        "MPT 602": make_course(code="MPT 602", credits=1, program=feed.program, pass_fail=True),
        "MPT 690": make_course(code="MPT 690", credits=1, program=feed.program),
    }
    courses["MPT 690"].max_credits = Decimal("6")
    db.session.commit()
    return courses


def _record(n: int = 1, **overrides) -> dict:
    row = {"external_id": f"C-{n}", "student_email": "student1@school.edu", "course": "MPT 601",
           "term": "Fall 2026", "status": "completed", "grade": "A"}
    return row | overrides


def test_course_records_are_created_counted_by_the_audit_and_sent_again_unchanged(feed, enrolled):
    rows = [_record(1), _record(2, course="MPT 690", credits=4.5, status="in_progress", grade=None),
            _record(3, course="MPT 602", grade="p", term="Spring 2027")]
    assert _outcomes(feed.send("course-records", rows)) == ["created"] * 3
    student = db.session.scalar(sa.select(User).where(User.email == "student1@school.edu"))
    records = {r.external_id: r for r in db.session.scalars(sa.select(CourseRecord))}
    assert records["C-2"].credits == Decimal("4.5") and records["C-3"].grade == "P"
    audit = audit_service.audit_enrollment(audit_service.load_enrollment(student.id))
    assert audit.result.total_credits_done == Decimal("4") and audit.result.total_credits_in_progress == Decimal("4.5")
    added = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "course_record.added",
                                                            HistoryEvent.entity_id == records["C-1"].id))
    assert "registrar feed" in added.summary and added.subject_id == student.id
    assert _outcomes(feed.send("course-records", rows)) == ["unchanged"] * 3


def test_a_grade_change_updates_the_record_with_its_history(feed, enrolled):
    feed.send("course-records", [_record(1, status="in_progress", grade=None)])
    response = feed.send("course-records", [_record(1, grade="B+")])
    [row] = response.get_json()["rows"]
    assert row["outcome"] == "updated"
    assert row["changes"] == {"status": ["in_progress", "completed"], "grade": [None, "B+"]}
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "course_record.edited"))
    assert event.changes == row["changes"] and event.actor_id == feed.admin.id


def test_a_record_the_student_entered_is_adopted_not_doubled(feed, enrolled, make_course_record):
    student = db.session.scalar(sa.select(User).where(User.email == "student1@school.edu"))
    mine = make_course_record(student, enrolled["MPT 601"], feed.fall, status="in_progress", grade=None)
    [row] = feed.send("course-records", [_record(1)]).get_json()["rows"]
    assert row["outcome"] == "updated" and row["id"] == mine.id
    assert row["changes"]["external_id"] == [None, "C-1"]
    assert _count(CourseRecord) == 1


def test_every_bad_course_record_row_is_named_at_once_and_nothing_is_written(feed, enrolled, make_course,
                                                                             make_program, make_user):
    other = make_program(code="MAMT")
    make_course(code="MAT 500", program=other)
    for code in ("MPT 603", "MPT 604", "MPT 605"):
        make_course(code=code, program=feed.program)
    make_user("student", email="loose@school.edu")  # not enrolled
    feed.send("course-records", [_record(1, student_email="student2@school.edu")])
    before = _count(CourseRecord), _count(HistoryEvent)
    rows = [  # each row its own course and term, but for the last two
        _record(10),  # fine
        _record(11, student_email="ghost@school.edu"),
        _record(12, student_email="loose@school.edu"),
        _record(13, course="MAT 500"),  # another program's course
        _record(14, term="Winter 1900"),
        _record(15, course="MPT 603", grade=None),
        _record(16, course="MPT 604", status="planned", grade="A"),
        _record(17, course="MPT 602", grade="A"),
        _record(18, course="MPT 690", credits=7),
        _record(19, course="MPT 605", credits=4),  # a fixed 3-credit course
        _record(1, course="MPT 602", term="Spring 2027", grade="P"),  # C-1 is student2's record
        _record(20, term="Spring 2027", course="MPT 603"),
        _record(21, term="Spring 2027", course="MPT 603"),  # the same student, course and term twice
    ]
    errors = _errors(feed.send("course-records", rows))
    fields = [field for field, _, _ in errors]
    assert fields == ["rows.1.student_email", "rows.2.student_email", "rows.3.course", "rows.4.term",
                      "rows.5.grade", "rows.6.grade", "rows.7.grade", "rows.8.credits",
                      "rows.9.credits", "rows.10.student_email", "rows.12.course"]
    details = _details(errors)
    assert "import the enrollment first" in details["rows.2.student_email"]
    assert "MPT 602 is graded pass/fail" in details["rows.7.grade"]
    assert "from 1 to 6" in details["rows.8.credits"]
    assert "always carries 3 credits" in details["rows.9.credits"]
    assert "course record of student2@school.edu" in details["rows.10.student_email"]
    assert "Row 11 of this batch (counting from 0, as the pointers do) has the same student, course and term" in details["rows.12.course"]
    assert (_count(CourseRecord), _count(HistoryEvent)) == before


def test_a_record_a_substitution_counts_is_left_alone_until_the_advisor_revokes_it(feed, enrolled):
    feed.send("course-records", [_record(1)])
    record = db.session.scalar(sa.select(CourseRecord))
    db.session.add(AuditException(student_id=record.student_id, kind=ExceptionKind.SUBSTITUTION,
                                  requirement_key="core", course_record_id=record.id, justification="Equivalent",
                                  created_by_id=feed.advisor.id))
    db.session.commit()
    errors = _errors(feed.send("course-records", [_record(1, grade="C")]))
    assert errors[0][0] == "rows.0.grade"
    assert "Prof. Reyes counted MPT 601 in Fall 2026 as a substitution" in errors[0][2]
    db.session.refresh(record)
    assert record.grade == "A"
    assert _outcomes(feed.send("course-records", [_record(1)])) == ["unchanged"]  # what it relies on, unchanged


def test_a_two_row_dry_run_costs_the_same_queries_as_a_twenty_row_one(feed, enrolled, count_queries):
    counts = []
    for n in (2, 20):
        rows = [_record(i, term="Fall 2026" if i % 2 else "Spring 2027",
                        course=["MPT 601", "MPT 602", "MPT 690"][i % 3],
                        grade=["A", "P", "B"][i % 3], credits=[None, None, 2][i % 3],
                        student_email=f"student{1 + i % 2}@school.edu") for i in range(n)]
        rows = list({(r["student_email"], r["course"], r["term"]): r for r in rows}.values())
        with count_queries() as queries:
            assert feed.send("course-records", rows, dry_run=True).status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1]


# ---------------------------------------------------------------- export

def test_the_export_reads_back_what_the_import_takes(feed, enrolled, make_course_record):
    feed.send("course-records", [_record(1), _record(2, course="MPT 690", credits=2, grade="B")])
    student2 = db.session.scalar(sa.select(User).where(User.email == "student2@school.edu"))
    make_course_record(student2, enrolled["MPT 601"], feed.spring, status="planned", grade=None)  # not the feed's
    page = feed.read("course-records", "?per_page=2").get_json()
    assert page["total"] == 3 and page["pages"] == 2 and len(page["items"]) == 2
    assert page["items"][1] | {"id": 0} == {"id": 0, "external_id": "C-2", "student_email": "student1@school.edu",
                                            "course": "MPT 690", "term": "Fall 2026", "status": "completed",
                                            "grade": "B", "credits": 2.0}
    rest = feed.read("course-records", "?page=2&per_page=2").get_json()["items"]
    assert rest[0]["external_id"] is None and rest[0]["credits"] == 3.0
    assert [r["course"] for r in feed.read("course-records", "?term=Spring%202027").get_json()["items"]] == ["MPT 601"]
    assert feed.read("course-records", "?program=MAMT").get_json()["total"] == 0
    # Sent back as read, the feed's own rows change nothing.
    assert _outcomes(feed.send("course-records", page["items"])) == ["unchanged", "unchanged"]
    enrollments = feed.read("enrollments").get_json()["items"]
    assert [e["external_id"] for e in enrollments] == ["E-1", "E-2"]
    assert enrollments[0]["advisor_email"] == "reyes@school.edu" and enrollments[0]["start_term"] == "Fall 2026"
    assert _outcomes(feed.send("enrollments", enrollments)) == ["unchanged", "unchanged"]


@pytest.mark.parametrize("kind", ["enrollments", "course-records"])
def test_an_export_page_costs_the_same_queries_at_two_sizes(feed, make_student, count_queries, kind,
                                                            make_course, make_course_record):
    course = make_course(program=feed.program)
    counts = []
    for n in (2, 6):
        while _count(Enrollment) < n:
            student = make_student(program=feed.program, advisor=feed.advisor, start_term=feed.fall)
            make_course_record(student, course, feed.fall)
        feed.read(kind)  # the token's use stamp is written once a minute: not part of the page
        with count_queries() as queries:
            assert feed.read(kind).get_json()["total"] == n
        counts.append(queries.count)
    assert counts[0] == counts[1]


# ---------------------------------------------------------------- who may

@pytest.mark.parametrize("role, scopes, status", [("student", ("read", "write"), 403),
                                                  ("faculty", ("read", "write"), 403),
                                                  ("admin", ("read", "write"), 403)])
def test_only_an_administrators_admin_scope_token_reaches_the_feed(client, make_user, make_student, role, scopes,
                                                                   status):
    user = make_student() if role == "student" else make_user(role)
    headers = _bearer(user, scopes)
    for method, kind in (("get", "enrollments"), ("post", "course-records")):
        response = getattr(client, method)(f"{URL}/{kind}", json={"rows": [_record()]}, headers=headers)
        assert response.status_code == status and response.mimetype == "application/problem+json"
    assert client.get(f"{URL}/enrollments").status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"rows": []}, "rows"),
    ({"rows": [_enrollment(1)] * 1001}, "rows"),
    ({"rows": [_enrollment(1, external_id="E\x00")]}, "rows.0.external_id"),
    ({"rows": [_enrollment(1, external_id="E" * 65)]}, "rows.0.external_id"),
    ({"rows": [_enrollment(1, status="expelled")]}, "rows.0.status"),
    ({"rows": [_enrollment(1, surprise=1)]}, "rows.0.surprise"),
    ({"rows": [{"external_id": "E-1"}]}, "rows.0.email"),
    ({"rows": [_enrollment(1)], "dry_run": "maybe"}, "dry_run"),
])
def test_malformed_enrollment_batches_are_refused_at_their_field(feed, body, field):
    response = feed.post("enrollments", body)
    assert field in [field for field, _, _ in _errors(response)]
    assert _count(Enrollment) == 0


@pytest.mark.parametrize("credits", [1e300, -1, "lots", 10**40])
def test_hostile_credits_are_refused_not_errors(feed, enrolled, credits):
    response = feed.send("course-records", [_record(1, course="MPT 690", credits=credits)])
    assert response.status_code == 422 and "rows.0.credits" in [f for f, _, _ in _errors(response)]


# ---------------------------------------------------------------- at the same moment (PostgreSQL)

def _postgres_only() -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): SQLite serialises writing requests with BEGIN "
                    "IMMEDIATE, so two can never both be inside the check")


def _as_request(user_id: int):
    actor = db.session.get(User, user_id)
    _ = actor.role, actor.display_name
    db.session.commit()  # as a request would: nothing held before the barrier
    return actor


@pytest.mark.postgres
def test_two_batches_creating_the_same_record_at_once_write_it_once(app, feed, enrolled):
    _postgres_only()
    admin_id = feed.admin.id

    def send(key, actor):
        report = registrar.import_course_records([_record(1, grade="A" if key == "a" else "B")], actor=actor)
        return report.rows[0].outcome

    results = at_once(app, ("a", "b"), lambda _key: _as_request(admin_id), send)
    assert list(results.values()).count("created") == 1, results
    [other] = [r for r in results.values() if r != "created"]
    # the other batch waited and then either found the row (its grade differs: updated) or collided with it
    assert other == "updated" or "meanwhile; nothing was imported" in other, results
    db.session.expire_all()
    assert _count(CourseRecord) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(HistoryEvent.action == "course_record.added")) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(3))
def test_a_substitution_recorded_while_a_batch_changes_its_record_is_never_overwritten(app, feed, demo_program,
                                                                                       round_):
    """An advisor counts a record as a substitution while the feed changes its grade: either the feed wins and the
    advisor relies on the new grade, or the advisor wins and the feed's row is refused. Never a substitution
    resting on a grade the feed then changed."""
    _postgres_only()
    from tracker.services.audit_exceptions import record_substitution

    row = _enrollment(1, program=demo_program.code)
    assert _outcomes(feed.send("enrollments", [row])) == ["created"]
    assert _outcomes(feed.send("course-records", [_record(1, course="MPT 601")])) == ["created"]
    record = db.session.scalar(sa.select(CourseRecord))
    ids = {"feed": feed.admin.id, "advisor": feed.advisor.id}
    student_id, record_id = record.student_id, record.id

    def act(key, actor):
        if key == "feed":
            report = registrar.import_course_records([_record(1, course="MPT 601", grade="C")], actor=actor)
            return report.rows[0].outcome
        record_substitution(db.session.get(User, student_id), record_id, "concentration", "Equivalent course",
                            actor=actor)
        return "substituted"

    results = at_once(app, ids, lambda key: _as_request(ids[key]), act)
    assert results["advisor"] == "substituted", results
    db.session.expire_all()
    record = db.session.get(CourseRecord, record_id)
    exception = db.session.scalar(sa.select(AuditException))
    if results["feed"] == "updated":  # the feed first: the advisor counted the record as it then was
        assert record.grade == "C" and exception.created_at >= record.updated_at
    else:  # the advisor first: the feed's row was refused, the grade is the one the advisor relied on
        assert "nothing was imported" in results["feed"] and record.grade == "A", results
        with pytest.raises(registrar.ImportRefused) as refused:  # and the refusal says why
            registrar.import_course_records([_record(1, course="MPT 601", grade="C")], actor=feed.admin)
        assert "as a substitution" in refused.value.row_problems[0].message
