"""API v1 operations: thin views over the same services and permission rules as the pages.

Each view is guarded by `bearer(scope, roles...)`, reads its arguments through a schema (tracker/api/schemas.py)
and returns plain values the response schema serialises; a service refusal becomes a 422 problem naming every field,
or a 409 when the object's state refuses the change. Sections: the account, the student's progress, studio sessions
and course records, the review queue and its decisions, advisees.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import sqlalchemy as sa
from flask import current_app, jsonify, render_template, url_for
from sqlalchemy.orm import joinedload

from .. import markdown
from ..extensions import db
from ..models import CourseRecord, Role, StudioSession
from ..permissions import current_actor, get_advisee_or_404, get_own_or_404, studio_session_scope
from ..progress.present import overall_bar, overall_status, placed_blocks
from ..services import ServiceError, courses, review, studio
from ..services import advising as advising_service
from ..services import audit as audit_service
from . import bp, schemas
from .auth import bearer, current_token, problem_responses
from .problems import CONFLICT, VALIDATION, Problem, service_errors

V1 = "/v1"


def list_page(select, args: dict, row=lambda item: item) -> dict:
    """One page of `select` in the list envelope: items, page, per_page, total, pages (two queries)."""
    page = db.paginate(select, page=args["page"], per_page=args["per_page"], error_out=False)
    return {"items": [row(item) for item in page.items], "page": page.page, "per_page": page.per_page,
            "total": page.total, "pages": page.pages}


def _person(user) -> dict | None:
    return {"id": user.id, "display_name": user.display_name} if user is not None else None


def _refusal(err: ServiceError, what: str) -> Problem:
    """A service's refusal as a problem document: 422 naming each field when the input is wrong (as the form shows
    it next to the field), 409 with the service's own words when the object's state refuses the change (reviewed
    or changed meanwhile, withdrawn, in a closed term, relied on by an advisor's substitution)."""
    if any(field for field, _ in err.problems):
        return Problem(422, f"{what}; see errors.", type_=VALIDATION, title="Validation failed",
                       errors=service_errors(err))
    return Problem(409, err.message, type_=CONFLICT, title="Conflict", errors=service_errors(err))


@contextmanager
def refused_as(what: str) -> Iterator[None]:
    """Run a service call: its refusal becomes the problem document `_refusal` words, beginning with `what`."""
    try:
        yield
    except ServiceError as err:
        raise _refusal(err, what) from None


def _patched(obj, names: tuple[str, ...], changes: dict) -> dict:
    """What a form for `obj` would submit after a PATCH: its current values of `names`, with `changes` over them."""
    return {name: getattr(obj, name) for name in names} | changes


def _session_page(session_id: int) -> str:
    """The page a notification about a session links to (the same as the pages' notifications)."""
    return url_for("studio.detail", session_id=session_id)


@bp.route(f"{V1}/me", tags=["account"])
@bearer("read")
@bp.response(200, schemas.Me)
def me():
    """Who the token belongs to

    The token's user and the token itself (its name, scopes and expiry; never its secret).
    """
    token = current_token()
    user = token.user
    return {"id": user.id, "email": user.email, "display_name": user.display_name, "role": user.role.value,
            "token": {"name": token.name, "prefix": token.prefix, "scopes": sorted(token.scope_set),
                      "expires_at": token.expires_at}}


def _requirements(result) -> list[dict]:
    return [{"key": b.key, "title": b.title, "kind": b.kind, "status": b.status, "unit": b.unit, "need": b.need,
             "done": b.done, "in_progress": b.in_progress, "remaining": b.remaining, "percent": b.percent,
             "still_needed": list(b.still_needed), "depth": placed.depth,
             "parent": placed.parent.key if placed.parent else None, "counted": b.counted}
            for placed in placed_blocks(result.blocks) for b in (placed.block,)]


def _progress(enrollment) -> dict:
    """The live degree audit of one enrollment, as the progress page shows it."""
    audit = audit_service.audit_enrollment(enrollment)
    result = audit.result
    done, in_progress = overall_bar(result)
    return {
        "student": _person(enrollment.student), "program": enrollment.program.name,
        "concentration": enrollment.concentration.name, "track": enrollment.track_label,
        "catalog": audit.version_label, "advisor": _person(enrollment.advisor), "as_of": audit.today,
        "overall": {"status": overall_status(result), "complete": result.complete, "percent_done": done,
                    "percent_in_progress": in_progress},
        "gpa": result.gpa, "min_gpa": audit.rules.min_gpa, "total_credits_required": audit.rules.total_credits,
        "total_credits_done": result.total_credits_done,
        "total_credits_in_progress": result.total_credits_in_progress, "deadline": result.deadline,
        "requirements": _requirements(result),
        "warnings": [{"code": w.code, "message": w.message, "requirement_key": w.requirement_key}
                     for w in result.warnings],
    }


@bp.route(f"{V1}/progress", tags=["student"])
@bearer("read", Role.STUDENT)
@bp.response(200, schemas.Progress)
@problem_responses(404)
def progress():
    """The student's degree progress

    The same live degree audit as the progress page: each requirement with its status and figures (credits,
    courses, terms or hours), the GPA, total credits and warnings. 404 for a student not enrolled in a program.
    """
    enrollment = audit_service.load_enrollment(current_actor().id)
    if enrollment is None:
        raise Problem(404, "You are not enrolled in a program, so there is no progress to show.")
    return _progress(enrollment)


def _session(s) -> dict:
    return {"id": s.id, "date": s.date, "start_time": s.start_time, "end_time": s.end_time, "hours": s.hours,
            "studio": {"id": s.studio.id, "name": s.studio.name}, "term": {"id": s.term.id, "name": s.term.name},
            "activity": s.activity.value, "project": s.project, "role": s.role.value,
            "supervisor": _person(s.supervisor), "notes": s.notes, "status": s.status.value,
            "review_note": s.review_note or "", "submitted_at": s.submitted_at, "reviewed_at": s.reviewed_at,
            "version": s.version}


def _sessions(student_id: int, args: dict, within: sa.ColumnElement[bool] = sa.true()) -> dict:
    """One page of a student's sessions (those `within` a reader's scope), newest first."""
    return list_page(studio.sessions_query(student_id).where(within), args, _session)


@bp.route(f"{V1}/studio-sessions", tags=["student"])
@bearer("read", Role.STUDENT)
@bp.arguments(schemas.PageArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.StudioSessionPage)
def studio_sessions(**args):
    """The student's studio sessions

    Newest first, a page at a time, with their review status and the reviewer's note.
    """
    return _sessions(current_actor().id, args)


@bp.route(f"{V1}/studio-sessions", methods=["POST"], tags=["student"])
@bearer("write", Role.STUDENT)
@bp.arguments(schemas.NewStudioSession)
@bp.response(201, schemas.StudioSession)
def studio_sessions_log(data: dict):
    """Log a studio session

    The same checks as the log form (a date in an open term and not in the future, an active studio and
    supervisor, quarter-hour times, no overlap with another of the student's sessions); every problem is named
    in one 422 problem document. The session waits for the supervisor's review. Needs the write scope.
    """
    user = current_actor()
    with refused_as("The session was not logged"):
        logged = studio.log_session(user, studio.SessionInput(**data), actor=user)
    return _session(_own_session(logged.id))


def _own_session(session_id: int) -> StudioSession:
    """One of the caller's own sessions with what the response and the service need (404 for anyone else's)."""
    return get_own_or_404(StudioSession, session_id, joinedload(StudioSession.studio),
                          joinedload(StudioSession.supervisor), joinedload(StudioSession.term),
                          joinedload(StudioSession.student))


def _refuse_locked(studio_session: StudioSession) -> None:
    """409 for a session the student can no longer change (reviewed, withdrawn, closed term), as the edit page
    says on opening it."""
    locked = studio.no_longer_editable(studio_session)
    if locked:
        raise Problem(409, locked, type_=CONFLICT, title="Conflict")


_SESSION_FIELDS = ("date", "studio_id", "start_time", "end_time", "activity", "project", "role", "supervisor_id",
                   "notes")


@bp.route(f"{V1}/studio-sessions/<int:session_id>", tags=["student"])
@bearer("read", Role.STUDENT)
@bp.response(200, schemas.StudioSession)
@problem_responses(404)
def studio_session(session_id: int):
    """One of the student's studio sessions

    With its review status, the reviewer's note and its version (send it back with a change). 404 for a session
    that is not the student's.
    """
    return _session(_own_session(session_id))


@bp.route(f"{V1}/studio-sessions/<int:session_id>", methods=["PATCH"], tags=["student"])
@bearer("write", Role.STUDENT)
@bp.arguments(schemas.SessionChanges)
@bp.response(200, schemas.StudioSession)
@problem_responses(404, 409)
def studio_session_edit(data: dict, session_id: int):
    """Edit a studio session

    As the edit form allows: only the student's own session (404 otherwise), only while it is pending or sent back
    for changes (409 once reviewed or withdrawn, or its term closed). The fields given replace the session's; the
    same checks as logging one name every problem in one 422 problem document. Saving a session sent back for
    changes resubmits it for review. With version, a session changed or reviewed since is refused (409), as the
    form refuses a stale page. Needs the write scope.
    """
    studio_session = _own_session(session_id)
    _refuse_locked(studio_session)
    version = data.pop("version", None)
    with refused_as("The session was not saved"):
        studio.update_session(studio_session, studio.SessionInput(**_patched(studio_session, _SESSION_FIELDS, data)),
                              actor=current_actor(), expected_version=version)
    return _session(_own_session(session_id))


@bp.route(f"{V1}/studio-sessions/<int:session_id>/withdraw", methods=["POST"], tags=["student"])
@bearer("write", Role.STUDENT)
@bp.arguments(schemas.VersionOnly, required=False)
@bp.response(200, schemas.StudioSession)
@problem_responses(404, 409)
def studio_session_withdraw(data: dict, session_id: int):
    """Withdraw a studio session

    As the Withdraw button on the session's page: a pending or sent-back session of the student's own no longer
    counts or waits for review (409 once reviewed or withdrawn, or its term closed; with version, also when it
    changed since). The body may be empty. Needs the write scope.
    """
    studio_session = _own_session(session_id)
    _refuse_locked(studio_session)
    with refused_as("The session was not withdrawn"):
        studio.withdraw_session(studio_session, actor=current_actor(), expected_version=data.get("version"))
    return _session(_own_session(session_id))


def _record(r) -> dict:
    return {"id": r.id, "course": {"id": r.course.id, "code": r.course.code, "title": r.course.title},
            "term": {"id": r.term.id, "name": r.term.name}, "status": r.status.value, "grade": r.grade,
            "credits": courses.record_credits(r)}


@bp.route(f"{V1}/course-records", tags=["student"])
@bearer("read", Role.STUDENT)
@bp.arguments(schemas.PageArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.CourseRecordPage)
def course_records(**args):
    """The student's course records

    Oldest term first, a page at a time: planned, in progress, completed (with the grade) and withdrawn.
    """
    return _records(current_actor().id, args)


def _records(student_id: int, args: dict) -> dict:
    """One page of a student's course records, oldest term first."""
    return list_page(courses.records_query(student_id), args, _record)


def _own_record(record_id: int) -> CourseRecord:
    """One of the caller's own course records with its course and term (404 for anyone else's)."""
    return get_own_or_404(CourseRecord, record_id, joinedload(CourseRecord.course), joinedload(CourseRecord.term))


@bp.route(f"{V1}/course-records", methods=["POST"], tags=["student"])
@bearer("write", Role.STUDENT)
@bp.arguments(schemas.NewCourseRecord)
@bp.response(201, schemas.CourseRecord)
@problem_responses(409)
def course_records_add(data: dict):
    """Add a course record

    The same checks as the course form (a course of the program's catalog, a term, a status, a grade only for a
    completed course and of the course's kind, credits within a variable-credit course's range, not the same
    course twice in a term); every problem is named in one 422 problem document. 409 for a student not enrolled in
    a program. Needs the write scope.
    """
    user = current_actor()
    with refused_as("The course record was not added"):
        record = courses.add_course_record(user, courses.CourseInput(**data), actor=user)
    return _record(_own_record(record.id))


@bp.route(f"{V1}/course-records/<int:record_id>", tags=["student"])
@bearer("read", Role.STUDENT)
@bp.response(200, schemas.CourseRecord)
@problem_responses(404)
def course_record(record_id: int):
    """One of the student's course records

    404 for a record that is not the student's.
    """
    return _record(_own_record(record_id))


_RECORD_FIELDS = ("course_id", "term_id", "status", "grade", "credits")


@bp.route(f"{V1}/course-records/<int:record_id>", methods=["PATCH"], tags=["student"])
@bearer("write", Role.STUDENT)
@bp.arguments(schemas.CourseRecordChanges)
@bp.response(200, schemas.CourseRecord)
@problem_responses(404, 409)
def course_record_edit(data: dict, record_id: int):
    """Edit a course record

    As the course form allows: the fields given replace the record's (send grade: null when a completed course
    becomes planned), with the same checks, every problem in one 422 problem document. 409 when an advisor counted
    the record toward a requirement as a substitution and the change touches what they relied on, with who and
    why. Needs the write scope.
    """
    record = _own_record(record_id)
    with refused_as("The course record was not saved"):
        courses.update_course_record(record, courses.CourseInput(**_patched(record, _RECORD_FIELDS, data)),
                                     actor=current_actor())
    return _record(_own_record(record_id))


@bp.route(f"{V1}/course-records/<int:record_id>", methods=["DELETE"], tags=["student"])
@bearer("write", Role.STUDENT)
@bp.response(204, description="Deleted.")
@problem_responses(404, 409)
def course_record_delete(record_id: int):
    """Delete a course record

    As the Delete button of the courses page; 409 when an advisor's substitution relies on the record, with who
    and why. Needs the write scope.
    """
    with refused_as("The course record was not deleted"):
        courses.delete_course_record(_own_record(record_id), actor=current_actor())


def _reviewed(s) -> dict:
    return dict(_session(s), student=_person(s.student))


@bp.route(f"{V1}/review-queue", tags=["faculty"])
@bearer("read", Role.FACULTY, Role.ADMIN)
@bp.arguments(schemas.QueueArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.QueuePage)
def review_queue(**args):
    """Sessions waiting for review

    The reviewer's queue as on the review page: pending sessions they supervise (every one for administrators),
    oldest submission first, with the reasons to look twice. Filter by student, studio or term.
    """
    user = current_actor()
    filters = review.QueueFilters(args.get("student_id"), args.get("studio_id"), args.get("term_id"))
    page = db.paginate(review.queue_query(user, filters), page=args["page"], per_page=args["per_page"],
                       error_out=False)
    items = [dict(_reviewed(row.session), flags=row.flags) for row in review.queue_rows(page.items)]
    return {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total,
            "pages": page.pages}


def _reviewable(session_id: int) -> StudioSession:
    """A session the caller may decide (`review.reviewable_or_none`), or 404 as the review page answers."""
    found = review.reviewable_or_none(current_actor(), session_id)
    if found is None:
        raise Problem(404)
    return found


@bp.route(f"{V1}/review-queue/<int:session_id>/decision", methods=["POST"], tags=["faculty"])
@bearer("write", Role.FACULTY, Role.ADMIN)
@bp.arguments(schemas.DecisionBody)
@bp.response(200, schemas.ReviewedSession)
@problem_responses(404, 409)
def review_decide(data: dict, session_id: int):
    """Decide a studio session

    As the review page: approve, reject (the reason in note) or send back for changes (what to change in
    note) a pending session the reviewer supervises (any for administrators; 404 otherwise). The decision is
    recorded once, in the session's history, and the student is notified as from the page. 409 with the reason
    when it is no longer pending (already decided, withdrawn), changed since version, a group session's row its
    student has not confirmed yet, or in a closed term; 422 for a missing note. Needs the write scope.
    """
    user = current_actor()
    with refused_as("The decision was not recorded"):
        review.decide(_reviewable(session_id), data["decision"], data["note"], actor=user,
                      session_link=_session_page, expected_version=data.get("version"))
    return _reviewed(_reviewable(session_id))


# ---------------------------------------------------------------- advisees (faculty, administrators)

def _student(enrollment) -> dict:
    student = enrollment.student
    term = enrollment.start_term
    return {"id": student.id, "display_name": student.display_name, "program": enrollment.program.name,
            "concentration": enrollment.concentration.name, "track": enrollment.track_label,
            "status": enrollment.status.value,
            "start_term": {"id": term.id, "name": term.name} if term is not None else None,
            "advisor": _person(enrollment.advisor)}


@bp.route(f"{V1}/students", tags=["faculty"])
@bearer("read", Role.FACULTY, Role.ADMIN)
@bp.arguments(schemas.PageArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.StudentPage)
def students(**args):
    """Advisees

    As the advisees list: a faculty member's advisees (every enrolled student for administrators), by name, a page
    at a time, with their program, concentration, track, enrollment status and advisor.
    """
    return list_page(advising_service.advisees_query(current_actor()), args, _student)


def _advisee(student_id: int):
    """The enrollment of a student the caller advises (any, for administrators), or 404 as the advising pages."""
    return get_advisee_or_404(audit_service.load_enrollment(student_id))


@bp.route(f"{V1}/students/<int:student_id>/progress", tags=["faculty"])
@bearer("read", Role.FACULTY, Role.ADMIN)
@bp.response(200, schemas.Progress)
@problem_responses(404)
def student_progress(student_id: int):
    """An advisee's degree progress

    The same audit as GET /progress shows the student. 404 for a student the caller does not advise.
    """
    return _progress(_advisee(student_id))


@bp.route(f"{V1}/students/<int:student_id>/course-records", tags=["faculty"])
@bearer("read", Role.FACULTY, Role.ADMIN)
@bp.arguments(schemas.PageArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.CourseRecordPage)
@problem_responses(404)
def student_course_records(student_id: int, **args):
    """An advisee's course records

    As GET /course-records shows the student: oldest term first, a page at a time. 404 for a student the caller
    does not advise.
    """
    _advisee(student_id)
    return _records(student_id, args)


@bp.route(f"{V1}/students/<int:student_id>/studio-sessions", tags=["faculty"])
@bearer("read", Role.FACULTY, Role.ADMIN)
@bp.arguments(schemas.PageArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.StudioSessionPage)
@problem_responses(404)
def student_studio_sessions(student_id: int, **args):
    """An advisee's studio sessions

    The advisee's sessions the caller may open on the session pages (a faculty member those they supervise, an
    administrator every one), newest first, a page at a time; the hours of the others count in the advisee's
    progress. 404 for a student the caller does not advise.
    """
    _advisee(student_id)
    return _sessions(student_id, args, within=studio_session_scope(current_actor()))


@bp.route(f"{V1}/openapi.json", tags=["meta"])
@bp.response(200, description="This API's OpenAPI 3.1 description.", content_type="application/json")
def openapi():
    """The OpenAPI description

    Generated from the code; needs no token.
    """
    return jsonify(current_app.extensions["tracker_api"].spec.to_dict())


@bp.route(f"{V1}/docs", tags=["meta"])
@bp.response(200, description="The API's documentation page.", content_type="text/html")
def docs():
    """The documentation page

    For people: docs/api.md and every operation of the OpenAPI description; needs no token.
    """
    spec = current_app.extensions["tracker_api"].spec.to_dict()
    operations = [(method.upper(), path, op) for path, item in spec["paths"].items()
                  for method, op in item.items() if method in ("get", "post", "put", "patch", "delete")]
    page = render_template("api/docs.html", operations=operations, spec=spec, body=markdown.render_doc("api.md"))
    return current_app.response_class(page, mimetype="text/html")


