"""Shared fixtures: the app on a throwaway database, a client that speaks CSRF, factories and a query counter."""
from __future__ import annotations

import contextlib
import contextvars
import os
import re
import threading
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from tracker import create_app
from tracker.extensions import db, limiter
from tracker.models import (
    Concentration,
    Course,
    CourseCategory,
    CourseRecord,
    CourseStatus,
    SessionStatus,
    StudioActivity,
    StudioRole,
    StudioSession,
    Enrollment,
    Ensemble,
    Program,
    Role,
    Studio,
    Term,
    User,
)
from tracker.security import hash_password

from .catalog_support import bare_version

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"
# Hashing with argon2's defaults costs ~50 ms; tests create many users, so hash once and reuse.
_PASSWORD_HASH = hash_password(PASSWORD)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class TrackerClient(FlaskClient):
    """A test client that finds its CSRF token the way a browser does: in a page's form."""

    _csrf: str | None = None

    def open(self, *args, **kwargs):
        """Run each request outside the test's app context, as a real server would: a fresh `g`, a fresh
        database session and a fresh current_user (Flask would otherwise reuse the test's pushed context)."""
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self) -> str:
        """A valid token for this client's session (fetched once from a page)."""
        if self._csrf is None:
            response = self.get("/auth/login")
            if response.status_code == 302:
                response = self.get("/", follow_redirects=True)
            match = CSRF_RE.search(response.get_data(as_text=True))
            assert match, "no CSRF token found on the page"
            self._csrf = match.group(1)
        return self._csrf

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with this session's CSRF token added."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)

    def login(self, email: str, password: str = PASSWORD):
        """Log in through the real login form."""
        self._csrf = None
        response = self.post_form("/auth/login", {"email": email, "password": password})
        self._csrf = None
        return response


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The test database: TEST_DATABASE_URL (PostgreSQL in CI) or a throwaway SQLite file."""
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """The app under the testing configuration, with a fresh schema (create_all is fine in a throwaway DB)."""
    app = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": database_url, "LOGIN_RATE_LIMIT": "5 per minute"},
    )
    app.test_client_class = TrackerClient
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def _wipe(app) -> None:
    """Empty every table, quickly, between tests."""
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _fresh_database(app):
    """Each test starts with empty tables, a clean rate limiter and an app context."""
    limiter.reset()
    ctx = app.app_context()
    ctx.push()
    try:
        yield
    finally:
        db.session.remove()
        ctx.pop()
        _wipe(app)


@pytest.fixture
def client(app) -> TrackerClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---------------------------------------------------------------- factories

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def current_term_dates(today: date | None = None) -> tuple[date, date]:
    """A term around today, so that 'today' and recent dates fall inside it."""
    today = today or date.today()
    return today - timedelta(days=60), today + timedelta(days=40)


@pytest.fixture
def make_user():
    """make_user(role='student', email=None, name=None, active=True) -> User (password PASSWORD)."""

    def _make(role: Role | str = Role.STUDENT, email: str | None = None, name: str | None = None, active=True):
        n = _next()
        role = Role(role)
        user = User(
            email=(email or f"{role.value}{n}@example.edu").lower(),
            display_name=name or f"{role.label} {n}",
            role=role,
            password_hash=_PASSWORD_HASH,
            active=active,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return _make


@pytest.fixture
def make_program():
    """A minimal program with the five concentrations and one catalog version (the demo program is loaded by
    `demo_program`)."""

    def _make(code: str | None = None) -> Program:
        n = _next()
        program = Program(
            code=code or f"P{n}", name=f"Test Program {n}", degree="Master of Music",
            total_credits=36, min_gpa="3.00",
        )
        db.session.add(program)
        for c, name in [("production", "Production"), ("technical", "Technical"), ("acoustical", "Acoustical Studies"),
                        ("education", "Education"), ("composition", "Composition")]:
            db.session.add(Concentration(program=program, code=c, name=name))
        db.session.flush()
        bare_version(program)  # its one catalog version: no courses, no requirements (tests add what they need)
        db.session.commit()
        return program

    return _make


@pytest.fixture
def make_term():
    """make_term(name=None, start=None, end=None, closed=False) -> Term (default: around today)."""

    def _make(name: str | None = None, start: date | None = None, end: date | None = None, closed=False) -> Term:
        default_start, default_end = current_term_dates()
        term = Term(name=name or f"Term {_next()}", start_date=start or default_start, end_date=end or default_end,
                    closed=closed)
        db.session.add(term)
        db.session.commit()
        return term

    return _make


@pytest.fixture
def make_student(make_user, make_program):
    """make_student(concentration='production', track='thesis', advisor=None, program=None, **user) -> User."""

    def _make(concentration="production", track="thesis", advisor: User | None = None, program: Program | None = None,
              start_term: Term | None = None, **user_kwargs) -> User:
        program = program or db.session.scalar(sa.select(Program).order_by(Program.id)) or make_program()
        conc = db.session.scalar(
            sa.select(Concentration).where(Concentration.program_id == program.id, Concentration.code == concentration)
        )
        student = make_user(Role.STUDENT, **user_kwargs)
        db.session.add(Enrollment(
            student=student, program=program, concentration=conc, track=str(track),
            advisor_id=advisor.id if advisor else None, start_term_id=start_term.id if start_term else None,
        ))
        db.session.commit()
        return student

    return _make


@pytest.fixture
def make_studio():
    def _make(name: str | None = None, active=True) -> Studio:
        studio = Studio(name=name or f"Studio {_next()}", location="Building M", active=active)
        db.session.add(studio)
        db.session.commit()
        return studio

    return _make


@pytest.fixture
def make_ensemble():
    def _make(name: str | None = None, active=True) -> Ensemble:
        ensemble = Ensemble(name=name or f"Ensemble {_next()}", active=active)
        db.session.add(ensemble)
        db.session.commit()
        return ensemble

    return _make


@pytest.fixture
def make_course(make_program):
    """make_course(code=None, title=None, credits=3, category='core', concentration=None, pass_fail=False)."""

    def _make(code=None, title=None, credits=3, category="core", concentration: str | None = None,
              pass_fail=False, program: Program | None = None, active=True) -> Course:
        program = program or db.session.scalar(sa.select(Program).order_by(Program.id)) or make_program()
        n = _next()
        conc_id = None
        if concentration:
            conc_id = db.session.scalar(sa.select(Concentration.id).where(
                Concentration.program_id == program.id, Concentration.code == concentration))
        course = Course(program_id=program.id, code=code or f"MPT {600 + n}", title=title or f"Course {n}",
                        credits=credits, category=CourseCategory(category), concentration_id=conc_id,
                        pass_fail=pass_fail, active=active)
        db.session.add(course)
        db.session.commit()
        return course

    return _make


@pytest.fixture
def make_course_record():
    """make_course_record(student, course, term, status='completed', grade='A') -> CourseRecord."""

    def _make(student: User, course: Course, term: Term, status="completed", grade: str | None = "A"):
        record = CourseRecord(student_id=student.id, course_id=course.id, term_id=term.id,
                              status=CourseStatus(status), grade=grade if status == "completed" else None)
        db.session.add(record)
        db.session.commit()
        return record

    return _make


@pytest.fixture
def make_session(make_studio, make_term):
    """make_session(student, supervisor, day=None, start='10:00', hours=4, status='pending', term=None, studio=None)."""

    def _make(student: User, supervisor: User, day: date | None = None, start: str = "10:00", hours: float = 4,
              status="pending", term: Term | None = None, studio: Studio | None = None, project="Demo project",
              activity="mixing", role="engineer", notes="", created_at: datetime | None = None) -> StudioSession:
        day = day or (date.today() - timedelta(days=2))
        term = term or db.session.scalar(
            sa.select(Term).where(Term.start_date <= day, Term.end_date >= day)) or make_term()
        studio = studio or db.session.scalar(sa.select(Studio).order_by(Studio.id)) or make_studio()
        start_t = time.fromisoformat(start)
        end_t = (datetime.combine(day, start_t) + timedelta(minutes=int(hours * 60))).time()
        reviewed = status not in ("pending", "withdrawn")
        session = StudioSession(
            student_id=student.id, supervisor_id=supervisor.id, studio_id=studio.id, term_id=term.id, date=day,
            start_time=start_t, end_time=end_t, minutes=int(hours * 60), activity=StudioActivity(activity),
            project=project, role=StudioRole(role), notes=notes, status=SessionStatus(status),
            reviewer_id=supervisor.id if reviewed else None,
            reviewed_at=datetime.now(timezone.utc) if reviewed else None,
            created_at=created_at or datetime.now(timezone.utc),
            submitted_at=created_at or datetime.now(timezone.utc),
        )
        db.session.add(session)
        db.session.commit()
        return session

    return _make


@pytest.fixture
def login_as(client, make_user, make_student):
    """login_as('student'|'faculty'|'admin', **kwargs) -> the logged-in User (students get an enrollment)."""

    def _login(role: str = "student", **kwargs) -> User:
        user = make_student(**kwargs) if Role(role) == Role.STUDENT else make_user(role, **kwargs)
        response = client.login(user.email)
        assert response.status_code == 302, "login failed in the login_as fixture"
        return user

    return _login


# ---------------------------------------------------------------- query counting

class QueryCounter:
    """Counts SQL statements sent by the app's engine inside a `with` block."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "PRAGMA")):
            self.statements.append(statement)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as q: ...; q.count` — statements the app ran meanwhile."""

    @contextlib.contextmanager
    def _count():
        counter = QueryCounter()
        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", counter._on_execute)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter._on_execute)

    return _count


# ---------------------------------------------------------------- live server for browser tests

@pytest.fixture(scope="session")
def live_server(app):
    """The app served over HTTP on a free local port, in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
