"""The degree audit: how a student's records are matched to the program's requirements.

How the audit decides what counts where
---------------------------------------
0. Which requirements apply: those of the student's concentration and track, with the groups they sit in
   (all_of, any_of, n_of: see tracker.domain.groups).
1. Tidy the record under the program's policies (tracker.domain.normalise). Withdrawn courses are set aside. A
   course taken more than once (codes in one [[equivalences]] group are one course) counts once: the most recent
   completed attempt, or the best-graded one when the program says retake = "best"; a repeatable course counts each
   attempt up to its limit. Failed courses earn no credit. Transfer credit needs the program's minimum grade and age
   and counts up to its transfer limit (records in the order they were entered; any record that would pass the
   limit is set aside, with a warning). Planned and in-progress courses are kept, marked "provisional": they show
   as "in progress", are never checked for a grade and never enter the GPA. Under failed_in_block = "repeat", a
   course below the minimum grade of a requirement that names it counts nowhere (it must be repeated).
2. Apply the advisor's exceptions. A substitution places a record in a requirement it would not otherwise fill
   (it still has to meet that requirement's minimum grade). A waiver lowers a requirement's need, or waives it whole
   (a group can be waived whole only). A waiver never adds credits to the total.
3. Match courses to requirements. A course a requirement names one by one (an all_courses item, or one of its
   alternatives) counts there first: a pool that also selects it never takes it away. Otherwise a course counts
   toward one requirement, unless two requirements both allow sharing (and then only up to their limit), and
   never past a requirement's caps (at most so many credits or courses of a kind, of pass/fail credit). A course's
   credits are never split. When a course could fill more than one requirement, every possible arrangement is
   compared and the best one wins, judged in this order:
     - the most overall progress from finished courses (the overall percentage below), so finishing a course
       can never move the overall percentage down;
     - then the most requirements completed by finished courses;
     - then the most requirements completed counting courses in progress;
     - then the most progress counting courses in progress;
     - then the fewest credits wasted by over-filling a requirement;
     - then finished courses before courses in progress, higher grades and earlier terms first;
     - finally a fixed order (course code, record number), so the same record always gives the same answer.
   This avoids the classic trap of "first come, first served" matching: if Core needs course X and the
   concentration accepts X or Y, X goes to Core and Y to the concentration. The comparison is exact; only for an
   unusually large record does it stop after a fixed number of steps and switch to a quick approximate method,
   and the audit then says so.
   Options: for every any_of (one option counts) and n_of (N options count) the audit tries each choice of options
   with its own matching, and keeps the choice that is best by the same order; ties go to the options listed first
   in `of`. The options that do not count are still shown, each with what it would bring if it counted instead.
4. Leftovers. Courses not needed by any requirement go to the elective requirement(s) that take leftovers (matched
   the same way; a course that does not count toward the degree total is never a leftover), and whatever is still
   left is listed as "not needed by any requirement" - it still counts toward the total number of credits.
5. Whole-record checks: total credits (every counted course once, except courses that do not count toward the
   total: finished courses as done, planned and in-progress ones as in progress), the GPA, ensemble terms, studio
   terms, milestones, the terms in residence and the time limit.

Numbers in each requirement's result: need (after waivers), done (finished), in progress, remaining =
max(0, need - done - in progress). A requirement is complete when done >= need (a studio requirement with a total
of hours also needs that total; a block with both credits and a count needs both), in progress when anything is
done or in progress (studio hours waiting for review count as in progress), and not started otherwise. A group's
need is the number of its parts that count; its done is how many of those are complete.

Overall percent: the mean over the top-level requirements of their progress, times 100, rounded down; it is 100
only when every requirement is complete. A requirement's progress is min(1, done / need) (1 for a fully waived
one; for a studio requirement with a total of hours, the smaller of its terms and hours fractions; for a block
with credits and a count, the mean of the two); an all_of's is the mean of its parts', an any_of's that of the
counted option, an n_of's the mean of its N counted options.

Ensembles: a term with any ensemble counts once; a term that ends after today is in progress. Studio: only approved
hours count; a term counts when its approved hours reach the minimum; if approved hours fall short but approved plus
pending (or sent back for changes) would reach it, the term is "pending review". Milestones: only signed-off
milestones count; one signed before an earlier milestone in the list is flagged.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

from .allocation import STEP_BUDGET, Cap, Candidate, SearchBudget, allocate
from .definition import RESIDENCY_KEY, Policies, ProgramDefinition
from .grades import compute_gpa, grade_points, meets_minimum
from .amounts import format_amount  # noqa: F401  (part of this module's public names)
from .groups import MAX_SELECTIONS, Tree, active, build_tree, count_selections, selections
from .inputs import SESSION_STATUSES, AuditInput, CourseRecord, ProgramRules, StudentContext
from .normalise import (  # noqa: F401  (the reasons are part of this module's vocabulary for callers)
    FAILED,
    NO_GRADE,
    NOT_NEEDED,
    OVER_REPEAT_LIMIT,
    OVER_TRANSFER_CAP,
    REPEATED,
    RETAKE_PENDING,
    WITHDRAWN,
    Entry,
    course_label,
    normalise,
    term_key,
    years_after,
)
from .requirements import (
    MILESTONE_LABELS,
    AllCoursesRequirement,
    CreditsRequirement,
    EnsembleTermsRequirement,
    GpaRequirement,
    GroupRequirement,
    MilestonesRequirement,
    StudioTermsRequirement,
    TotalCreditsRequirement,
)
from .selectors import CourseFacts

SHORT_TERM_WARNING_DAYS = 21
TIME_LIMIT_WARNING_DAYS = 183  # the last half year before the time limit
ZERO = Decimal(0)
GPA_QUANTUM = Decimal("0.01")


@dataclass(frozen=True)
class UsedRecord:
    """A record counted by a block; amount is in the block's unit (hours for studio sessions)."""

    record_kind: str  # "course" | "ensemble" | "studio" | "milestone"
    record_id: int | None
    label: str
    amount: Decimal
    provisional: bool
    reason: str
    credits: Decimal | None = None  # a course record's own credits (what a variable-credit record carries)


@dataclass(frozen=True)
class RejectedCandidate:
    """A record that matches a block but is not used by it, and why."""

    record_id: int | None
    label: str
    reason: str


@dataclass(frozen=True)
class AppliedException:
    """A substitution or waiver applied to a block, with who, when and why."""

    kind: str  # "substitution" | "waiver"
    description: str
    justification: str
    by: str
    at: object
    record_id: int | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class StudioTermResult:
    """One term of a studio block: hours by status, whether it counts, and its status."""

    term_id: int
    term_name: str
    approved_hours: Decimal
    pending_hours: Decimal
    rejected_hours: Decimal
    counts: bool
    status: str  # "complete" | "pending review" | "short"


@dataclass(frozen=True)
class AuditWarning:
    """Something an advisor or student should look at."""

    code: str
    message: str
    requirement_key: str | None = None


@dataclass(frozen=True)
class UnusedRecord:
    """A course record that no course requirement uses, and why."""

    record_kind: str
    record_id: int
    label: str
    reason: str


