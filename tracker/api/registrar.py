"""The registrar feed in the API: bulk import and export of enrollments and course records (administrators, with
an admin-scope token), over tracker/services/registrar.py.

An export page's rows have the import's own shape, so the student-information system can send back what it read;
each row is matched by its `external_id`. An import is all or nothing: a batch with any bad row writes nothing and
answers 422 naming every bad row's fields (`rows.3.course`, pointer `#/rows/3/course`); `dry_run` checks the same
way and writes nothing.
"""
from __future__ import annotations

import marshmallow as ma
from flask import current_app, render_template
from marshmallow import fields, validate

from ..markdown import render_doc
from ..models import CourseStatus, EnrollmentStatus, Role
from ..permissions import current_actor
from ..services import registrar
from . import bp
from .auth import bearer, problem_responses
from .problems import VALIDATION, Problem, json_error
from .routes import V1, list_page, refused_as
from .schemas import ListPage, PageArgs, Schema, Text, enum_values

MAX_EXPORT_PER_PAGE = 500
PATH = f"{V1}/registrar"
MATCHED_BY = "The registrar's own id of the row; rows are matched by it, so sending a row again changes nothing."


# ---------------------------------------------------------------- shapes

class ExportArgs(PageArgs):
    """?page=&per_page= of an export (up to 500 rows a page), and its filters."""

    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_EXPORT_PER_PAGE),
                              metadata={"description": f"Rows per page, 1 to {MAX_EXPORT_PER_PAGE}."})
    program = Text(max_length=32, metadata={"description": "Only this program's rows (its code)."})


class CourseRecordExportArgs(ExportArgs):
    term = Text(max_length=64, metadata={"description": "Only this term's course records (its name)."})


class _Row(Schema):
    id = fields.Integer(metadata={"description": "The tracker's id of the row (exports give it; imports ignore "
                                                 "it)."})
    external_id = Text(required=True, max_length=64, metadata={"description": MATCHED_BY})


class EnrollmentRow(_Row):
    """A student's enrollment: who, in which program, concentration, track and start term, with which advisor."""

    email = Text(required=True, max_length=254, metadata={"description": "The student's e-mail; a new one makes "
                                                                          "a student account without a password."})
    display_name = Text(required=True, max_length=120)
    program = Text(required=True, max_length=32, metadata={"description": "The program's code."})
    concentration = Text(required=True, max_length=32, metadata={"description": "A concentration's code."})
    track = Text(required=True, max_length=32, metadata={"description": "A track's code (e.g. thesis)."})
    start_term = Text(required=True, max_length=64, metadata={"description": "The start term's name."})
    advisor_email = Text(required=True, max_length=254, metadata={"description": "An active faculty member."})
    status = fields.String(load_default=EnrollmentStatus.ACTIVE.value,
                           validate=validate.OneOf(enum_values(EnrollmentStatus)))


class EnrollmentExportRow(EnrollmentRow):
    external_id = fields.String(required=True, allow_none=True,
                                metadata={"description": "Null for an enrollment the feed never sent."})
    start_term = fields.String(required=True, allow_none=True)
    advisor_email = fields.String(required=True, allow_none=True)


class CourseRecordRow(_Row):
    """A student's course in a term, with its status, grade and (variable-credit course) credits."""

    student_email = Text(required=True, max_length=254, metadata={"description": "An enrolled student."})
    course = Text(required=True, max_length=32, metadata={"description": "A course code of the student's "
                                                                         "program."})
    term = Text(required=True, max_length=64, metadata={"description": "The term's name."})
    status = fields.String(required=True, validate=validate.OneOf(enum_values(CourseStatus)))
    grade = Text(load_default=None, allow_none=True, max_length=4,
                 metadata={"description": "A completed course's grade (A to F, or P/NP for a pass/fail course); "
                                          "null otherwise."})
    # A JSON number (Float, not Decimal: apispec would write a Decimal range into the description as strings);
    # the service reads it back as the decimal it was written as.
    credits = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0, max=99), metadata={
                                 "description": "The credits taken, for a variable-credit course (required "
                                                "there); a fixed-credit course's own credits or null otherwise."})


class CourseRecordExportRow(CourseRecordRow):
    external_id = fields.String(required=True, allow_none=True,
                                metadata={"description": "Null for a record a student or advisor entered."})
    credits = fields.Float(required=True, metadata={"description": "The credits the record carries."})


def _batch(row_schema, what: str) -> type[ma.Schema]:
    return Schema.from_dict({
        "rows": fields.List(fields.Nested(row_schema), required=True,
                            validate=validate.Length(min=1, max=registrar.MAX_ROWS),
                            metadata={"description": f"The {what}, 1 to {registrar.MAX_ROWS} a request."}),
        "dry_run": fields.Boolean(load_default=False, metadata={
            "description": "Check every row and report what would happen, writing nothing."}),
    }, name=f"{row_schema.__name__}Batch")


EnrollmentBatch = _batch(EnrollmentRow, "enrollments")
CourseRecordBatch = _batch(CourseRecordRow, "course records")


