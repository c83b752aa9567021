"""Load benchmark: the app's pages under gunicorn at 32 keep-alive connections, against two floors of the same run.

Creates a fresh PostgreSQL database, runs the migrations, seeds a school with bulk inserts (2,000 students, 100,000
studio sessions by default), starts gunicorn on a free local port, logs in through the real login form as a student,
a faculty member and an admin, then drives each page with wrk (a closed-loop HTTP load generator) and reports
requests/s, p50, p99 and errors, with the ratio to /healthz and to an authenticated trivial page. Heavy reports are
timed one request at a time. Also prints worker peak memory, the pure audit engine's speed and the targets of issue 11.
Writes bench/results/latest.json. Usage: `make bench` or `.venv/bin/python bench/run.py --help`.
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import registrar_feed  # noqa: E402  (bench/registrar_feed.py, beside this file)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/tracker_bench"
PASSWORD = "bench-password-2026"
SIZED_STUDENTS = {10: "sized10@bench.test", 300: "sized300@bench.test"}
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# ---------------------------------------------------------------- database

def recreate_database(url: str) -> None:
    """DROP and CREATE the database named in the URL (connecting to the server's `postgres` database)."""
    import psycopg

    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"refusing an unusual database name: {name!r}")
    if name in ("postgres", "test", "template0", "template1"):
        raise SystemExit(f"refusing to drop the database {name!r}; choose a benchmark database")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _copy(conn, table: str, columns: list[str], rows) -> int:
    """COPY rows into a table (the fastest bulk insert PostgreSQL has); returns the number of rows."""
    n = 0
    with conn.cursor() as cur:
        with cur.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
    return n


