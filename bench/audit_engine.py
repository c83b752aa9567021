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
    rich_realistic, rich_adversarial = _rich_program()
    print("| Audit | ms (best run) |\n|---|---:|")
    print(f"| realistic student, 300 records (demo program) | {realistic:.1f} |")
    print(f"| adversarial: 150 records x 6 overlapping blocks (bounded search) | {adversarial:.1f} |")
    print(f"| realistic student, 24 records (every construct: groups, pools, caps, alternatives) | "
          f"{rich_realistic:.1f} |")
    print(f"| adversarial: 80 records competing for pools, caps and both options of an any_of | "
          f"{rich_adversarial:.1f} |")


def _rich_program() -> tuple[float, float]:
    """tests/domain/rich_program.toml: a student as programs see them, and one built to make the search work."""
    from datetime import date
    from decimal import Decimal

    from tracker.domain import AuditInput, CourseRecord, Milestone, StudentContext, audit, parse_program_definition

    defn = parse_program_definition((ROOT / "tests" / "domain" / "rich_program.toml").read_text(encoding="utf-8"))
    rules_ = defn.rules()
    courses = {c.code: c for c in defn.courses}

    def record(rid: int, code: str, term, status="completed", grade="A", credits=None) -> CourseRecord:
        c = courses[code]
        return CourseRecord(rid, code, c.title, Decimal(credits if credits is not None else c.credits), c.category,
                            None, term, status, grade if status == "completed" else None)

    plan = ["MUS 5010", "MUS 5020", "MUS 5030", "MUS 6100", "MUS 6200", "CS 5500", "MUS 6980", "MUS 6970",
            "MUS 4999"] + ["MUS 5000"] * 4 + ["MUS 6900"] * 3
    realistic_records = [record(i, code, TERMS[i % 4], "completed" if i % 4 else "in_progress", credits=(
        2 if code == "MUS 6900" else None)) for i, code in enumerate(plan * 2, start=1)][:24]
    student = StudentContext("general", "thesis", start=date(2025, 8, 25))
    milestones = (Milestone("portfolio_review", date(2026, 2, 1), "Prof. X"),)

    def realistic_run():
        audit(AuditInput(rules_, student, courses=tuple(realistic_records), milestones=milestones,
                         today=date(2026, 3, 2)))

    pool = ["MUS 6100", "MUS 6200", "MUS 6900", "MUS 6980", "MUS 5020", "MUS 5030", "CS 5500"]
    hard_records = [record(i, pool[i % len(pool)], TERMS[i % 4], "completed" if i % 3 else "planned",
                           ["A", "B", "C"][i % 3], credits=(1 + i % 3 if pool[i % len(pool)] == "MUS 6900" else None))
                    for i in range(1, 81)]

    def adversarial_run():
        audit(AuditInput(rules_, student, courses=tuple(hard_records), milestones=milestones,
                         today=date(2026, 3, 2)))

    return best(realistic_run), best(adversarial_run, repeat=3)


if __name__ == "__main__":
    main()
