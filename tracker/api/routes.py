"""API v1 operations: thin views over the same services and permission rules as the pages.

Each view is guarded by `bearer(scope, roles...)`, reads its arguments through a schema (tracker/api/schemas.py)
and returns plain values the response schema serialises; a service refusal becomes a 422 problem with every field.
"""
from __future__ import annotations


from flask import current_app, jsonify, render_template

from .. import markdown
from ..extensions import db
from ..models import Role, StudioSession
from ..permissions import current_actor
from ..progress.present import overall_bar, overall_status, placed_blocks
from ..services import ServiceError, courses, review, studio
from ..services import audit as audit_service
from . import bp, schemas
from .auth import bearer, current_token
from .problems import VALIDATION, Problem, service_errors

V1 = "/v1"


def _page(select, args: dict, row=lambda item: item) -> dict:
    """One page of `select` in the list envelope: items, page, per_page, total, pages (two queries)."""
    page = db.paginate(select, page=args["page"], per_page=args["per_page"], error_out=False)
    return {"items": [row(item) for item in page.items], "page": page.page, "per_page": page.per_page,
            "total": page.total, "pages": page.pages}


def _person(user) -> dict | None:
    return {"id": user.id, "display_name": user.display_name} if user is not None else None


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


@bp.route(f"{V1}/progress", tags=["student"])
@bearer("read", Role.STUDENT)
@bp.response(200, schemas.Progress)
def progress():
    """The student's degree progress

    The same live degree audit as the progress page: each requirement with its status and figures (credits,
    courses, terms or hours), the GPA, total credits and warnings. 404 for a student not enrolled in a program.
    """
    enrollment = audit_service.load_enrollment(current_actor().id)
    if enrollment is None:
        raise Problem(404, "You are not enrolled in a program, so there is no progress to show.")
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


def _session(s) -> dict:
    return {"id": s.id, "date": s.date, "start_time": s.start_time, "end_time": s.end_time, "hours": s.hours,
            "studio": {"id": s.studio.id, "name": s.studio.name}, "term": {"id": s.term.id, "name": s.term.name},
            "activity": s.activity.value, "project": s.project, "role": s.role.value,
            "supervisor": _person(s.supervisor), "notes": s.notes, "status": s.status.value,
            "review_note": s.review_note or "", "submitted_at": s.submitted_at, "reviewed_at": s.reviewed_at}


@bp.route(f"{V1}/studio-sessions", tags=["student"])
@bearer("read", Role.STUDENT)
@bp.arguments(schemas.PageArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.StudioSessionPage)
def studio_sessions(**args):
    """The student's studio sessions

    Newest first, a page at a time, with their review status and the reviewer's note.
    """
    return _page(studio.sessions_query(current_actor().id), args, _session)


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
    try:
        logged = studio.log_session(user, studio.SessionInput(**data), actor=user)
    except ServiceError as err:
        raise Problem(422, "The session was not logged; see errors.", type_=VALIDATION, title="Validation failed",
                      errors=service_errors(err)) from None
    # Read back with the studio, supervisor and term the response shows (one query).
    return _session(db.session.scalar(studio.sessions_query(user.id).where(StudioSession.id == logged.id)))


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
    return _page(courses.records_query(current_actor().id), args, _record)


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
    items = [dict(_session(row.session), student=_person(row.session.student), flags=row.flags)
             for row in review.queue_rows(page.items)]
    return {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total,
            "pages": page.pages}


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


