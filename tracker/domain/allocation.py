"""The allocation search used by the audit: which course record counts toward which block.

Input is a set of blocks (each with a need in its own unit and what is already pinned to it) and a set of candidate
records, each eligible for some blocks. Output is, for every candidate, the blocks it counts toward (usually one,
two when both blocks allow sharing or are the two sides of one requirement, none when it is better left for the
elective pool).

Three optional inputs shape the search:
  - weights: how much each block counts in the objective (1 each when not given). A requirement inside a group
    weighs its share of the overall percentage (a child of an all-of of three at top level weighs 1/3), and the
    two sides of a linked requirement weigh 1/2 each.
  - links: pairs of blocks that are one requirement measured two ways ("9 credits and 3 courses"). A record placed
    in one side is always placed in the other too: it is one choice, never one side alone.
  - caps: "at most 3 credits of independent study", "at most 6 pass/fail credits", "one of MPT 602 / MPT 652":
    at most a limit (in the cap's own unit: credits, or 1 per course) of the member records may count in a block.
    A record is never split, so a placement that would pass a cap is not allowed; the record goes elsewhere or
    nowhere. Several caps may cover one block and one record; each must hold. Caps count only the candidates here
    (the caller takes records it pinned itself off the limit).

The objective, compared in this order (bigger is better):
  1. progress: the sum over blocks of weight * min(1, done / need), counting completed records;
  2. the weight of the blocks completed by completed records;
  3. the weight of the blocks completed counting in-progress records too;
  4. the sum over blocks of weight * min(1, (done + in progress) / need);
  5. the least credit wasted by over-filling a block;
  6. the lexicographically smallest assignment, with records in search order and each record's choices in
     requirement order (a shared pair after single blocks and linked pairs, "none" last). Because the search order
     puts completed records before in-progress ones and, among records alike, higher grades and earlier terms
     first, this last rule prefers completed, better-graded, earlier records for the earlier requirements when all
     else is equal.
With weights, a heavier block is worth more: of two arrangements that each finish one block, the one finishing the
heavier block wins.

Why progress comes first, not completed blocks (docs/audit-engine.md, "How courses are allocated"): the overall
percentage shown to students is the same sum, and with progress first, finishing a course cannot lower it: the old
best arrangement stays possible and only gains, so the new best is at least as good (the property tests check this
on whole audits). With completed blocks first, finishing a course can make the search trade two 75 % blocks for one
complete block and move the overall bar down. Completed blocks still decide between arrangements of equal progress,
which is the usual case.

Blocks that never compete for a record are solved separately (a cap covers one block and a link joins its two
blocks, so records sharing a cap or a link always land in one group). A record eligible for a single block (or only
for both sides of one linked requirement) is pinned to it when that block cannot be over-filled anyway and the
record is in no cap there that could ever bind (then using the record is always best). A cap its members can never
reach is dropped. Each group is solved exactly by a depth-first search over its records in a fixed order (fewest
eligible blocks first, then the caller's rank, records alike for the search side by side, then the caller's
preference), with:
  - memoisation on (record index, block fill, shared credit, cap usage), block fill being capped at the need, and
    cap usage raised to "limit minus what the remaining members could still add" when that is higher (the two are
    equivalent, since such a cap can no longer bind), which keeps the memo small;
  - an optimistic bound (room left in each block, what the remaining records can bring, at most what a cap still
    lets its members bring, a fractional knapsack of their credits and, where a block counts courses, of their
    number) that skips a choice which cannot beat the best one found at that point;
  - dominance: a choice that changes no capped figure only wastes credit (and cap room), so it is never tried;
  - symmetry: alike records (same status, credits, blocks and caps) take non-decreasing choices, which skips their
    permutations without changing the answer.
The search counts its steps (each choice weighed). Past the step budget the group falls back to greedy first-fit
followed by improving moves and swaps, and the caller says so in the result; the fallback keeps every cap, shared
credit limit and link too. Both paths are deterministic.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import lcm

STEP_BUDGET = 20_000
MAX_EXACT_RECORDS = 250  # deeper searches would hit Python's recursion limit; they go greedy at once
GREEDY_EVALUATIONS = 20_000


@dataclass(frozen=True)
class Candidate:
    """A record the search may place: its id, completed or provisional, credits, per-block amounts, preference key."""

    rid: int
    done: bool
    credits: Decimal
    amounts: tuple[tuple[int, Decimal], ...]  # (block index, amount in that block's unit), sorted by block index
    preference: tuple  # fine order among records alike (e.g. higher grade, earlier term, code, id)
    rank: tuple = ()  # coarse order that comes first (e.g. completed before in progress)


@dataclass(frozen=True)
class Cap:
    """At most `limit` of the member records may count in `block`: amounts are (rid, amount in the cap's unit).

    The unit is the cap's own (credits, or 1 per course for "at most 2 courses" or "one of these alternatives"),
    independent of the block's unit. Records not listed are not limited by this cap.
    """

    block: int
    limit: Decimal
    amounts: tuple[tuple[int, Decimal], ...]


class SearchBudget:
    """Search steps the exact search may still take, shared by every group of one audit."""

    def __init__(self, steps: int = STEP_BUDGET):
        self.left = steps


class _OutOfBudget(Exception):
    """The exact search ran past its step budget."""


def _scale_of(values) -> int:
    """Power of ten that turns every Decimal in values into an integer (all arithmetic below is on ints)."""
    places = 0
    for value in values:
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            places = max(places, -exponent)
    return 10 ** min(places, 6)


def _check_links(links: dict[int, int], share_caps) -> None:
    """The caller's links must pair blocks both ways, and a linked block never shares credit with another."""
    for a, b in links.items():
        if a == b or links.get(b) != a:
            raise ValueError(f"links must pair two blocks both ways: {a} -> {b}")
    for a, b in share_caps:
        if a in links or b in links:
            raise ValueError(f"a linked block cannot share credit with another block: {a}, {b}")


def allocate(
    needs: dict[int, Decimal],
    start_done: dict[int, Decimal],
    start_total: dict[int, Decimal],
    candidates: list[Candidate],
    share_caps: dict[tuple[int, int], Decimal],
    budget: SearchBudget,
    *,
    weights: dict[int, Fraction] | None = None,
    links: dict[int, int] | None = None,
    caps: list[Cap] | None = None,
) -> tuple[dict[int, tuple[int, ...]], set[int]]:
    """Place candidates in blocks; returns rid -> block indexes (empty = none) and the blocks solved approximately.

    weights: block -> weight in the objective (missing blocks weigh 1; weights are not negative).
    links: block -> its other side (both directions given); a record goes to both sides or to neither. A side whose
    need is nothing acts as absent: the other side then stands alone.
    caps: limits on what member records may bring to a block, each in its own unit (see Cap).
    """
    blocks = sorted(b for b, need in needs.items() if need > 0)
    live = set(blocks)
    links = dict(links or {})
    _check_links(links, share_caps)
    links = {a: b for a, b in links.items() if a in live and b in live}
    weight_of = dict.fromkeys(blocks, Fraction(1))
    for b, w in (weights or {}).items():
        if b in live:
            weight_of[b] = Fraction(w)
            if weight_of[b] < 0:
                raise ValueError(f"a block's weight cannot be negative: {b}")
    cands = []
    for cand in candidates:
        amounts = tuple((b, a) for b, a in cand.amounts if b in live)
        eligible = {b for b, _ in amounts}
        for b in eligible:
            if b in links and links[b] not in eligible:
                raise ValueError(f"record {cand.rid} is eligible for block {b} but not for its linked block")
        if amounts:
            cands.append(Candidate(cand.rid, cand.done, cand.credits, amounts, cand.preference, cand.rank))
    result: dict[int, tuple[int, ...]] = {cand.rid: () for cand in candidates}
    if not cands:
        return result, set()

    caps = [cap for cap in caps or () if cap.block in live]
    everything = list(needs.values()) + list(start_done.values()) + list(start_total.values())
    everything += [c.credits for c in cands] + [a for c in cands for _, a in c.amounts] + list(share_caps.values())
    everything += [cap.limit for cap in caps] + [a for cap in caps for _, a in cap.amounts]
    scale = _scale_of(everything)

    ints: dict[Decimal, int] = {}

    def to_int(value: Decimal) -> int:
        result = ints.get(value)
        if result is None:
            result = ints[value] = int(value * scale)
        return result

    need = {b: to_int(needs[b]) for b in blocks}
    done = {b: min(need[b], to_int(start_done.get(b, Decimal(0)))) for b in blocks}
    total = {b: min(need[b], to_int(start_total.get(b, Decimal(0)))) for b in blocks}
    # Block weights as integers over one common denominator (only their ratios matter).
    if weights:
        denominator = lcm(*(w.denominator for w in weight_of.values()))
        wint = {b: int(weight_of[b] * denominator) for b in blocks}
    else:
        wint = dict.fromkeys(blocks, 1)

    # Caps in integer units, keeping only members eligible for the block that use some of the limit; a cap its
    # members can never reach together cannot bind and is dropped.
    eligible_for = {cand.rid: {b for b, _ in cand.amounts} for cand in cands} if caps else {}
    int_caps: list[tuple[int, int, dict[int, int]]] = []
    for cap in caps:
        members = {}
        for rid, amount in dict(cap.amounts).items():
            if cap.block in eligible_for.get(rid, ()) and to_int(amount) > 0:
                members[rid] = to_int(amount)
        limit = max(0, to_int(cap.limit))
        if sum(members.values()) > limit:
            int_caps.append((cap.block, limit, members))
    int_caps.sort(key=lambda c: (c[0], c[1], sorted(c[2].items())))
    capped = {(block, rid) for block, _, members in int_caps for rid in members}

    # Pin records eligible for one block only (or only for the two sides of one linked requirement), where no block
    # they go to can be over-filled even by every candidate and no cap there limits them.
    potential = dict(total)
    for cand in cands:
        for b, amount in cand.amounts:
            potential[b] += to_int(amount)
    open_cands = []
    for cand in cands:
        targets = tuple(b for b, _ in cand.amounts)
        single = len(targets) == 1 or (len(targets) == 2 and links.get(targets[0]) == targets[1])
        if single and all(potential[b] <= need[b] and (b, cand.rid) not in capped for b in targets):
            result[cand.rid] = targets
            for b, amount in cand.amounts:
                total[b] += to_int(amount)
                if cand.done:
                    done[b] += to_int(amount)
        else:
            open_cands.append(cand)

    # Group blocks that compete for a record (union-find over multi-block candidates and links). A cap covers one
    # block, so the records it limits are in that block's group already.
    parent = {b: b for b in blocks}

    def find(b: int) -> int:
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for a, b in links.items():
        union(a, b)
    for cand in open_cands:
        first = cand.amounts[0][0]
        for b, _ in cand.amounts[1:]:
            union(first, b)
    groups: dict[int, list[Candidate]] = {}
    for cand in open_cands:
        groups.setdefault(find(cand.amounts[0][0]), []).append(cand)

    approximate: set[int] = set()
    for root in sorted(groups):
        group_cands = groups[root]
        group_blocks = sorted({b for c in group_cands for b, _ in c.amounts})
        # Fewest eligible blocks first (they have the fewest choices), then the caller's coarse rank; records
        # that are alike for the search (same credits, same blocks) next to each other, in the caller's order.
        group_cands.sort(key=lambda c: (len(c.amounts), c.rank, c.credits, c.amounts, c.preference))
        pairs = {
            pair: to_int(cap) for pair, cap in share_caps.items()
            if pair[0] in group_blocks and pair[1] in group_blocks
        }
        group_caps = [cap for cap in int_caps if cap[0] in group_blocks]
        problem = _Problem(group_blocks, need, done, total, group_cands, pairs, to_int, wint, links, group_caps)
        try:
            if len(group_cands) > MAX_EXACT_RECORDS:
                raise _OutOfBudget
            choices = problem.solve_exact(budget)
        except _OutOfBudget:
            budget.left = 0
            choices = problem.solve_greedy()
            approximate.update(group_blocks)
        for cand, option in zip(group_cands, choices):
            result[cand.rid] = option
    return result, approximate


class _Problem:
    """One group of competing blocks and the records they compete for, in integer units."""

    def __init__(self, blocks, need, done, total, cands, pairs, to_int, wint, links, caps):
        self.blocks = blocks
        self.pos = {b: i for i, b in enumerate(blocks)}
        self.need = [need[b] for b in blocks]
        self.start = tuple(v for b in blocks for v in (done[b], total[b]))
        self.cands = cands
        self.pair_list = sorted(pairs)
        self.pair_pos = {pair: j for j, pair in enumerate(self.pair_list)}
        self.pair_caps = [pairs[p] for p in self.pair_list]
        # Progress weight per block: its own weight over its need, on one common scale (integers throughout).
        common = lcm(*self.need)
        self.complete_weight = [wint[b] for b in blocks]
        self.weight = [common // n * wint[b] for n, b in zip(self.need, blocks)]
        # Caps: the block position, the limit, and per record index what it would use of the limit.
        self.cap_block = [self.pos[block] for block, _, _ in caps]
        self.cap_limit = [limit for _, limit, _ in caps]
        self.has_caps = bool(caps)
        n, width = len(cands), len(blocks)
        cap_use = [[members.get(cand.rid, 0) for _, _, members in caps] for cand in cands] if caps else [()] * n
        # options[i]: list of (blocks tuple, adds [(position, amount, credits)], pair position or None,
        #                      cap uses ((cap index, amount), ...))
        self.options = []
        for i, cand in enumerate(cands):
            credits = to_int(cand.credits)
            adds = {b: to_int(a) for b, a in cand.amounts}

            def uses(targets):
                if not caps:
                    return ()
                return tuple((k, cap_use[i][k]) for k in range(len(caps))
                             if cap_use[i][k] and blocks[self.cap_block[k]] in targets)

            opts = []
            for b, _ in cand.amounts:
                other = links.get(b)
                if other is None:
                    opts.append(((b,), [(self.pos[b], adds[b], credits)], None, uses((b,))))
                elif b < other:
                    both = [(self.pos[b], adds[b], credits), (self.pos[other], adds[other], credits)]
                    opts.append(((b, other), both, None, uses((b, other))))
            for a_index, (a, _) in enumerate(cand.amounts):
                for b, _ in cand.amounts[a_index + 1:]:
                    if (a, b) in pairs:
                        opts.append(((a, b), [(self.pos[a], adds[a], credits), (self.pos[b], adds[b], credits)],
                                     self.pair_pos[(a, b)], uses((a, b))))
            opts.append(((), [], None, ()))
            self.options.append(opts)
        self.suffix_done = [[0] * width for _ in range(n + 1)]
        self.suffix_total = [[0] * width for _ in range(n + 1)]
        for i in range(n - 1, -1, -1):
            self.suffix_done[i] = list(self.suffix_done[i + 1])
            self.suffix_total[i] = list(self.suffix_total[i + 1])
            for b, amount in cands[i].amounts:
                p = self.pos[b]
                self.suffix_total[i][p] += to_int(amount)
                if cands[i].done:
                    self.suffix_done[i][p] += to_int(amount)
        # Per cap, from record i on: what its members could still use of the limit (cap unit) and still bring to
        # the block (block unit, completed and all), and the most block units one unit of the cap can buy.
        self.cap_rest = [[0] * len(caps) for _ in range(n + 1)] if caps else [()] * (n + 1)
        self.cap_bring_done = [[0] * len(caps) for _ in range(n + 1)] if caps else None
        self.cap_bring_total = [[0] * len(caps) for _ in range(n + 1)] if caps else None
        self.cap_rate = []
        for k, (block, _, _) in enumerate(caps):
            rate = Fraction(0)
            for i, cand in enumerate(cands):
                if cap_use[i][k]:
                    rate = max(rate, Fraction(to_int(dict(cand.amounts)[block]), cap_use[i][k]))
            self.cap_rate.append((rate.numerator, rate.denominator))
        for i in range(n - 1 if caps else -1, -1, -1):
            amounts = dict(cands[i].amounts)
            for k, (block, _, _) in enumerate(caps):
                bring = to_int(amounts[block]) if cap_use[i][k] else 0
                self.cap_rest[i][k] = self.cap_rest[i + 1][k] + cap_use[i][k]
                self.cap_bring_total[i][k] = self.cap_bring_total[i + 1][k] + bring
                self.cap_bring_done[i][k] = self.cap_bring_done[i + 1][k] + (bring if cands[i].done else 0)

        # A record alike to the one before it (same status, credits, blocks and caps) may not take an earlier
        # choice than that one: this skips mere permutations of alike records, and the lexicographically smallest
        # of a set of permutations is exactly the one with non-decreasing choices, so nothing is lost.
        self.alike = [i > 0 and (cands[i].done, cands[i].credits, cands[i].amounts, cap_use[i])
                      == (cands[i - 1].done, cands[i - 1].credits, cands[i - 1].amounts, cap_use[i - 1])
                      for i in range(n)]
        # For the progress bound: credits the remaining records carry (twice when a record can go to two blocks;
        # a record of no credits counts as one unit, as in the rates) and, per block, the most progress one credit
        # can bring (a course-list block counts a course as one unit).
        self.suffix_credits_done = [0] * (n + 1)
        self.suffix_credits_total = [0] * (n + 1)
        for i in range(n - 1, -1, -1):
            credits = max(to_int(cands[i].credits), 1) * (2 if any(len(o[0]) > 1 for o in self.options[i]) else 1)
            self.suffix_credits_total[i] = self.suffix_credits_total[i + 1] + credits
            self.suffix_credits_done[i] = self.suffix_credits_done[i + 1] + (credits if cands[i].done else 0)
        # Rounded up, so the knapsack stays an upper bound while using whole numbers only.
        rates = [0] * width
        for i, cand in enumerate(cands):
            credits = max(to_int(cand.credits), 1)
            for b, amount in cand.amounts:
                p = self.pos[b]
                rates[p] = max(rates[p], -(-to_int(amount) * self.weight[p] // credits))
        self.rates = rates
        self.by_rate = sorted(range(width), key=lambda p: (-rates[p], p))
        # Some amount does not follow its record's credits (a course counts 1, a course of no credits counts too):
        # then the credit knapsack can be loose and the bound also counts placements.
        self.count_units = any(to_int(amount) != to_int(cand.credits) for cand in cands for _, amount in cand.amounts)
        # The same knapsack counted in placements instead of credits: records i.. can be placed at most
        # suffix_slots_*[i] times (twice for a record that can go to two blocks), and one placement brings a block at
        # most the largest amount a remaining record has there. Tighter where credits say little (a course counts 1).
        self.suffix_slots_done = [0] * (n + 1)
        self.suffix_slots_total = [0] * (n + 1)
        self.suffix_best = [[0] * width for _ in range(n + 1)]
        for i in range(n - 1 if self.count_units else -1, -1, -1):
            slots = 2 if any(len(o[0]) > 1 for o in self.options[i]) else 1
            self.suffix_slots_total[i] = self.suffix_slots_total[i + 1] + slots
            self.suffix_slots_done[i] = self.suffix_slots_done[i + 1] + (slots if cands[i].done else 0)
            self.suffix_best[i] = list(self.suffix_best[i + 1])
            for b, amount in cands[i].amounts:
                p = self.pos[b]
                self.suffix_best[i][p] = max(self.suffix_best[i][p], to_int(amount) * self.weight[p])
        # Best progress each record could add on its own (both blocks of a pair count), as suffix sums:
        # no arrangement of records i.. can add more progress than suffix_gain_*[i].
        self.suffix_gain_done = [0] * (n + 1)
        self.suffix_gain_total = [0] * (n + 1)
        for i in range(n - 1, -1, -1):
            gain = max(sum(amount * self.weight[p] for p, amount, _ in adds) for _, adds, _, _ in self.options[i])
            self.suffix_gain_total[i] = self.suffix_gain_total[i + 1] + gain
            self.suffix_gain_done[i] = self.suffix_gain_done[i + 1] + (gain if cands[i].done else 0)

    def _start_used(self) -> tuple[int, ...]:
        return self._settle([0] * len(self.cap_limit), 0)

    def _settle(self, used, i) -> tuple[int, ...]:
        """Cap usage as a memo key before record i: raised to "limit minus what members i.. could still use" where
        that is higher, which changes nothing (such a cap can no longer bind) and merges equivalent states."""
        rest = self.cap_rest[i]
        return tuple(max(u, limit - r) for u, limit, r in zip(used, self.cap_limit, rest))

    def _value(self, state) -> tuple[int, int, int, int]:
        """The objective of a final (capped) state: progress, completed blocks, completed with in-progress, total."""
        return self._levels(state[0::2], state[1::2])

    def _levels(self, done, total) -> tuple[int, int, int, int]:
        """The objective of each block's progress (`done`, `total`: scaled, at most its need), as `_value` orders it:
        weighted completed progress, blocks complete, blocks complete counting in-progress records, weighted total."""
        weights, complete_weight = self.weight, self.complete_weight
        l1 = l2 = l3 = l4 = 0
        for p, need in enumerate(self.need):
            d, t = done[p], total[p]
            if d >= need:
                l1 += complete_weight[p]
            if t >= need:
                l2 += complete_weight[p]
            l3 += d * weights[p]
            l4 += t * weights[p]
        return (l3, l1, l2, l4)

    def _capped_extra(self, used, i):
        """What records i.. could still bring to each block (completed, all), less what the caps keep out."""
        extra_done, extra_total = self.suffix_done[i], self.suffix_total[i]
        if not self.has_caps:
            return extra_done, extra_total
        cut_done = [0] * len(self.need)
        cut_total = [0] * len(self.need)
        bring_done, bring_total = self.cap_bring_done[i], self.cap_bring_total[i]
        for k, p in enumerate(self.cap_block):
            numerator, denominator = self.cap_rate[k]
            allowed = (self.cap_limit[k] - used[k]) * numerator // denominator
            # One cap per block at most: members of two caps would otherwise be taken off twice.
            cut_done[p] = max(cut_done[p], bring_done[k] - min(bring_done[k], allowed))
            cut_total[p] = max(cut_total[p], bring_total[k] - min(bring_total[k], allowed))
        return ([e - c for e, c in zip(extra_done, cut_done)], [e - c for e, c in zip(extra_total, cut_total)])

    def _beaten(self, state, used, i, waste, best_value, later) -> bool:
        """True when no way of placing records i.. from this state can beat best_value (nor tie it, for a later
        choice): an optimistic value, each figure an upper bound, is no better."""
        if self.has_caps:
            extra_done, extra_total = self._capped_extra(used, i)
        else:
            extra_done, extra_total = self.suffix_done[i], self.suffix_total[i]
        weights, complete_weight = self.weight, self.complete_weight
        l1 = l2 = l3 = l4 = room_done = room_total = 0
        for p, need in enumerate(self.need):
            d, t = state[2 * p], state[2 * p + 1]
            weight = weights[p]
            l3 += d * weight
            l4 += t * weight
            # Room a block has for progress that the remaining records could actually bring it.
            room_done += min(need - d, extra_done[p]) * weight
            room_total += min(need - t, extra_total[p]) * weight
            if d + extra_done[p] >= need:
                l1 += complete_weight[p]
            if t + extra_total[p] >= need:
                l2 += complete_weight[p]
        # Records are not split, so the gain is limited by the room, by what each record can bring, and by the
        # credits left, best spent on the blocks where a credit is worth most (a fractional knapsack).
        gain_done = min(room_done, self.suffix_gain_done[i],
                        self._knapsack(state, 0, extra_done, self.suffix_credits_done[i]))
        gain_total = min(room_total, self.suffix_gain_total[i],
                         self._knapsack(state, 1, extra_total, self.suffix_credits_total[i]))
        value = (l3 + gain_done, l1, l2, l4 + gain_total, -waste)
        if value < best_value or (later and value == best_value):
            return True
        if not self.count_units:
            return False
        # Not settled yet: progress is also held to what the remaining placements can bring (dearer; tighter where
        # amounts do not follow credits, as in a course list), the first figure first.
        gain_done = min(gain_done, self._slots(state, 0, extra_done, self.suffix_slots_done[i], self.suffix_best[i]))
        if l3 + gain_done != best_value[0]:
            return l3 + gain_done < best_value[0]
        gain_total = min(gain_total,
                         self._slots(state, 1, extra_total, self.suffix_slots_total[i], self.suffix_best[i]))
        value = (l3 + gain_done, l1, l2, l4 + gain_total, -waste)
        return value < best_value or (later and value == best_value)

    def _knapsack(self, state, offset, extra, budget) -> int:
        gain = 0
        for p in self.by_rate:
            if budget <= 0:
                break
            rate = self.rates[p]
            cap = min(self.need[p] - state[2 * p + offset], extra[p]) * self.weight[p]
            if cap <= 0 or rate == 0:
                continue
            take = min(cap, budget * rate)
            gain += take
            budget -= take // rate  # rounded down: leftover budget only loosens the bound
        return gain

    def _slots(self, state, offset, extra, slots, best) -> int:
        """Most progress `slots` placements can bring, each worth at most best[p] in block p (up to its room).

        Filling a block takes room // worth full placements and one for the rest; the best `slots` of all those
        placements, whatever their block, bound what the records can really bring."""
        steps = []
        for p, worth in enumerate(best):
            room = min(self.need[p] - state[2 * p + offset], extra[p]) * self.weight[p]
            if room > 0 and worth > 0:
                full, rest = divmod(room, worth)
                if full:
                    steps.append((worth, full))
                if rest:
                    steps.append((rest, 1))
        steps.sort(reverse=True)
        gain = 0
        for worth, count in steps:
            if slots <= 0:
                break
            take = min(slots, count)
            gain += take * worth
            slots -= take
        return gain

    def _apply(self, state, shared, used, done_record, option, i):
        """The state after record i takes option (None if a limit would be passed), and the credit it wastes."""
        blocks, adds, pair, uses = option
        if pair is not None and shared[pair] + adds[0][2] > self.pair_caps[pair]:
            return None
        if uses:
            used = list(used)
            for k, amount in uses:
                used[k] += amount
                if used[k] > self.cap_limit[k]:
                    return None
        if self.has_caps:
            used = self._settle(used, i + 1)
        new = list(state)
        waste = 0
        for p, amount, credits in adds:
            need = self.need[p]
            over = new[2 * p + 1] + amount - need
            if over > 0:
                # Waste is counted in credits: a course-list block's unit is one course.
                waste += over if amount == credits else over * credits // amount
            new[2 * p + 1] = min(need, new[2 * p + 1] + amount)
            if done_record:
                new[2 * p] = min(need, new[2 * p] + amount)
        if pair is not None:
            shared = shared[:pair] + (shared[pair] + adds[0][2],) + shared[pair + 1:]
        return tuple(new), shared, used, waste

    def solve_exact(self, budget: SearchBudget) -> list[tuple[int, ...]]:
        """Exact search with memo, bound, dominance and symmetry; raises _OutOfBudget past the step budget."""
        memo: dict = {}
        n = len(self.cands)

        def best(i, state, shared, used, floor):
            key = (i, state, shared, used, floor)
            hit = memo.get(key)
            if hit is not None:
                return hit[0]
            if i == n:
                value = self._value(state) + (0,)
                memo[key] = (value, None)
                return value
            done_record = self.cands[i].done
            options = self.options[i]
            choices = []
            for index, option in enumerate(options[:-1]):
                if index < floor:
                    continue
                applied = self._apply(state, shared, used, done_record, option, i)
                # A choice that moves no (capped) figure only wastes credit, so "none" beats it: skip it.
                if applied is None or applied[0] == state:
                    continue
                gain = sum((applied[0][k] - state[k]) * self.weight[k // 2] for k in range(0, len(state), 2))
                choices.append((-gain, applied[3], index, applied))
            # Most progress, then least waste first, so the first answer is good and the bound prunes the rest
            # early; ties between equal values still go to the smallest choice index, whatever the order here.
            choices.sort(key=lambda c: c[:3])
            # "none" changes nothing but the cap usage key (the member left behind can no longer use the cap).
            choices.append((0, 0, len(options) - 1,
                            (state, shared, self._settle(used, i + 1) if self.has_caps else used, 0)))
            best_value = None
            best_option = None
            for _gain, waste, index, (new_state, new_shared, new_used, _) in choices:
                # The budget counts search steps: every choice weighed at every node.
                budget.left -= 1
                if budget.left < 0:
                    raise _OutOfBudget
                next_floor = index if i + 1 < n and self.alike[i + 1] else 0
                if best_value is not None:
                    known = memo.get((i + 1, new_state, new_shared, new_used, next_floor))
                    later = index > best_option
                    if known is not None:
                        bound = known[0][:4] + (-waste,)
                        if bound < best_value or (later and bound == best_value):
                            continue
                    elif self._beaten(new_state, new_used, i + 1, waste, best_value, later):
                        continue
                tail = best(i + 1, new_state, new_shared, new_used, next_floor)
                value = tail[:4] + (tail[4] - waste,)
                if best_value is None or value > best_value or (value == best_value and index < best_option):
                    best_value, best_option = value, index
            memo[key] = (best_value, best_option)
            return best_value

        shared0 = (0,) * len(self.pair_list)
        used0 = self._start_used()
        best(0, self.start, shared0, used0, 0)
        # Walk the memo along the chosen options.
        choices = []
        state, shared, used, floor = self.start, shared0, used0, 0
        for i in range(n):
            index = memo[(i, state, shared, used, floor)][1]
            option = self.options[i][index]
            choices.append(option[0])
            state, shared, used, _ = self._apply(state, shared, used, self.cands[i].done, option, i)
            floor = index if i + 1 < n and self.alike[i + 1] else 0
        return choices

    def solve_greedy(self) -> list[tuple[int, ...]]:
        """First fit in search order, then improving single moves and pairwise swaps within a fixed budget.

        Every limit holds throughout: shared credit, caps, and links (a linked pair is one choice)."""
        width = len(self.blocks)
        done = [self.start[2 * p] for p in range(width)]
        total = [self.start[2 * p + 1] for p in range(width)]
        shared = [0] * len(self.pair_list)
        used = [0] * len(self.cap_limit)
        n = len(self.cands)
        chosen = [len(opts) - 1 for opts in self.options]  # "none"

        pair_caps, cap_limit = self.pair_caps, self.cap_limit
        needs = self.need

        def move(i, index, sign):
            _, adds, pair, uses = self.options[i][index]
            for p, amount, _credits in adds:
                total[p] += sign * amount
                if self.cands[i].done:
                    done[p] += sign * amount
            if pair is not None:
                shared[pair] += sign * adds[0][2]
            if uses:
                for k, amount in uses:
                    used[k] += sign * amount

        def feasible():
            return (all(s <= c for s, c in zip(shared, pair_caps))
                    and (not used or all(u <= c for u, c in zip(used, cap_limit))))

        def score():
            waste = sum(max(0, t - need) for need, t in zip(needs, total))
            levels = self._levels([min(need, d) for need, d in zip(needs, done)],
                                  [min(need, t) for need, t in zip(needs, total)])
            return (*levels, -waste)

        for i in range(n):
            for index, (_, adds, _pair, _uses) in enumerate(self.options[i][:-1]):
                if all(total[p] < self.need[p] for p, _, _ in adds):
                    move(i, index, 1)
                    if feasible():
                        chosen[i] = index
                        break
                    move(i, index, -1)
        evaluations = 0
        current = score()
        improved = True
        while improved and evaluations < GREEDY_EVALUATIONS:
            improved = False
            for i in range(n):
                for index in range(len(self.options[i])):
                    if index == chosen[i] or evaluations >= GREEDY_EVALUATIONS:
                        continue
                    evaluations += 1
                    old = chosen[i]
                    move(i, old, -1)
                    move(i, index, 1)
                    new_score = score() if feasible() else None
                    if new_score is not None and new_score > current:
                        chosen[i], current, improved = index, new_score, True
                    else:
                        move(i, index, -1)
                        move(i, old, 1)
            for i in range(n):
                for j in range(i + 1, n):
                    if evaluations >= GREEDY_EVALUATIONS:
                        break
                    a, b = self.options[i][chosen[i]][0], self.options[j][chosen[j]][0]
                    if a == b:
                        continue
                    # Swap only where each record may take the other's place.
                    try:
                        ia = [o[0] for o in self.options[i]].index(b)
                        jb = [o[0] for o in self.options[j]].index(a)
                    except ValueError:
                        continue
                    evaluations += 1
                    oi, oj = chosen[i], chosen[j]
                    move(i, oi, -1)
                    move(j, oj, -1)
                    move(i, ia, 1)
                    move(j, jb, 1)
                    new_score = score() if feasible() else None
                    if new_score is not None and new_score > current:
                        chosen[i], chosen[j], current, improved = ia, jb, new_score, True
                    else:
                        move(i, ia, -1)
                        move(j, jb, -1)
                        move(i, oi, 1)
                        move(j, oj, 1)
        return [self.options[i][chosen[i]][0] for i in range(n)]
