"""The shape of a student's requirements: which apply, how groups nest, and the ways their options can be chosen.

A requirement applies to a student when it and every group above it apply to the student's concentration and
track; a group applies only when at least one of its parts does. Each top-level requirement weighs the same in
the overall percentage; inside an all_of each part weighs the same share of the group; inside an any_of or n_of
the counted options share the group's weight equally (the others weigh nothing: they are shown, not counted).

A *selection* says, for every any_of and n_of, which options count. The audit tries every selection (there are
few in real programs) and keeps the one that gives the most progress; `MAX_SELECTIONS` bounds the number tried.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations, product

from .requirements import GroupRequirement

MAX_SELECTIONS = 256


@dataclass
class Tree:
    """The requirements that apply to one student, in file order, with their nesting."""

    reqs: list  # every applicable requirement, groups and parts, in file order
    by_key: dict
    top: list[str]  # keys of the top-level requirements
    children: dict[str, list[str]] = field(default_factory=dict)  # group key -> applicable part keys
    parent: dict[str, str] = field(default_factory=dict)

    def counts(self, key: str) -> int | None:
        """How many options of a group count: None for all_of (and leaves), else at most the options that apply."""
        req = self.by_key[key]
        if not isinstance(req, GroupRequirement) or req.counts is None:
            return None
        return min(req.counts, len(self.children[key]))

    def leaves(self) -> list:
        """The applicable requirements that are not groups, in file order."""
        return [r for r in self.reqs if not isinstance(r, GroupRequirement)]

    def weights(self) -> dict[str, Fraction]:
        """Each requirement's share of the overall percentage when it counts (see the module docstring)."""
        out: dict[str, Fraction] = {}

        def visit(key: str, weight: Fraction) -> None:
            out[key] = weight
            parts = self.children.get(key)
            if parts is None:
                return
            share = len(parts) if self.counts(key) is None else self.counts(key)
            for part in parts:
                visit(part, weight / share)

        for key in self.top:
            visit(key, Fraction(1, len(self.top)))
        return out


def build_tree(requirements, concentration: str | None, track: str | None) -> Tree:
    """The requirements that apply to a student of this concentration and track."""
    parent: dict[str, str] = {}
    for req in requirements:
        if isinstance(req, GroupRequirement):
            for part in req.of:
                parent.setdefault(part, req.key)
    by_key_all = {r.key: r for r in requirements}

    def applies(key: str) -> bool:
        seen = set()
        while key is not None and key not in seen:
            seen.add(key)
            req = by_key_all.get(key)
            if req is None or not req.applies_to(concentration, track):
                return False
            key = parent.get(key)
        return True

    candidates = [r for r in requirements if applies(r.key)]
    # Drop groups with no applicable part, innermost first (a group of empty groups is empty too).
    alive = {r.key for r in candidates}
    changed = True
    while changed:
        changed = False
        for req in candidates:
            if req.key in alive and isinstance(req, GroupRequirement) and not any(p in alive for p in req.of):
                alive.discard(req.key)
                changed = True
    reqs = [r for r in candidates if r.key in alive]
    by_key = {r.key: r for r in reqs}
    # Parts in the order `of` lists them: that order is shown, and breaks ties ("the first listed counts").
    children = {r.key: [p for p in r.of if p in alive] for r in reqs if isinstance(r, GroupRequirement)}
    kept_parent = {k: v for k, v in parent.items() if k in alive and v in alive}
    top = [r.key for r in reqs if r.key not in kept_parent]
    return Tree(reqs, by_key, top, children, kept_parent)


def count_selections(tree: Tree) -> int:
    """How many selections there are (without listing them)."""
    def count(key: str) -> int:
        parts = tree.children.get(key)
        if parts is None:
            return 1
        n = tree.counts(key)
        if n is None:
            total = 1
            for part in parts:
                total *= count(part)
            return total
        total = 0
        for chosen in combinations(parts, n):
            ways = 1
            for part in chosen:
                ways *= count(part)
            total += ways
        return total

    total = 1
    for key in tree.top:
        total *= count(key)
    return total


def selections(tree: Tree) -> list[dict[str, tuple[str, ...]]]:
    """Every selection (group key -> counted option keys), in a fixed order: options earlier in `of` first.

    Past MAX_SELECTIONS, only the first one (each group's first options in file order) is returned.
    """
    def of(key: str) -> list[dict]:
        parts = tree.children.get(key)
        if parts is None:
            return [{}]
        n = tree.counts(key)
        out = []
        for chosen in ([tuple(parts)] if n is None else combinations(parts, n)):
            for combo in product(*(of(part) for part in chosen)):
                merged = {} if n is None else {key: chosen}
                for item in combo:
                    merged.update(item)
                out.append(merged)
        return out

    if count_selections(tree) > MAX_SELECTIONS:
        return [_first_selection(tree)]
    out = [{}]
    for key in tree.top:
        out = [{**a, **b} for a in out for b in of(key)]
    return out


def _first_selection(tree: Tree) -> dict[str, tuple[str, ...]]:
    chosen: dict[str, tuple[str, ...]] = {}

    def visit(key: str) -> None:
        parts = tree.children.get(key)
        if parts is None:
            return
        n = tree.counts(key)
        picked = tuple(parts) if n is None else tuple(parts[:n])
        if n is not None:
            chosen[key] = picked
        for part in picked:
            visit(part)

    for key in tree.top:
        visit(key)
    return chosen


def active(tree: Tree, selection: dict[str, tuple[str, ...]]) -> set[str]:
    """The keys that count under a selection: top-level ones, every part of a counting all_of, chosen options."""
    out: set[str] = set()

    def visit(key: str) -> None:
        out.add(key)
        parts = tree.children.get(key)
        if parts is None:
            return
        for part in (parts if tree.counts(key) is None else selection.get(key, ())):
            visit(part)

    for key in tree.top:
        visit(key)
    return out
