"""Double submits: the same form sent twice, truly in parallel against the live server, is saved once.

Two threads POST the same studio-session form (with its one-time token, and without one: then the overlap rule
must refuse the second) released together by a barrier, many times; then a transfer-credit exception double
submitted by an advisor. Also, sequentially through the test client: the duplicate's message, a refusal freeing
the token, forms without a token, the token in every rendered form, the purge, and BEGIN IMMEDIATE on SQLite.
"""
from __future__ import annotations

import html
import http.client
import re
import threading
import urllib.parse
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tracker import forms as form_layer
from tracker.extensions import db
from tracker.models import AuditException, HistoryEvent, StudioSession, SubmissionToken

from .fixtures.app import CSRF_RE, PASSWORD

TOKEN_RE = re.compile(r'name="((?:[\w-]+-)?submission_token)" value="([^"]+)"')
TRIALS = 20


# ---------------------------------------------------------------- a tiny browser for the live server

class Browser:
    """HTTP against the live server with its own cookies; never follows redirects (each step is asserted)."""

    def __init__(self, base: str, cookies: dict[str, str] | None = None):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies = dict(cookies or {})

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(data or {}, doseq=True) if data is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            conn.close()

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, data: dict):
        return self.request("POST", path, data)

    def login(self, email: str) -> None:
        status, _, text = self.get("/auth/login")
        csrf = CSRF_RE.search(text).group(1)
        status, headers, _ = self.post("/auth/login", {"csrf_token": csrf, "email": email, "password": PASSWORD})
        assert status == 302, "login failed"

    def form_tokens(self, path: str) -> dict[str, str]:
        """The CSRF and one-time tokens of the form(s) on a page, by field name."""
        status, _, text = self.get(path)
        assert status == 200, (path, status)
        tokens = {name: value for name, value in TOKEN_RE.findall(text)}
        tokens["csrf_token"] = CSRF_RE.search(text).group(1)
        return tokens


def post_together(base: str, cookies: dict, path: str, data: dict, copies: int = 2) -> list[tuple[int, dict, str]]:
    """POST the same data on `copies` connections at the same instant; every response, in no particular order."""
    barrier = threading.Barrier(copies)
    results: list = [None] * copies

    def send(i: int) -> None:
        browser = Browser(base, cookies)
        barrier.wait(timeout=30)
        try:
            results[i] = browser.post(path, data)
        except Exception as exc:  # noqa: BLE001 - reported below as a failed response
            results[i] = (599, {}, repr(exc))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return results


def _count(model, *where) -> int:
    db.session.rollback()  # a fresh look: end whatever the test thread's session had open
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# ---------------------------------------------------------------- studio sessions, in parallel

@pytest.fixture
def studio_cast(make_user, make_student, make_studio, make_term):
    supervisor = make_user("faculty", name="Prof. Alicia Moreno")
    student = make_student(advisor=supervisor, name="Maya Chen")
    studio = make_studio("Studio A")
    make_term("Current term")
    return student, supervisor, studio


def _session_form(supervisor, studio, day: date) -> dict:
    return {"date": day.isoformat(), "studio_id": studio.id, "start_time": "10:00", "end_time": "12:00",
            "activity": "mixing", "project": "Lanterns EP", "role": "engineer", "supervisor_id": supervisor.id,
            "notes": "Drum stems"}


