"""The registrar feed on the benchmark school: export pages and 1,000-row imports over HTTP, one request at a time.

Run by bench/run.py after the pages (it writes to the benchmark database): an administrator's admin-scope token,
then the enrollments and course records exported 500 rows a page, given external ids and sent back in batches of
1,000, first as a dry run, then for real (each row adopts the record the school already has), then again (every row
unchanged: what a nightly sync costs on a quiet night).
"""
from __future__ import annotations

import http.client
import json
import os
import time

BATCH = 1000
PAGE = 500


def admin_token(url: str) -> str:
    """A fresh admin-scope token for the benchmark's administrator, made through the service."""
    import sqlalchemy as sa

    from tracker import create_app
    from tracker.extensions import db
    from tracker.models import User
    from tracker.services import api_tokens

    os.environ.setdefault("SECRET_KEY", os.urandom(24).hex())
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@bench.test"))
        _, secret = api_tokens.create_token(admin, f"Bench {time.time():.0f}", ["read", "write", "admin"], 1,
                                            actor=admin)
        db.engine.dispose()
    return secret


def _call(port: int, method: str, path: str, secret: str, body: dict | None = None) -> tuple[int, dict, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    started = time.perf_counter()
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    data = json.loads(response.read() or b"{}")
    conn.close()
    return response.status, data, (time.perf_counter() - started) * 1000


def _export(port: int, kind: str, secret: str, rows: int) -> tuple[list[dict], list[float]]:
    """The first `rows` rows of an export, and each page's time."""
    items, times, page = [], [], 1
    while len(items) < rows:
        status, data, ms = _call(port, "GET", f"/api/v1/registrar/{kind}?per_page={PAGE}&page={page}", secret)
        if status != 200:
            raise SystemExit(f"export of {kind}: HTTP {status} {data}")
        items.extend(data["items"])
        times.append(ms)
        if page >= data["pages"]:
            break
        page += 1
    return items[:rows], times


def _import(port: int, kind: str, secret: str, rows: list[dict], dry_run: bool) -> tuple[float, dict]:
    status, data, ms = _call(port, "POST", f"/api/v1/registrar/{kind}", secret, {"rows": rows, "dry_run": dry_run})
    if status != 200:
        raise SystemExit(f"import of {kind}: HTTP {status} {json.dumps(data)[:500]}")
    return ms, {k: data[k] for k in ("created", "updated", "unchanged")}


def measure(url: str, port: int) -> list[dict]:
    """One row per step: what was sent, how long it took, and what the import did."""
    secret = admin_token(url)
    results = []
    for kind in ("enrollments", "course-records"):
        rows, page_times = _export(port, kind, secret, BATCH)
        results.append({"step": f"export {kind}, {PAGE} a page", "ms": round(max(page_times), 1),
                        "what": f"{len(page_times)} pages (slowest)"})
        for row in rows:
            row["external_id"] = f"BENCH-{kind}-{row['id']}"
        for label, dry_run in (("dry run", True), ("first import (adopts)", False), ("sent again", False)):
            ms, counts = _import(port, kind, secret, rows, dry_run)
            results.append({"step": f"import {len(rows)} {kind}: {label}", "ms": round(ms, 1),
                            "what": ", ".join(f"{n} {k}" for k, n in counts.items() if n)})
    return results


def markdown(results: list[dict]) -> str:
    lines = ["| registrar feed (one request at a time) | ms | outcome |", "|---|---:|---|"]
    lines += [f"| {r['step']} | {r['ms']:,.0f} | {r['what']} |" for r in results]
    return "\n".join(lines) + "\n"