def seed(url: str, students: int, sessions_per_student: int, faculty: int) -> dict:
    """Migrate and fill the database: the demo program, terms, faculty, students and their records."""
    import psycopg
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.extensions import db
    from tracker.models import CatalogVersion, Concentration, Course, Ensemble, Program, Studio, Term
    from tracker.security import hash_password
    from tracker.services.programs import load_program_text

    started = time.perf_counter()
    # Outside the `flask` command the app refuses the public development secret (fail closed); seeding signs nothing.
    os.environ.setdefault("SECRET_KEY", os.urandom(24).hex())
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        load_program_text((ROOT / "tracker" / "programs" / "demo.toml").read_text(encoding="utf-8"), actor=None)
        program = db.session.scalar(sa.select(Program))
        today = date.today()
        term_rows = [
            ("Bench term 1", today - timedelta(days=500), today - timedelta(days=380)),
            ("Bench term 2", today - timedelta(days=350), today - timedelta(days=230)),
            ("Bench term 3", today - timedelta(days=200), today - timedelta(days=80)),
            ("Bench term 4", today - timedelta(days=60), today + timedelta(days=40)),
        ]
        db.session.execute(sa.insert(Term), [{"name": n, "start_date": s, "end_date": e} for n, s, e in term_rows])
        db.session.execute(sa.insert(Studio), [{"name": f"Studio {c}", "location": "Music Technology Center"}
                                               for c in "ABCD"])
        db.session.execute(sa.insert(Ensemble), [{"name": n} for n in (
            "Electronic Music Ensemble", "Contemporary Jazz Ensemble", "New Music Collective")])
        db.session.commit()
        terms = db.session.execute(sa.select(Term.id, Term.start_date).order_by(Term.start_date)).all()
        studios = db.session.scalars(sa.select(Studio.id)).all()
        ensembles = db.session.scalars(sa.select(Ensemble.id)).all()
        concentrations = dict(db.session.execute(
            sa.select(Concentration.code, Concentration.id).where(Concentration.program_id == program.id)).all())
        courses = db.session.execute(sa.select(Course.code, Course.id, Concentration.code).outerjoin(
            Concentration, Course.concentration_id == Concentration.id)).all()
        program_id = program.id
        # One version in the demo program: every seeded enrollment follows it (the model's hook is bypassed by COPY).
        version_id = db.session.scalar(sa.select(CatalogVersion.id).where(CatalogVersion.program_id == program_id)
                                       .order_by(CatalogVersion.id))
    engine_url = url.replace("postgresql+psycopg://", "postgresql://")
    password_hash = hash_password(PASSWORD)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rng = random.Random(2026)
    conc_codes = sorted(concentrations)
    core = [cid for code, cid, _ in courses if code in ("MPT 601", "MPT 602", "MPT 603", "MPT 604")]
    by_conc = {c: [cid for _, cid, cc in courses if cc == c] for c in conc_codes}
    electives = [cid for code, cid, _ in courses if code in ("MPT 661", "MPT 662", "MPT 663", "MPT 664")]
    counts = {}
    with psycopg.connect(engine_url) as conn:
        user_cols = ["email", "display_name", "password_hash", "role", "active", "session_token", "created_at"]
        counts["faculty"] = _copy(conn, "user", user_cols, (
            [f"faculty{i:03d}@bench.test", f"Faculty {i:03d}", password_hash, "faculty", True,
             os.urandom(16).hex(), now] for i in range(faculty)))
        _copy(conn, "user", user_cols, [["admin@bench.test", "Bench Admin", password_hash, "admin", True,
                                         os.urandom(16).hex(), now]])
        counts["students"] = _copy(conn, "user", user_cols, (
            [f"student{i:05d}@bench.test", f"Student {i:05d}", password_hash, "student", True,
             os.urandom(16).hex(), now] for i in range(students)))
        # Two more students for the records-per-student study (bench/README.md): 10 and 300 records.
        _copy(conn, "user", user_cols, ([email, f"Sized {n}", password_hash, "student", True, os.urandom(16).hex(),
                                         now] for n, email in SIZED_STUDENTS.items()))
        fac_ids = [r[0] for r in conn.execute("SELECT id FROM \"user\" WHERE role = 'faculty' ORDER BY id")]
        stu_ids = [r[0] for r in conn.execute("SELECT id FROM \"user\" WHERE role = 'student'"
                                              " AND email NOT LIKE 'sized%%' ORDER BY id")]
        plan = []  # (student id, concentration, track, advisor, start term index)
        for i, sid in enumerate(stu_ids):
            plan.append((sid, conc_codes[i % len(conc_codes)], "thesis" if i % 2 == 0 else "non_thesis",
                         fac_ids[i % len(fac_ids)], i % 3))
        _copy(conn, "enrollment", ["student_id", "program_id", "concentration_id", "track", "start_term_id",
                                   "advisor_id", "status", "created_at", "catalog_version_id"], (
            [sid, program_id, concentrations[conc], track, terms[start][0], adv, "active", now, version_id]
            for sid, conc, track, adv, start in plan))

        def course_rows():
            grades = ["A", "A-", "B+", "B", "B-", "C+"]
            for sid, conc, _track, _adv, start in plan:
                picks = core + by_conc[conc] + electives[:2]
                for k, cid in enumerate(picks):
                    term_index = min(3, start + k // 4)
                    current = term_index == 3
                    yield [sid, cid, terms[term_index][0], "in_progress" if current else "completed",
                           None if current else rng.choice(grades), now, now]

        counts["course_records"] = _copy(conn, "course_record", ["student_id", "course_id", "term_id", "status",
                                                                 "grade", "created_at", "updated_at"], course_rows())
        counts["ensemble_records"] = _copy(conn, "ensemble_record", [
            "student_id", "ensemble_id", "term_id", "role", "notes", "created_at", "updated_at"], (
            [sid, ensembles[(sid + k) % len(ensembles)], terms[min(3, start + k)][0], "performer", "", now, now]
            for sid, _c, _t, _a, start in plan for k in range(2)))

        def session_rows():
            for sid, _conc, _track, adv, start in plan:
                span = list(range(start, 4))
                for k in range(sessions_per_student):
                    term_index = span[k % len(span)]
                    term_id, term_start = terms[term_index]
                    day = term_start + timedelta(days=(k * 7) % 90)
                    if day > date.today():
                        day = date.today() - timedelta(days=1 + k % 20)
                    minutes = rng.choice((120, 180, 240, 300))
                    # Every other session of the current term is still waiting for review.
                    pending = term_index == 3 and (k // len(span)) % 2 == 0
                    status = "pending" if pending else ("rejected" if k % 37 == 0 else "approved")
                    reviewed = None if pending else now
                    yield [sid, studios[k % len(studios)], term_id, day, "10:00", f"{10 + minutes // 60}:00",
                           minutes, "mixing", f"Project {k % 7}", "engineer", adv, "", status, "",
                           None if pending else adv, reviewed, now, now, now, 1]

        counts["studio_sessions"] = _copy(conn, "studio_session", [
            "student_id", "studio_id", "term_id", "date", "start_time", "end_time", "minutes", "activity",
            "project", "role", "supervisor_id", "notes", "status", "review_note", "reviewer_id", "reviewed_at",
            "submitted_at", "created_at", "updated_at", "version"], session_rows())
        counts["sized_records"] = _seed_sized(conn, (program_id, version_id), concentrations, terms, studios, ensembles,
                                              core + by_conc[conc_codes[0]] + electives, fac_ids[0], now)
        conn.execute("ANALYZE")
        conn.commit()
        counts["student_email"] = "student00000@bench.test"
        counts["student_records"] = conn.execute(
            "SELECT (SELECT count(*) FROM course_record WHERE student_id = %(s)s)"
            " + (SELECT count(*) FROM ensemble_record WHERE student_id = %(s)s)"
            " + (SELECT count(*) FROM studio_session WHERE student_id = %(s)s)", {"s": stu_ids[0]}).fetchone()[0]
        counts["faculty_email"] = "faculty000@bench.test"
        counts["faculty_pending"] = conn.execute(
            "SELECT count(*) FROM studio_session WHERE supervisor_id = %s AND status = 'pending'",
            (fac_ids[0],)).fetchone()[0]
        counts["faculty_advisees"] = sum(1 for p in plan if p[3] == fac_ids[0])
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def _seed_sized(conn, program, concentrations, terms, studios, ensembles, courses, advisor, now) -> dict:
    """Records for the two sized students: as many course and ensemble records as the catalog allows, the rest
    studio sessions (one a day, all approved), so each has exactly the number of records its e-mail says."""
    made = {}
    program_id, version_id = program
    conc_id = concentrations[sorted(concentrations)[0]]
    for total, email in SIZED_STUDENTS.items():
        sid = conn.execute('SELECT id FROM "user" WHERE email = %s', (email,)).fetchone()[0]
        _copy(conn, "enrollment", ["student_id", "program_id", "concentration_id", "track", "start_term_id",
                                   "advisor_id", "status", "created_at", "catalog_version_id"],
              [[sid, program_id, conc_id, "thesis", terms[0][0], advisor, "active", now, version_id]])
        n_courses = min(len(courses), total // 2)
        n_ensembles = min(len(ensembles) * len(terms), (total - n_courses) // 3)
        n_sessions = total - n_courses - n_ensembles
        _copy(conn, "course_record", ["student_id", "course_id", "term_id", "status", "grade", "created_at",
                                      "updated_at"],
              ([sid, cid, terms[min(3, k // 4)][0], "in_progress" if k // 4 >= 3 else "completed",
                None if k // 4 >= 3 else "A", now, now] for k, cid in enumerate(courses[:n_courses])))
        _copy(conn, "ensemble_record", ["student_id", "ensemble_id", "term_id", "role", "notes", "created_at",
                                        "updated_at"],
              ([sid, ensembles[k % len(ensembles)], terms[k // len(ensembles)][0], "performer", "", now, now]
               for k in range(n_ensembles)))
        first_day = terms[0][1]
        _copy(conn, "studio_session", [
            "student_id", "studio_id", "term_id", "date", "start_time", "end_time", "minutes", "activity",
            "project", "role", "supervisor_id", "notes", "status", "review_note", "reviewer_id", "reviewed_at",
            "submitted_at", "created_at", "updated_at", "version"],
            ([sid, studios[k % len(studios)], _term_of(terms, first_day + timedelta(days=k)),
              first_day + timedelta(days=k), "10:00", "13:00", 180, "mixing", "Sized", "engineer", advisor, "",
              "approved", "", advisor, now, now, now, now, 1] for k in range(n_sessions)))
        made[email] = n_courses + n_ensembles + n_sessions
    return made


def _term_of(terms, day: date) -> int:
    """The id of the last term starting on or before `day` (the sized students' sessions fall in or after a term)."""
    return [tid for tid, start in terms if start <= day][-1]


# ---------------------------------------------------------------- server and client

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    """gunicorn serving `tracker:create_app()` (the default configuration, debug off) with DATABASE_URL/SECRET_KEY."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKER_ENV", "FLASK_DEBUG")}
    env.update(DATABASE_URL=url, SECRET_KEY=os.urandom(24).hex(), RATELIMIT_STORAGE_URI="memory://",
               TRACKER_INSTANCE_PATH=str(log_path.parent / "instance"))
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = open(log_path, "wb")
    return subprocess.Popen(
        [str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--access-logfile", "-",
         "--log-level", "warning", "tracker:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    """Stop gunicorn (its whole process group), politely then firmly."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited early; see bench/results/gunicorn.log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time")


def _cookies(response, jar: dict) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            jar[name] = morsel.value


def login(port: int, email: str) -> str:
    """Log in through the real form (GET for the CSRF token, POST the credentials); returns the Cookie header."""
    jar: dict[str, str] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/auth/login")
    page = conn.getresponse()
    body = page.read().decode()
    _cookies(page, jar)
    token = CSRF_RE.search(body).group(1)
    form = urlencode({"csrf_token": token, "email": email, "password": PASSWORD})
    conn.request("POST", "/auth/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
    answer = conn.getresponse()
    answer.read()
    _cookies(answer, jar)
    if answer.status != 302:
        raise SystemExit(f"login as {email} failed (HTTP {answer.status})")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def fetch(port: int, path: str, cookie: str | None) -> tuple[int, str, float]:
    """One GET: status, body and seconds taken (checks that a page is the page, and times the single-user figures)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    body = response.read().decode(errors="replace")
    conn.close()
    return response.status, body, time.perf_counter() - started


def wrk_binary() -> str:
    """The wrk load generator (Debian package `wrk`); `make bench` installs it when it can."""
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (Debian), then run the benchmark again")
    return found


def measure(port: int, page: "Page", cookie: str | None, seconds: float, connections: int) -> dict:
    """Drive one page with wrk (closed loop: each connection sends its next request when the answer arrives) and
    return requests/s, p50, p90, p99 and errors. The page is fetched once first so a login redirect or an error
    page cannot be measured by mistake."""
    status, body, first = fetch(port, page.path, cookie)
    if status != 200 or page.expect not in body:
        raise SystemExit(f"{page.path}: HTTP {status}; expected text {page.expect!r} missing")
    command = [wrk_binary(), f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s",
               "-s", str(ROOT / "bench" / "wrk_report.lua")]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command + [f"http://127.0.0.1:{port}{page.path}"], capture_output=True, text=True,
                         check=True).stdout
    figures = json.loads(out.split("BENCH_JSON", 1)[1])
    seconds_run = figures["duration_us"] / 1e6
    errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {"label": page.label, "path": page.path, "connections": connections, "requests": figures["requests"],
            "errors": errors, "error_kinds": {k: figures[k] for k in ("connect", "read", "write", "status", "timeout")},
            "seconds": round(seconds_run, 2), "rps": round(figures["requests"] / seconds_run, 1),
            "p50_ms": figures["p50_us"] / 1000, "p90_ms": figures["p90_us"] / 1000,
            "p99_ms": figures["p99_us"] / 1000, "max_ms": figures["max_us"] / 1000,
            "first_ms": round(first * 1000, 1), "bytes_per_page": round(figures["bytes"] / max(1, figures["requests"]))}


def worker_peak_rss_mb(master: subprocess.Popen) -> list[float]:
    """Peak resident memory (VmHWM) of each gunicorn worker, in MB, read from /proc (Linux)."""
    peaks = []
    try:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    except OSError:
        return peaks
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            peaks.append(round(int(match.group(1)) / 1024, 1))
    return peaks


class Page:
    """One measured page: who asks for it, the text that proves it is the page, and its target if it has one."""

    def __init__(self, key: str, label: str, path: str, who: str | None, expect: str, *, single: bool = False,
                 min_floor_ratio: float | None = None, max_p99_ms: float | None = None,
                 max_single_ms: float | None = None):
        self.key, self.label, self.path, self.who, self.expect = key, label, path, who, expect
        self.single = single  # a heavy report: timed one request at a time (what one admin waits), not under load
        self.min_floor_ratio, self.max_p99_ms, self.max_single_ms = min_floor_ratio, max_p99_ms, max_single_ms


FLOORS = [
    Page("healthz", "/healthz (no session: the app's floor)", "/healthz", None, "ok"),
    Page("floor", "/notifications (logged in, empty: the authenticated floor)", "/notifications", "student",
         "Notifications"),
]
PAGES = [
    Page("progress", "/progress (student, 62 records)", "/progress", "student", "Your degree progress",
         min_floor_ratio=0.7, max_p99_ms=150),
    Page("review", "/review (faculty, ~250 waiting, 25 a page)", "/review", "faculty", "Review queue",
         min_floor_ratio=0.7, max_p99_ms=150),
    Page("advising", "/advising (faculty, 50 advisees)", "/advising", "faculty", "Your advisees",
         min_floor_ratio=0.5),
    Page("studio", "/studio (student, 50 sessions)", "/studio", "student", "Your studio sessions"),
    Page("courses", "/courses (student)", "/courses", "student", "Your courses"),
    Page("history", "/admin/history (admin, first page)", "/admin/history", "admin", "History"),
    Page("cohort", "/reports/cohort (admin, all students, first page)", "/reports/cohort", "admin",
         "Cohort progress", single=True, max_single_ms=1000),
    Page("cohort_csv", "/reports/cohort?format=csv (admin, all students)", "/reports/cohort?format=csv", "admin",
         "Student", single=True, max_single_ms=2000),
]
SIZED_PAGES = [
    Page(f"progress_{n}", f"/progress (student, {n} records)", "/progress", f"sized{n}", "Your degree progress")
    for n in SIZED_STUDENTS
]


def time_single(port: int, page: Page, cookie: str, repeat: int) -> dict:
    """A heavy report timed one request at a time: the first (cold caches in that worker) and the median of the
    next `repeat` (with 2 workers each has computed it once by then)."""
    status, body, first = fetch(port, page.path, cookie)
    if status != 200 or page.expect not in body:
        raise SystemExit(f"{page.path}: HTTP {status}; expected text {page.expect!r} missing")
    times, errors = [], 0
    for _ in range(repeat):
        status, _body, took = fetch(port, page.path, cookie)
        errors += status != 200
        times.append(took * 1000)
    times.sort()
    return {"label": page.label, "path": page.path, "connections": 1, "requests": repeat, "errors": errors,
            "first_ms": round(first * 1000, 1), "p50_ms": round(statistics.median(times), 1),
            "max_ms": round(times[-1], 1), "bytes_per_page": len(body.encode())}


def verdicts(results: dict, floor_rps: float) -> list[str]:
    """Each target of issue 11 against the figures: 'met' or what is missing (printed, never asserted)."""
    lines = []
    for page in PAGES:
        r = results.get(page.key)
        if not r:
            continue
        checks = []
        if page.min_floor_ratio is not None:
            ratio = r["rps"] / floor_rps if floor_rps else 0
            checks.append((ratio >= page.min_floor_ratio, f"{ratio:.2f} of the floor (target {page.min_floor_ratio})"))
        if page.max_p99_ms is not None:
            checks.append((r["p99_ms"] < page.max_p99_ms, f"p99 {r['p99_ms']:.0f} ms (target < {page.max_p99_ms:g})"))
        if page.max_single_ms is not None:
            checks.append((r["p50_ms"] < page.max_single_ms,
                           f"{r['p50_ms']:.0f} ms a request (target < {page.max_single_ms:g})"))
        checks.append((r["errors"] == 0, f"{r['errors']} errors"))
        for ok, text in checks:
            lines.append(f"- {'met' if ok else 'MISSED'}: {page.key}: {text}")
    return lines


def markdown(rows: list[dict], healthz_rps: float, floor_rps: float) -> str:
    """The results table: under load (wrk) first, then the single-request reports."""
    out = io.StringIO()
    out.write("| page | connections | requests/s | p50 ms | p99 ms | errors | vs /healthz | vs auth floor |\n"
              "|---|---:|---:|---:|---:|---:|---:|---:|\n")
    for r in rows:
        if "rps" in r:
            out.write(f"| {r['label']} | {r['connections']} | {r['rps']:,.0f} | {r['p50_ms']:.0f} | "
                      f"{r['p99_ms']:.0f} | {r['errors']} | {r['rps'] / healthz_rps:.2f} | "
                      f"{r['rps'] / floor_rps:.2f} |\n")
    singles = [r for r in rows if "rps" not in r]
    if singles:
        out.write("\n| report (one request at a time) | first request ms | median ms | slowest ms | errors |\n"
                  "|---|---:|---:|---:|---:|\n")
        for r in singles:
            out.write(f"| {r['label']} | {r['first_ms']:,.0f} | {r['p50_ms']:,.0f} | {r['max_ms']:,.0f} | "
                      f"{r['errors']} |\n")
    return out.getvalue()


def audit_engine_figures() -> str:
    """bench/audit_engine.py's table: the pure engine, no web and no database."""
    return subprocess.run([sys.executable, str(ROOT / "bench" / "audit_engine.py")], capture_output=True, text=True,
                          check=True, cwd=ROOT).stdout


def run_pages(url: str, args, seeded: dict, pages: list[Page], results_dir: Path,
              feed: bool = False) -> tuple[dict, list[float], list[dict] | None]:
    """Start gunicorn, log each user in once, measure the floors and the pages, then (with `feed`) the registrar
    feed, which writes; returns results, worker RSS (before the feed) and the feed's figures."""
    port = free_port()
    proc = start_gunicorn(url, port, args.workers, results_dir / "gunicorn.log")
    try:
        wait_ready(port, proc)
        who = {"student": seeded["student_email"], "faculty": seeded["faculty_email"], "admin": "admin@bench.test"}
        who.update({f"sized{n}": email for n, email in SIZED_STUDENTS.items()})
        cookies = {None: None}
        for page in FLOORS + pages:
            if page.who not in cookies:
                cookies[page.who] = login(port, who[page.who])
        results = {}
        for page in FLOORS + pages:
            print(f"Measuring {page.path} ({'one at a time' if page.single else f'{args.connections} connections'})",
                  flush=True)
            if page.single:
                results[page.key] = time_single(port, page, cookies[page.who], args.single_repeat)
            else:
                results[page.key] = measure(port, page, cookies[page.who], args.seconds, args.connections)
        rss = worker_peak_rss_mb(proc)
        if feed:
            print("Measuring the registrar feed (export pages, 1,000-row imports)", flush=True)
        return results, rss, registrar_feed.measure(url, port) if feed else None
    finally:
        stop(proc)


def seed_fresh(url: str, students: int, args) -> dict:
    """Drop, create and seed the benchmark database; prints what it made."""
    print(f"Creating {url} and seeding {students} students, {students * args.sessions_per_student:,} studio "
          f"sessions…", flush=True)
    recreate_database(url)
    seeded = seed(url, students, args.sessions_per_student, args.faculty)
    print(f"Seeded in {seeded['seconds']} s: {seeded['students']} students, {seeded['faculty']} faculty, "
          f"{seeded['studio_sessions']:,} studio sessions, {seeded['course_records']:,} course records, "
          f"{seeded['ensemble_records']:,} ensemble records.", flush=True)
    return seeded


def scale_study(url: str, args, results_dir: Path) -> dict:
    """The cohort report at a smaller school (bench/README.md's scale section): seed `--scale-students` students and
    time the cohort page and CSV, before the main run re-seeds at full size."""
    seeded = seed_fresh(url, args.scale_students, args)
    results, _rss, _feed = run_pages(url, args, seeded, [p for p in PAGES if p.key in ("cohort", "cohort_csv")],
                                     results_dir)
    return {"students": args.scale_students, "results": results}


def main(argv: list[str] | None = None) -> int:
    """Run the whole benchmark; gunicorn is always stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
                        help="PostgreSQL database to DROP, create and seed (default %(default)s)")
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--sessions-per-student", type=int, default=50, help="studio sessions each (default 50)")
    parser.add_argument("--faculty", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=10, help="measuring time per page (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections (default 32)")
    parser.add_argument("--single-repeat", type=int, default=5, help="timed requests per heavy report (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--pages", default="", help="comma-separated page keys to measure (default: all): "
                        + ", ".join(p.key for p in PAGES + SIZED_PAGES) + ", registrar_feed")
    parser.add_argument("--scale-study", action="store_true",
                        help="first time the cohort report at --scale-students students (bench/README.md)")
    parser.add_argument("--scale-students", type=int, default=500)
    parser.add_argument("--skip-seed", action="store_true", help="reuse an already seeded benchmark database")
    args = parser.parse_args(argv)
    wrk_binary()

    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    url = args.database_url
    wanted = set(filter(None, args.pages.split(",")))
    pages = [p for p in PAGES + SIZED_PAGES if not wanted or p.key in wanted]
    load_before = list(os.getloadavg())
    small = scale_study(url, args, results_dir) if args.scale_study else None
    if args.skip_seed and not small:
        seeded = {"student_email": "student00000@bench.test", "faculty_email": "faculty000@bench.test"}
        print("Reusing the seeded database", url)
    else:
        seeded = seed_fresh(url, args.students, args)
    results, rss, feed = run_pages(url, args, seeded, pages, results_dir,
                                   feed=not wanted or "registrar_feed" in wanted)
    engine = audit_engine_figures()
    healthz, floor = results["healthz"]["rps"], results["floor"]["rps"]
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_average_before": load_before, "load_average_after": list(os.getloadavg())},
        "settings": {"connections": args.connections, "workers": args.workers, "seconds": args.seconds,
                     "students": args.students, "sessions_per_student": args.sessions_per_student},
        "seeded": seeded, "results": results, "worker_peak_rss_mb": rss, "scale_study": small,
        "audit_engine": engine, "registrar_feed": feed,
    }
    (results_dir / "latest.json").write_text(json.dumps(report, indent=2, default=str))
    print()
    print(markdown(list(results.values()), healthz, floor))
    if small:
        print(f"At {small['students']} students:")
        print(markdown(list(small["results"].values()), small["results"]["healthz"]["rps"],
                       small["results"]["floor"]["rps"]))
    print(f"Worker peak RSS: {', '.join(f'{mb:.0f} MB' for mb in rss) or 'not readable'} (target < 200 MB)")
    if feed:
        print("\n" + registrar_feed.markdown(feed))
    print("\nAudit engine alone:\n" + engine)
    print("Targets (issue 11):")
    print("\n".join(verdicts(results, floor)))
    print(f"\n{os.cpu_count()} CPUs, {platform.platform()}; load average before {load_before[0]:.2f}, "
          f"after {os.getloadavg()[0]:.2f}. Written to {results_dir / 'latest.json'}")
    errors = sum(r["errors"] for r in results.values())
    if errors:
        print(f"{errors} request(s) failed; see bench/results/gunicorn.log")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
