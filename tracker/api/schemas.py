"""The API's request and response shapes (marshmallow), from which the OpenAPI description is generated.

Request fields refuse what the database could not store before any service sees it: NUL and text that is not
valid Unicode (a lone surrogate is legal in JSON), numbers outside the id range, floats where a whole number is
due, times with a time zone. Everything else about a value is the service's to judge, so the API refuses exactly
what the pages refuse, with the same messages.
"""
from __future__ import annotations

import copy

import marshmallow as ma
from marshmallow import fields, validate

from ..models import CourseStatus, EnrollmentStatus, SessionStatus, StudioActivity, StudioRole
from ..models.api_tokens import SCOPES
from ..query_args import MAX_PAGE
from ..services.courses import grade_choices
from ..services.review import MAX_NOTE, Decision
from ..services.values import MAX_ID

MAX_PER_PAGE = 100


def _storable(value: str) -> None:
    if "\x00" in value:
        raise ma.ValidationError("Text cannot hold NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ma.ValidationError("Text must be valid Unicode.") from None


class Text(fields.String):
    """A string the database can store (no NUL, no lone surrogates)."""

    def __init__(self, *args, max_length: int | None = None, **kwargs):
        validators = [_storable] + ([validate.Length(max=max_length)] if max_length else [])
        super().__init__(*args, validate=validators, **kwargs)


def _naive(value) -> None:
    if value.tzinfo is not None:
        raise ma.ValidationError("Give a local time without a time zone, e.g. 14:30.")


def Id(**kwargs) -> fields.Integer:  # noqa: N802 (a field factory reads like a field class)
    """A row id: a whole number from 1 to 2^63-1 (JSON numbers only, not strings or floats)."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def Version(**kwargs) -> fields.Integer:  # noqa: N802
    """The `version` an object was read at (optimistic locking): a whole number from 0 to 2^31-1."""
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_ID), **kwargs)


def enum_values(enum_cls) -> list[str]:
    """The codes an enum field takes (its members' values), for OneOf."""
    return [member.value for member in enum_cls]


class Schema(ma.Schema):
    """Every request body refuses fields it does not know (a typo must not be silently dropped)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


# ---------------------------------------------------------------- query arguments

class PageArgs(ma.Schema):
    """?page=&per_page= of a list; an argument the operation does not know is refused (a typo such as
    `per-page` must not silently give the default)."""

    class Meta:
        unknown = ma.RAISE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "Page number, from 1."})
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=MAX_PER_PAGE),
                              metadata={"description": f"Items per page, 1 to {MAX_PER_PAGE}."})


class QueueArgs(PageArgs):
    """The review queue's filters (the same as the queue page's)."""

    student_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Only this student's sessions."})
    studio_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Only this studio's sessions."})
    term_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Only this term's sessions."})


# ---------------------------------------------------------------- responses

class Named(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class Person(ma.Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)


class TokenInfo(ma.Schema):
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "The token's first characters."})
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True)
    expires_at = fields.AwareDateTime(required=True)


class Me(ma.Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    display_name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(["student", "faculty", "admin"]))
    token = fields.Nested(TokenInfo, required=True)


class Requirement(ma.Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["complete", "in_progress", "not_started"]))
    unit = fields.String(required=True, metadata={"description": "credits, courses, terms, hours, gpa, "
                                                                  "milestones or requirements (a group)."})
    need = fields.Float(required=True)
    done = fields.Float(required=True)
    in_progress = fields.Float(required=True)
    remaining = fields.Float(required=True)
    percent = fields.Integer(required=True)
    still_needed = fields.List(fields.String(), required=True)
    depth = fields.Integer(required=True, metadata={"description": "0 at the top level, 1 inside a group, ..."})
    parent = fields.String(required=True, allow_none=True, metadata={"description": "The group's key, or null."})
    counted = fields.Boolean(required=True, metadata={"description": "False for a group's option that does not "
                                                                      "count."})


class Overall(ma.Schema):
    status = fields.String(required=True, validate=validate.OneOf(["complete", "in_progress", "not_started"]))
    complete = fields.Boolean(required=True)
    percent_done = fields.Integer(required=True)
    percent_in_progress = fields.Integer(required=True)


class AuditWarning(ma.Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    requirement_key = fields.String(required=True, allow_none=True)


class Progress(ma.Schema):
    """The student's degree audit, as the progress page shows it."""

    student = fields.Nested(Person, required=True)
    program = fields.String(required=True)
    concentration = fields.String(required=True)
    track = fields.String(required=True)
    catalog = fields.String(required=True)
    advisor = fields.Nested(Person, required=True, allow_none=True)
    as_of = fields.Date(required=True)
    overall = fields.Nested(Overall, required=True)
    gpa = fields.Float(required=True, allow_none=True)
    min_gpa = fields.Float(required=True)
    total_credits_required = fields.Float(required=True)
    total_credits_done = fields.Float(required=True)
    total_credits_in_progress = fields.Float(required=True)
    deadline = fields.Date(required=True, allow_none=True)
    requirements = fields.List(fields.Nested(Requirement), required=True)
    warnings = fields.List(fields.Nested(AuditWarning), required=True)


class StudioSession(ma.Schema):
    id = fields.Integer(required=True)
    date = fields.Date(required=True)
    start_time = fields.Time(required=True, format="%H:%M")
    end_time = fields.Time(required=True, format="%H:%M")
    hours = fields.Float(required=True)
    studio = fields.Nested(Named, required=True)
    term = fields.Nested(Named, required=True)
    activity = fields.String(required=True, validate=validate.OneOf(enum_values(StudioActivity)))
    project = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(enum_values(StudioRole)))
    supervisor = fields.Nested(Person, required=True)
    notes = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(enum_values(SessionStatus)))
    review_note = fields.String(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    reviewed_at = fields.AwareDateTime(required=True, allow_none=True)
    version = fields.Integer(required=True, metadata={"description": "Changes with every edit and decision: send "
                                                                     "it back with a change to refuse it (409) "
                                                                     "should the session have changed since."})


class ReviewedSession(StudioSession):
    """A session as its reviewer sees it: with its student."""

    student = fields.Nested(Person, required=True)


class QueueEntry(ReviewedSession):
    flags = fields.List(fields.String(), required=True, metadata={"description": "Reasons to look twice, as "
                                                                                 "the queue page shows them."})


class CourseRef(ma.Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    title = fields.String(required=True)


class CourseRecord(ma.Schema):
    id = fields.Integer(required=True)
    course = fields.Nested(CourseRef, required=True)
    term = fields.Nested(Named, required=True)
    status = fields.String(required=True, validate=validate.OneOf(enum_values(CourseStatus)))
    grade = fields.String(required=True, allow_none=True)
    credits = fields.Float(required=True, metadata={"description": "The credits the record carries."})


class StudentSummary(ma.Schema):
    """An advisee: who they are and what they are enrolled in, as the advisees list shows."""

    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    program = fields.String(required=True)
    concentration = fields.String(required=True)
    track = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(enum_values(EnrollmentStatus)))
    start_term = fields.Nested(Named, required=True, allow_none=True)
    advisor = fields.Nested(Person, required=True, allow_none=True)


class ListPage(ma.Schema):
    """The list envelope around `items` (each list's schema adds its items)."""

    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class StudioSessionPage(ListPage):
    items = fields.List(fields.Nested(StudioSession), required=True)


class CourseRecordPage(ListPage):
    items = fields.List(fields.Nested(CourseRecord), required=True)


class QueuePage(ListPage):
    items = fields.List(fields.Nested(QueueEntry), required=True)


class StudentPage(ListPage):
    items = fields.List(fields.Nested(StudentSummary), required=True)


class ProblemError(ma.Schema):
    field = fields.String(required=True, allow_none=True, metadata={"description": "The field, or null for the "
                                                                                   "request as a whole."})
    location = fields.String(required=True, allow_none=True, metadata={"description": "json or query."})
    pointer = fields.String(metadata={"description": "A JSON pointer into the body (RFC 6901)."})
    detail = fields.String(required=True)


class Problem(ma.Schema):
    """An RFC 9457 problem document (application/problem+json)."""

    type = fields.String(required=True, metadata={"description": "about:blank, or a link to this API's "
                                                                 "documentation of the problem."})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True)
    errors = fields.List(fields.Nested(ProblemError), metadata={"description": "Every field's problem (400, 422)."})


