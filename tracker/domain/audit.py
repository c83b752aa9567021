"""The degree audit: how a student's records are matched to the program's requirements.

How the audit decides what counts where
---------------------------------------
1. Tidy the record. Withdrawn courses are set aside. When a course was taken more than once, only the most recent
   completed attempt counts (see tracker.domain.grades for the whole repeat policy). Failed courses earn no credit.
   Transfer credit counts up to the program's transfer limit (records in the order they were entered; any record
   that would pass the limit is set aside, with a warning). Planned and in-progress courses are kept, marked
   "provisional": they show as "in progress", are never checked for a grade and never enter the GPA.
2. Apply the advisor's exceptions. A substitution places a record in a requirement it would not otherwise fill
   (it still has to meet that requirement's minimum grade). A waiver lowers a requirement's need, or waives it whole.
   A waiver never adds credits to the total: the degree still needs its full number of real credits.
3. Match courses to requirements. A course counts toward one requirement, unless two requirements both allow
   sharing (and then only up to their limit). A course's credits are never split. When a course could fill more
   than one requirement, every possible arrangement is compared and the best one wins, judged in this order:
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
4. Leftovers. Courses not needed by any requirement go to the elective requirement(s) that take leftovers (matched
   the same way), and whatever is still left is listed as "not needed by any requirement" - it still counts toward
   the total number of credits.
5. Whole-record checks: total credits (every counted course once: finished courses as done, planned and
   in-progress ones as in progress), the GPA, ensemble terms, studio terms and milestones.

Numbers in each requirement's result: need (after waivers), done (finished), in progress, remaining =
max(0, need - done - in progress). A requirement is complete when done >= need (a studio requirement with a total
of hours also needs that total), in progress when anything is done or in progress (studio hours waiting for
review count as in progress), and not started otherwise.

Overall percent: the mean over the requirements that apply of min(1, done / need) (1 for a fully waived one; for
a studio requirement with a total of hours, the smaller of its terms and hours fractions), times 100, rounded down;
it is 100 only when every requirement is complete.

Ensembles: a term with any ensemble counts once; a term that ends after today is in progress. Studio: only approved
hours count; a term counts when its approved hours reach the minimum; if approved hours fall short but approved plus
pending (or sent back for changes) would reach it, the term is "pending review". Milestones: only signed-off
milestones count; one signed before an earlier milestone in the list is flagged.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Iterable

from .allocation import STEP_BUDGET, Candidate, SearchBudget, allocate
from .definition import ProgramDefinition
from .grades import compute_gpa, grade_points, is_passing, is_valid_grade, meets_minimum
from .inputs import (
    COURSE_STATUSES,
    SESSION_STATUSES,
    AuditInput,
    CourseRecord,
    ProgramRules,
)
from .requirements import (
    MILESTONE_LABELS,
    STUDENT_CONCENTRATION,
    AllCoursesRequirement,
    CreditsRequirement,
    EnsembleTermsRequirement,
    GpaRequirement,
    MilestonesRequirement,
    StudioTermsRequirement,
    TotalCreditsRequirement,
)

SHORT_TERM_WARNING_DAYS = 21
ZERO = Decimal(0)
GPA_QUANTUM = Decimal("0.01")

# Why a course record is not used (shown to students, so plain words).
WITHDRAWN = "withdrawn"
REPEATED = "repeated — a later attempt counts"
RETAKE_PENDING = "repeat not graded yet — the completed attempt counts until it is"
FAILED = "failed"
OVER_TRANSFER_CAP = "over the transfer cap"
NO_GRADE = "completed without a valid grade"
NOT_NEEDED = "not needed by any requirement"


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


def format_amount(value: Decimal | int) -> str:
    """A number for people: 12 not 12.0, 1.5 stays 1.5."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def _norm(value: Decimal) -> Decimal:
    """Drop trailing zeros of whole numbers (12.0 -> 12) so results compare and print cleanly."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _plural(value: Decimal, word: str) -> str:
    return f"{format_amount(value)} {word}{'' if value == 1 else 's'}"


def _term_key(rec: CourseRecord) -> tuple:
    # Transfer credit without a term sorts before every term: it was earned before the student arrived.
    return (0, 0) if rec.term is None else (1, rec.term.order)


def _course_label(rec: CourseRecord) -> str:
    base = f"{rec.course_code} {rec.title}"
    if rec.transfer:
        return f"{base} (transfer{', ' + rec.institution if rec.institution else ''})"
    if rec.term is not None:
        return f"{base} ({rec.term.name})"
    return base


def _lower_first(text: str) -> str:
    # Keep acronyms ("MPT electives") intact; lower an ordinary leading capital.
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _floor_percent(fraction: Fraction) -> int:
    return int((fraction * 100).__floor__())


@dataclass
class _Entry:
    """A course record after normalisation."""

    rec: CourseRecord
    counted: bool
    done: bool
    reason: str | None = None

    @property
    def label(self) -> str:
        """How the record is shown: code, title and term (or transfer institution)."""
        return _course_label(self.rec)


def _grade_ok(req, entry: _Entry) -> bool:
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


def _matches(req, rec: CourseRecord, concentration: str) -> bool:
    """True when the record is one the block names (its leftovers aside); filters of a credits block are OR-ed."""
    if isinstance(req, AllCoursesRequirement):
        return rec.course_code in req.courses
    if isinstance(req, CreditsRequirement):
        if rec.course_code in req.courses or (rec.category in req.categories):
            return True
        wanted = {concentration if c == STUDENT_CONCENTRATION else c for c in req.course_concentrations}
        return rec.concentration is not None and rec.concentration in wanted
    return False


def _match_reason(req, rec: CourseRecord, concentration: str) -> str:
    if isinstance(req, AllCoursesRequirement) or rec.course_code in req.courses:
        return "listed course"
    if rec.category in req.categories:
        return f"{rec.category} course"
    if _matches(req, rec, concentration):
        return f"{rec.concentration} concentration course"
    return "left over from other requirements"


def _unit_amount(req, rec: CourseRecord) -> Decimal:
    return Decimal(1) if isinstance(req, AllCoursesRequirement) else Decimal(rec.credits)


def _base_need(req) -> Decimal:
    if isinstance(req, AllCoursesRequirement):
        return Decimal(len(req.courses))
    if isinstance(req, (CreditsRequirement, TotalCreditsRequirement)):
        return Decimal(req.credits)
    if isinstance(req, GpaRequirement):
        return Decimal(req.min_gpa)
    if isinstance(req, (EnsembleTermsRequirement, StudioTermsRequirement)):
        return Decimal(req.terms)
    if isinstance(req, MilestonesRequirement):
        return Decimal(len(req.milestones))
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


# --- step 1: normalise ---------------------------------------------------------------------------------------------


def _normalise(courses: Iterable[CourseRecord], cap: Decimal, warnings: list[AuditWarning]):
    """Apply withdrawals, the repeat policy, failures and the transfer cap; returns entries and GPA pairs."""
    records = sorted(courses, key=lambda r: r.id)
    ids = [r.id for r in records]
    if len(ids) != len(set(ids)):
        raise ValueError("course record ids must be unique (give transfer records ids of their own)")
    for rec in records:
        if rec.status not in COURSE_STATUSES:
            raise ValueError(f"course record {rec.id}: unknown status {rec.status!r}")
    entries: dict[int, _Entry] = {}
    attempts: dict[str, list[CourseRecord]] = {}
    for rec in records:
        if rec.status == "withdrawn":
            entries[rec.id] = _Entry(rec, False, False, WITHDRAWN)
        else:
            attempts.setdefault(rec.course_code, []).append(rec)
    gpa_pairs: list[tuple[str | None, Decimal]] = []
    for code in sorted(attempts):
        tries = sorted(attempts[code], key=lambda r: (_term_key(r), r.id))
        completed = [r for r in tries if r.status == "completed"]
        latest = completed[-1] if completed else None
        latest_key = (_term_key(latest), latest.id) if latest else None
        latest_passes = latest is not None and (
            is_passing(latest.grade) or (latest.transfer and latest.grade is None)
        )
        later_provisional = [r for r in tries if r.status != "completed" and (
            latest_key is None or (_term_key(r), r.id) > latest_key)]
        counted_provisional = later_provisional[-1] if later_provisional and not latest_passes else None
        for rec in tries:
            if rec is latest:
                if latest_passes:
                    entries[rec.id] = _Entry(rec, True, True)
                elif rec.grade is None or not is_valid_grade(rec.grade):
                    entries[rec.id] = _Entry(rec, False, False, NO_GRADE)
                    warnings.append(AuditWarning(
                        "missing_grade", f"{_course_label(rec)} is marked completed but has no valid grade."))
                else:
                    entries[rec.id] = _Entry(rec, False, False, FAILED)
                if not rec.transfer and grade_points(rec.grade) is not None:
                    gpa_pairs.append((rec.grade, Decimal(rec.credits)))
            elif rec is counted_provisional:
                entries[rec.id] = _Entry(rec, True, False)
            elif rec in later_provisional and latest_passes:
                entries[rec.id] = _Entry(rec, False, False, RETAKE_PENDING)
            else:
                entries[rec.id] = _Entry(rec, False, False, REPEATED)
    # Transfer cap, in the order the records were entered (id order), never splitting a record.
    transferred = ZERO
    for rec in records:
        entry = entries[rec.id]
        if rec.transfer and entry.counted:
            if transferred + Decimal(rec.credits) > cap:
                entries[rec.id] = _Entry(rec, False, False, OVER_TRANSFER_CAP)
                warnings.append(AuditWarning(
                    "transfer_cap",
                    f"{_course_label(rec)}: transfer credit beyond the {format_amount(cap)}-credit limit "
                    "does not count.",
                ))
            else:
                transferred += Decimal(rec.credits)
    return entries, gpa_pairs


# --- the audit -----------------------------------------------------------------------------------------------------


def audit(inp: AuditInput) -> AuditResult:
    """Audit one student against a program's rules (pure: same input, same result)."""
    rules = _rules_of(inp.program)
    student = inp.student
    today = inp.today
    titles = dict(rules.course_titles)
    milestone_labels = dict(getattr(rules, "milestone_labels", ()))
    warnings: list[AuditWarning] = []
    reqs = [r for r in rules.requirements if r.applies_to(student.concentration, student.track)]
    by_key = {r.key: r for r in reqs}
    all_keys = {r.key for r in rules.requirements}

    entries, gpa_pairs = _normalise(inp.courses, Decimal(rules.max_transfer_credits), warnings)
    ordered_entries = sorted(entries.values(), key=lambda e: (_term_key(e.rec), e.rec.course_code, e.rec.id))

    # Step 2a: waivers.
    needs: dict[str, Decimal] = {r.key: _base_need(r) for r in reqs}
    exceptions: dict[str, list[AppliedException]] = {r.key: [] for r in reqs}
    waived_whole: set[str] = set()
    for waiver in sorted(inp.waivers, key=lambda w: (w.requirement_key, str(w.at), w.by,
                                                     w.amount is None, w.amount or ZERO, w.justification)):
        req = by_key.get(waiver.requirement_key)
        if req is None:
            code = "waiver_not_applicable" if waiver.requirement_key in all_keys else "waiver_unknown_requirement"
            warnings.append(AuditWarning(
                code, f'A waiver names requirement "{waiver.requirement_key}", which does not apply to this student.',
                waiver.requirement_key))
            continue
        if waiver.amount is None:
            waived_whole.add(req.key)
            description = "Requirement waived"
        else:
            needs[req.key] = max(ZERO, needs[req.key] - Decimal(waiver.amount))
            description = f"Waived {format_amount(waiver.amount)} {req.unit}"
        exceptions[req.key].append(AppliedException(
            "waiver", description, waiver.justification, waiver.by, waiver.at, None,
            None if waiver.amount is None else Decimal(waiver.amount)))
    for key in waived_whole:
        needs[key] = ZERO

    # Step 2b: substitutions pin a record to a course block.
    pins: dict[int, str] = {}
    for sub in sorted(inp.substitutions, key=lambda s: (s.record_id, s.requirement_key, s.by, str(s.at))):
        req = by_key.get(sub.requirement_key)
        entry = entries.get(sub.record_id)
        key = sub.requirement_key
        if req is None or not isinstance(req, (AllCoursesRequirement, CreditsRequirement)):
            what = "does not apply to this student" if req is None else "is not a course requirement"
            warnings.append(AuditWarning(
                "substitution_invalid", f'A substitution names requirement "{key}", which {what}.', key))
            continue
        if entry is None:
            warnings.append(AuditWarning(
                "substitution_missing",
                f"A substitution for {req.title} names course record {sub.record_id}, which is not on the record.",
                key))
            continue
        if not entry.counted:
            warnings.append(AuditWarning(
                "substitution_unusable",
                f"The substitution of {entry.label} for {req.title} cannot count: the record is {entry.reason}.",
                key))
            continue
        if not _grade_ok(req, entry):
            warnings.append(AuditWarning(
                "substitution_below_minimum",
                f"The substitution of {entry.label} for {req.title} cannot count: "
                f"{_grade_reason(req, entry.rec)}.", key))
            continue
        if sub.record_id in pins:
            warnings.append(AuditWarning(
                "substitution_duplicate",
                f"{entry.label} is substituted into more than one requirement; only "
                f"{by_key[pins[sub.record_id]].title} is used.", key))
            continue
        pins[sub.record_id] = key
        exceptions[key].append(AppliedException(
            "substitution", f"{entry.label} counts toward {req.title}", sub.justification, sub.by, sub.at,
            sub.record_id, None))

    # Step 3: allocation over course blocks (regular ones first, then the ones that take leftovers).
    index_of = {r.key: i for i, r in enumerate(reqs)}
    course_reqs = [r for r in reqs if isinstance(r, (AllCoursesRequirement, CreditsRequirement))]
    regular = [r for r in course_reqs if not getattr(r, "accepts_leftovers", False)]
    leftover_reqs = [r for r in course_reqs if getattr(r, "accepts_leftovers", False)]
    used_by: dict[int, list[str]] = {rid: [key] for rid, key in pins.items()}
    budget = SearchBudget(STEP_BUDGET)
    approximate: set[str] = set()

    def preference(entry: _Entry) -> tuple:
        points = grade_points(entry.rec.grade) if entry.done else None
        return (-(points or ZERO), _term_key(entry.rec), entry.rec.course_code, entry.rec.id)

    def allocate_blocks(blocks: list, eligible_for) -> None:
        """Match the still-unused counted records to these blocks (recorded in used_by)."""
        live = [r for r in blocks if needs[r.key] > 0]
        start_done = {index_of[r.key]: ZERO for r in live}
        start_total = dict(start_done)
        for rid, key in pins.items():
            if key in {r.key for r in live}:
                amount = _unit_amount(by_key[key], entries[rid].rec)
                start_total[index_of[key]] += amount
                if entries[rid].done:
                    start_done[index_of[key]] += amount
        candidates = []
        for entry in ordered_entries:
            if not entry.counted or entry.rec.id in pins or entry.rec.id in used_by:
                continue
            eligible = [r for r in live if eligible_for(r, entry)]
            if not eligible:
                continue
            explicit = any(_matches(r, entry.rec, student.concentration) for r in eligible)
            candidates.append(Candidate(
                entry.rec.id, entry.done, Decimal(entry.rec.credits),
                tuple((index_of[r.key], _unit_amount(r, entry.rec)) for r in eligible),
                preference(entry), (0 if explicit else 1, 0 if entry.done else 1)))
        caps = {}
        for a in live:
            for b in live:
                if index_of[a.key] < index_of[b.key] and isinstance(a, CreditsRequirement) \
                        and isinstance(b, CreditsRequirement):
                    la, lb = a.share_limit(b.key), b.share_limit(a.key)
                    if la is not None and lb is not None:
                        caps[(index_of[a.key], index_of[b.key])] = min(la, lb)
        result, approx = allocate({index_of[r.key]: needs[r.key] for r in live}, start_done, start_total,
                                  candidates, caps, budget)
        for rid, blocks_ in result.items():
            if blocks_:
                used_by[rid] = [reqs[i].key for i in blocks_]
        approximate.update(reqs[i].key for i in approx)

    allocate_blocks(regular, lambda r, e: _matches(r, e.rec, student.concentration) and _grade_ok(r, e))
    # Leftovers: any counted course no regular block used, subject to the leftover block's own minimum grade.
    allocate_blocks(leftover_reqs, lambda r, e: _grade_ok(r, e))

    # Step 5: whole-record figures.
    counted = [e for e in ordered_entries if e.counted]
    total_done = _norm(sum((Decimal(e.rec.credits) for e in counted if e.done), ZERO))
    total_ip = _norm(sum((Decimal(e.rec.credits) for e in counted if not e.done), ZERO))
    gpa, gpa_credits = compute_gpa(gpa_pairs)

    blocks: list[BlockResult] = []
    progress: list[Fraction] = []
    for req in reqs:
        need = _norm(needs[req.key])
        if isinstance(req, GpaRequirement):
            need = needs[req.key].quantize(GPA_QUANTUM)
        if isinstance(req, (AllCoursesRequirement, CreditsRequirement)):
            block, fraction = _course_block(req, need, entries, ordered_entries, used_by, by_key, pins,
                                            student.concentration, titles, warnings, req.key in waived_whole)
        elif isinstance(req, TotalCreditsRequirement):
            block, fraction = _total_block(req, need, counted, ordered_entries, total_done, total_ip)
        elif isinstance(req, GpaRequirement):
            block, fraction = _gpa_block(req, need, gpa, warnings, req.key in waived_whole)
        elif isinstance(req, EnsembleTermsRequirement):
            block, fraction = _ensemble_block(req, need, inp.ensembles, today)
        elif isinstance(req, StudioTermsRequirement):
            block, fraction = _studio_block(req, need, inp.sessions, today, warnings, req.key in waived_whole)
        else:
            block, fraction = _milestone_block(req, need, inp.milestones, warnings, milestone_labels)
        blocks.append(_with_exceptions(block, exceptions[req.key]))
        progress.append(fraction)

    complete = all(b.complete for b in blocks)
    if blocks:
        overall = _floor_percent(sum(progress, Fraction(0)) / len(blocks))
        overall = overall if complete else min(overall, 99)
    else:
        overall = 100

    unused = tuple(
        UnusedRecord("course", e.rec.id, e.label, e.reason or NOT_NEEDED)
        for e in ordered_entries
        if e.rec.id not in used_by
    )
    note = None
    if approximate:
        names = ", ".join(r.title for r in reqs if r.key in approximate)
        note = (f"The matching of courses to {names} used a quick approximate method because the exact search "
                f"grew past {STEP_BUDGET:,} steps; a better arrangement may exist.")
    return AuditResult(
        blocks=tuple(blocks),
        overall_percent=overall,
        complete=complete,
        gpa=gpa,
        gpa_credits=_norm(gpa_credits),
        total_credits_done=total_done,
        total_credits_in_progress=total_ip,
        unused=unused,
        warnings=tuple(warnings),
        search_note=note,
    )


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
    if req.unit == "gpa":
        # GPA figures keep their two decimals (3.00, not 3).
        remaining = max(ZERO, need - done - in_progress).quantize(GPA_QUANTUM)
        in_progress = in_progress.quantize(GPA_QUANTUM)
    else:
        done, in_progress = _norm(done), _norm(in_progress)
        remaining = _norm(max(ZERO, need - done - in_progress))
    fraction = _fraction(done, need) if fraction is None else fraction
    status = _status(done, in_progress, need, extra_ok)
    block = BlockResult(
        key=req.key, title=req.title, kind=req.kind, description=req.description, status=status, unit=req.unit,
        need=need, done=done, in_progress=in_progress, remaining=remaining, percent=_floor_percent(fraction),
        **rest,
    )
    return block, fraction


