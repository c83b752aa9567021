"""Speed of the pure audit engine alone (no web, no database): a realistic 300-record student and an adversarial one.

Run: .venv/bin/python bench/audit_engine.py   — prints milliseconds per audit (best of several runs).
Goals (not asserted in tests): a realistic student in a few milliseconds, the adversarial case under a second.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "domain"))

from domain_factories import (  # noqa: E402
    CATALOG, TERMS, course, credits_block, demo_course, ensemble, rules, run, session,
)


def best(fn, repeat: int = 7) -> float:
    """Best wall time of `repeat` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> None:
    codes = sorted(CATALOG)
    courses = [demo_course(i, codes[i % len(codes)],
                           status=["completed", "completed", "in_progress", "planned", "withdrawn"][i % 5],
                           grade=["A", "B", "C", "P", "F"][i % 5] if i % 5 < 2 else "B", term=TERMS[i % 4])
               for i in range(1, 61)]
    sessions = [session(i, 5 + i % 7, ["approved", "pending", "rejected", "approved"][i % 4], TERMS[i % 4])
                for i in range(1, 201)]
    ensembles = [ensemble(i, ["Choir", "Jazz Band"][i % 2], TERMS[i % 4]) for i in range(1, 41)]
    realistic = best(lambda: run(courses, sessions=sessions, ensembles=ensembles, track="non_thesis"))

    blocks = [credits_block(f"b{i}", [7, 5, 11, 13, 17, 19][i], categories=["elective"]) for i in range(6)]
    program = rules(*blocks, credits_block("left", 9, accepts_leftovers=True))
    records = [course(i, f"E {i}", [1, 2, 3, 4][i % 4], status="completed" if i % 3 else "in_progress",
                      grade="A" if i % 3 else None, term=TERMS[i % 4]) for i in range(1, 151)]
    adversarial = best(lambda: run(records, program=program), repeat=3)
    print("| Audit | ms (best run) |\n|---|---:|")
    print(f"| realistic student, 300 records (demo program) | {realistic:.1f} |")
    print(f"| adversarial: 150 records x 6 overlapping blocks (bounded search) | {adversarial:.1f} |")


if __name__ == "__main__":
    main()
