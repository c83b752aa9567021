"""Hostile input never becomes a server error: walk every route as every role with impossible ids, pages, dates,
url_for keywords and NUL bytes, and POST every form with hostile values.

Each response must be below 500, and a redirect must never point at another host (the Host header is the
attacker's to choose). The walk runs on the demo data, so it reaches real rows as well as impossible ones.
"""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.routing import AnyConverter, IntegerConverter

from tracker.demo import DEMO_PASSWORD, seed
from tracker.extensions import db
from tracker.models import (
    AuditException,
    Concentration,
    Course,
    CourseRecord,
    EnsembleRecord,
    Ensemble,
    Notification,
    Program,
    Studio,
    StudioSession,
    Term,
    User,
)

try:  # the model name of a signed-off milestone
    from tracker.models import MilestoneRecord
except ImportError:  # pragma: no cover
    MilestoneRecord = None

DOMAIN = "demo.mmtracker.test"
ROLES = {
    "anonymous": None,
    "student": f"maya@{DOMAIN}",
    "faculty": f"amoreno@{DOMAIN}",
    "admin": f"director@{DOMAIN}",
}
BIG = (2**63, 10**30)
ID_FILTERS = ("student_id", "studio_id", "term_id", "actor", "subject", "program", "concentration", "start_term",
              "advisor", "studio", "term")
# Each query string carries several hostile arguments at once (every view reads its arguments independently), which
# keeps the walk short: page numbers beyond 2^63, url_for's own keywords, impossible filter ids, unicode digits
# ('²'.isdigit() is True but int('²') fails), dates at the edge of what Python can count, NUL and oversized text.
HOSTILE_QUERIES = (
    "page=9223372036854775807&_method=DELETE&date_to=9999-12-31&date_from=9999-12-31&"
    + "&".join(f"{name}={BIG[0]}" for name in ID_FILTERS),
    "page=99999999999999999999999&_method=POST&_anchor=x&date_to=0001-01-01&date_from=99999-01-01&"
    + "&".join(f"{name}={BIG[1]}" for name in ID_FILTERS),
    "page=-3&track=%20&q=" + "x" * 3000 + "&" + "&".join(f"{name}=%C2%B2" for name in ID_FILTERS),
    "format=csv&page=9223372036854775807&program=" + str(BIG[0]),
    "q=%00&actor=%00",
)
HOSTILE_VALUES = ("1e400", "99999999999999999999999", "9999-12-31", " ", "x" * 5000, "-1", "0001-01-01",
                  f"{BIG[0]}:1")
