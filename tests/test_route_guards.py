"""Every route is public, role-guarded or object-scoped, and each guard really holds.

The test lists the app's routes itself, so a new page cannot slip past: it must be in PUBLIC, carry
`permissions.role_required` (or be listed in ANY_ROLE), and, when its URL names a student's object, answer 404 to
a user who may use the page but not see that object, while the object's owner or advisor gets it.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

import pytest
from flask import url_for
from werkzeug.routing import AnyConverter

from tracker.extensions import db
from tracker.models import (
    ApiToken,
    AuditException,
    EnsembleRecord,
    EnsembleRole,
    ExceptionKind,
    MilestoneRecord,
    Notification,
    ProgressDocument,
    Role,
    StudioBooking,
    StudioSessionGroup,
)

# Pages anyone may open, logged in or not.
# A progress document's link is meant for people without an account (a committee, an employer); its token is
# unguessable (services/documents.py).
# Single sign-on starts and ends logged out (the provider's answer carries its own state check).
# A calendar feed is fetched by a calendar app, which cannot log in; its address holds the user's unguessable token
# (services/calendar_feeds.py). An unsubscribe link works from the mail without logging in; its token is signed
# (services/mail.py). The API's description and its documentation page are public too; its operations take a bearer
# token instead of the session (tracker/api/auth.py) and are checked by the api_ tests at the end.
PUBLIC = {"auth.login", "auth.password_reset", "auth.sso_callback", "auth.sso_login", "calendar.mine_feed",
          "calendar.studio_feed", "dashboard.healthz", "documents.verify", "documents.verify_pdf", "mail.unsubscribe",
          "mail.unsubscribe_one_click", "static", "api.openapi", "api.docs", "api.registrar_feed_docs"}
# Pages every logged-in user may open whatever their role (no role_required); scoped pages check the object too.
ANY_ROLE = {"auth.logout", "auth.password_change", "dashboard.home", "mail.preferences", "notifications.index", "notifications.open",
            "notifications.read", "progress.student", "progress.student_export", "progress.student_what_if",
            "studio.detail"}
# URL variables that name one student's objects: a page using them must hide other students' objects.
OWNED = {"student_id", "session_id", "record_id", "exception_id", "notification_id", "document_id", "booking_id",
         "group_id", "token_id"}


def _routes(app):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if rule.endpoint not in PUBLIC and not _is_api(rule.endpoint)),
                  key=lambda rule: rule.rule)


def _is_api(endpoint: str) -> bool:
    return endpoint.startswith("api.")


def _api_routes(app):
    return sorted((rule for rule in app.url_map.iter_rules() if _is_api(rule.endpoint)
                   and rule.endpoint not in PUBLIC), key=lambda rule: (rule.rule, rule.endpoint))


def _roles(app, endpoint: str) -> frozenset[Role]:
    return getattr(app.view_functions[endpoint], "allowed_roles", frozenset(Role))


def _request(client, app, rule, **values):
    """GET the page, or POST to it when it only takes POST (CSRF is off for these tests: the guards come first)."""
    defaults = {"token": "x"}
    for arg, converter in rule._converters.items():  # <any(retire, reactivate):action>: one of its words
        if isinstance(converter, AnyConverter):
            defaults[arg] = min(converter.items)
    values = {arg: values.get(arg, defaults.get(arg, 1)) for arg in rule.arguments}
    with app.test_request_context():
        url = url_for(rule.endpoint, **values)
    return client.get(url) if "GET" in rule.methods else client.post(url, data={})


@contextmanager
def csrf_off(app):
    """Turn CSRF checks off (after logging in: the login form needs its token) so POSTs reach the guards."""
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def _logged_in(app, user):
    client = app.test_client()
    assert client.login(user.email).status_code == 302
    return client


def test_every_route_is_public_role_guarded_or_listed(app):
    unguarded = {rule.endpoint for rule in _routes(app) if not hasattr(app.view_functions[rule.endpoint],
                                                                      "allowed_roles")}
    assert unguarded == ANY_ROLE, "a new page needs role_required, or a place in PUBLIC or ANY_ROLE"


def test_anonymous_visitors_are_sent_to_log_in_everywhere_but_public_pages(app, client):
    answered = {}
    with csrf_off(app):
        for rule in _routes(app):
            response = _request(client, app, rule)
            if not (response.status_code == 302 and response.location.startswith("/auth/login")):
                answered[rule.endpoint] = response.status_code
    assert answered == {}


def test_each_role_is_refused_pages_of_other_roles(app, make_user, make_student):
    clients = {role: _logged_in(app, make_student() if role == Role.STUDENT else make_user(role)) for role in Role}
    served = {}
    with csrf_off(app):
        for rule in _routes(app):
            for role in set(Role) - _roles(app, rule.endpoint):
                status = _request(clients[role], app, rule).status_code
                if status != 403:
                    served[(rule.endpoint, role.value)] = status
    assert served == {}


@pytest.fixture
def world(make_user, make_student, make_term, make_course, make_course_record, make_session, make_ensemble):
    """Student B (advised by faculty B) with one object of every kind; student A and faculty A see none of them."""
    faculty_b, faculty_a = make_user("faculty"), make_user("faculty")
    student_b = make_student(advisor=faculty_b)
    student_a = make_student(advisor=faculty_a)
    term = make_term()
    objects = {
        "session": make_session(student_b, faculty_b, term=term),
        "course_record": make_course_record(student_b, make_course(), term),
        "ensemble_record": EnsembleRecord(student_id=student_b.id, ensemble_id=make_ensemble().id, term_id=term.id,
                                          role=EnsembleRole.PERFORMER),
        "milestone": MilestoneRecord(student_id=student_b.id, kind="thesis_defense", completed_on=date.today(),
                                     signed_by_id=faculty_b.id),
        "exception": AuditException(student_id=student_b.id, kind=ExceptionKind.WAIVER, requirement_key="core",
                                    justification="Prior degree.", created_by_id=faculty_b.id),
        "notification": Notification(user_id=student_b.id, message="Your session was approved."),
        "document": ProgressDocument(token="route-guards", student_id=student_b.id, issued_by_id=faculty_b.id,
                                     content="{}", signature="-", key_id="-"),
        "api_token": ApiToken(user_id=student_b.id, name="B's sync", token_hash="0" * 64, prefix="mtt_000000",
                              expires_at=datetime.now(timezone.utc) + timedelta(days=1)),
    }
    session = objects["session"]
    objects["booking"] = StudioBooking(studio_id=session.studio_id, user_id=student_b.id, booked_by_id=student_b.id,
                                       date=session.date, start_time=session.start_time, end_time=session.end_time,
                                       purpose="Tracking")
    db.session.add_all(obj for obj in objects.values() if obj.id is None)
    db.session.commit()
    # A group session of student B's (their session is its one row), reviewed by faculty B.
    objects["group"] = StudioSessionGroup(created_by_id=student_b.id)
    objects["session"].group = objects["group"]
    db.session.commit()
    return {"owner": {Role.STUDENT: student_b, Role.FACULTY: faculty_b},
            "intruder": {Role.STUDENT: student_a, Role.FACULTY: faculty_a},
            "ids": {name: obj.id for name, obj in objects.items()}, "student_id": student_b.id}


def _owned_values(endpoint: str, world) -> dict:
    """Student B's ids for the URL variables of one page (record_id means a different table per feature)."""
    ids = world["ids"]
    record = {"courses": "course_record", "ensembles": "ensemble_record", "advising": "milestone"}
    return {"student_id": world["student_id"], "session_id": ids["session"], "exception_id": ids["exception"],
            "notification_id": ids["notification"], "document_id": ids["document"], "booking_id": ids["booking"],
            "group_id": ids["group"], "token_id": ids["api_token"], "record_id": ids[record.get(endpoint.split(".")[0], "session")]}