class RowOutcome(ma.Schema):
    row = fields.Integer(required=True, metadata={"description": "The row's index in the batch, from 0."})
    external_id = fields.String(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf([registrar.CREATED, registrar.UPDATED,
                                                                    registrar.UNCHANGED]))
    id = fields.Integer(required=True, allow_none=True,
                        metadata={"description": "The tracker's id of the row (null for a new row in a dry run)."})
    changes = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw(allow_none=True)), required=True,
                          metadata={"description": "Field → [before, after], in codes and names."})


class ImportReport(ma.Schema):
    dry_run = fields.Boolean(required=True)
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    rows = fields.List(fields.Nested(RowOutcome), required=True)


class EnrollmentExportPage(ListPage):
    items = fields.List(fields.Nested(EnrollmentExportRow), required=True)


class CourseRecordExportPage(ListPage):
    items = fields.List(fields.Nested(CourseRecordExportRow), required=True)


# ---------------------------------------------------------------- operations

def _report(report: registrar.ImportReport) -> dict:
    return {"dry_run": report.dry_run, "created": report.count(registrar.CREATED),
            "updated": report.count(registrar.UPDATED), "unchanged": report.count(registrar.UNCHANGED),
            "rows": [vars(row) for row in report.rows]}


def _imported(run, rows: list[dict], dry_run: bool) -> dict:
    """Run an import: its refusal becomes one 422 problem naming every bad row's fields; a concurrent writer's
    collision (nothing written) a 409, as every writing operation words it. Rows' `id`s are not read."""
    with refused_as("The batch was not imported"):
        try:
            return _report(run(rows, actor=current_actor(), dry_run=dry_run))
        except registrar.ImportRefused as refused:
            errors = [json_error(("rows", p.row) + ((p.field,) if p.field else ()), p.message)
                      for p in refused.row_problems]
            raise Problem(422, refused.message, type_=VALIDATION, title="Validation failed", errors=errors) from None


@bp.route(f"{PATH}/enrollments", tags=["registrar"])
@bearer("admin", Role.ADMIN)
@bp.arguments(ExportArgs, location="query", as_kwargs=True)
@bp.response(200, EnrollmentExportPage)
def registrar_enrollments(**args):
    """Export enrollments

    Every student's enrollment in id order, a page at a time, in the import's own shape; filter by program.
    Needs an administrator's admin-scope token.
    """
    return list_page(registrar.enrollments_query(args.get("program")), args, registrar.enrollment_row)


@bp.route(f"{PATH}/enrollments", methods=["POST"], tags=["registrar"])
@bearer("admin", Role.ADMIN)
@bp.arguments(EnrollmentBatch)
@bp.response(200, ImportReport)
@problem_responses(409)
def registrar_enrollments_import(data: dict):
    """Import enrollments

    Creates or updates each row's enrollment, matched by `external_id` (an enrollment made in the tracker is
    matched by the student's e-mail the first time). A new e-mail makes a student account without a password
    (the student sets one with a reset link or logs in with single sign-on). All or nothing: a batch with any
    bad row writes nothing and answers 422 naming every bad row. The feed never moves a student to another
    program or an external id to another student. With `dry_run` nothing is written.
    """
    return _imported(registrar.import_enrollments, data["rows"], data["dry_run"])


@bp.route(f"{PATH}/course-records", tags=["registrar"])
@bearer("admin", Role.ADMIN)
@bp.arguments(CourseRecordExportArgs, location="query", as_kwargs=True)
@bp.response(200, CourseRecordExportPage)
def registrar_course_records(**args):
    """Export course records

    Every student's course records in id order, a page at a time, in the import's own shape; filter by program
    or term. Needs an administrator's admin-scope token.
    """
    query = registrar.course_records_query(args.get("program"), args.get("term"))
    return list_page(query, args, registrar.course_record_row)


@bp.route(f"{PATH}/course-records", methods=["POST"], tags=["registrar"])
@bearer("admin", Role.ADMIN)
@bp.arguments(CourseRecordBatch)
@bp.response(200, ImportReport)
@problem_responses(409)
def registrar_course_records_import(data: dict):
    """Import course records

    Creates or updates each row's course record, matched by `external_id` (a record a student entered is
    matched by student, course and term the first time). The same checks as the course form (the student's
    program's catalog, grades by the course's kind, a variable-credit course's range) and every problem of
    every row at once, all or nothing. A record an advisor's substitution counts is not changed: revoke the
    substitution first. With `dry_run` nothing is written.
    """
    return _imported(registrar.import_course_records, data["rows"], data["dry_run"])



@bp.route(f"{V1}/docs/registrar-feed", tags=["meta"])
@bp.response(200, description="The registrar feed's guide.", content_type="text/html")
def registrar_feed_docs():
    """The registrar feed's guide

    For people: docs/registrar-feed.md (matching by external id, all or nothing, dry runs); needs no token.
    """
    page = render_template("api/registrar_feed.html", body=render_doc("registrar-feed.md"))
    return current_app.response_class(page, mimetype="text/html")
