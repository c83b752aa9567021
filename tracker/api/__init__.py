"""The JSON API (/api/v1): a student's records and progress, their studio sessions and course records (read, add,
edit, withdraw or delete as the pages allow), the review queue and its decisions, advisees' records for their
advisors, and the registrar's bulk feed for administrators (tracker/api/registrar.py); described by an OpenAPI 3.1
document generated from the code (flask-smorest) at /api/v1/openapi.json.

Programs authenticate with a personal access token (`Authorization: Bearer <token>`, made on /api_tokens), never
with the session cookie, so the API is exempt from CSRF; each token has its own rate limit. Every error is an RFC
9457 problem document (tracker/api/problems.py).
"""
from __future__ import annotations

import http

from flask import Flask, current_app
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.utils import prepare_response
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from ..extensions import csrf, limiter
from . import schemas
from .problems import MEDIA_TYPE

TITLE = "Music-technology master's tracker API"
VERSION = "1"


class _Parser(FlaskParser):
    """webargs' parser, refusing any body it cannot read as JSON with a 400 (never a 500): Python's json
    raises ValueError for an integer of over 4,300 digits and RecursionError for deep nesting, which webargs
    does not catch."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        try:
            return core.parse_json(data)
        except (core.json.JSONDecodeError, UnicodeDecodeError):
            raise
        except (ValueError, RecursionError) as exc:
            raise core.json.JSONDecodeError(str(exc)[:200], "body", 0) from None


class ApiBlueprint(SmorestBlueprint):
    # unknown=None: each schema's own Meta.unknown decides (webargs would otherwise ignore unknown query arguments).
    ARGUMENTS_PARSER = _Parser(unknown=None)


class TrackerApi(Api):
    """flask-smorest's Api that leaves errors to tracker/errors.py (which answers problem documents under /api/)
    and documents every error response as one."""

    ERROR_SCHEMA = schemas.Problem

    def _register_error_handlers(self):
        """The app's own handlers answer API errors (they would otherwise turn every HTML error page into JSON)."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error: a problem document (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


TAGS = (("account", "The token's own account."),
        ("student", "A student's own records and progress; logging, editing and withdrawing studio sessions; adding, "
                    "editing and deleting course records (student accounts)."),
        ("faculty", "Reviewing and deciding studio sessions; advisees' progress and records (faculty and "
                    "administrators)."),
        ("registrar", "The registrar's feed: bulk import and export of enrollments and course records "
                      "(administrators, admin scope)."),
        ("meta", "This description and its documentation page (no token needed)."))

bp = ApiBlueprint("api", "tracker.api", url_prefix="/api", description="The tracker's JSON API, version 1.")


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def register(app: Flask) -> None:
    """Mount the API: its blueprint, its OpenAPI description, no CSRF (no cookie authenticates it)."""
    from .auth import rate_limit_key

    api = TrackerApi(spec_kwargs={
        "title": TITLE, "version": VERSION, "openapi_version": "3.1.0",
        "info": {"description": "Read a student's records and degree progress; log, edit and withdraw studio "
                                "sessions; add, edit and delete course records; review and decide studio sessions; "
                                "read advisees' progress and records; import and export enrollments and course "
                                "records in bulk (the registrar's feed). Authenticate with a personal access token: "
                                "`Authorization: Bearer <token>`. Errors are RFC 9457 problem documents."},
    })
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "A personal access token made on the API tokens page (/api_tokens)."})
    if not getattr(bp, "_tracker_limited", False):  # the limiter and the blueprint are module-wide: once
        limiter.limit(_rate_limit, key_func=rate_limit_key)(bp)
        bp._tracker_limited = True
    csrf.exempt(bp)
    api.register_blueprint(bp)
    for name, description in TAGS:
        api.spec.tag({"name": name, "description": description})
    app.extensions["tracker_api"] = api


from . import registrar, routes  # noqa: E402,F401