def _course_block(req, need, entries, ordered_entries, used_by, by_key, pins, concentration, titles, warnings,
                  waived) -> tuple[BlockResult, Fraction]:
    used: list[UsedRecord] = []
    done = in_progress = ZERO
    used_codes_done: set[str] = set()
    used_codes_ip: dict[str, str] = {}
    for entry in ordered_entries:
        if req.key not in used_by.get(entry.rec.id, ()):
            continue
        amount = _unit_amount(req, entry.rec)
        if entry.rec.id in pins:
            reason = "substitution"
        elif _matches(req, entry.rec, concentration):
            reason = _match_reason(req, entry.rec, concentration)
        else:
            reason = "left over from other requirements"
        if len(used_by[entry.rec.id]) > 1:
            others = [by_key[k].title for k in used_by[entry.rec.id] if k != req.key]
            reason += f"; shared with {', '.join(others)}"
        if entry.done:
            done += amount
            used_codes_done.add(entry.rec.course_code)
            if entry.rec.grade:
                reason += f"; grade {entry.rec.grade}"
        else:
            in_progress += amount
            used_codes_ip[entry.rec.course_code] = entry.rec.status.replace("_", " ")
            reason += f"; {entry.rec.status.replace('_', ' ')}, counts provisionally"
        used.append(UsedRecord("course", entry.rec.id, entry.label, _norm(amount), not entry.done, reason))

    rejected: list[RejectedCandidate] = []
    for entry in ordered_entries:
        rec = entry.rec
        if req.key in used_by.get(rec.id, ()) or not _matches(req, rec, concentration):
            continue
        if not entry.counted:
            reason = entry.reason or NOT_NEEDED
        elif not _grade_ok(req, entry):
            reason = _grade_reason(req, rec)
            if isinstance(req, AllCoursesRequirement) and not waived:
                warnings.append(AuditWarning(
                    "below_minimum_grade",
                    f"{rec.course_code} {rec.title}: {_grade_reason(req, rec)} for {req.title}.", req.key))
        elif rec.id in used_by:
            reason = "used by " + ", ".join(by_key[k].title for k in used_by[rec.id])
        else:
            reason = "not needed here: the requirement is already covered"
        rejected.append(RejectedCandidate(rec.id, entry.label, reason))

    still: list[str] = []
    remaining = max(ZERO, need - done - in_progress)
    if isinstance(req, AllCoursesRequirement):
        at_least = f"at least {req.min_grade}" if req.min_grade else ""
        missing = [c for c in req.courses if c not in used_codes_done and c not in used_codes_ip]
        names = [titles.get(c, c) for c in missing]
        if remaining > 0:
            if remaining >= len(missing):
                still.extend(f"{n} ({at_least})" if at_least else n for n in names)
            else:
                still.append(f"{_plural(remaining, 'more course')} from: {', '.join(names)}"
                             + (f" ({at_least})" if at_least else ""))
        for code in req.courses:
            if code in used_codes_ip:
                needs_grade = f", needs {at_least}" if at_least else ""
                still.append(f"{titles.get(code, code)} ({used_codes_ip[code]}{needs_grade})")
    else:
        if remaining > 0:
            still.append(f"{_plural(remaining, 'more credit')} of {_lower_first(req.title)}")
        if in_progress > 0:
            still.append(f"{_plural(in_progress, 'credit')} planned or in progress")
    return _make_block(req, need, done, in_progress, used=tuple(used), rejected=tuple(rejected),
                       still_needed=tuple(still))


def _total_block(req, need, counted, ordered_entries, total_done, total_ip) -> tuple[BlockResult, Fraction]:
    used = tuple(
        UsedRecord("course", e.rec.id, e.label, _norm(Decimal(e.rec.credits)), not e.done,
                   "completed" if e.done else f"{e.rec.status.replace('_', ' ')}, counts provisionally")
        for e in counted
    )
    rejected = tuple(RejectedCandidate(e.rec.id, e.label, e.reason) for e in ordered_entries if not e.counted)
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