NUL = "a\x00b"
# Never POSTed in the walk: they end the walker's own session.
SKIP_POST = {"auth.logout"}
FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ATTR_RE = re.compile(r'(\w[\w-]*)="([^"]*)"')
NAME_RE = re.compile(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"', re.I)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _first(model, *where):
    return db.session.scalar(sa.select(model.id).where(*where).order_by(model.id).limit(1)) if model else None


def _valid_ids() -> dict[str, int]:
    """Real ids of the demo's rows, by URL variable name (the walk also needs rows that exist)."""
    maya = db.session.scalar(sa.select(User).where(User.email == f"maya@{DOMAIN}"))
    jonah = db.session.scalar(sa.select(User).where(User.email == f"jonah@{DOMAIN}"))
    return {
        "student_id": maya.id,
        "user_id": jonah.id,
        "session_id": _first(StudioSession, StudioSession.student_id == maya.id) or 1,
        "course_record": _first(CourseRecord, CourseRecord.student_id == maya.id) or 1,
        "ensemble_record": _first(EnsembleRecord, EnsembleRecord.student_id == maya.id) or 1,
        "milestone_record": (_first(MilestoneRecord, MilestoneRecord.student_id == maya.id) or 1)
        if MilestoneRecord else 1,
        "term_id": _first(Term) or 1,
        "studio_id": _first(Studio) or 1,
        "ensemble_id": _first(Ensemble) or 1,
        "conc_id": _first(Concentration) or 1,
        "course_id": _first(Course) or 1,
        "program_id": _first(Program) or 1,
        "notification_id": _first(Notification) or 1,
        "exception_id": _first(AuditException) or 1,
    }


def _valid_value(rule, name: str, ids: dict[str, int]):
    converter = rule._converters[name]
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    if not isinstance(converter, IntegerConverter):
        return "not-a-real-token"
    if name == "record_id":
        key = {"courses": "course_record", "ensembles": "ensemble_record"}.get(rule.endpoint.split(".")[0],
                                                                              "milestone_record")
        return ids[key]
    return ids.get(name, 1)


def _urls(rule, ids: dict[str, int]) -> tuple[str, list[str]]:
    """The rule with valid values, and variants with one impossible id (or a NUL in a string) each."""
    valid = {name: _valid_value(rule, name, ids) for name in rule.arguments}
    hostile = []
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            for big in BIG:
                hostile.append(_build(rule, {**valid, name: big}))
        elif not isinstance(converter, AnyConverter):
            hostile.append(_build(rule, {**valid, name: NUL}))
    return _build(rule, valid), hostile


def _build(rule, values: dict) -> str:
    """The rule's path with the given values, built by hand: url_for would refuse the impossible ones."""
    path = rule.rule
    for name, value in values.items():
        path = re.sub(r"<(?:[^:<>]+:)?" + name + r">", quote(str(value), safe=""), path)
    return path


def _check(response, url: str, problems: list[str], method: str = "GET") -> None:
    if response.status_code >= 500:
        problems.append(f"{method} {url[:160]} -> {response.status_code}")
    location = response.headers.get("Location")
    if location:
        netloc = urlsplit(location).netloc
        if netloc and netloc != "localhost":
            problems.append(f"{method} {url[:160]} redirects to another host: {location[:120]}")


def _forms(html: str, page_url: str) -> dict[str, tuple[set[str], str | None]]:
    """POST forms of a page: action URL -> (field names, the form's CSRF token)."""
    out = {}
    for attrs, body in FORM_RE.findall(html):
        attributes = dict(ATTR_RE.findall(attrs))
        if attributes.get("method", "get").lower() != "post":
            continue
        action = unescape(attributes.get("action") or page_url)
        action = urlsplit(action).path or urlsplit(page_url).path
        names, token = out.get(action, (set(), None))
        names |= set(NAME_RE.findall(body))
        match = CSRF_RE.search(body)
        out[action] = (names, token or (match.group(1) if match else None))
    return out


def _login(app, role: str):
    client = app.test_client()
    if ROLES[role]:
        assert client.login(ROLES[role], DEMO_PASSWORD).status_code == 302
    return client


def _walk_get(app, role: str) -> tuple[list[str], dict, list]:
    """GET every rule (valid and impossible ids) with every hostile query string; collect the forms seen."""
    client = _login(app, role)
    ids = _valid_ids()
    problems: list[str] = []
    forms: dict[str, tuple[set[str], str | None]] = {}
    post_rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        valid, hostile = _urls(rule, ids)
        if "POST" in rule.methods and rule.endpoint not in SKIP_POST:
            post_rules.append((rule, valid))
        for url in hostile:
            method = "GET" if "GET" in rule.methods else "POST"
            _check(client.open(url, method=method), url, problems, method)
        if "GET" not in rule.methods:
            continue
        response = client.get(valid)
        _check(response, valid, problems)
        if response.mimetype == "text/html":
            for action, (names, token) in _forms(response.get_data(as_text=True), valid).items():
                known, known_token = forms.get(action, (set(), None))
                forms[action] = (known | names, known_token or token)
        if response.status_code != 200:
            continue  # refused before any argument is read (login, role): hostile arguments change nothing
        for query in HOSTILE_QUERIES:
            url = f"{valid}?{query}"
            _check(client.get(url), url, problems)
        # url_for(_external=True) builds from the Host header: a redirect must stay relative.
        url = f"{valid}?_external=1&page=2"
        _check(client.get(url, headers={"Host": "evil.example"}), url, problems)
    return problems, forms, post_rules


def _post_all(app, role: str, forms: dict, post_rules: list, values) -> list[str]:
    """POST every POST rule, each field filled with each hostile value (and a valid CSRF token)."""
    client = _login(app, role)
    token = client.csrf_token() if ROLES[role] else None
    problems: list[str] = []
    for rule, url in post_rules:
        names, _ = forms.get(url, (set(), None))
        names = (names or {"id", "version", "program_id", "note"}) - {"csrf_token"}
        for value in values:
            data = {name: value for name in names}
            if token:
                data["csrf_token"] = token
            _check(client.post(url, data=data), url, problems, f"POST[{value[:12]!r}]")
    return problems


@pytest.mark.parametrize("role", list(ROLES))
def test_hostile_urls_and_forms_never_fail(app, role):
    seed()
    problems, forms, post_rules = _walk_get(app, role)
    assert len(post_rules) > 20
    problems += _post_all(app, role, forms, post_rules, HOSTILE_VALUES)
    assert problems == [], "\n".join(problems)


# NUL inside POSTed WTForms fields is refused by the form layer (TrackerForm) at the field; PostgreSQL would fail
# with "cannot contain NUL characters" if one got through.
@pytest.mark.parametrize("role", ["anonymous", "student", "admin"])
def test_nul_in_posted_fields_never_fails(app, role):
    seed()
    _, forms, post_rules = _walk_get_forms_only(app, role)
    assert _post_all(app, role, forms, post_rules, [NUL]) == []


def _walk_get_forms_only(app, role: str):
    """The forms of every valid page, without the hostile GETs (for the NUL walk)."""
    client = _login(app, role)
    ids = _valid_ids()
    forms: dict[str, tuple[set[str], str | None]] = {}
    post_rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        valid, _ = _urls(rule, ids)
        if "POST" in rule.methods and rule.endpoint not in SKIP_POST:
            post_rules.append((rule, valid))
        if "GET" in rule.methods:
            response = client.get(valid)
            if response.mimetype == "text/html":
                for action, (names, token) in _forms(response.get_data(as_text=True), valid).items():
                    known, known_token = forms.get(action, (set(), None))
                    forms[action] = (known | names, known_token or token)
    return [], forms, post_rules


# ---------------------------------------------------------------- the cases, one by one

def _admin(app):
    seed()
    return _login(app, "admin")


def _demo_user(login: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == f"{login}@{DOMAIN}"))


