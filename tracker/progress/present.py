"""Turning an audit result into what the pages and the CSV show: bar segments, figures in words, CSV rows."""
from __future__ import annotations

from decimal import Decimal

from ..domain import AuditResult, BlockResult, format_amount, meets_gpa

STATUS_LABELS = {"complete": "Complete", "in_progress": "In progress", "not_started": "Not started"}
UNIT_SINGULAR = {"credits": "credit", "courses": "course", "terms": "term", "hours": "hour",
                 "milestones": "milestone"}
CSV_HEADER = ("key", "title", "status", "unit", "need", "done", "in progress", "remaining", "percent",
              "still needed")


def _floor_pct(part: Decimal, whole: Decimal) -> int:
    """floor(100 * part / whole) in exact decimal arithmetic (values are never negative)."""
    if whole <= 0:
        return 0
    return int((Decimal(part) * 100) // Decimal(whole))


def block_bar(block: BlockResult) -> tuple[int, int]:
    """(done %, in-progress %) of a block's bar; the two never add up to more than 100."""
    done = max(0, min(100, block.percent))
    if block.unit == "gpa" or block.need <= 0:
        return done, 0
    in_progress = _floor_pct(block.in_progress, block.need)
    return done, max(0, min(100 - done, in_progress))


def overall_bar(result: AuditResult) -> tuple[int, int]:
    """(done %, in-progress %) of the overall bar: the audit's overall percent, then what in-progress work adds."""
    done = result.overall_percent
    if not result.blocks:
        return done, 0
    with_progress = sum(min(100, sum(block_bar(b))) for b in result.blocks) // len(result.blocks)
    return done, max(0, min(100 - done, with_progress - done))


def figure(value: Decimal | int | None, unit: str) -> str:
    """A number with its unit in words: '12 credits', '1 term', GPA '3.00'."""
    if value is None:
        return "—"
    if unit == "gpa":
        return f"{Decimal(value):.2f}"
    word = unit if Decimal(value) != 1 else UNIT_SINGULAR.get(unit, unit)
    return f"{format_amount(value)} {word}"


def gpa_state(result: AuditResult, min_gpa: Decimal) -> str:
    """'none' (no graded courses), 'ok' (meets the minimum) or 'low'."""
    if result.gpa is None:
        return "none"
    return "ok" if meets_gpa(result.gpa, Decimal(min_gpa)) else "low"


def overall_status(result: AuditResult) -> str:
    """complete, in_progress or not_started for the whole degree."""
    if result.complete:
        return "complete"
    if any(b.status != "not_started" for b in result.blocks):
        return "in_progress"
    return "not_started"


def csv_rows(result: AuditResult, total_credits: Decimal, min_gpa: Decimal) -> list[list]:
    """One row per requirement, then summary rows (overall percent, GPA, total credits) with the same columns."""
    rows: list[list] = [
        [b.key, b.title, b.status, b.unit, b.need, b.done, b.in_progress, b.remaining, b.percent,
         "; ".join(b.still_needed)]
        for b in result.blocks
    ]
    done, in_progress = overall_bar(result)
    rows.append(["summary:overall", "Overall progress", overall_status(result), "percent", 100, done, in_progress,
                 max(0, 100 - done - in_progress), done, ""])
    state = gpa_state(result, min_gpa)
    gpa_status = {"none": "not_started", "ok": "complete", "low": "below_minimum"}[state]
    gpa_needed = "" if state == "ok" else f"A GPA of at least {Decimal(min_gpa):.2f}"
    rows.append(["summary:gpa", "GPA", gpa_status, "gpa", f"{Decimal(min_gpa):.2f}",
                 "" if result.gpa is None else f"{result.gpa:.2f}", "", "", 100 if state == "ok" else "",
                 gpa_needed])
    total = Decimal(total_credits)
    remaining = max(Decimal(0), total - result.total_credits_done - result.total_credits_in_progress)
    total_status = "complete" if result.total_credits_done >= total else (
        "in_progress" if result.total_credits_done or result.total_credits_in_progress else "not_started")
    rows.append(["summary:total_credits", "Total credits", total_status, "credits", format_amount(total),
                 format_amount(result.total_credits_done), format_amount(result.total_credits_in_progress),
                 format_amount(remaining), min(100, _floor_pct(result.total_credits_done, total)),
                 f"{format_amount(remaining)} more credits" if remaining > 0 else ""])
    return rows


def helpers() -> dict:
    """Template helpers for the progress and advising pages."""
    return {"block_bar": block_bar, "overall_bar": overall_bar, "figure": figure, "gpa_state": gpa_state,
            "status_labels": STATUS_LABELS}