@dataclass(frozen=True)
class BlockResult:
    """The audit of one requirement."""

    key: str
    title: str
    kind: str
    description: str
    status: str  # "complete" | "in_progress" | "not_started"
    unit: str  # "credits" | "courses" | "terms" | "hours" | "gpa" | "milestones"
    need: Decimal
    done: Decimal
    in_progress: Decimal
    remaining: Decimal
    percent: int
    used: tuple[UsedRecord, ...] = ()
    rejected: tuple[RejectedCandidate, ...] = ()
    exceptions: tuple[AppliedException, ...] = ()
    still_needed: tuple[str, ...] = ()
    studio_terms: tuple[StudioTermResult, ...] = ()
    # A group (kind "all_of" | "any_of" | "n_of", unit "requirements"): its sub-requirements' results.
    children: tuple["BlockResult", ...] = ()
    counted: bool = True  # False for an option of an any_of / n_of that does not count (shown, not counted)
    choose: int | None = None  # n_of: how many options count (any_of: 1)
    explanation: str = ""  # any_of / n_of: which option(s) counted and why

    def walk(self):
        """This block and every block nested in it, depth first in file order."""
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def complete(self) -> bool:
        """True when the block is complete."""
        return self.status == "complete"


@dataclass(frozen=True)
class AuditResult:
    """The whole audit: blocks in requirement order, totals, GPA, unused records and warnings."""

    blocks: tuple[BlockResult, ...]
    overall_percent: int
    complete: bool
    gpa: Decimal | None
    gpa_credits: Decimal
    total_credits_done: Decimal
    total_credits_in_progress: Decimal
    unused: tuple[UnusedRecord, ...]
    warnings: tuple[AuditWarning, ...]
    search_note: str | None = None
    deadline: date | None = None  # the program's time limit: the degree must be finished by this day

    def walk(self):
        """Every block, nested ones too, depth first in file order."""
        for block in self.blocks:
            yield from block.walk()

    def block(self, key: str) -> BlockResult | None:
        """The block with this requirement key (nested ones too), or None when it does not apply."""
        return next((b for b in self.walk() if b.key == key), None)


# --- small helpers -------------------------------------------------------------------------------------------------


def _norm(value: Decimal) -> Decimal:
    """Drop trailing zeros of whole numbers (12.0 -> 12) so results compare and print cleanly."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _plural(value: Decimal, word: str) -> str:
    return f"{format_amount(value)} {word}{'' if value == 1 else 's'}"


def _lower_first(text: str) -> str:
    # Keep acronyms ("MPT electives") intact; lower an ordinary leading capital.
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _floor_percent(fraction: Fraction) -> int:
    return int((fraction * 100).__floor__())


# --- the audit's shared state --------------------------------------------------------------------------------------

COURSE_REQUIREMENTS = (AllCoursesRequirement, CreditsRequirement)


@dataclass
class _Run:
    """One audit's shared state, filled in stage by stage (see `audit`); the stages read and write only this."""

    inp: AuditInput
    rules: ProgramRules
    policies: Policies
    tree: Tree
    titles: dict
    labels: dict
    course_info: dict
    equivalents: dict
    warnings: list = field(default_factory=list)
    entries: dict = field(default_factory=dict)
    ordered: list = field(default_factory=list)
    gpa_pairs: list = field(default_factory=list)
    needs: dict = field(default_factory=dict)
    count_needs: dict = field(default_factory=dict)  # the courses side of a block that needs credits and a count
    exceptions: dict = field(default_factory=dict)
    waived_whole: set = field(default_factory=set)
    pins: dict = field(default_factory=dict)
    budget: SearchBudget = field(default_factory=lambda: SearchBudget(STEP_BUDGET))
    approximate: set = field(default_factory=set)
    _facts: dict = field(default_factory=dict)
    matched: dict = field(default_factory=dict)  # (requirement key, record id) -> whether the block takes it

    @property
    def student(self) -> StudentContext:
        return self.inp.student

    @property
    def today(self) -> date:
        return self.inp.today

    def warn(self, code: str, message: str, key: str | None = None) -> None:
        """Record a warning for the advisor and the student."""
        self.warnings.append(AuditWarning(code, message, key))

    def identity(self, code: str) -> str:
        """The code that stands for the course's equivalence group (the first in the group)."""
        group = self.equivalents.get(code)
        return min(group) if group else code

    def facts(self, rec: CourseRecord) -> CourseFacts:
        """What selectors look at for a record's course (cached per code: records of a course share it)."""
        key = (rec.course_code, rec.category, rec.concentration)
        found = self._facts.get(key)
        if found is None:
            info = self.course_info.get(rec.course_code)
            found = self._facts[key] = CourseFacts(
                rec.course_code, rec.category, rec.concentration, frozenset(info.tags) if info else frozenset(),
                self.equivalents.get(rec.course_code) or frozenset((rec.course_code,)))
        return found


def _grade_ok(req, entry: Entry) -> bool:
    """Provisional records are never grade-checked; ungraded transfer credit was vetted when it was accepted."""
    if not entry.done:
        return True
    if entry.rec.transfer and entry.rec.grade is None:
        return True
    return meets_minimum(entry.rec.grade, req.min_grade)


def _grade_reason(req, rec: CourseRecord) -> str:
    if rec.grade == "P":
        return f"pass/fail grade P does not meet the minimum {req.min_grade}"
    return f"grade {rec.grade} below minimum {req.min_grade}"


def _slot(run: _Run, req: AllCoursesRequirement, rec: CourseRecord) -> int | None:
    """The item of an all_courses block the record fills (an equivalent code fills it too), or None."""
    facts = run.facts(rec)
    for index, slot in enumerate(req.slots):
        if facts.named_by(slot):
            return index
    return None


def _matches(run: _Run, req, rec: CourseRecord) -> bool:
    """True when the block names or selects the record (its leftovers aside); remembered per block and record."""
    key = (req.key, rec.id)
    found = run.matched.get(key)
    if found is None:
        if isinstance(req, AllCoursesRequirement):
            found = _slot(run, req, rec) is not None
        elif isinstance(req, CreditsRequirement):
            found = req.selector.matches(run.facts(rec), run.student.concentration)
        else:
            found = False
        run.matched[key] = found
    return found


def _match_reason(run: _Run, req, rec: CourseRecord) -> str:
    if isinstance(req, AllCoursesRequirement):
        return "listed course"
    return req.selector.why(run.facts(rec), run.student.concentration) or "left over from other requirements"


def _counts_courses(req) -> bool:
    """True when the block's need is a number of courses (a course list, or a count without credits)."""
    return isinstance(req, AllCoursesRequirement) or (isinstance(req, CreditsRequirement) and req.credits is None)


def _unit_amount(req, rec: CourseRecord) -> Decimal:
    return Decimal(1) if _counts_courses(req) else Decimal(rec.credits)


def _base_need(req) -> Decimal:
    if isinstance(req, AllCoursesRequirement):
        return Decimal(len(req.slots))
    if isinstance(req, CreditsRequirement):
        return Decimal(req.credits if req.credits is not None else req.count)
    if isinstance(req, TotalCreditsRequirement):
        return Decimal(req.credits)
    if isinstance(req, GpaRequirement):
        return Decimal(req.min_gpa)
    if isinstance(req, (EnsembleTermsRequirement, StudioTermsRequirement)):
        return Decimal(req.terms)
    if isinstance(req, MilestonesRequirement):
        return Decimal(len(req.milestones))
    if isinstance(req, GroupRequirement):
        return Decimal(0)  # a group's need is the number of its parts that count (known once the tree is built)
    raise TypeError(f"unknown requirement {req!r}")


