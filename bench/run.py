"""Throughput of the progress page and the review queue under gunicorn, against a trivial endpoint of the same app.

Creates a fresh PostgreSQL database, runs the migrations, seeds a large data set with bulk inserts (2,000 students,
100,000 studio sessions by default), starts gunicorn on a free local port, logs in through the real login form as a
student and as a faculty member, then measures each endpoint for a bounded time with a few keep-alive client
threads. Prints a markdown table and writes bench/results/latest.json. Usage: `make bench` or
`.venv/bin/python bench/run.py --help`.
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
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/tracker_bench"
PASSWORD = "bench-password-2026"
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
    from tracker.models import Concentration, Course, Ensemble, Program, Studio, Term
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
        fac_ids = [r[0] for r in conn.execute("SELECT id FROM \"user\" WHERE role = 'faculty' ORDER BY id")]
        stu_ids = [r[0] for r in conn.execute("SELECT id FROM \"user\" WHERE role = 'student' ORDER BY id")]
        plan = []  # (student id, concentration, track, advisor, start term index)
        for i, sid in enumerate(stu_ids):
            plan.append((sid, conc_codes[i % len(conc_codes)], "thesis" if i % 2 == 0 else "non_thesis",
                         fac_ids[i % len(fac_ids)], i % 3))
        _copy(conn, "enrollment", ["student_id", "program_id", "concentration_id", "track", "start_term_id",
                                   "advisor_id", "status", "created_at"], (
            [sid, program_id, concentrations[conc], track, terms[start][0], adv, "active", now]
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


def probe(port: int, path: str, cookie: str) -> int:
    """The HTTP status of one GET (404 means the feature is not installed)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def measure(port: int, path: str, cookie: str | None, seconds: float, threads: int, expect_text: str | None) -> dict:
    """Hammer one path from `threads` keep-alive clients for `seconds`; requests/s, p50, p95, errors."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    headers = {"Cookie": cookie} if cookie else {}
    # One request first: the page must really be the page (not a login redirect).
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    first = conn.getresponse()
    body = first.read().decode(errors="replace")
    if first.status != 200 or (expect_text and expect_text not in body):
        raise SystemExit(f"{path}: HTTP {first.status}, expected text {expect_text!r} missing")
    stop_at = time.perf_counter() + seconds

    def client(i: int) -> None:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at:
                break
            try:
                c.request("GET", path, headers=headers)
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    errors[i] += 1
                if r.will_close:
                    c.close()
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                c.close()
                continue
            latencies[i].append(time.perf_counter() - t0)
        c.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    all_lat = sorted(x for part in latencies for x in part)
    n = len(all_lat)

    def pct(p: float) -> float:
        return all_lat[min(n - 1, int(p * n))] * 1000 if n else float("nan")

    return {"path": path, "requests": n, "errors": sum(errors), "seconds": round(elapsed, 2),
            "rps": round(n / elapsed, 1), "p50_ms": round(pct(0.50), 1), "p95_ms": round(pct(0.95), 1),
            "mean_ms": round(statistics.fmean(all_lat) * 1000, 1) if n else None}


def markdown(results: list[dict], baseline: float) -> str:
    out = io.StringIO()
    out.write("| Endpoint | Requests/s | p50 (ms) | p95 (ms) | vs /healthz |\n|---|---:|---:|---:|---:|\n")
    for r in results:
        ratio = r["rps"] / baseline if baseline else 0
        out.write(f"| {r['label']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {ratio:.2f} |\n")
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Run the whole benchmark; gunicorn is always stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
                        help="PostgreSQL database to DROP, create and seed (default %(default)s)")
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--sessions-per-student", type=int, default=50, help="studio sessions each (default 50)")
    parser.add_argument("--faculty", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=10, help="measuring time per endpoint (default 10)")
    parser.add_argument("--threads", type=int, default=4, help="concurrent client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--skip-seed", action="store_true", help="reuse an already seeded benchmark database")
    args = parser.parse_args(argv)

    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    url = args.database_url
    if args.skip_seed:
        seeded = {"student_email": "student00000@bench.test", "faculty_email": "faculty000@bench.test"}
        print("Reusing the seeded database", url)
    else:
        print(f"Creating {url} and seeding {args.students} students, "
              f"{args.students * args.sessions_per_student:,} studio sessions…", flush=True)
        recreate_database(url)
        seeded = seed(url, args.students, args.sessions_per_student, args.faculty)
        print(f"Seeded in {seeded['seconds']} s: {seeded['students']} students, {seeded['faculty']} faculty, "
              f"{seeded['studio_sessions']:,} studio sessions, {seeded['course_records']:,} course records, "
              f"{seeded['ensemble_records']:,} ensemble records.", flush=True)

    load_before = list(os.getloadavg())
    port = free_port()
    proc = start_gunicorn(url, port, args.workers, results_dir / "gunicorn.log")
    try:
        wait_ready(port, proc)
        student = login(port, seeded["student_email"])
        faculty = login(port, seeded["faculty_email"])
        plan = [("GET /healthz (baseline)", "/healthz", None, "ok"),
                ("GET /progress (student)", "/progress", student, "Your degree progress")]
        if probe(port, "/review", faculty) != 404:
            plan.append(("GET /review (faculty queue)", "/review", faculty, "Review queue"))
        else:
            print("tracker/review is not there yet: skipping the review queue.")
        plan.append(("GET /advising (faculty, advisees)", "/advising", faculty, "Your advisees"))
        results = []
        for label, path, cookie, text in plan:
            print(f"Measuring {path} for {args.seconds:g} s with {args.threads} threads…", flush=True)
            r = measure(port, path, cookie, args.seconds, args.threads, text)
            r["label"] = label
            results.append(r)
        baseline = results[0]["rps"]
        for r in results:
            r["ratio_to_healthz"] = round(r["rps"] / baseline, 3) if baseline else None
        report = {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                        "load_average_before": load_before, "load_average_after": list(os.getloadavg())},
            "settings": {"threads": args.threads, "workers": args.workers, "seconds": args.seconds,
                         "students": args.students, "sessions_per_student": args.sessions_per_student},
            "seeded": seeded,
            "results": results,
        }
        (results_dir / "latest.json").write_text(json.dumps(report, indent=2, default=str))
        print()
        print(markdown(results, baseline))
        print(f"{os.cpu_count()} CPUs; load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}.")
        errors = sum(r["errors"] for r in results)
        if errors:
            print(f"{errors} request(s) failed; see bench/results/gunicorn.log")
        print(f"Written to {results_dir / 'latest.json'}")
        return 1 if errors else 0
    finally:
        stop(proc)


if __name__ == "__main__":
    sys.exit(main())
