"""The allocation search with weights, linked blocks and caps, checked against brute force on small instances."""
from __future__ import annotations

import itertools
import random
from decimal import Decimal as D
from fractions import Fraction

import pytest

from tracker.domain.allocation import Cap, Candidate, SearchBudget, allocate


def cand(rid, credits, *blocks, done=True, amounts=None):
    amounts = amounts or {}
    return Candidate(rid, done, D(credits), tuple((b, D(amounts.get(b, credits))) for b in blocks),
                     (rid,), ())


def figures(needs, cands, assignment, weights):
    """The objective of an assignment, computed independently, in the search's order: weighted progress, weighted
    completions, the same counting planned and in-progress records."""
    done = {b: D(0) for b in needs}
    total = {b: D(0) for b in needs}
    for c in cands:
        for b in assignment.get(c.rid, ()):
            amount = dict(c.amounts)[b]
            total[b] += amount
            if c.done:
                done[b] += amount
    w = {b: Fraction(weights.get(b, 1)) for b in needs}
    progress = sum(w[b] * min(Fraction(1), Fraction(done[b]) / Fraction(needs[b])) for b in needs if needs[b] > 0)
    complete = sum(w[b] for b in needs if done[b] >= needs[b])
    complete_with_ip = sum(w[b] for b in needs if total[b] >= needs[b])
    with_ip = sum(w[b] * min(Fraction(1), Fraction(total[b]) / Fraction(needs[b])) for b in needs if needs[b] > 0)
    return (progress, complete, complete_with_ip, with_ip)


def feasible(cands, assignment, links, caps):
    for c in cands:
        placed = set(assignment.get(c.rid, ()))
        for a, b in links.items():
            if (a in placed) != (b in placed) and b in dict(c.amounts):
                return False
        if len(placed) > 1 and not any(links.get(a) in placed for a in placed):
            return False  # no sharing in these instances
    for cap in caps:
        used = sum((amount for rid, amount in cap.amounts if cap.block in assignment.get(rid, ())), D(0))
        if used > cap.limit:
            return False
    return True


def brute_force(needs, cands, links, caps, weights):
    options = []
    for c in cands:
        blocks = [b for b, _ in c.amounts]
        choices = [()]
        for b in blocks:
            unit = tuple(sorted({b, links[b]})) if b in links and links[b] in blocks else (b,)
            if unit not in choices:
                choices.append(unit)
        options.append(choices)
    best = None
    for combo in itertools.product(*options):
        assignment = {c.rid: placed for c, placed in zip(cands, combo)}
        if feasible(cands, assignment, links, caps):
            value = figures(needs, cands, assignment, weights)
            best = value if best is None or value > best else best
    return best


def solve(needs, cands, *, links=None, caps=None, weights=None, budget=10_000):
    zero = {b: D(0) for b in needs}
    result, approx = allocate(needs, zero, dict(zero), cands, {}, SearchBudget(budget), weights=weights,
                              links=links, caps=caps)
    return result, approx


def test_a_cap_sends_the_second_capped_record_to_another_block():
    needs = {0: D(6), 2: D(3)}
    cands = [cand(1, 3, 0, 2), cand(2, 3, 0, 2), cand(3, 3, 0)]
    caps = [Cap(0, D(3), ((1, D(3)), (2, D(3))))]
    result, _ = solve(needs, cands, caps=caps)
    in_first = [rid for rid, placed in result.items() if 0 in placed]
    assert sorted(in_first) in ([1, 3], [2, 3]) and any(2 in result[r] for r in (1, 2))


def test_a_linked_pair_takes_a_record_on_both_sides_or_neither():
    needs = {0: D(6), 1: D(3)}
    cands = [cand(i, 3, 0, 1, amounts={1: 1}) for i in (1, 2)]
    result, _ = solve(needs, cands, links={0: 1, 1: 0}, weights={0: Fraction(1, 2), 1: Fraction(1, 2)})
    assert all(placed in ((), (0, 1)) for placed in result.values())
    assert all(placed == (0, 1) for placed in result.values())


def test_a_heavier_block_wins_the_contested_record():
    needs = {0: D(3), 2: D(3)}
    cands = [cand(1, 3, 0, 2)]
    assert solve(needs, cands, weights={0: Fraction(1, 3), 2: Fraction(2, 3)})[0][1] == (2,)
    assert solve(needs, cands, weights={0: Fraction(2, 3), 2: Fraction(1, 3)})[0][1] == (0,)


@pytest.mark.parametrize("seed", range(60))
def test_exact_search_matches_brute_force(seed):
    rnd = random.Random(seed)
    needs = {0: D(rnd.choice([3, 6, 9])), 1: D(rnd.choice([1, 2])), 2: D(rnd.choice([3, 4, 6])),
             4: D(rnd.choice([2, 3, 5]))}
    links = {0: 1, 1: 0} if rnd.random() < 0.6 else {}
    cands = []
    for rid in range(1, rnd.randint(2, 7) + 1):
        credits = rnd.choice([1, 2, 3, 4])
        blocks = sorted(rnd.sample([0, 2, 4], rnd.randint(1, 3)))
        if 0 in blocks and links:
            blocks = sorted(blocks + [1])
        cands.append(cand(rid, credits, *blocks, done=rnd.random() < 0.8, amounts={1: 1}))
    caps = []
    for block in (0, 2, 4):
        members = [c for c in cands if block in dict(c.amounts)]
        if members and rnd.random() < 0.5:
            chosen = rnd.sample(members, rnd.randint(1, len(members)))
            caps.append(Cap(block, D(rnd.choice([1, 2, 3, 4])), tuple((c.rid, c.credits) for c in chosen)))
    weights = {b: Fraction(rnd.randint(1, 4), 4) for b in needs}
    if links:
        weights[1] = weights[0]
    result, approx = solve(needs, cands, links=links, caps=caps, weights=weights)
    assert not approx
    assert feasible(cands, result, links, caps)
    assert figures(needs, cands, result, weights) == brute_force(needs, cands, links, caps, weights)
    # Input order never changes the answer.
    shuffled = list(cands)
    rnd.shuffle(shuffled)
    assert solve(needs, shuffled, links=links, caps=caps, weights=weights)[0] == result


@pytest.mark.parametrize("seed", range(20))
def test_the_quick_method_respects_caps_and_links(seed):
    rnd = random.Random(1000 + seed)
    needs = {0: D(9), 1: D(3), 2: D(6)}
    cands = [cand(rid, rnd.choice([1, 2, 3]), 0, 1, 2, amounts={1: 1}) for rid in range(1, 12)]
    caps = [Cap(0, D(3), tuple((c.rid, c.credits) for c in cands[::2])), Cap(2, D(2), tuple((c.rid, c.credits)
                                                                                           for c in cands[1::3]))]
    links = {0: 1, 1: 0}
    result, approx = solve(needs, cands, links=links, caps=caps, weights={0: Fraction(1, 2), 1: Fraction(1, 2)},
                           budget=1)
    assert approx
    assert feasible(cands, result, links, caps)