def _rules_of(program) -> ProgramRules:
    if isinstance(program, ProgramRules):
        return program
    if isinstance(program, ProgramDefinition):
        return program.rules()
    # Anything shaped like a program (e.g. a web-layer object with these attributes).
    return ProgramRules(
        requirements=tuple(program.requirements),
        code=getattr(program, "code", ""),
        name=getattr(program, "name", ""),
        total_credits=getattr(program, "total_credits", None),
        min_gpa=getattr(program, "min_gpa", None),
        max_transfer_credits=Decimal(getattr(program, "max_transfer_credits", 6)),
        course_titles=tuple(getattr(program, "course_titles", ())),
    )


# --- stage 1: the record (tracker.domain.normalise) ----------------------------------------------------------------


def _tidy_records(run: _Run) -> None:
    """Stage 1: which records count (policies applied), then the grade-failure rule."""
    out = normalise(run.inp.courses, cap=Decimal(run.rules.max_transfer_credits), policies=run.policies,
                    course_info=run.course_info, identity=run.identity, start=run.student.start, today=run.today,
                    warn=run.warn)
    run.entries, run.gpa_pairs = out.entries, out.gpa_pairs
    for entry in run.entries.values():
        info = run.course_info.get(entry.rec.course_code)
        if info is not None and info.max_credits is not None and entry.rec.status != "withdrawn" and not (
                info.credits <= Decimal(entry.rec.credits) <= info.max_credits):
            run.warn("variable_credits", f"{entry.label} carries {format_amount(entry.rec.credits)} credits; the "
                                         f"course allows {format_amount(info.credits)} to "
                                         f"{format_amount(info.max_credits)}.")
    if run.policies.failed_in_block == "repeat":
        _must_repeat(run)
    run.ordered = sorted(run.entries.values(), key=lambda e: (term_key(e.rec), e.rec.course_code, e.rec.id))


def _must_repeat(run: _Run) -> None:
    """failed_in_block = "repeat": a finished record below the minimum grade of a block that names it counts
    nowhere (it must be repeated), unless an advisor substituted it somewhere."""
    substituted = {s.record_id for s in run.inp.substitutions}
    for entry in list(run.entries.values()):
        if not (entry.counted and entry.done) or entry.rec.id in substituted:
            continue
        for req in run.tree.leaves():
            if isinstance(req, COURSE_REQUIREMENTS) and req.min_grade and _matches(run, req, entry.rec) \
                    and not _grade_ok(req, entry):
                run.entries[entry.rec.id] = Entry(entry.rec, False, False,
                                                  f"{_grade_reason(req, entry.rec)} for {req.title}; "
                                                  "the course must be repeated", entry.in_total)
                break


# --- stage 2: the advisor's exceptions ------------------------------------------------------------------------------


def _apply_waivers(run: _Run) -> None:
    """Stage 2a: waivers lower a requirement's need, or waive it whole."""
    by_key = run.tree.by_key
    all_keys = {r.key for r in run.rules.requirements}
    for waiver in sorted(run.inp.waivers, key=lambda w: (w.requirement_key, str(w.at), w.by,
                                                         w.amount is None, w.amount or ZERO, w.justification)):
        req = by_key.get(waiver.requirement_key)
        if req is None:
            code = "waiver_not_applicable" if waiver.requirement_key in all_keys else "waiver_unknown_requirement"
            run.warn(code, f'A waiver names requirement "{waiver.requirement_key}", which does not apply to this '
                           "student.", waiver.requirement_key)
            continue
        if waiver.amount is not None and isinstance(req, GroupRequirement):
            run.warn("waiver_partial_group", f"A waiver of {format_amount(waiver.amount)} names {req.title}, a group "
                                             "of requirements: only a whole group can be waived (or waive a part "
                                             "of it).", req.key)
            continue
        if waiver.amount is None:
            run.waived_whole.add(req.key)
            description = "Requirement waived"
        else:
            run.needs[req.key] = max(ZERO, run.needs[req.key] - Decimal(waiver.amount))
            description = f"Waived {format_amount(waiver.amount)} {req.measure}"
        run.exceptions[req.key].append(AppliedException(
            "waiver", description, waiver.justification, waiver.by, waiver.at, None,
            None if waiver.amount is None else Decimal(waiver.amount)))
    for key in run.waived_whole:
        run.needs[key] = ZERO
        run.count_needs[key] = ZERO


def _apply_substitutions(run: _Run) -> None:
    """Stage 2b: substitutions pin a record to a course block."""
    by_key = run.tree.by_key
    for sub in sorted(run.inp.substitutions, key=lambda s: (s.record_id, s.requirement_key, s.by, str(s.at))):
        req = by_key.get(sub.requirement_key)
        entry = run.entries.get(sub.record_id)
        key = sub.requirement_key
        if req is None or not isinstance(req, COURSE_REQUIREMENTS):
            what = "does not apply to this student" if req is None else "is not a course requirement"
            run.warn("substitution_invalid", f'A substitution names requirement "{key}", which {what}.', key)
            continue
        if entry is None:
            run.warn("substitution_missing", f"A substitution for {req.title} names course record "
                                             f"{sub.record_id}, which is not on the record.", key)
            continue
        if not entry.counted:
            run.warn("substitution_unusable", f"The substitution of {entry.label} for {req.title} cannot count: "
                                              f"the record is {entry.reason}.", key)
            continue
        if not _grade_ok(req, entry):
            run.warn("substitution_below_minimum", f"The substitution of {entry.label} for {req.title} cannot "
                                                   f"count: {_grade_reason(req, entry.rec)}.", key)
            continue
        if sub.record_id in run.pins:
            run.warn("substitution_duplicate", f"{entry.label} is substituted into more than one requirement; only "
                                               f"{by_key[run.pins[sub.record_id]].title} is used.", key)
            continue
        run.pins[sub.record_id] = key
        run.exceptions[key].append(AppliedException(
            "substitution", f"{entry.label} counts toward {req.title}", sub.justification, sub.by, sub.at,
            sub.record_id, None))


# --- stage 3: matching courses to the requirements that count ------------------------------------------------------


def _preference(entry: Entry) -> tuple:
    points = grade_points(entry.rec.grade) if entry.done else None
    return (-(points or ZERO), term_key(entry.rec), entry.rec.course_code, entry.rec.id)


def _is_pass_fail(rec: CourseRecord) -> bool:
    return rec.pass_fail or rec.grade == "P"