@pytest.mark.parametrize("with_token", [True, False], ids=["same-token", "no-token"])
def test_a_studio_session_double_submitted_in_parallel_is_saved_once(live_server, studio_cast, with_token):
    student, supervisor, studio = studio_cast
    browser = Browser(live_server)
    browser.login(student.email)
    for trial in range(TRIALS):
        day = date.today() - timedelta(days=1 + trial)
        tokens = browser.form_tokens("/studio/log")
        data = {**_session_form(supervisor, studio, day), "csrf_token": tokens["csrf_token"]}
        if with_token:
            data["submission_token"] = tokens["submission_token"]
        responses = post_together(live_server, browser.cookies, "/studio/log", data)
        statuses = sorted(status for status, _, _ in responses)
        assert all(status < 500 for status in statuses), (trial, statuses, [r[2][:300] for r in responses])
        assert _count(StudioSession, StudioSession.student_id == student.id, StudioSession.date == day) == 1, (
            trial, statuses, [r[2][:2000] for r in responses])
        if with_token:
            # One saved it (302 to the list), the other was told so (303 back to the form, with a message).
            assert statuses == [302, 303], (trial, statuses)
            second = next(r for r in responses if r[0] == 303)
            assert second[1]["location"].endswith("/studio/log")
        else:
            # The overlap rule refused the second one at its field.
            assert statuses == [200, 302], (trial, statuses)
            refused = next(r for r in responses if r[0] == 200)
            assert 'id="start_time-error"' in refused[2] or 'id="date-error"' in refused[2] \
                or "alert-danger" in refused[2]
    assert _count(StudioSession, StudioSession.student_id == student.id) == TRIALS
    assert _count(HistoryEvent, HistoryEvent.entity_type == "studio_session") == TRIALS


def test_the_duplicate_sees_the_message_after_its_redirect(live_server, studio_cast):
    student, supervisor, studio = studio_cast
    browser = Browser(live_server)
    browser.login(student.email)
    tokens = browser.form_tokens("/studio/log")
    data = {**_session_form(supervisor, studio, date.today() - timedelta(days=1)), **tokens}
    assert browser.post("/studio/log", data)[0] == 302
    status, headers, _ = browser.post("/studio/log", data)
    assert status == 303
    status, _, text = browser.get(urllib.parse.urlsplit(headers["location"]).path)
    assert status == 200 and form_layer.DUPLICATE_MESSAGE in html.unescape(text)
    assert _count(StudioSession) == 1


def test_a_reading_test_thread_does_not_block_a_write_on_the_live_server(live_server, studio_cast):
    """Work outside a request keeps a deferred BEGIN: the test thread's open read never holds the write lock."""
    student, supervisor, studio = studio_cast
    browser = Browser(live_server)
    browser.login(student.email)
    tokens = browser.form_tokens("/studio/log")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(StudioSession.id))) == 0  # a read transaction left open
    data = {**_session_form(supervisor, studio, date.today() - timedelta(days=1)), **tokens}
    assert browser.post("/studio/log", data)[0] == 302
    assert _count(StudioSession) == 1


# ---------------------------------------------------------------- a transfer-credit exception, in parallel

@pytest.fixture
def advising_cast(demo_program, make_user, make_student):
    advisor = make_user("faculty", name="Dr. Advisor")
    student = make_student(advisor=advisor, program=demo_program, name="Sam Student")
    return advisor, student


def _transfer_form(title: str) -> dict:
    return {"transfer-transfer_title": title, "transfer-institution": "Elsewhere University",
            "transfer-transfer_credits": "3", "transfer-course_id": "",
            "transfer-justification": "Syllabus reviewed."}


def test_a_transfer_credit_exception_double_submitted_in_parallel_is_recorded_once(live_server, advising_cast):
    advisor, student = advising_cast
    browser = Browser(live_server)
    browser.login(advisor.email)
    page = f"/advising/students/{student.id}/exceptions"
    for trial in range(8):
        tokens = browser.form_tokens(page)
        data = {**_transfer_form(f"Acoustics {trial}"), "transfer-csrf_token": tokens["csrf_token"],
                "transfer-submission_token": tokens["transfer-submission_token"]}
        responses = post_together(live_server, browser.cookies, page + "/transfer", data)
        statuses = sorted(status for status, _, _ in responses)
        # Saved once (302); the other one is told at the form (the URL takes POST only, so no redirect to it).
        assert statuses == [200, 302], (trial, statuses, [r[2][:300] for r in responses])
        refused = next(r for r in responses if r[0] == 200)
        assert form_layer.DUPLICATE_MESSAGE in html.unescape(refused[2])
        assert _count(AuditException, AuditException.transfer_title == f"Acoustics {trial}") == 1
    assert _count(AuditException) == 8


