"""Who is calling the API: the personal access token in `Authorization: Bearer <token>`, and nothing else.

The session cookie never authenticates an API request: `bearer(...)` sets Flask-Login's user for the request to the
token's user (or to the anonymous user), so nothing under /api reads the cookie; CSRF is off for the API for the
same reason. Scopes and roles are checked with the rules in tracker/permissions.py, like the pages.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import g, request
from flask_limiter.util import get_remote_address

from ..extensions import login_manager
from ..models import ApiToken, Role
from ..services import api_tokens as token_service
from . import bp, schemas
from .problems import INSUFFICIENT_SCOPE, MEDIA_TYPE, UNAUTHENTICATED, Problem

SECURITY = [{"bearerAuth": []}]


def _secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


_TOKEN_KEY = "tracker.api_token"


def current_token() -> ApiToken | None:
    """The usable token this request presents (looked up once per request, kept on the request itself), or None."""
    environ = request.environ
    if _TOKEN_KEY not in environ:
        environ[_TOKEN_KEY] = token_service.authenticate(_secret())
    return environ[_TOKEN_KEY]


def rate_limit_key() -> str:
    """Each token has its own budget; requests without a usable one share their address's (so guessing tokens
    is slowed down too)."""
    token = current_token()
    return f"api-token:{token.id}" if token is not None else f"api-address:{get_remote_address()}"


def _unauthenticated() -> Problem:
    given = _secret() is not None
    detail = ("The token is unknown, revoked or expired, or its account is deactivated." if given
              else "Send a personal access token as `Authorization: Bearer <token>` (make one on /api_tokens).")
    challenge = 'Bearer realm="tracker"' + (', error="invalid_token"' if given else "")
    return Problem(401, detail, type_=UNAUTHENTICATED, title="Not authenticated",
                   headers={"WWW-Authenticate": challenge})


def bearer(scope: str, *roles: Role | str) -> Callable:
    """Allow only requests with a usable token holding `scope`, whose user has one of `roles` (any role when none
    are given): 401 without such a token, 403 when the scope or the role is missing. The view keeps them as
    `api_scope` and `api_roles` (tests/test_route_guards.py reads them)."""
    allowed = frozenset(Role(r) for r in roles) or frozenset(Role)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = current_token()
            g._login_user = token.user if token is not None else login_manager.anonymous_user()
            if token is None:
                raise _unauthenticated()
            if scope not in token.scope_set:
                raise Problem(403, f"This token lacks the “{scope}” scope: make a token with it on /api_tokens.",
                              type_=INSUFFICIENT_SCOPE, title="Insufficient scope",
                              headers={"WWW-Authenticate": f'Bearer realm="tracker", error="insufficient_scope", '
                                                           f'scope="{scope}"'})
            if token.user.role not in allowed:
                raise Problem(403, "Your account's role may not use this operation.")
            return view(*args, **kwargs)

        wrapped.api_scope = scope
        wrapped.api_roles = allowed
        return bp.doc(security=SECURITY)(problem_responses(401, 403, 429)(wrapped))

    return decorator


def problem_responses(*statuses: int) -> Callable:
    """Document that an operation may answer these statuses, each with a problem document."""

    def decorator(view: Callable) -> Callable:
        for status in statuses:
            view = bp.alt_response(status, schema=schemas.Problem, content_type=MEDIA_TYPE,
                                   description=http_phrase(status))(view)
        return view

    return decorator


def http_phrase(status: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status).phrase