def _allocate(run: _Run, counted_keys: frozenset[str]) -> tuple[dict[int, list[str]], set[str]]:
    """Match records to the course blocks that count under one selection: regular blocks, then leftover ones.

    Returns record id -> block keys, and the keys solved by the approximate method.
    """
    tree = run.tree
    position = {r.key: i for i, r in enumerate(tree.reqs)}
    weights = tree.weights()
    leaves = [r for r in tree.leaves() if r.key in counted_keys and isinstance(r, COURSE_REQUIREMENTS)]
    fixed = {rid: key for rid, key in run.pins.items() if key in counted_keys}
    fixed.update(_reserve_listed(run, [r for r in leaves if isinstance(r, AllCoursesRequirement)], fixed))
    used_by: dict[int, list[str]] = {rid: [key] for rid, key in fixed.items()}
    approximate: set[str] = set()

    def index(req, side: int = 0) -> int:
        return 2 * position[req.key] + side

    def pass_blocks(blocks: list, eligible_for) -> None:
        live = [r for r in blocks if run.needs[r.key] > 0 or run.count_needs.get(r.key, ZERO) > 0]
        if not live:
            return
        needs, start_done, start_total, block_weights, links = {}, {}, {}, {}, {}
        for r in live:
            sides = [(index(r), run.needs[r.key])]
            if r.linked:
                sides.append((index(r, 1), run.count_needs[r.key]))
                links[index(r)], links[index(r, 1)] = index(r, 1), index(r)
            for i, need in sides:
                needs[i] = need
                start_done[i] = start_total[i] = ZERO
                block_weights[i] = weights[r.key] / len(sides)
        pinned: dict[str, list[Entry]] = {}
        for rid, key in fixed.items():
            if key in {r.key for r in live}:
                pinned.setdefault(key, []).append(run.entries[rid])
                req = tree.by_key[key]
                entry = run.entries[rid]
                for i, amount in _sides(req, entry.rec, index):
                    start_total[i] += amount
                    if entry.done:
                        start_done[i] += amount
        candidates = []
        members: dict[str, list[tuple[Entry, int]]] = {}
        for entry in run.ordered:
            if not entry.counted or entry.rec.id in fixed or entry.rec.id in used_by:
                continue
            eligible = [r for r in live if eligible_for(r, entry)]
            amounts = []
            for r in eligible:
                sides = _sides(r, entry.rec, index)
                if all(amount == 0 for _, amount in sides):
                    continue  # a 0-credit course brings nothing to a block that counts credits only
                amounts.extend(sides)
                members.setdefault(r.key, []).append((entry, index(r)))
            if not amounts:
                continue
            explicit = any(_matches(run, r, entry.rec) for r in eligible)
            candidates.append(Candidate(
                entry.rec.id, entry.done, Decimal(entry.rec.credits), tuple(sorted(amounts)),
                _preference(entry), (0 if explicit else 1, 0 if entry.done else 1)))
        caps = _caps(run, live, members, pinned, index)
        share = {}
        for a in live:
            for b in live:
                if index(a) < index(b) and isinstance(a, CreditsRequirement) and isinstance(b, CreditsRequirement):
                    la, lb = a.share_limit(b.key), b.share_limit(a.key)
                    if la is not None and lb is not None:
                        share[(index(a), index(b))] = min(la, lb)
        uniform = len(set(block_weights.values())) <= 1 and not links and not caps
        result, approx = allocate(needs, start_done, start_total, candidates, share, run.budget,
                                  **({} if uniform else {"weights": block_weights, "links": links, "caps": caps}))
        for rid, placed in result.items():
            keys = sorted({tree.reqs[i // 2].key for i in placed}, key=position.__getitem__)
            if keys:
                used_by[rid] = keys
        approximate.update(tree.reqs[i // 2].key for i in approx)

    regular = [r for r in leaves if not getattr(r, "accepts_leftovers", False)]
    leftover = [r for r in leaves if getattr(r, "accepts_leftovers", False)]
    pass_blocks(regular, lambda r, e: _matches(run, r, e.rec) and _grade_ok(r, e))
    # Leftovers: any counted course no regular block used, subject to the leftover block's own minimum grade
    # (a course that does not count toward the degree total is never a leftover).
    pass_blocks(leftover, lambda r, e: e.in_total and _grade_ok(r, e))
    return used_by, approximate


def _reserve_listed(run: _Run, blocks: list, fixed: dict[int, str]) -> dict[int, str]:
    """Courses a requirement names one by one count there first: for each item of an all_courses block, the best
    record that fills it (finished first, then the higher grade and the earlier term) is kept for it.

    Why: a pool ("6 credits of MUSR 5000-5999") also selects the core courses, and counting a core course there
    would leave the core asking for a course the student has already passed. A block whose need a waiver lowered
    below its items is left to the search (which of its courses it keeps is then a real choice).
    """
    out: dict[int, str] = {}
    for req in blocks:
        need = run.needs[req.key]
        if need <= 0:
            continue
        taken = {_slot(run, req, run.entries[rid].rec) for rid, key in fixed.items() if key == req.key}
        chosen: dict[int, Entry] = {}
        for entry in run.ordered:
            if not entry.counted or entry.rec.id in fixed or entry.rec.id in out or not _grade_ok(req, entry):
                continue
            slot = _slot(run, req, entry.rec)
            if slot is None or slot in taken:
                continue
            best = chosen.get(slot)
            if best is None or (not best.done and entry.done) or (best.done == entry.done and _preference(entry)
                                                                  < _preference(best)):
                chosen[slot] = entry
        if len(taken) + len(chosen) <= need:
            out.update({entry.rec.id: req.key for entry in chosen.values()})
    return out


def _sides(req, rec: CourseRecord, index) -> list[tuple[int, Decimal]]:
    """(allocation block, amount) for a record in a block: two sides when the block needs credits and a count."""
    sides = [(index(req), _unit_amount(req, rec))]
    if isinstance(req, CreditsRequirement) and req.linked:
        sides.append((index(req, 1), Decimal(1)))
    return sides


def _caps(run: _Run, live: list, members: dict, pinned: dict, index) -> list[Cap]:
    """The limits inside blocks: [[caps]], max_pass_fail_credits, and one record per all_courses item."""
    caps: list[Cap] = []

    def add(block: int, limit: Decimal, chosen: list[tuple[Entry, Decimal]], already: Decimal) -> None:
        if chosen:
            caps.append(Cap(block, max(ZERO, Decimal(limit) - already),
                            tuple(sorted((e.rec.id, amount) for e, amount in chosen))))

    for req in live:
        eligible = [e for e, _ in members.get(req.key, ())]
        pins = pinned.get(req.key, [])
        if isinstance(req, AllCoursesRequirement):
            for slot, _codes in enumerate(req.slots):
                in_slot = [e for e in eligible if _slot(run, req, e.rec) == slot]
                pinned_here = sum(1 for e in pins if _slot(run, req, e.rec) == slot)
                if len(in_slot) + pinned_here > 1:
                    add(index(req), Decimal(1), [(e, Decimal(1)) for e in in_slot], Decimal(pinned_here))
            continue
        if not isinstance(req, CreditsRequirement):
            continue
        for cap in req.caps:
            def amount(e: Entry) -> Decimal:
                return Decimal(e.rec.credits) if cap.max_credits is not None else Decimal(1)
            inside = [e for e in eligible if cap.selector.matches(run.facts(e.rec), run.student.concentration)]
            used = sum((amount(e) for e in pins if cap.selector.matches(run.facts(e.rec),
                                                                         run.student.concentration)), ZERO)
            limit = cap.max_credits if cap.max_credits is not None else Decimal(cap.max_courses)
            add(index(req), limit, [(e, amount(e)) for e in inside], used)
        if req.max_pass_fail_credits is not None:
            inside = [e for e in eligible if _is_pass_fail(e.rec)]
            used = sum((Decimal(e.rec.credits) for e in pins if _is_pass_fail(e.rec)), ZERO)
            add(index(req), req.max_pass_fail_credits, [(e, Decimal(e.rec.credits)) for e in inside], used)
    return caps


# --- stage 4: choosing the options that count (any_of / n_of) ------------------------------------------------------


@dataclass
class _Option:
    """One selection tried: which options count, its record matching and its score."""

    index: int
    selection: dict
    counted: frozenset
    used_by: dict
    approximate: set
    score: tuple


def _leaf_progress(run: _Run, req, used_by: dict) -> tuple[Fraction, Fraction]:
    """A course block's progress from finished records, and counting planned and in-progress ones too."""
    done = total = ZERO
    count_done = count_total = ZERO
    for entry in run.ordered:
        if req.key not in used_by.get(entry.rec.id, ()):
            continue
        amount = _unit_amount(req, entry.rec)
        total += amount
        count_total += 1
        if entry.done:
            done += amount
            count_done += 1
    need = run.needs[req.key]
    if isinstance(req, CreditsRequirement) and req.linked:
        count_need = run.count_needs[req.key]
        return ((_fraction(done, need) + _fraction(count_done, count_need)) / 2,
                (_fraction(total, need) + _fraction(count_total, count_need)) / 2)
    return _fraction(done, need), _fraction(total, need)


def _tree_progress(run: _Run, leaf: dict, selection: dict, key: str) -> tuple[Fraction, Fraction]:
    """A requirement's progress (finished, and with in-progress records) from its leaves under a selection."""
    parts = run.tree.children.get(key)
    if parts is None:
        return leaf[key]
    if key in run.waived_whole:
        return Fraction(1), Fraction(1)
    counts = run.tree.counts(key)
    chosen = parts if counts is None else selection.get(key, ())
    figures = [_tree_progress(run, leaf, selection, part) for part in chosen]
    share = len(parts) if counts is None else counts
    return (sum((f[0] for f in figures), Fraction(0)) / share, sum((f[1] for f in figures), Fraction(0)) / share)


def _choose(run: _Run, fixed: dict[str, tuple[Fraction, Fraction]]) -> tuple[_Option, list[_Option]]:
    """Try every selection; the best (most progress, then most requirements complete, then the earliest options)
    counts. `fixed` holds the progress of the blocks no selection changes (all but course blocks)."""
    tree = run.tree
    tried: list[_Option] = []
    by_counted: dict[frozenset, tuple[dict, set]] = {}
    for number, selection in enumerate(selections(tree)):
        counted = frozenset(active(tree, selection))
        course_keys = frozenset(r.key for r in tree.leaves()
                                if r.key in counted and isinstance(r, COURSE_REQUIREMENTS))
        if course_keys not in by_counted:
            by_counted[course_keys] = _allocate(run, course_keys)
        used_by, approximate = by_counted[course_keys]
        leaf = dict(fixed)
        for req in tree.leaves():
            if isinstance(req, COURSE_REQUIREMENTS):
                leaf[req.key] = _leaf_progress(run, req, used_by) if req.key in counted else (Fraction(0),) * 2
        figures = {key: _tree_progress(run, leaf, selection, key) for key in counted}
        done = sum((figures[k][0] for k in tree.top), Fraction(0))
        total = sum((figures[k][1] for k in tree.top), Fraction(0))
        complete_done = sum(1 for k in counted if figures[k][0] == 1)
        complete_total = sum(1 for k in counted if figures[k][1] == 1)
        score = (done, complete_done, complete_total, total, -number)
        tried.append(_Option(number, selection, counted, used_by, approximate, score))
    best = max(tried, key=lambda o: o.score)
    return best, tried


# --- the audit -----------------------------------------------------------------------------------------------------


def audit(inp: AuditInput) -> AuditResult:
    """Audit one student against a program's rules (pure: same input, same result).

    The stages, each a function of the shared state `_Run`: the requirements that apply (tracker.domain.groups),
    the record tidied under the policies (tracker.domain.normalise), waivers and substitutions, the choice of
    options with the matching of courses (tracker.domain.allocation), then each requirement's result.
    """
    rules = _rules_of(inp.program)
    student = inp.student
    tree = build_tree(rules.requirements, student.concentration, student.track)
    equivalents: dict[str, frozenset] = {}
    for group in getattr(rules, "equivalences", ()) or ():
        for code in group:
            equivalents[code] = frozenset(group)
    run = _Run(inp, rules, getattr(rules, "policies", None) or Policies(), tree, dict(rules.course_titles),
               dict(getattr(rules, "milestone_labels", ())), {c.code: c for c in getattr(rules, "courses", ()) or ()},
               equivalents)
    run.needs = {r.key: _base_need(r) for r in tree.reqs}
    run.count_needs = {r.key: Decimal(r.count) for r in tree.reqs if isinstance(r, CreditsRequirement) and r.linked}
    run.exceptions = {r.key: [] for r in tree.reqs}

    _tidy_records(run)
    _apply_waivers(run)
    _apply_substitutions(run)

    counted_entries = [e for e in run.ordered if e.counted and e.in_total]
    total_done = _norm(sum((Decimal(e.rec.credits) for e in counted_entries if e.done), ZERO))
    total_ip = _norm(sum((Decimal(e.rec.credits) for e in counted_entries if not e.done), ZERO))
    gpa, gpa_credits = compute_gpa(run.gpa_pairs)

    # Blocks no selection changes are built once; their progress feeds the choice of options.
    fixed_blocks: dict[str, tuple[BlockResult, Fraction]] = {}
    for req in tree.leaves():
        if not isinstance(req, COURSE_REQUIREMENTS):
            fixed_blocks[req.key] = _fixed_block(run, req, counted_entries, total_done, total_ip, gpa)
    best, tried = _choose(run, {k: (f, f) for k, (_b, f) in fixed_blocks.items()})
    run.approximate = set(best.approximate)

    blocks: list[BlockResult] = []
    progress: list[Fraction] = []
    for key in tree.top:
        block, fraction = _result_of(run, key, best, tried, fixed_blocks, counted=True)
        blocks.append(block)
        progress.append(fraction)
    residency = _residency_block(run)
    if residency is not None:
        blocks.append(residency[0])
        progress.append(residency[1])
    deadline = _time_limit(run)

    complete = all(b.complete for b in blocks)
    if blocks:
        overall = _floor_percent(sum(progress, Fraction(0)) / len(blocks))
        overall = overall if complete else min(overall, 99)
    else:
        overall = 100
    used_anywhere = set(best.used_by)
    unused = tuple(
        UnusedRecord("course", e.rec.id, e.label, e.reason or NOT_NEEDED)
        for e in run.ordered
        if e.rec.id not in used_anywhere
    )
    note = None
    if run.approximate or len(tried) == 1 and count_selections(tree) > MAX_SELECTIONS:
        names = ", ".join(r.title for r in tree.reqs if r.key in run.approximate)
        if run.approximate:
            note = (f"The matching of courses to {names} used a quick approximate method because the exact search "
                    f"grew past {STEP_BUDGET:,} steps; a better arrangement may exist.")
        else:
            note = (f"The program's options can be combined in more than {MAX_SELECTIONS} ways, so only the first "
                    "option of each choice was tried; a better choice may exist.")
    return AuditResult(
        blocks=tuple(blocks),
        overall_percent=overall,
        complete=complete,
        gpa=gpa,
        gpa_credits=_norm(gpa_credits),
        total_credits_done=total_done,
        total_credits_in_progress=total_ip,
        unused=unused,
        warnings=tuple(run.warnings),
        search_note=note,
        deadline=deadline,
    )


def _fixed_block(run: _Run, req, counted_entries, total_done, total_ip, gpa) -> tuple[BlockResult, Fraction]:
    """A requirement whose result does not depend on which options count: totals, GPA, ensembles, studio,
    milestones."""
    need = _norm(run.needs[req.key])
    waived = req.key in run.waived_whole
    inp = run.inp
    if isinstance(req, GpaRequirement):
        block, fraction = _gpa_block(req, run.needs[req.key].quantize(GPA_QUANTUM), gpa, run.warnings, waived)
    elif isinstance(req, TotalCreditsRequirement):
        block, fraction = _total_block(req, need, counted_entries, run.ordered, total_done, total_ip)
    elif isinstance(req, EnsembleTermsRequirement):
        block, fraction = _ensemble_block(req, need, inp.ensembles, run.today)
    elif isinstance(req, StudioTermsRequirement):
        block, fraction = _studio_block(req, need, inp.sessions, run.today, run.warnings, waived)
    else:
        block, fraction = _milestone_block(req, need, inp.milestones, run.warnings, run.labels)
    return _with_exceptions(block, run.exceptions[req.key]), fraction


def _result_of(run: _Run, key: str, best: _Option, tried: list[_Option], fixed: dict, *, counted: bool
               ) -> tuple[BlockResult, Fraction]:
    """A requirement's result under the counting selection (an option that does not count: under the best
    selection in which it would count, so its figures say what it would bring)."""
    req = run.tree.by_key[key]
    if key in fixed:
        block, fraction = fixed[key]
    elif isinstance(req, COURSE_REQUIREMENTS):
        block, fraction = _course_block(run, req, best.used_by)
        block = _with_exceptions(block, run.exceptions[key])
    else:
        block, fraction = _group_block(run, req, best, tried, fixed)
    if not counted:
        block = replace(block, counted=False)
    return block, fraction


def _group_block(run: _Run, req, best: _Option, tried: list[_Option], fixed: dict) -> tuple[BlockResult, Fraction]:
    """An all_of / any_of / n_of: its parts' results nested, the counted ones marked, and why they count."""
    tree = run.tree
    parts = tree.children[req.key]
    counts = tree.counts(req.key)
    chosen = tuple(parts) if counts is None else best.selection.get(req.key, ())
    children: list[BlockResult] = []
    fractions: dict[str, Fraction] = {}
    for part in parts:
        if part in chosen:
            block, fraction = _result_of(run, part, best, tried, fixed, counted=True)
        else:
            # The best arrangement in which this option would count shows what it would bring.
            alternatives = [o for o in tried if part in o.counted]
            option = max(alternatives, key=lambda o: o.score) if alternatives else best
            block, fraction = _result_of(run, part, option, tried, fixed, counted=False)
        children.append(block)
        fractions[part] = fraction
    share = len(parts) if counts is None else counts
    waived = req.key in run.waived_whole
    fraction = Fraction(1) if waived else sum((fractions[p] for p in chosen), Fraction(0)) / share
    counted_blocks = [c for c in children if c.key in chosen]
    done = Decimal(sum(1 for c in counted_blocks if c.complete))
    in_progress = Decimal(sum(1 for c in counted_blocks if c.status == "in_progress"))
    need = ZERO if waived else Decimal(share)
    still: list[str] = []
    if not waived and done < need:
        waiting = [c.title for c in children if not c.complete and (c.key in chosen or counts is not None)]
        if counts is None:
            still.extend(f"{title}" for title in waiting)
        else:
            still.append(f"{format_amount(need - done)} more of: {', '.join(waiting)}")
    explanation = "" if counts is None else _explain(req, children, chosen, fractions, counts)
    status = "complete" if waived or done >= need else ("in_progress" if any(
        c.status != "not_started" for c in counted_blocks) else "not_started")
    block = BlockResult(
        key=req.key, title=req.title, kind=req.kind, description=req.description, status=status,
        unit="requirements", need=need, done=done, in_progress=in_progress,
        remaining=max(ZERO, need - done - in_progress), percent=_floor_percent(fraction),
        still_needed=tuple(still), children=tuple(children), choose=counts, explanation=explanation,
    )
    return _with_exceptions(block, run.exceptions[req.key]), fraction


def _explain(req, children: list[BlockResult], chosen: tuple[str, ...], fractions: dict, counts: int) -> str:
    """Plain words on which options count and why (the most progress, then the earliest listed)."""
    counted = [c for c in children if c.key in chosen]
    others = [c for c in children if c.key not in chosen]
    names = ", ".join(f"{c.title} ({c.percent}%)" for c in counted)
    verb = "counts" if len(counted) == 1 else "count"
    if all(fractions[c.key] == 0 for c in children):
        why = "nothing is done in any option yet, so the first listed is shown as counting"
    elif len(others) and all(fractions[c.key] == 0 for c in others) or counts == len(children):
        why = "it gives the most progress" if len(counted) == 1 else "they give the most progress"
    else:
        why = ("it gives the most progress toward the degree" if len(counted) == 1
               else "together they give the most progress toward the degree")
    text = f"{names} {verb}: {why}."
    if others:
        text += " Not counted: " + ", ".join(f"{c.title} ({c.percent}% if it counted instead)" for c in others) + "."
    return text


def _residency_block(run: _Run) -> tuple[BlockResult, Fraction] | None:
    """[policies] min_terms_in_residence: terms with a course at this school (finished, or planned/in progress)."""
    need = run.policies.min_terms_in_residence
    if not need:
        return None
    done_terms: dict[int, str] = {}
    other_terms: dict[int, str] = {}
    for entry in run.ordered:
        rec = entry.rec
        if rec.transfer or rec.term is None or rec.status == "withdrawn":
            continue
        if entry.done or (rec.status == "completed" and not entry.counted and entry.reason != "withdrawn"):
            done_terms.setdefault(rec.term.id, rec.term.name)
        elif rec.status in ("planned", "in_progress"):
            other_terms.setdefault(rec.term.id, rec.term.name)
    for term_id in done_terms:
        other_terms.pop(term_id, None)
    done, in_progress = Decimal(len(done_terms)), Decimal(len(other_terms))
    need_d = Decimal(need)
    used = tuple(UsedRecord("term", term_id, name, Decimal(1), False, "a completed course this term")
                 for term_id, name in done_terms.items()) + tuple(
        UsedRecord("term", term_id, name, Decimal(1), True, "a course planned or in progress this term")
        for term_id, name in other_terms.items())
    still = ()
    if done + in_progress < need_d:
        still = (f"{_plural(need_d - done - in_progress, 'more term')} with a course at this school",)
    block = BlockResult(
        key=RESIDENCY_KEY, title="Terms in residence", kind="residency",
        description=f"At least {need} terms with a completed course at this school (transfer credit aside).",
        status=_status(done, in_progress, need_d), unit="terms", need=need_d, done=done, in_progress=in_progress,
        remaining=max(ZERO, need_d - done - in_progress), percent=_floor_percent(_fraction(done, need_d)),
        used=used, still_needed=still)
    return block, _fraction(done, need_d)


def _time_limit(run: _Run) -> date | None:
    """[policies] time_limit_years: the day the time limit ends (the start plus that many years), with a warning
    in its last half year and after it."""
    years = run.policies.time_limit_years
    start = run.student.start
    if not years or start is None:
        return None
    deadline = years_after(start, years)
    if run.today > deadline:
        run.warn("time_limit_passed", f"The {years}-year time limit for the degree ended on {deadline.isoformat()}.")
    elif (deadline - run.today).days <= TIME_LIMIT_WARNING_DAYS:
        run.warn("time_limit_near", f"The {years}-year time limit for the degree ends on {deadline.isoformat()}.")
    return deadline


def _with_exceptions(block: BlockResult, applied: list[AppliedException]) -> BlockResult:
    return replace(block, exceptions=tuple(applied)) if applied else block


def _status(done: Decimal, in_progress: Decimal, need: Decimal, extra_ok: bool = True) -> str:
    if done >= need and extra_ok:
        return "complete"
    if done > 0 or in_progress > 0:
        return "in_progress"
    return "not_started"


def _fraction(done: Decimal, need: Decimal) -> Fraction:
    if need <= 0:
        return Fraction(1)
    return min(Fraction(1), Fraction(done) / Fraction(need))


def _make_block(req, need, done, in_progress, *, fraction=None, extra_ok=True, **rest) -> tuple[BlockResult, Fraction]:
    if req.measure == "gpa":
        # GPA figures keep their two decimals (3.00, not 3).
        remaining = max(ZERO, need - done - in_progress).quantize(GPA_QUANTUM)
        in_progress = in_progress.quantize(GPA_QUANTUM)
    else:
        done, in_progress = _norm(done), _norm(in_progress)
        remaining = _norm(max(ZERO, need - done - in_progress))
    fraction = _fraction(done, need) if fraction is None else fraction
    status = _status(done, in_progress, need, extra_ok)
    block = BlockResult(
        key=req.key, title=req.title, kind=req.kind, description=req.description, status=status, unit=req.measure,
        need=need, done=done, in_progress=in_progress, remaining=remaining, percent=_floor_percent(fraction),
        **rest,
    )
    return block, fraction


def _course_block(run: _Run, req, used_by: dict) -> tuple[BlockResult, Fraction]:
    """A course block's result: the records it counts (and why), the ones it could not use, what is still needed."""
    need = _norm(run.needs[req.key])
    by_key = run.tree.by_key
    waived = req.key in run.waived_whole
    used: list[UsedRecord] = []
    done = in_progress = ZERO
    count_done = count_ip = 0
    slots_done: set[int] = set()
    slots_ip: dict[int, str] = {}
    for entry in run.ordered:
        if req.key not in used_by.get(entry.rec.id, ()):
            continue
        rec = entry.rec
        amount = _unit_amount(req, rec)
        if rec.id in run.pins:
            reason = "substitution"
        elif _matches(run, req, rec):
            reason = _match_reason(run, req, rec)
        else:
            reason = "left over from other requirements"
        if len(used_by[rec.id]) > 1:
            others = [by_key[k].title for k in used_by[rec.id] if k != req.key]
            reason += f"; shared with {', '.join(others)}"
        slot = _slot(run, req, rec) if isinstance(req, AllCoursesRequirement) else None
        if entry.done:
            done += amount
            count_done += 1
            if slot is not None:
                slots_done.add(slot)
            if rec.grade:
                reason += f"; grade {rec.grade}"
        else:
            in_progress += amount
            count_ip += 1
            if slot is not None:
                slots_ip[slot] = rec.status.replace("_", " ")
            reason += f"; {rec.status.replace('_', ' ')}, counts provisionally"
        if not entry.in_total:
            reason += "; does not count toward the total"
        used.append(UsedRecord("course", rec.id, entry.label, _norm(amount), not entry.done, reason,
                               _norm(Decimal(rec.credits))))

    rejected: list[RejectedCandidate] = []
    for entry in run.ordered:
        rec = entry.rec
        if req.key in used_by.get(rec.id, ()) or not _matches(run, req, rec):
            continue
        if not entry.counted:
            reason = entry.reason or NOT_NEEDED
        elif not _grade_ok(req, entry):
            reason = _grade_reason(req, rec)
            if isinstance(req, AllCoursesRequirement) and not waived:
                run.warn("below_minimum_grade", f"{rec.course_code} {rec.title}: {_grade_reason(req, rec)} for "
                                                f"{req.title}.", req.key)
        elif rec.id in used_by:
            reason = "used by " + ", ".join(by_key[k].title for k in used_by[rec.id])
        else:
            reason = "not needed here: the requirement is already covered"
        rejected.append(RejectedCandidate(rec.id, entry.label, reason))

    still: list[str] = []
    remaining = max(ZERO, need - done - in_progress)
    if isinstance(req, AllCoursesRequirement):
        at_least = f"at least {req.min_grade}" if req.min_grade else ""
        missing = [i for i in range(len(req.slots)) if i not in slots_done and i not in slots_ip]
        names = [_slot_name(run, req.slots[i]) for i in missing]
        if remaining > 0:
            if remaining >= len(missing):
                still.extend(f"{n} ({at_least})" if at_least else n for n in names)
            else:
                still.append(f"{_plural(remaining, 'more course')} from: {', '.join(names)}"
                             + (f" ({at_least})" if at_least else ""))
        for i, slot in enumerate(req.slots):
            if i in slots_ip and i not in slots_done:
                needs_grade = f", needs {at_least}" if at_least else ""
                still.append(f"{_slot_name(run, slot)} ({slots_ip[i]}{needs_grade})")
        return _make_block(req, need, done, in_progress, used=tuple(used), rejected=tuple(rejected),
                           still_needed=tuple(still))
    what = _lower_first(req.title)
    if req.credits is None:  # a number of courses
        if remaining > 0:
            still.append(f"{_plural(remaining, 'more course')} of {what}")
        if in_progress > 0:
            still.append(f"{_plural(in_progress, 'course')} planned or in progress")
        return _make_block(req, need, done, in_progress, used=tuple(used), rejected=tuple(rejected),
                           still_needed=tuple(still))
    if remaining > 0:
        still.append(f"{_plural(remaining, 'more credit')} of {what}")
    if in_progress > 0:
        still.append(f"{_plural(in_progress, 'credit')} planned or in progress")
    if not req.linked:
        return _make_block(req, need, done, in_progress, used=tuple(used), rejected=tuple(rejected),
                           still_needed=tuple(still))
    # Credits and a number of courses: complete when both are met; progress is the mean of the two.
    count_need = _norm(run.count_needs[req.key])
    count_done_d, count_ip_d = Decimal(count_done), Decimal(count_ip)
    if count_done_d + count_ip_d < count_need:
        still.append(f"{_plural(count_need - count_done_d - count_ip_d, 'more course')} of {what} "
                     f"({format_amount(count_need)} courses in all)")
    fraction = (_fraction(done, need) + _fraction(count_done_d, count_need)) / 2
    return _make_block(req, need, done, in_progress, fraction=fraction, extra_ok=count_done_d >= count_need,
                       used=tuple(used), rejected=tuple(rejected), still_needed=tuple(still))


def _slot_name(run: _Run, slot: tuple[str, ...]) -> str:
    """An all_courses item for people: a course title, or "A or B" for alternatives."""
    return " or ".join(run.titles.get(code, code) for code in slot)


def _total_block(req, need, counted, ordered_entries, total_done, total_ip) -> tuple[BlockResult, Fraction]:
    used = tuple(
        UsedRecord("course", e.rec.id, e.label, _norm(Decimal(e.rec.credits)), not e.done,
                   "completed" if e.done else f"{e.rec.status.replace('_', ' ')}, counts provisionally",
                   _norm(Decimal(e.rec.credits)))
        for e in counted
    )
    rejected = tuple(RejectedCandidate(e.rec.id, e.label, e.reason) for e in ordered_entries if not e.counted) + tuple(
        RejectedCandidate(e.rec.id, e.label, "does not count toward the total")
        for e in ordered_entries if e.counted and not e.in_total)
    still = []
    remaining = max(ZERO, need - total_done - total_ip)
    if remaining > 0:
        still.append(f"{_plural(remaining, 'more credit')} in all")
    if total_ip > 0:
        still.append(f"{_plural(total_ip, 'credit')} planned or in progress")
    return _make_block(req, need, total_done, total_ip, used=used, rejected=rejected, still_needed=tuple(still))


def _gpa_block(req, need, gpa, warnings, waived) -> tuple[BlockResult, Fraction]:
    done = gpa if gpa is not None else ZERO.quantize(GPA_QUANTUM)
    still = []
    if need > 0 and (gpa is None or gpa < need):
        if gpa is None:
            still.append(f"A GPA of at least {need:.2f} (no graded courses yet)")
        else:
            still.append(f"Raise the GPA from {gpa} to at least {need:.2f}")
            if not waived:
                warnings.append(AuditWarning(
                    "gpa_below_minimum", f"The GPA {gpa} is below the minimum {need:.2f}.", req.key))
    block, fraction = _make_block(req, need, done, ZERO, still_needed=tuple(still))
    if gpa is None and need > 0:
        block = replace(block, status="not_started")
    return block, fraction


def _ensemble_block(req, need, ensembles, today) -> tuple[BlockResult, Fraction]:
    by_term: dict[int, list] = {}
    for rec in sorted(ensembles, key=lambda r: (r.term.order, r.term.id, r.ensemble, r.id)):
        by_term.setdefault(rec.term.id, []).append(rec)
    used = []
    done = in_progress = ZERO
    for records in by_term.values():
        term = records[0].term
        provisional = term.end > today
        if provisional:
            in_progress += 1
        else:
            done += 1
        first = records[0]
        state = "term in progress, counts provisionally" if provisional else "term completed"
        used.append(UsedRecord("ensemble", first.id, f"{first.ensemble} ({term.name})", Decimal(1), provisional,
                               f"{state}; role: {first.role.replace('_', ' ')}"))
        for extra in records[1:]:
            used.append(UsedRecord("ensemble", extra.id, f"{extra.ensemble} ({term.name})", ZERO, provisional,
                                   f"same term as {first.ensemble} — a term counts once"))
    still = []
    remaining = max(ZERO, need - done - in_progress)
    if remaining > 0:
        still.append(f"{_plural(remaining, 'more ensemble term')}")
    if in_progress > 0:
        still.append(f"{_plural(in_progress, 'ensemble term')} in progress")
    return _make_block(req, need, done, in_progress, used=tuple(used), still_needed=tuple(still))


def _studio_block(req, need, sessions, today, warnings, waived) -> tuple[BlockResult, Fraction]:
    by_term: dict[int, list] = {}
    for session in sorted(sessions, key=lambda s: (s.term.order, s.term.id, s.date, s.id)):
        if session.status not in SESSION_STATUSES:
            raise ValueError(f"studio session {session.id}: unknown status {session.status!r}")
        if session.status == "withdrawn":
            continue
        by_term.setdefault(session.term.id, []).append(session)
    minimum = Decimal(req.min_hours)
    terms = []
    used = []
    done = in_progress = ZERO
    approved_total = ZERO
    shorts = []
    for records in by_term.values():
        term = records[0].term
        approved = sum((Decimal(s.hours) for s in records if s.status == "approved"), ZERO)
        pending = sum((Decimal(s.hours) for s in records if s.status in ("pending", "needs_changes")), ZERO)
        rejected = sum((Decimal(s.hours) for s in records if s.status == "rejected"), ZERO)
        approved_total += approved
        if approved >= minimum:
            status = "complete"
            done += 1
            for s in records:
                if s.status == "approved":
                    used.append(UsedRecord("studio", s.id, f"Studio session {s.date.isoformat()} ({term.name})",
                                           _norm(Decimal(s.hours)), False, "approved"))
        elif approved + pending >= minimum:
            status = "pending review"
            in_progress += 1
            for s in records:
                if s.status in ("approved", "pending", "needs_changes"):
                    used.append(UsedRecord(
                        "studio", s.id, f"Studio session {s.date.isoformat()} ({term.name})",
                        _norm(Decimal(s.hours)), s.status != "approved",
                        "approved" if s.status == "approved" else
                        ("waiting for review" if s.status == "pending" else "sent back for changes")))
        else:
            status = "short"
            shorts.append((term, approved))
        terms.append(StudioTermResult(term.id, term.name, _norm(approved), _norm(pending), _norm(rejected),
                                      status == "complete", status))
    hours_ok = req.total_hours is None or approved_total >= req.total_hours or waived
    complete = done >= need and hours_ok
    still = []
    remaining = max(ZERO, need - done - in_progress)
    if remaining > 0:
        still.append(f"{_plural(remaining, 'more studio term')} with at least "
                     f"{format_amount(minimum)} approved hours")
    for term, approved in shorts:
        if term.end >= today and not complete:
            still.append(f"{format_amount(minimum - approved)} more approved studio hours in {term.name}")
        if not complete and (term.end - today).days <= SHORT_TERM_WARNING_DAYS:
            verb = "ended" if term.end < today else f"ends on {term.end.isoformat()}"
            warnings.append(AuditWarning(
                "studio_term_short",
                f"{term.name} {verb} with {format_amount(approved)} of {format_amount(minimum)} approved "
                "studio hours.", req.key))
    for t in terms:
        if t.status == "pending review":
            still.append(f"Review of {format_amount(t.pending_hours)} pending studio hours in {t.term_name}")
    fraction = _fraction(done, need)
    if req.total_hours is not None and not waived:
        fraction = min(fraction, _fraction(approved_total, Decimal(req.total_hours)))
        if approved_total < req.total_hours:
            still.append(f"{format_amount(req.total_hours - approved_total)} more approved studio hours in all")
    return _make_block(req, need, done, in_progress, fraction=fraction, extra_ok=hours_ok, used=tuple(used),
                       still_needed=tuple(still), studio_terms=tuple(terms))


def _milestone_block(req, need, milestones, warnings, labels) -> tuple[BlockResult, Fraction]:
    # The program's own labels; the default ones for rules built without them; the code as a last resort.
    def label_of(kind: str) -> str:
        return labels.get(kind) or MILESTONE_LABELS.get(kind, kind)

    signed: dict[str, object] = {}
    unsigned: dict[str, object] = {}
    # Earliest sign-off per kind wins if a kind appears twice.
    for m in sorted(milestones, key=lambda m: (m.kind, m.completed_on or date.max, m.signed_by or "", m.note)):
        if m.signed_off:
            signed.setdefault(m.kind, m)
        else:
            unsigned.setdefault(m.kind, m)
    used = []
    rejected = []
    for position, kind in enumerate(req.milestones):
        label = label_of(kind)
        m = signed.get(kind)
        if m is None:
            if kind in unsigned:
                rejected.append(RejectedCandidate(None, label, "not signed off yet"))
            continue
        used.append(UsedRecord("milestone", None, label, Decimal(1), False,
                               f"signed off by {m.signed_by} on {m.completed_on.isoformat()}"))
        early = []
        for previous in req.milestones[:position]:
            p = signed.get(previous)
            if p is None:
                early.append(label_of(previous))
            elif p.completed_on > m.completed_on:
                early.append(f"{label_of(previous)} ({p.completed_on.isoformat()})")
        if early:
            warnings.append(AuditWarning(
                "milestone_order",
                f"{label} was signed off ({m.completed_on.isoformat()}) before {', '.join(early)}.", req.key))
    done = Decimal(len(used))
    missing = [label_of(k) for k in req.milestones if k not in signed]
    remaining = max(ZERO, need - done)
    still = []
    if remaining > 0:
        if remaining >= len(missing):
            still.extend(missing)
        else:
            still.append(f"{format_amount(remaining)} more of: {', '.join(missing)}")
    return _make_block(req, need, done, ZERO, used=tuple(used), rejected=tuple(rejected), still_needed=tuple(still))