# ---------------------------------------------------------------- request bodies

class NewStudioSession(Schema):
    """A studio session to log (it waits for the supervisor's review), the fields of the studio log form."""

    date = fields.Date(required=True, metadata={"description": "The day of the session (YYYY-MM-DD), in a term, "
                                                               "not in the future."})
    studio_id = Id(required=True, metadata={"description": "An active studio."})
    start_time = fields.Time(required=True, validate=_naive, metadata={"description": "HH:MM, on the quarter hour."})
    end_time = fields.Time(required=True, validate=_naive, metadata={"description": "HH:MM, on the quarter hour, "
                                                                                   "15 minutes to 12 hours after the start."})
    activity = fields.String(required=True, validate=validate.OneOf(enum_values(StudioActivity)))
    project = Text(required=True, max_length=200, metadata={"description": "The project's title."})
    role = fields.String(required=True, validate=validate.OneOf(enum_values(StudioRole)))
    supervisor_id = Id(required=True, metadata={"description": "An active faculty member."})
    notes = Text(load_default="", max_length=2000)


def _all_optional(schema: type[ma.Schema], name: str, doc: str, **extra: fields.Field) -> type[Schema]:
    """A body schema for a partial change (PATCH): `schema`'s fields, each optional and without a default (a field
    left out keeps its value), with the same refusals, plus `extra`."""
    declared = {}
    for key, field in schema._declared_fields.items():
        field = copy.deepcopy(field)
        field.required, field.load_default = False, ma.missing
        declared[key] = field
    return type(name, (Schema,), {"__doc__": doc, "__module__": __name__, **declared, **extra})