def test_pages_naming_a_students_object_hide_it_from_everyone_else(app, world):
    scoped = [rule for rule in _routes(app) if set(rule.arguments) & OWNED
              and _roles(app, rule.endpoint) - {Role.ADMIN}]
    assert len(scoped) >= 15, "the list of scoped pages looks wrong"
    intruders = {role: _logged_in(app, user) for role, user in world["intruder"].items()}
    owners = {role: _logged_in(app, user) for role, user in world["owner"].items()}
    shown, hidden = {}, {}
    with csrf_off(app):
        for rule in scoped:
            values = _owned_values(rule.endpoint, world)
            for role in _roles(app, rule.endpoint) - {Role.ADMIN}:
                status = _request(intruders[role], app, rule, **values).status_code
                if status != 404:
                    shown[(rule.endpoint, role.value)] = status
                if "GET" in rule.methods:  # the control: the same URL does serve its owner (or the advisor)
                    if _request(owners[role], app, rule, **values).status_code == 404:
                        hidden[(rule.endpoint, role.value)] = 404
    assert shown == {}, "another user's object was served"
    assert hidden == {}, "the owner could not open their own object: the test's ids are wrong"


def test_every_url_variable_is_known_to_these_tests(app):
    """A page with a new kind of id must say here whether it is a student's object (OWNED) or admin-only."""
    unknown = {(rule.endpoint, arg) for rule in _routes(app) for arg in rule.arguments
               if arg not in OWNED | {"action", "token"} and _roles(app, rule.endpoint) != {Role.ADMIN}}
    assert unknown == set()


# ---------------------------------------------------------------- the JSON API: bearer tokens, never the session

def _api_call(client, app, rule, token: str | None = None):
    """Call an API operation with this token (or none); a body-taking operation gets an empty JSON object (the
    guard answers before the body is read)."""
    with app.test_request_context():
        url = url_for(rule.endpoint, **{arg: 1 for arg in rule.arguments})
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS", "HEAD"})[0]
    return client.open(url, method=method, headers=headers, json=None if method == "GET" else {})


def test_every_api_operation_takes_a_token_with_a_scope(app):
    unguarded = [rule.endpoint for rule in _api_routes(app)
                 if not hasattr(app.view_functions[rule.endpoint], "api_scope")]
    assert unguarded == [] and len(_api_routes(app)) >= 5


def test_a_logged_in_session_without_a_token_is_refused_by_every_api_operation(app, make_user):
    """The session cookie authenticates pages only: with it and no token, every operation answers 401."""
    client = _logged_in(app, make_user("admin"))
    answered = {rule.endpoint: _api_call(client, app, rule).status_code for rule in _api_routes(app)}
    assert set(answered.values()) == {401}, answered


def test_each_role_is_refused_api_operations_of_other_roles(app, make_user, make_student):
    from tracker.services import api_tokens

    tokens = {}
    for role in Role:
        user = make_student() if role == Role.STUDENT else make_user(role)
        tokens[role] = api_tokens.create_token(user, "guards", list(api_tokens.allowed_scopes(user)), 1,
                                               actor=user)[1]
    client = app.test_client()
    served = {}
    for rule in _api_routes(app):
        for role in set(Role) - app.view_functions[rule.endpoint].api_roles:
            status = _api_call(client, app, rule, tokens[role]).status_code
            if status != 403:
                served[(rule.endpoint, role.value)] = status
    assert served == {}
