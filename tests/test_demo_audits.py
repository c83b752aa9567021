"""The demo program's audits do not change as the definition language and the engine grow.

tests/data/demo_audits.json was written by the engine before groups, pools, caps, policies and catalog versions
existed (commit 3b3f011), for the demo seeded on a fixed day. Every demo student's audit must match it figure for
figure: statuses, needs, what each block counts, what is still needed, warnings and the records left unused.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tracker.demo import seed
from tracker.services.audit import audit_students

DAY = date(2026, 12, 3)
SNAPSHOT = Path(__file__).parent / "data" / "demo_audits.json"


def summary(result) -> dict:
    """The figures of an audit a student or registrar reads, as the snapshot holds them."""
    return {
        "overall": result.overall_percent, "complete": result.complete, "gpa": str(result.gpa),
        "total": [str(result.total_credits_done), str(result.total_credits_in_progress)],
        "warnings": sorted(w.code + ":" + w.message for w in result.warnings),
        "blocks": [[b.key, b.status, str(b.need), str(b.done), str(b.in_progress), b.percent,
                    [[u.label, str(u.amount), u.provisional] for u in b.used], list(b.still_needed)]
                   for b in result.blocks],
        "unused": [[u.label, u.reason] for u in result.unused],
    }


def test_every_demo_students_audit_is_unchanged(app):
    seed(today=DAY)
    audits = {a.student.email: summary(a.result) for a in audit_students(today=DAY).values()}
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert sorted(audits) == sorted(expected)
    for email, figures in expected.items():
        assert audits[email] == figures, email
