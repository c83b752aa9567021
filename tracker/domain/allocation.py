"""The allocation search used by the audit: which course record counts toward which block.

Input is a set of blocks (each with a need in its own unit and what is already pinned to it) and a set of candidate
records, each eligible for some blocks. Output is, for every candidate, the blocks it counts toward (usually one,
two when both blocks allow sharing, none when it is better left for the elective pool).

The objective, compared in this order (bigger is better):
  1. progress: the sum over blocks of min(1, done / need), counting completed records;
  2. the number of blocks completed by completed records;
  3. the number of blocks completed counting in-progress records too;
  4. the sum over blocks of min(1, (done + in progress) / need);
  5. the least credit wasted by over-filling a block;
  6. the lexicographically smallest assignment, with records in search order and each record's choices in
     requirement order (a shared pair after single blocks, "none" last). Because the search order puts completed
     records before in-progress ones and, among records alike, higher grades and earlier terms first, this last
     rule prefers completed, better-graded, earlier records for the earlier requirements when all else is equal.

Why progress comes first (AUDIT-NOTES lists completed blocks first): the overall percentage shown to students is
the same sum, and with progress first, finishing a course cannot lower it: the old best arrangement stays possible
and only gains, so the new best is at least as good (the property tests check this on whole audits). With completed
blocks first, finishing a course can make the search trade two 75 % blocks for one complete block and move the
overall bar down. Completed blocks still decide between arrangements of equal progress, which is the usual case.

Blocks that never compete for a record are solved separately. A record eligible for a single block is pinned to it
when that block cannot be over-filled anyway (then using the record is always best). Each group is solved exactly by
a depth-first search over its records in a fixed order (fewest eligible blocks first, then the caller's rank, records
alike for the search side by side, then the caller's preference), with:
  - memoisation on (record index, block fill), block fill being capped at the need, which keeps the memo small;
  - an optimistic bound (room left in each block, what the remaining records can bring, and a fractional knapsack
    of their credits) that skips a choice which cannot beat the best one found at that point;
  - dominance: a choice that changes no capped figure only wastes credit, so it is never tried;
  - symmetry: alike records (same status, credits and blocks) take non-decreasing choices, which skips their
    permutations without changing the answer.
Three refinements serve the richer definitions (tracker.domain.audit passes them; without them every block weighs 1):
  - weights: a block's share of the overall percentage (a part of a group weighs its share of the group), so
    "progress" above is the sum of weight x min(1, done / need) and "blocks completed" the sum of their weights;
  - links: a requirement that needs credits AND a number of courses is two blocks linked together: a record goes
    to both or to neither;
  - caps: at most so much of a block may come from some of its records ("no more than 3 credits of independent
    study", "at most 6 pass/fail credits", "one of these alternatives"). A placement that would pass a cap is not
    allowed (a course is never split). Cap usage is part of the search state, so the search stays exact; caps only
    forbid placements, so every bound stays an upper bound.
The search counts its steps (each choice weighed). Past the step budget the group falls back to greedy first-fit
followed by improving moves and swaps, and the caller says so in the result. Both paths are deterministic.
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
    """At most `limit` of the member records' amounts (rid -> amount) may be placed in `block`."""

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

    `weights`: each block's weight in the objective (default 1). `links`: block -> its partner, for a requirement
    measured two ways (a record goes to both or neither). `caps`: limits on what member records bring a block.
    """
    links = links or {}
    blocks = sorted(b for b, need in needs.items() if need > 0)
    live = set(blocks)
    # A linked block whose partner needs nothing more still takes its records together with the partner.
    for a, b in links.items():
        if a in live and b not in live and b in needs:
            blocks.append(b)
            live.add(b)
    blocks.sort()
    cands = []
    for cand in candidates:
        amounts = tuple((b, a) for b, a in cand.amounts if b in live)
        if amounts:
            cands.append(Candidate(cand.rid, cand.done, cand.credits, amounts, cand.preference, cand.rank))
    result: dict[int, tuple[int, ...]] = {cand.rid: () for cand in candidates}
    if not cands:
        return result, set()

    caps = [cap for cap in (caps or []) if cap.block in live]
    capped: set[tuple[int, int]] = {(rid, cap.block) for cap in caps for rid, _ in cap.amounts}
    everything = list(needs.values()) + list(start_done.values()) + list(start_total.values())
    everything += [c.credits for c in cands] + [a for c in cands for _, a in c.amounts] + list(share_caps.values())
    everything += [cap.limit for cap in caps] + [a for cap in caps for _, a in cap.amounts]
    scale = _scale_of(everything)

    def to_int(value: Decimal) -> int:
        return int(value * scale)

    need = {b: max(to_int(needs[b]), 0) for b in blocks}
    done = {b: min(need[b], to_int(start_done.get(b, Decimal(0)))) for b in blocks}
    total = {b: min(need[b], to_int(start_total.get(b, Decimal(0)))) for b in blocks}

    # Pin records eligible for one block only, where that block cannot be over-filled even by every candidate.
    potential = dict(total)
    for cand in cands:
        for b, amount in cand.amounts:
            potential[b] += to_int(amount)
    open_cands = []
    for cand in cands:
        if len(cand.amounts) == 1 and potential[cand.amounts[0][0]] <= need[cand.amounts[0][0]] \
                and (cand.rid, cand.amounts[0][0]) not in capped:
            b, amount = cand.amounts[0]
            result[cand.rid] = (b,)
            total[b] += to_int(amount)
            if cand.done:
                done[b] += to_int(amount)
        else:
            open_cands.append(cand)

    # Group blocks that compete for a record (union-find over multi-block candidates).
    parent = {b: b for b in blocks}

    def find(b: int) -> int:
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    for cand in open_cands:
        first = cand.amounts[0][0]
        for b, _ in cand.amounts[1:]:
            ra, rb = find(first), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[Candidate]] = {}
    for cand in open_cands:
        groups.setdefault(find(cand.amounts[0][0]), []).append(cand)

    approximate: set[int] = set()
    for root in sorted(groups):
        group_cands = groups[root]
        group_blocks = sorted({b for c in group_cands for b, _ in c.amounts})
        group_caps = [cap for cap in caps if cap.block in group_blocks]
        cap_of = {id(cand): _cap_key(cand, group_caps) for cand in group_cands}
        # Fewest eligible blocks first (they have the fewest choices), then the caller's coarse rank; records
        # that are alike for the search (same credits, blocks and caps) next to each other, in the caller's order.
        group_cands.sort(key=lambda c: (len(c.amounts), c.rank, c.credits, c.amounts, cap_of[id(c)], c.preference))
        pairs = {
            pair: to_int(cap) for pair, cap in share_caps.items()
            if pair[0] in group_blocks and pair[1] in group_blocks
        }
        problem = _Problem(group_blocks, need, done, total, group_cands, pairs, to_int,
                           weights=weights, links=links, caps=group_caps)
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


def _cap_key(cand: Candidate, caps: list[Cap]) -> tuple:
    """Which caps a record is a member of, with its amounts: records alike for the search must agree on it."""
    return tuple((j, amount) for j, cap in enumerate(caps) for rid, amount in cap.amounts if rid == cand.rid)


class _Problem:
    """One group of competing blocks and the records they compete for, in integer units.

    The `shared` part of a search state holds, in this order, the credits used by each shared pair and what each
    cap has taken so far; both only restrict placements, so every bound below stays an upper bound.
    """

    def __init__(self, blocks, need, done, total, cands, pairs, to_int, *, weights=None, links=None, caps=()):
        self.blocks = blocks
        self.pos = {b: i for i, b in enumerate(blocks)}
        self.need = [need[b] for b in blocks]
        self.start = tuple(v for b in blocks for v in (done[b], total[b]))
        self.cands = cands
        self.pair_list = sorted(pairs)
        self.pair_pos = {pair: j for j, pair in enumerate(self.pair_list)}
        self.caps = [pairs[p] for p in self.pair_list] + [to_int(cap.limit) for cap in caps]
        self.n_pairs = len(self.pair_list)
        # Progress weight per block: weight_b / need_b, as integers (one common denominator for all).
        share = {b: Fraction(weights.get(b, 1)) if weights else Fraction(1) for b in blocks}
        ratios = [share[b] / max(n, 1) for b, n in zip(blocks, self.need)]
        common = lcm(*(r.denominator for r in ratios))
        self.weight = [int(r * common) for r in ratios]
        # Completion weight per block (the "requirements completed" figures count a block by its share).
        done_common = lcm(*(share[b].denominator for b in blocks))
        self.complete_weight = [int(share[b] * done_common) for b in blocks]
        links = links or {}
        # cap_adds[i]: (cap slot in `shared`, block position, amount) for each cap candidate i is a member of.
        self.cap_adds = []
        for cand in cands:
            entries = []
            for j, cap in enumerate(caps):
                for rid, amount in cap.amounts:
                    if rid == cand.rid and cap.block in self.pos:
                        entries.append((self.n_pairs + j, self.pos[cap.block], to_int(amount)))
            self.cap_adds.append(entries)
        # options[i]: list of (blocks tuple, adds [(position, amount, credits)], pair position or None)
        self.options = []
        for cand in cands:
            credits = to_int(cand.credits)
            adds = {b: to_int(a) for b, a in cand.amounts}
            units = []  # a block alone, or a linked block with its partner: a record goes to both or neither
            for b, _ in cand.amounts:
                unit = tuple(sorted({b, links[b]})) if b in links and links[b] in adds else (b,)
                if unit not in units:
                    units.append(unit)
            opts = [(unit, [(self.pos[b], adds[b], credits) for b in unit], None) for unit in units]
            for a_index, (a, _) in enumerate(cand.amounts):
                for b, _ in cand.amounts[a_index + 1:]:
                    if (a, b) in pairs and a not in links and b not in links:
                        opts.append(((a, b), [(self.pos[a], adds[a], credits), (self.pos[b], adds[b], credits)],
                                     self.pair_pos[(a, b)]))
            opts.append(((), [], None))
            self.options.append(opts)
        n, width = len(cands), len(blocks)
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

        # A record alike to the one before it (same status, credits and blocks) may not take an earlier choice
        # than that one: this skips mere permutations of alike records, and the lexicographically smallest of a
        # set of permutations is exactly the one with non-decreasing choices, so nothing is lost.
        self.alike = [i > 0 and (cands[i].done, cands[i].credits, cands[i].amounts, _cap_key(cands[i], caps))
                      == (cands[i - 1].done, cands[i - 1].credits, cands[i - 1].amounts,
                          _cap_key(cands[i - 1], caps)) for i in range(n)]
        # For the progress bound: credits the remaining records carry (twice when a record can be shared) and,
        # per block, the most progress one credit can bring (a course-list block counts a course as one unit).
        self.suffix_credits_done = [0] * (n + 1)
        self.suffix_credits_total = [0] * (n + 1)
        for i in range(n - 1, -1, -1):
            # A record placed in two blocks (a shared pair, a linked pair) brings its credits to both.
            credits = to_int(cands[i].credits) * max(len(o[1]) for o in self.options[i])
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
        # Best progress each record could add on its own (both blocks of a shared pair count), as suffix sums:
        # no arrangement of records i.. can add more progress than suffix_gain_*[i].
        self.suffix_gain_done = [0] * (n + 1)
        self.suffix_gain_total = [0] * (n + 1)
        for i in range(n - 1, -1, -1):
            gain = max(sum(amount * self.weight[p] for p, amount, _ in adds) for _, adds, _ in self.options[i])
            self.suffix_gain_total[i] = self.suffix_gain_total[i + 1] + gain
            self.suffix_gain_done[i] = self.suffix_gain_done[i + 1] + (gain if cands[i].done else 0)

    def _value(self, state) -> tuple[int, int, int, int]:
        """The objective of a final (capped) state: progress, completed blocks, completed with in-progress, total."""
        l1 = l2 = l3 = l4 = 0
        for p, need in enumerate(self.need):
            d, t = state[2 * p], state[2 * p + 1]
            l1 += self.complete_weight[p] if d >= need else 0
            l2 += self.complete_weight[p] if t >= need else 0
            l3 += d * self.weight[p]
            l4 += t * self.weight[p]
        return (l3, l1, l2, l4)

    def _bound(self, state, i) -> tuple[int, int, int, int]:
        """An optimistic value for any way of placing records i.. from this state (each figure an upper bound)."""
        extra_done, extra_total = self.suffix_done[i], self.suffix_total[i]
        l1 = l2 = l3 = l4 = room_done = room_total = 0
        for p, need in enumerate(self.need):
            d, t = state[2 * p], state[2 * p + 1]
            weight = self.weight[p]
            l3 += d * weight
            l4 += t * weight
            # Room a block has for progress that the remaining records could actually bring it.
            room_done += min(need - d, extra_done[p]) * weight
            room_total += min(need - t, extra_total[p]) * weight
            l1 += self.complete_weight[p] if d + extra_done[p] >= need else 0
            l2 += self.complete_weight[p] if t + extra_total[p] >= need else 0
        # Records are not split, so the gain is limited by the room, by what each record can bring, and by the
        # credits left, best spent on the blocks where a credit is worth most (a fractional knapsack).
        l3 += min(room_done, self.suffix_gain_done[i], self._knapsack(state, 0, extra_done,
                                                                      self.suffix_credits_done[i]))
        l4 += min(room_total, self.suffix_gain_total[i], self._knapsack(state, 1, extra_total,
                                                                        self.suffix_credits_total[i]))
        return (l3, l1, l2, l4)

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

    def _apply(self, state, shared, done_record, option, i):
        blocks, adds, pair = option
        if pair is not None and shared[pair] + adds[0][2] > self.caps[pair]:
            return None
        if self.cap_adds[i] and adds:
            placed = {p for p, _, _ in adds}
            used = list(shared)
            for slot, p, amount in self.cap_adds[i]:
                if p in placed:
                    used[slot] += amount
                    if used[slot] > self.caps[slot]:
                        return None
            shared = tuple(used)
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
        return tuple(new), shared, waste

    def solve_exact(self, budget: SearchBudget) -> list[tuple[int, ...]]:
        """Exact search with memo, bound, dominance and symmetry; raises _OutOfBudget past the step budget."""
        memo: dict = {}
        n = len(self.cands)

        def best(i, state, shared, floor):
            key = (i, state, shared, floor)
            hit = memo.get(key)
            if hit is not None:
                return hit[0]
            if i == n:
                value = self._value(state) + (0,)
                memo[key] = (value, None)
                return value
            done_record = self.cands[i].done
            choices = []
            for index, option in enumerate(self.options[i][:-1]):
                if index < floor:
                    continue
                applied = self._apply(state, shared, done_record, option, i)
                # A choice that moves no (capped) figure only wastes credit, so "none" beats it: skip it.
                if applied is None or applied[0] == state:
                    continue
                gain = sum((applied[0][k] - state[k]) * self.weight[k // 2] for k in range(0, len(state), 2))
                choices.append((-gain, applied[2], index, applied))
            # Most progress, then least waste first, so the first answer is good and the bound prunes the rest
            # early; ties between equal values still go to the smallest choice index, whatever the order here.
            choices.sort(key=lambda c: c[:3])
            choices.append((0, 0, len(self.options[i]) - 1, (state, shared, 0)))
            best_value = None
            best_option = None
            for _gain, waste, index, (new_state, new_shared, _) in choices:
                # The budget counts search steps: every choice weighed at every node.
                budget.left -= 1
                if budget.left < 0:
                    raise _OutOfBudget
                next_floor = index if i + 1 < n and self.alike[i + 1] else 0
                if best_value is not None:
                    known = memo.get((i + 1, new_state, new_shared, next_floor))
                    bound = (known[0][:4] if known is not None else self._bound(new_state, i + 1)) + (-waste,)
                    if bound < best_value or (bound == best_value and index > best_option):
                        continue
                tail = best(i + 1, new_state, new_shared, next_floor)
                value = tail[:4] + (tail[4] - waste,)
                if best_value is None or value > best_value or (value == best_value and index < best_option):
                    best_value, best_option = value, index
            memo[key] = (best_value, best_option)
            return best_value

        shared0 = (0,) * len(self.caps)
        best(0, self.start, shared0, 0)
        # Walk the memo along the chosen options.
        choices = []
        state, shared, floor = self.start, shared0, 0
        for i in range(n):
            index = memo[(i, state, shared, floor)][1]
            option = self.options[i][index]
            choices.append(option[0])
            state, shared, _ = self._apply(state, shared, self.cands[i].done, option, i)
            floor = index if i + 1 < n and self.alike[i + 1] else 0
        return choices

    def solve_greedy(self) -> list[tuple[int, ...]]:
        """First fit in search order, then improving single moves and pairwise swaps within a fixed budget."""
        width = len(self.blocks)
        done = [self.start[2 * p] for p in range(width)]
        total = [self.start[2 * p + 1] for p in range(width)]
        shared = [0] * len(self.caps)
        n = len(self.cands)
        chosen = [len(opts) - 1 for opts in self.options]  # "none"

        def move(i, index, sign):
            _, adds, pair = self.options[i][index]
            for p, amount, _credits in adds:
                total[p] += sign * amount
                if self.cands[i].done:
                    done[p] += sign * amount
            if pair is not None:
                shared[pair] += sign * adds[0][2]
            placed = {p for p, _, _ in adds}
            for slot, p, amount in self.cap_adds[i]:
                if p in placed:
                    shared[slot] += sign * amount

        def feasible():
            return all(s <= c for s, c in zip(shared, self.caps))

        def score():
            l1 = l2 = l3 = l4 = 0
            waste = 0
            for p, need in enumerate(self.need):
                d, t = min(need, done[p]), min(need, total[p])
                l1 += self.complete_weight[p] if d >= need else 0
                l2 += self.complete_weight[p] if t >= need else 0
                l3 += d * self.weight[p]
                l4 += t * self.weight[p]
                waste += max(0, total[p] - need)
            return (l3, l1, l2, l4, -waste)

        for i in range(n):
            for index, (_, adds, pair) in enumerate(self.options[i][:-1]):
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