@pytest.mark.parametrize("amount", ["1e400", "99999999999999999999999", "-1e400", "NaN", "Infinity", "1.001"])
def test_a_waiver_amount_beyond_any_column_is_refused_at_the_field(app, amount):
    from tracker.services import ServiceError
    from tracker.services import audit_exceptions as exception_service

    seed()
    with pytest.raises(ServiceError) as err:
        exception_service.record_waiver(_demo_user("maya"), "electives", amount, "Prior coursework in audio.",
                                        actor=_demo_user("director"))
    assert err.value.field == "amount"


@pytest.mark.parametrize("credits", ["1e400", "99999999999999999999999", "100", "0", "2.25", " "])
def test_transfer_and_course_credits_are_bounded(app, credits):
    from tracker.services import ServiceError, admin_catalog
    from tracker.services import audit_exceptions as exception_service

    seed()
    admin = _demo_user("director")
    with pytest.raises(ServiceError) as err:
        exception_service.record_transfer(_demo_user("maya"), "Acoustics", "Elsewhere", credits, None,
                                          "Equivalent course taken before.", actor=admin)
    assert err.value.field == "transfer_credits"
    course = db.session.scalar(sa.select(Course).order_by(Course.id).limit(1))
    with pytest.raises(ServiceError) as err:
        admin_catalog.update_course(course, course.title, credits, course.category.value, None, False, "",
                                    actor=admin)
    assert err.value.field == "credits"


@pytest.mark.parametrize("concentration_id", [" ", "x", str(2**63), "²"])
def test_a_blank_or_garbled_concentration_id_is_refused_at_the_field(app, concentration_id):
    from tracker.services import ServiceError, admin_catalog

    seed()
    course = db.session.scalar(sa.select(Course).order_by(Course.id).limit(1))
    with pytest.raises(ServiceError) as err:
        admin_catalog.update_course(course, course.title, "3", "concentration", concentration_id, False, "",
                                    actor=_demo_user("director"))
    assert err.value.field == "concentration_id"