# ---------------------------------------------------------------- the token's life, through the test client

def _tokens(response) -> dict[str, str]:
    return dict(TOKEN_RE.findall(response.get_data(as_text=True)))


def test_every_rendered_post_form_carries_one_token_and_login_none(client, login_as, advising_cast):
    assert "submission_token" not in client.get("/auth/login").get_data(as_text=True)
    advisor, student = advising_cast
    client.login(advisor.email)
    page = client.get(f"/advising/students/{student.id}/exceptions").get_data(as_text=True)
    names = [name for name, _ in TOKEN_RE.findall(page)]
    assert sorted(names) == ["sub-submission_token", "transfer-submission_token", "waiver-submission_token"]
    assert len(set(value for _, value in TOKEN_RE.findall(page))) == 3


def _transfer_as_advisor(client, advising_cast) -> tuple[str, dict]:
    """Log the advisor in; their advisee's exceptions page and a transfer form with that page's token."""
    advisor, student = advising_cast
    client.login(advisor.email)
    page = f"/advising/students/{student.id}/exceptions"
    tokens = _tokens(client.get(page))
    return page, {**_transfer_form("Psychoacoustics"), "transfer-submission_token": tokens["transfer-submission_token"]}


def test_a_sequential_resend_writes_nothing_and_says_so(client, advising_cast):
    page, data = _transfer_as_advisor(client, advising_cast)
    first = client.post_form(page + "/transfer", data)
    assert first.status_code == 302
    events_after_first = _count(HistoryEvent)
    again = client.post_form(page + "/transfer", data)
    assert again.status_code == 200
    assert form_layer.DUPLICATE_MESSAGE in html.unescape(again.get_data(as_text=True))
    assert "Psychoacoustics" in again.get_data(as_text=True)  # the input is kept
    assert _count(AuditException) == 1 and _count(HistoryEvent) == events_after_first
    assert _count(SubmissionToken) == 1


def test_a_resend_from_a_page_goes_back_to_that_page_with_the_message(client, advising_cast):
    """The transfer URL takes POST only, so the duplicate returns to the same-site page it was sent from."""
    page, data = _transfer_as_advisor(client, advising_cast)
    assert client.post_form(page + "/transfer", data).status_code == 302
    again = client.post_form(page + "/transfer", data, headers={"Referer": "http://localhost" + page})
    assert again.status_code == 303 and again.headers["Location"].endswith(page)
    assert form_layer.DUPLICATE_MESSAGE in html.unescape(client.get(page).get_data(as_text=True))
    # A referrer that is another site, or an address without GET, is not followed: the form says it instead.
    for referrer in ("http://evil.example" + page, "http://localhost" + page + "/transfer"):
        refused = client.post_form(page + "/transfer", data, headers={"Referer": referrer})
        assert refused.status_code == 200 and form_layer.DUPLICATE_MESSAGE in html.unescape(refused.get_data(True))
    assert _count(AuditException) == 1


def test_a_refusal_frees_the_token_so_the_fixed_form_can_be_sent(client, login_as, make_user, make_studio,
                                                                    make_term):
    supervisor = make_user("faculty")
    student = login_as("student", advisor=supervisor)
    studio = make_studio()
    make_term()
    token = _tokens(client.get("/studio/log"))["submission_token"]
    day = date.today() - timedelta(days=1)
    bad = {**_session_form(supervisor, studio, day), "end_time": "09:00", "submission_token": token}
    refused = client.post_form("/studio/log", bad)
    assert refused.status_code == 200 and _count(StudioSession) == 0 and _count(SubmissionToken) == 0
    good = {**bad, "end_time": "12:00"}
    assert client.post_form("/studio/log", good).status_code == 302
    assert _count(StudioSession, StudioSession.student_id == student.id) == 1
    assert client.post_form("/studio/log", good).status_code == 303  # and the same form once more: refused
    assert _count(StudioSession) == 1