SessionChanges = _all_optional(
    NewStudioSession, "SessionChanges",
    "Changes to a pending or sent-back session, the fields of the edit form: those given replace the session's, "
    "the others stay. Saving a session sent back for changes resubmits it for review.",
    version=Version(metadata={"description": "The version the change was made from; 409 if the session changed "
                                             "since. Left out, the current one."}))


class VersionOnly(Schema):
    """The version an action was decided from (optional: left out, the current one)."""

    version = Version(metadata={"description": "The version the action was decided from; 409 if the session "
                                               "changed since."})


class NewCourseRecord(Schema):
    """A course record to add, the fields of the course form."""

    course_id = Id(required=True, metadata={"description": "A course of the student's program's catalog."})
    term_id = Id(required=True, metadata={"description": "A term."})
    status = fields.String(required=True, validate=validate.OneOf(enum_values(CourseStatus)))
    grade = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(grade_choices()),
                          metadata={"description": "Only for a completed course: A to F, or P/NP for a pass/fail "
                                                   "course; null otherwise."})
    credits = fields.Decimal(load_default=None, allow_none=True, allow_nan=False,
                             metadata={"description": "Only for a variable-credit course: the credits taken, within "
                                                      "the course's range (ignored for any other course)."})


CourseRecordChanges = _all_optional(
    NewCourseRecord, "CourseRecordChanges",
    "Changes to a course record, the fields of the course form: those given replace the record's, the others stay.")


class DecisionBody(Schema):
    """A reviewer's decision on a pending session, the fields of the review page's form."""

    decision = fields.String(required=True, validate=validate.OneOf(enum_values(Decision)),
                             metadata={"description": "approve, reject, or send_back (for changes)."})
    note = Text(load_default="", max_length=MAX_NOTE,
                metadata={"description": "The student sees it. Required to reject (the reason) or send back (what "
                                         "to change)."})
    version = Version(metadata={"description": "The version the decision was made from (the queue's `version`); "
                                               "409 if the student changed the session since. Left out, the "
                                               "current one."})