def test_history_with_a_date_python_cannot_count_past_shows_a_message(app):
    client = _admin(app)
    response = client.get("/admin/history?date_to=9999-12-31&date_from=9999-12-31")
    assert response.status_code == 200
    assert "Enter a date between" in response.get_data(as_text=True)
    assert client.get(f"/admin/history?actor={2**63}&subject={10**30}&page={2**63 - 1}").status_code == 200


def test_a_page_past_the_end_shows_the_last_page_not_an_error(app):
    client = _admin(app)
    for url in ("/admin/history", "/admin/users", "/reports/cohort", "/advising", "/review", "/notifications"):
        response = client.get(f"{url}?page=9223372036854775807", follow_redirects=True)
        assert response.status_code == 200, url
    history = client.get("/admin/history?page=9223372036854775807").get_data(as_text=True)
    match = re.search(r"page (\d+) of (\d+)", history)
    assert match and match.group(1) == match.group(2), "the last page, not an empty page 100000"
    assert "No recorded changes" not in history


def test_bulk_review_ignores_impossible_session_ids(app):
    seed()
    client = _login(app, "faculty")
    response = client.post_form("/review", {"selected": [f"{2**63}:1", f"{10**30}:{10**30}", "²:1"],
                                            "approve": "Approve selected"})
    assert response.status_code in (200, 302)


DEEP_ARRAYS = "[program]\ncode = \"X\"\nnested = " + "[" * 3000 + "]" * 3000 + "\n"
DEEP_TABLES = "[program]\ncode = \"X\"\nnested = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n"
LONG_NUMBER = "[program]\ncode = \"X\"\ntotal_credits = " + "9" * 5000 + "\n"


@pytest.mark.parametrize("text, message", [
    (DEEP_ARRAYS, "nested too deeply"), (DEEP_TABLES, "nested too deeply"), (LONG_NUMBER, "too many digits"),
])
def test_pathological_definitions_are_refused_in_the_browser(app, text, message):
    client = _admin(app)
    response = client.post_form("/admin/programs/load", {"definition": text})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("text, message", [
    (DEEP_ARRAYS, "nested too deeply"), (DEEP_TABLES, "nested too deeply"), (LONG_NUMBER, "too many digits"),
])
def test_pathological_definitions_are_refused_by_the_cli(runner, tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["tracker", "load-program", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.scalar(sa.select(sa.func.count(Program.id))) == 0


@pytest.mark.parametrize("code", ["MM\\r\\nX", "MM PROD", "A" * 21, "MM\\\"X", "MM/../X", ""])
def test_a_program_code_is_letters_digits_dash_underscore_up_to_20(code):
    from tracker.domain import DefinitionError, parse_program_definition
    from tracker.demo import DEMO_PROGRAM_FILE

    text = DEMO_PROGRAM_FILE.read_text(encoding="utf-8").replace('code = "MM-PROD"', f'code = "{code}"')
    with pytest.raises(DefinitionError) as err:
        parse_program_definition(text)
    assert any(e.startswith("program.code") for e in err.value.errors)


@pytest.mark.parametrize("setting, value", [
    ("total_credits", '"1e400"'), ("total_credits", "1e400"), ("min_gpa", "3.001"), ("max_transfer_credits", "1e9"),
])
def test_program_numbers_are_bounded(setting, value):
    from tracker.domain import DefinitionError, parse_program_definition
    from tracker.demo import DEMO_PROGRAM_FILE

    text = re.sub(rf"(?m)^{setting} = .*$", f"{setting} = {value}", DEMO_PROGRAM_FILE.read_text(encoding="utf-8"),
                  count=1)
    with pytest.raises(DefinitionError) as err:
        parse_program_definition(text)
    assert any(setting in e for e in err.value.errors)


def test_an_old_code_with_a_line_break_still_downloads(app):
    client = _admin(app)
    program = Program(code="BAD\r\nX", name="Old", degree="MM", total_credits=30, min_gpa="3.00",
                      definition_source="[program]\n")
    db.session.add(program)
    db.session.commit()
    response = client.get(f"/admin/programs/{program.id}/definition.toml")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "bad-x.toml" in disposition