def test_forms_without_a_token_behave_as_before(client, login_as, make_user, make_studio, make_term):
    supervisor = make_user("faculty")
    login_as("student", advisor=supervisor)
    studio = make_studio()
    make_term()
    for days in (1, 2):
        data = _session_form(supervisor, studio, date.today() - timedelta(days=days))
        assert client.post_form("/studio/log", data).status_code == 302
    assert _count(StudioSession) == 2 and _count(SubmissionToken) == 0


def test_a_garbled_token_is_refused_without_writing(client, login_as, make_user, make_studio, make_term):
    supervisor = make_user("faculty")
    login_as("student", advisor=supervisor)
    studio = make_studio()
    make_term()
    data = {**_session_form(supervisor, studio, date.today() - timedelta(days=1)), "submission_token": "x" * 500}
    response = client.post_form("/studio/log", data)
    assert response.status_code == 200 and form_layer.STALE_TOKEN_MESSAGE in html.unescape(response.get_data(True))
    assert _count(StudioSession) == 0 and _count(SubmissionToken) == 0


def test_expired_tokens_are_purged_when_a_new_one_is_claimed(client, login_as, make_user, make_studio, make_term,
                                                             monkeypatch):
    supervisor = make_user("faculty")
    student = login_as("student", advisor=supervisor)
    studio = make_studio()
    make_term()
    old = datetime.now(timezone.utc) - form_layer.submission_token_lifetime() - timedelta(minutes=1)
    db.session.add(SubmissionToken(token="o" * 32, user_id=student.id, created_at=old))
    db.session.add(SubmissionToken(token="r" * 32, user_id=student.id, created_at=datetime.now(timezone.utc)))
    db.session.commit()
    monkeypatch.setattr(form_layer, "_next_purge", [0.0])
    token = _tokens(client.get("/studio/log"))["submission_token"]
    data = {**_session_form(supervisor, studio, date.today() - timedelta(days=1)), "submission_token": token}
    assert client.post_form("/studio/log", data).status_code == 302
    db.session.rollback()
    assert sorted(db.session.scalars(sa.select(SubmissionToken.token))) == sorted([token, "r" * 32])
    assert repr(db.session.get(SubmissionToken, token)).startswith("<SubmissionToken ")


# ---------------------------------------------------------------- BEGIN IMMEDIATE on SQLite, writes only

def _begins_during(app, fn) -> list[str]:
    statements: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.upper().startswith("BEGIN"):
            statements.append(statement.upper())

    sa.event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", on_execute)
    return statements


def test_sqlite_write_requests_begin_immediate_and_the_rest_stay_deferred(app, client, login_as, make_user,
                                                                           make_studio, make_term):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is the SQLite side; PostgreSQL keeps its row locks")
    supervisor = make_user("faculty")
    login_as("student", advisor=supervisor)
    studio = make_studio()
    make_term()
    data = _session_form(supervisor, studio, date.today() - timedelta(days=1))
    begins = _begins_during(app, lambda: client.post_form("/studio/log", data))
    assert begins and set(begins) == {"BEGIN IMMEDIATE"}  # every transaction of the POST (one more after commit)
    assert _begins_during(app, lambda: client.get("/studio/log")) == []
    db.session.rollback()
    assert _begins_during(app, lambda: (db.session.scalar(sa.select(sa.func.count(StudioSession.id))),
                                        db.session.rollback())) == []
    # Outside a request, pysqlite's own deferred transaction still works (and rolls back).
    db.session.add(HistoryEvent(action="x", entity_type="y", summary="", changes={}))
    db.session.flush()
    db.session.rollback()
    assert _count(HistoryEvent, HistoryEvent.action == "x") == 0
