"""Turning an audit result into what the pages and the CSV show: bar segments, figures in words, CSV rows, and
the nesting of groups (a group block's children, any depth) flattened for tables."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable, Iterator

from ..domain import AuditResult, BlockResult, format_amount, meets_gpa

STATUS_LABELS = {"complete": "Complete", "in_progress": "In progress", "not_started": "Not started"}
UNIT_SINGULAR = {"credits": "credit", "courses": "course", "terms": "term", "hours": "hour",
                 "milestones": "milestone", "requirements": "requirement"}
GROUP_KINDS = ("all_of", "any_of", "n_of")
CHOICE_KINDS = ("any_of", "n_of")  # groups where only some options count
# The words the audit puts in a used record's reason when the course never counts toward the degree total.
NOT_IN_TOTAL = "does not count toward the total"
CSV_HEADER = ("key", "title", "status", "unit", "need", "done", "in progress", "remaining", "percent",
              "still needed", "part of", "counts")


@dataclass(frozen=True)
class Placed:
    """A block with where it sits: its depth (0 = top level) and the group it belongs to (None at the top)."""

    block: BlockResult
    depth: int
    parent: BlockResult | None


def placed_blocks(blocks: Iterable[BlockResult], depth: int = 0, parent: BlockResult | None = None
                  ) -> Iterator[Placed]:
    """Every block, nested ones too, depth first in file order, with its depth and parent group."""
    for block in blocks:
        yield Placed(block, depth, parent)
        yield from placed_blocks(block.children, depth + 1, block)


def is_group(block: BlockResult) -> bool:
    """True for an all_of / any_of / n_of block (it has sub-requirements)."""
    return block.kind in GROUP_KINDS or bool(block.children)


def not_in_total(reason: str) -> bool:
    """True when a used record's reason says the course does not count toward the degree total."""
    return NOT_IN_TOTAL in (reason or "")


def long_date(value: date | None) -> str:
    """A day in words: '30 June 2031'."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def chosen_titles(block: BlockResult) -> list[str]:
    """The titles of a group's options that count (what an any_of / n_of has chosen so far)."""
    return [child.title for child in block.children if child.counted]


@dataclass(frozen=True)
class CompareRow:
    """One requirement of the what-if table: its title, its block now and under the what-if (None: does not
    apply), its depth in the nesting of groups and the kind of the group it is an option of on each side."""

    key: str
    title: str
    now: BlockResult | None
    then: BlockResult | None
    depth: int
    now_parent_kind: str | None = None
    then_parent_kind: str | None = None


def compare_rows(requirement_order: Iterable[tuple[str, str]], now: AuditResult, then: AuditResult
                 ) -> list[CompareRow]:
    """The two audits side by side, block by block: each group followed by its options (from either audit),
    siblings in the program's requirement order (`requirement_order`: (key, title) in file order)."""
    position: dict[str, int] = {}
    for i, (key, _title) in enumerate(requirement_order):
        position.setdefault(key, i)
    found: dict[str, list] = {}
    children: dict[str | None, list[str]] = {}
    appearance = 0
    for side, result in enumerate((now, then)):
        for placed in placed_blocks(result.blocks):
            entry = found.setdefault(placed.block.key, [None, None, appearance, None, None])
            appearance += 1
            entry[side] = placed.block
            entry[3 + side] = placed.parent.kind if placed.parent else None
            siblings = children.setdefault(placed.parent.key if placed.parent else None, [])
            if placed.block.key not in siblings:
                siblings.append(placed.block.key)
    # Blocks the program does not list (the audit's own, such as residency) keep the order they appear in.
    def order(key: str) -> int:
        return position.get(key, len(position) + found[key][2])

    rows: list[CompareRow] = []
    seen: set[str] = set()

    def visit(parent: str | None, depth: int) -> None:
        for key in sorted(children.get(parent, []), key=order):
            if key in seen:
                continue
            seen.add(key)
            before, after, _, before_parent, after_parent = found[key]
            rows.append(CompareRow(key, (before or after).title, before, after, depth, before_parent, after_parent))
            visit(key, depth + 1)

    visit(None, 0)
    return rows


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
    """One row per requirement (a group's options follow it, saying which group they are part of and whether they
    count), then summary rows (overall percent, GPA, total credits) with the same columns."""
    rows: list[list] = [
        [b.key, b.title, b.status, b.unit, b.need, b.done, b.in_progress, b.remaining, b.percent,
         "; ".join(b.still_needed), p.parent.key if p.parent else "", "yes" if b.counted else "no"]
        for p in placed_blocks(result.blocks) for b in (p.block,)
    ]
    done, in_progress = overall_bar(result)
    rows.append(["summary:overall", "Overall progress", overall_status(result), "percent", 100, done, in_progress,
                 max(0, 100 - done - in_progress), done, "", "", ""])
    state = gpa_state(result, min_gpa)
    gpa_status = {"none": "not_started", "ok": "complete", "low": "below_minimum"}[state]
    gpa_needed = "" if state == "ok" else f"A GPA of at least {Decimal(min_gpa):.2f}"
    rows.append(["summary:gpa", "GPA", gpa_status, "gpa", f"{Decimal(min_gpa):.2f}",
                 "" if result.gpa is None else f"{result.gpa:.2f}", "", "", 100 if state == "ok" else "",
                 gpa_needed, "", ""])
    total = Decimal(total_credits)
    remaining = max(Decimal(0), total - result.total_credits_done - result.total_credits_in_progress)
    total_status = "complete" if result.total_credits_done >= total else (
        "in_progress" if result.total_credits_done or result.total_credits_in_progress else "not_started")
    rows.append(["summary:total_credits", "Total credits", total_status, "credits", format_amount(total),
                 format_amount(result.total_credits_done), format_amount(result.total_credits_in_progress),
                 format_amount(remaining), min(100, _floor_pct(result.total_credits_done, total)),
                 f"{format_amount(remaining)} more credits" if remaining > 0 else "", "", ""])
    return rows


def helpers() -> dict:
    """Template helpers for the progress and advising pages."""
    return {"block_bar": block_bar, "overall_bar": overall_bar, "figure": figure, "gpa_state": gpa_state,
            "status_labels": STATUS_LABELS, "is_group": is_group, "choice_kinds": CHOICE_KINDS,
            "not_in_total": not_in_total, "long_date": long_date, "chosen_titles": chosen_titles}
