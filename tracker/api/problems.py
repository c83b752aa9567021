"""Errors of the JSON API as RFC 9457 problem details (application/problem+json): type, title, status, detail and,
for a refused body or query, `errors` naming every field with its problem.

tracker/errors.py hands every error of a request under /api/ here, so a refusal anywhere (routing, the rate
limiter, the body parser, a view, a service) answers the same way and never with an HTML page.
"""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import current_app, json, request
from werkzeug.exceptions import HTTPException

from ..services import ServiceError

MEDIA_TYPE = "application/problem+json"
PREFIX = "/api/"
# Problem types this API defines (anchors of its documentation page); others are "about:blank", whose title is
# the HTTP status phrase (RFC 9457, section 4.2.1).
VALIDATION = "/api/v1/docs#problem-validation"
INVALID_JSON = "/api/v1/docs#problem-invalid-json"
UNAUTHENTICATED = "/api/v1/docs#problem-unauthenticated"
INSUFFICIENT_SCOPE = "/api/v1/docs#problem-insufficient-scope"
RATE_LIMITED = "/api/v1/docs#problem-rate-limited"
CONFLICT = "/api/v1/docs#problem-conflict"

DETAILS = {
    400: "The request could not be understood.",
    401: "Send a valid API token as `Authorization: Bearer <token>`.",
    403: "Your token or your account may not do this.",
    404: "There is nothing here, or it is not yours to see.",
    405: "This address does not accept that method.",
    409: "The change conflicts with the object's current state.",
    413: "The request body is too large.",
    429: "Too many requests with this token; wait and try again.",
    500: "The error has been logged. Please try again later.",
    503: "The service is briefly unavailable; try again shortly.",
}


class Problem(HTTPException):
    """An API refusal a view raises: a status with a detail, optional per-field errors and headers."""

    def __init__(self, status: int, detail: str | None = None, *, type_: str = "about:blank",
                 errors: list[dict] | None = None, headers: dict | None = None, title: str | None = None):
        super().__init__(description=detail)
        self.code = status
        self.type = type_
        self.errors = errors
        self.extra_headers = headers or {}
        self.title = title


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


def field_errors(messages: Any, location: str | None = None, path: tuple = ()) -> list[dict]:
    """webargs/marshmallow messages ({"json": {"date": ["Not a valid date."]}}) as a flat list of
    {"field", "location", "pointer", "detail"}; nested objects and list items get dotted names."""
    out: list[dict] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if location is None and not path:  # the top level names the location (json, query)
                out.extend(field_errors(value, str(key), ()))
            else:
                out.extend(field_errors(value, location, path + (key,)))
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            for message in messages:
                out.append(_field(location, path, message))
        else:
            for index, item in enumerate(messages):
                out.extend(field_errors(item, location, path + (index,)))
    else:
        out.append(_field(location, path, str(messages)))
    return out


def _field(location: str | None, path: tuple, message: str) -> dict:
    name = ".".join(str(p) for p in path if p != "_schema") or None
    entry = {"field": name, "location": location, "detail": message}
    if location == "json":
        entry["pointer"] = "#" + "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path
                                             if p != "_schema")
    return entry


def json_error(path: tuple, message: str) -> dict:
    """One body field's problem as `errors` lists it; `path` holds the keys and list indexes down to the field
    (("rows", 3, "course") -> field rows.3.course, pointer #/rows/3/course)."""
    return _field("json", path, message)


def service_errors(err: ServiceError) -> list[dict]:
    """A service's (field, message) problems in the same shape (location json: the fields are the body's)."""
    return [_field("json", (field,) if field else (), message) for field, message in err.problems]


def response(status: int, detail: str | None = None, *, type_: str = "about:blank", title: str | None = None,
             errors: list[dict] | None = None, headers: dict | None = None):
    """A problem document with its status and headers."""
    body: dict[str, Any] = {"type": type_, "title": title or HTTPStatus(status).phrase, "status": status,
                            "detail": detail or DETAILS.get(status, HTTPStatus(status).description),
                            "instance": request.path}
    if errors is not None:
        body["errors"] = errors
    result = current_app.response_class(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    result.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        result.headers[name] = value
    return result


def from_exception(err: HTTPException):
    """The problem document for any HTTP error raised while handling an API request."""
    status = err.code or 500
    if isinstance(err, Problem):
        return response(status, err.description, type_=err.type, title=err.title, errors=err.errors,
                        headers=err.extra_headers)
    headers = {name: value for name, value in err.get_headers() if name.lower() not in ("content-type",)}
    data = getattr(err, "data", None) or {}
    messages = data.get("messages")
    if status == 400 and messages and "json" in messages:
        return response(400, "The request body is not valid JSON (or not UTF-8).", type_=INVALID_JSON,
                        title="Invalid JSON", errors=field_errors(messages), headers=headers)
    if status == 422:
        errors = field_errors(messages) if messages else []
        return response(422, "Some fields are missing or wrong; see errors.", type_=VALIDATION,
                        title="Validation failed", errors=errors, headers=headers)
    if status == 429:
        return response(429, f"Too many requests with this token (limit {err.description}); wait and try again.",
                        type_=RATE_LIMITED, title="Too many requests", headers=headers)
    if status == 400 and err.description and "CSRF" not in err.description:
        detail = err.description if len(err.description) < 300 else None
        return response(400, detail, headers=headers)
    return response(status, None, headers=headers)

