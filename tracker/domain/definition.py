"""Program definition files (TOML): parse, validate every problem at once, and build a ProgramDefinition.

The format, every setting, and what each message below means are described for program directors in
docs/program-definitions.md (also shown in the app, next to the requirements editor); keep it in step.

    [program]          code, name, degree, total_credits, min_gpa, max_transfer_credits (optional, default 6)
    [[concentrations]] code, name
    [[courses]]        code, title, credits, category, concentration, pass_fail, description
    [[tracks]]         code, label (none declared: thesis / non_thesis, with a warning if the file uses them)
    [[milestones]]     code, label, signed_by, track or tracks (none declared: the six default kinds, likewise)
    [[requirements]]   key, kind, title, description, concentrations, track, then the kind's own settings
                       (tracker.domain.requirements.PARAM_SPECS).

Messages name the key at fault with 1-based positions, as a person counts the tables in the file:
`requirements[3].credits: must be a positive number` is about the third [[requirements]] table
(tracker.domain.positions turns that into a line number of the text). Errors refuse the definition; warnings
(ProgramDefinition.warnings) name settings that fall back to a default or have no effect, and do not.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal

from .grades import LETTER_GRADES
from .inputs import ProgramRules
from .selectors import CourseFacts
from .requirements import (
    CATEGORIES,
    GROUP_KINDS,
    KEY_PATTERN,
    MAX_DESCRIPTION_LENGTH,
    MAX_TITLE_LENGTH,
    STUDENT_CONCENTRATION,
    AllCoursesRequirement,
    CreditsRequirement,
    DefinitionError,
    GpaRequirement,
    Requirement,
    StudioTermsRequirement,
    TotalCreditsRequirement,
    _Invalid,
    _string_list,
    build_requirement,
    to_decimal,
)
from .vocabulary import (
    DEFAULT_MILESTONES,
    DEFAULT_TRACKS,
    SIGNERS,
    MilestoneDef,
    TrackDef,
    Vocabulary,
)

__all__ = ["CourseDef", "ProgramDefinition", "DefinitionError", "parse_program_definition", "load_program_definition"]

_PROGRAM_KEYS = ("code", "name", "degree", "total_credits", "min_gpa", "max_transfer_credits")
_CONCENTRATION_KEYS = ("code", "name")
_COURSE_KEYS = ("code", "title", "credits", "category", "concentration", "pass_fail", "description", "max_credits",
                "tags", "repeatable", "repeat_max_credits", "counts_toward_total")
_REQUIREMENT_COMMON = ("key", "kind", "title", "description", "concentrations", "track")
_TRACK_KEYS = ("code", "label")
_MILESTONE_KEYS = ("code", "label", "signed_by", "track", "tracks")
_SECTIONS = ("program", "policies", "concentrations", "tracks", "milestones", "courses", "equivalences",
             "requirements")
_POLICY_KEYS = ("retake", "failed_in_block", "transfer_min_grade", "transfer_max_age_years", "time_limit_years",
                "min_terms_in_residence")
# The key of the block the audit adds for [policies] min_terms_in_residence; no [[requirements]] table may use it.
RESIDENCY_KEY = "terms-in-residence"
MAX_YEARS = 50
_LABEL_LENGTH = 120  # a track's or milestone's label

# A program code names files and URLs (the definition download's filename): letters, digits, '-' and '_' only.
PROGRAM_CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,20}")
PROGRAM_CODE_RULE = "must be 1 to 20 letters, digits, '-' or '_'"
DEFAULT_MAX_TRANSFER = Decimal(6)  # transfer credits a program allows when [program] does not say
MAX_SOURCE_LENGTH = 500_000  # characters of TOML; the demo program is about 10,000
# Bounds of the program's numbers (the columns: Numeric(5, 1), Numeric(3, 2), Numeric(4, 1)).
MAX_TOTAL_CREDITS = Decimal(999)
MAX_COURSE_CREDITS = Decimal(99)
# Longest one-line values, as the columns hold them.
_LENGTHS = {"name": 200, "degree": 120, "title": MAX_TITLE_LENGTH, "code": 32, "description": MAX_DESCRIPTION_LENGTH}
_CONCENTRATION_NAME_LENGTH = 120


@dataclass(frozen=True)
class CourseDef:
    """A catalog course as defined in a program file."""

    code: str
    title: str
    credits: Decimal
    category: str
    concentration: str | None = None
    pass_fail: bool = False
    description: str = ""
    # A variable-credit course: credits is the least a record may carry, max_credits the most (None: fixed).
    max_credits: Decimal | None = None
    # The catalog's own attributes, which requirements select by (tags = ["cognate"]).
    tags: tuple[str, ...] = ()
    # Repeatable for credit: each completed attempt counts, up to this many attempts and/or credits (None: a retake).
    repeatable: int | None = None
    repeat_max_credits: Decimal | None = None
    # False for a course that never counts toward the degree total (remedial, prerequisite).
    counts_toward_total: bool = True

    @property
    def variable(self) -> bool:
        """True when the record, not the catalog, says how many credits the student took."""
        return self.max_credits is not None


RETAKE_RULES = ("latest", "best")
FAILED_IN_BLOCK_RULES = ("count_elsewhere", "repeat")


@dataclass(frozen=True)
class Policies:
    """A program's record-keeping rules ([policies]); the defaults are what the audit did before policies existed."""

    retake: str = "latest"  # which completed attempt of a repeated course counts: the latest, or the best grade
    # A record below a block's minimum grade: may it still count toward another block, or must it be repeated?
    failed_in_block: str = "count_elsewhere"
    transfer_min_grade: str | None = None  # transfer credit counts only with at least this grade
    transfer_max_age_years: int | None = None  # ... and only when earned at most this many years before the start
    time_limit_years: int | None = None  # the degree must be finished within this many years of the start term
    min_terms_in_residence: int | None = None  # terms with a completed course at this school

    def to_json(self) -> dict:
        """The policies that differ from the defaults, as plain data."""
        return {name: value for name, value in self.__dict__.items() if value != getattr(Policies, name)}

    @classmethod
    def from_json(cls, data: dict) -> "Policies":
        """The inverse of to_json."""
        return cls(**data)


@dataclass(frozen=True)
class ProgramDefinition:
    """A whole program: settings, concentrations as (code, name) pairs, the course catalog and requirements."""

    code: str
    name: str
    degree: str
    total_credits: Decimal
    min_gpa: Decimal
    concentrations: tuple[tuple[str, str], ...]
    courses: tuple[CourseDef, ...]
    requirements: tuple[Requirement, ...]
    max_transfer_credits: Decimal = Decimal(6)
    # The program's vocabulary, in file order: [[tracks]] and [[milestones]] (the defaults when none are declared).
    tracks: tuple[TrackDef, ...] = DEFAULT_TRACKS
    milestones: tuple[MilestoneDef, ...] = DEFAULT_MILESTONES
    # [[equivalences]]: groups of codes that are one course (counted once; taking another code is a retake).
    equivalences: tuple[tuple[str, ...], ...] = ()
    policies: Policies = Policies()
    # "path: message" notes that do not refuse the definition (a default applied, a setting without effect).
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def rules(self) -> ProgramRules:
        """The audit's view of this program."""
        return ProgramRules(
            requirements=self.requirements,
            code=self.code,
            name=self.name,
            total_credits=self.total_credits,
            min_gpa=self.min_gpa,
            max_transfer_credits=self.max_transfer_credits,
            course_titles=tuple((c.code, c.title) for c in self.courses),
            milestone_labels=tuple((m.code, m.label) for m in self.milestones),
            courses=self.courses,
            equivalences=self.equivalences,
            policies=self.policies,
        )

    @property
    def vocabulary(self) -> Vocabulary:
        """The program's tracks and milestone kinds."""
        return Vocabulary(self.tracks, self.milestones)

    def course(self, code: str) -> CourseDef | None:
        """The catalog course with this code, or None."""
        return next((c for c in self.courses if c.code == code), None)

    def requirement(self, key: str) -> Requirement | None:
        """The requirement with this key, or None."""
        return next((r for r in self.requirements if r.key == key), None)


def _text(table: dict, name: str, path: str, errors: list[str], *, required: bool = True, default: str = "",
          max_length: int | None = None) -> str:
    value = table.get(name)
    if value is None:
        if required:
            errors.append(f"{path}.{name}: required")
        return default
    if not isinstance(value, str) or (required and not value.strip()):
        errors.append(f"{path}.{name}: must be a non-empty string" if required else f"{path}.{name}: must be a string")
        return default
    value = value.strip() if required else value
    limit = max_length or _LENGTHS.get(name, MAX_TITLE_LENGTH)
    if len(value) > limit:
        errors.append(f"{path}.{name}: must be at most {limit} characters")
        return default
    # Required values are one-line names and codes; free text may hold line breaks but never NUL.
    if "\x00" in value or (required and any(ord(c) < 32 for c in value)):
        errors.append(f"{path}.{name}: must not contain control characters" if not required or "\x00" in value
                      else f"{path}.{name}: must be a single line")
        return default
    return value


def _number(table: dict, name: str, path: str, errors: list[str], *, required: bool = True,
            default: Decimal | None = None, positive: bool = True, maximum: Decimal | None = None,
            places: int = 1) -> Decimal | None:
    if name not in table:
        if required:
            errors.append(f"{path}.{name}: required")
        return default
    try:
        value = to_decimal(table[name], positive=positive, **({"maximum": maximum} if maximum is not None else {}),
                           places=places)
    except _Invalid as exc:
        errors.append(f"{path}.{name}: {exc}")
        return default
    return value


def _unknown_keys(table: dict, allowed: tuple[str, ...], path: str, errors: list[str]) -> None:
    for name in table:
        if name not in allowed:
            errors.append(f'{path}.{name}: unknown setting "{name}"')


def _tables(data: dict, name: str, errors: list[str]) -> list[tuple[str, dict]]:
    value = data.get(name, [])
    if not isinstance(value, list):
        errors.append(f"{name}: must be an array of tables ([[{name}]])")
        return []
    out = []
    for index, item in enumerate(value, start=1):
        path = f"{name}[{index}]"
        if not isinstance(item, dict):
            errors.append(f"{path}: must be a table")
            continue
        out.append((path, item))
    return out


def parse_program_definition(text: str) -> ProgramDefinition:
    """Parse a TOML program definition; raises DefinitionError listing every problem found."""
    if len(text) > MAX_SOURCE_LENGTH:
        raise DefinitionError([f"The definition is longer than {MAX_SOURCE_LENGTH:,} characters; no program needs "
                               "that much."])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError([f"TOML syntax error: {exc}"]) from None
    except RecursionError:
        raise DefinitionError(["TOML: arrays or inline tables are nested too deeply."]) from None
    except ValueError:
        # tomllib turns integers into int(); above 4300 digits Python refuses (ValueError, not a TOMLDecodeError).
        raise DefinitionError(["TOML: a number has too many digits."]) from None
    errors: list[str] = []
    warnings: list[str] = []
    for name in data:
        if name not in _SECTIONS:
            errors.append(f'{name}: unknown section "{name}" (expected {", ".join(_SECTIONS)})')

    program = data.get("program")
    if not isinstance(program, dict):
        errors.append("program: missing [program] table")
        program = {}
    _unknown_keys(program, _PROGRAM_KEYS, "program", errors)
    code = _text(program, "code", "program", errors)
    if code and not PROGRAM_CODE_PATTERN.fullmatch(code):
        errors.append(f"program.code: {PROGRAM_CODE_RULE} (got {code[:21]!r})")
    name = _text(program, "name", "program", errors)
    degree = _text(program, "degree", "program", errors)
    total_credits = _number(program, "total_credits", "program", errors, maximum=MAX_TOTAL_CREDITS)
    min_gpa = _number(program, "min_gpa", "program", errors, maximum=Decimal(4), places=2)
    max_transfer = _number(program, "max_transfer_credits", "program", errors, required=False,
                           default=DEFAULT_MAX_TRANSFER, positive=False, maximum=MAX_TOTAL_CREDITS)
    if isinstance(data.get("program"), dict) and "max_transfer_credits" not in program:
        warnings.append(f"program.max_transfer_credits: not set, so the default of {DEFAULT_MAX_TRANSFER} transfer "
                        f"credits applies; write max_transfer_credits = {DEFAULT_MAX_TRANSFER} (or the number you "
                        "mean) to say so")

    concentrations: list[tuple[str, str]] = []
    for path, table in _tables(data, "concentrations", errors):
        _unknown_keys(table, _CONCENTRATION_KEYS, path, errors)
        conc_code = _text(table, "code", path, errors)
        conc_name = _text(table, "name", path, errors, max_length=_CONCENTRATION_NAME_LENGTH)
        if conc_code and (not KEY_PATTERN.match(conc_code) or len(conc_code) > 32):
            errors.append(f"{path}.code: must be a slug of lowercase letters, digits, '-' or '_', at most 32 "
                          f"characters (got {conc_code[:33]!r})")
        elif conc_code in {c for c, _ in concentrations}:
            errors.append(f'{path}.code: duplicate concentration code "{conc_code}"')
        elif conc_code:
            concentrations.append((conc_code, conc_name))
    concentration_codes = {c for c, _ in concentrations}

    tracks, milestones = _vocabulary(data, errors, warnings)
    track_codes = tuple(t.code for t in tracks)
    milestone_codes = tuple(m.code for m in milestones)

    courses: list[CourseDef] = []
    course_paths: dict[str, str] = {}
    before_courses = len(errors)
    course_tables = _tables(data, "courses", errors)
    courses_complete = len(errors) == before_courses  # every [[courses]] entry is a table
    for path, table in course_tables:
        before = len(errors)
        _unknown_keys(table, _COURSE_KEYS, path, errors)
        course_code = _text(table, "code", path, errors)
        title = _text(table, "title", path, errors)
        credits = _number(table, "credits", path, errors, maximum=MAX_COURSE_CREDITS, positive=False)
        category = table.get("category")
        if category is None:
            errors.append(f"{path}.category: required")
        elif not isinstance(category, str) or category not in CATEGORIES:
            errors.append(f'{path}.category: unknown category "{category}" (expected one of {", ".join(CATEGORIES)})')
        concentration = table.get("concentration")
        if concentration is not None and not isinstance(concentration, str):
            errors.append(f"{path}.concentration: must be a concentration code")
        elif concentration is not None and concentration not in concentration_codes:
            errors.append(f'{path}.concentration: unknown concentration "{concentration}"')
        if category == "concentration" and concentration is None:
            errors.append(f'{path}.concentration: required for category "concentration"')
        pass_fail = table.get("pass_fail", False)
        if not isinstance(pass_fail, bool):
            errors.append(f"{path}.pass_fail: must be true or false")
        description = _text(table, "description", path, errors, required=False)
        attributes = _course_attributes(table, path, credits, errors)
        if course_code and course_code in {c.code for c in courses}:
            errors.append(f'{path}.code: duplicate course code "{course_code}"')
        elif len(errors) == before:
            courses.append(CourseDef(course_code, title, credits, category, concentration, pass_fail, description,
                                     **attributes))
            course_paths[course_code] = path
    # Codes of every [[courses]] table, valid or not, so one bad course does not also flag its uses as unknown.
    known_courses = {t.get("code") for _, t in _tables(data, "courses", []) if isinstance(t.get("code"), str)}
    known_courses = {c.strip() for c in known_courses}
    known_tags = {tag for _, t in course_tables if isinstance(t.get("tags"), list) for tag in t["tags"]
                  if isinstance(tag, str)}
    equivalences = _equivalences(data, known_courses, errors)
    policies = _policies(data, errors)

    requirements: list[Requirement] = []
    seen_keys: dict[str, str] = {}
    requirement_paths: dict[str, str] = {}
    requirement_tables = _tables(data, "requirements", errors)
    if not requirement_tables and "requirements" not in data:
        errors.append("requirements: at least one [[requirements]] table is needed")
    for path, table in requirement_tables:
        params = {k: v for k, v in table.items() if k not in _REQUIREMENT_COMMON}
        before = len(errors)
        if "kind" not in table:
            errors.append(f"{path}.kind: required")
            req = None
        else:
            req = build_requirement(
                table.get("kind"), table.get("key"), table.get("title"), table.get("description", ""),
                table.get("concentrations", []), table.get("track"), params, path=path, errors=errors,
                tracks=track_codes, milestone_kinds=milestone_codes,
            )
        key = table.get("key")
        if isinstance(key, str) and key in seen_keys:
            errors.append(f'{path}.key: duplicate requirement key "{key}" (first used by {seen_keys[key]})')
        elif isinstance(key, str):
            seen_keys[key] = path
        # Cross-references are checked on the raw table so they are reported even when another setting is bad.
        for conc in table.get("concentrations", []) if isinstance(table.get("concentrations"), list) else []:
            if isinstance(conc, str) and conc not in concentration_codes:
                errors.append(f'{path}.concentrations: unknown concentration "{conc}"')
        _check_known_codes(table, path, known_courses, known_tags, errors)
        if key == RESIDENCY_KEY:
            errors.append(f'{path}.key: "{RESIDENCY_KEY}" is the key of the block [policies] '
                          "min_terms_in_residence adds; choose another key")
        course_concs = table.get("course_concentrations", [])
        for conc in course_concs if isinstance(course_concs, list) else []:
            if isinstance(conc, str) and conc != STUDENT_CONCENTRATION and conc not in concentration_codes:
                errors.append(f'{path}.course_concentrations: unknown concentration "{conc}"')
        if req is not None and len(errors) == before:
            _check_milestone_tracks(req, path, milestones, track_codes, errors)
        if req is not None and len(errors) == before:
            requirements.append(req)
            requirement_paths[req.key] = path
    _warn_default_vocabulary(data, requirement_tables, warnings)

    _check_groups(requirement_tables, errors)
    _check_sharing(requirement_tables, errors)
    _check_program_figures(total_credits, min_gpa, requirements, requirement_paths, errors, warnings)
    catalog = _Catalog(courses, course_paths, [c for c, _ in concentrations], max_transfer or Decimal(0),
                       complete=len(courses) == len(course_tables) and courses_complete, equivalences=equivalences)
    _check_reachable(requirements, requirement_paths, catalog, errors, warnings)
    if errors:
        raise DefinitionError(errors, warnings)
    return ProgramDefinition(
        code=code, name=name, degree=degree, total_credits=total_credits, min_gpa=min_gpa,
        concentrations=tuple(concentrations), courses=tuple(courses), requirements=tuple(requirements),
        max_transfer_credits=max_transfer, tracks=tracks, milestones=milestones, equivalences=equivalences,
        policies=policies, warnings=tuple(warnings),
    )


def _course_attributes(table: dict, path: str, credits: Decimal | None, errors: list[str]) -> dict:
    """A [[courses]] table's optional attributes: variable credits, tags, repeatable, counts_toward_total."""
    out: dict = {}
    if "max_credits" in table:
        out["max_credits"] = _number(table, "max_credits", path, errors, maximum=MAX_COURSE_CREDITS)
        if out["max_credits"] is not None and credits is not None and out["max_credits"] <= credits:
            errors.append(f"{path}.max_credits: must be more than credits ({_amount(credits)}), the least a "
                          "record of this variable-credit course may carry")
    if "tags" in table:
        try:
            out["tags"] = _string_list(table["tags"])
        except _Invalid as exc:
            errors.extend(f"{path}.tags: {m}" for m in exc.messages)
    if "repeatable" in table:
        value = table["repeatable"]
        if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= 20:
            errors.append(f"{path}.repeatable: must be how many times the course counts, a whole number from 2 "
                          "to 20")
        else:
            out["repeatable"] = value
    if "repeat_max_credits" in table:
        out["repeat_max_credits"] = _number(table, "repeat_max_credits", path, errors, maximum=MAX_TOTAL_CREDITS)
        if "repeatable" not in table:
            errors.append(f"{path}.repeat_max_credits: only for a repeatable course; add repeatable = N")
    if "counts_toward_total" in table:
        if not isinstance(table["counts_toward_total"], bool):
            errors.append(f"{path}.counts_toward_total: must be true or false")
        else:
            out["counts_toward_total"] = table["counts_toward_total"]
    return out


def _equivalences(data: dict, known_courses: set[str], errors: list[str]) -> tuple[tuple[str, ...], ...]:
    """[[equivalences]]: groups of codes that are one course; a code may belong to one group only."""
    groups: list[tuple[str, ...]] = []
    seen: dict[str, str] = {}
    for path, table in _tables(data, "equivalences", errors):
        _unknown_keys(table, ("courses",), path, errors)
        codes = table.get("courses")
        if not isinstance(codes, list) or len(codes) < 2 or not all(isinstance(c, str) for c in codes):
            errors.append(f"{path}.courses: must list at least two course codes")
            continue
        ok = True
        for code in codes:
            if code not in known_courses:
                errors.append(f'{path}.courses: unknown course "{code}"')
                ok = False
            elif code in seen:
                errors.append(f'{path}.courses: "{code}" is already in {seen[code]}; a course belongs to one '
                              "equivalence group (merge the two)")
                ok = False
        if ok:
            for code in codes:
                seen[code] = path
            groups.append(tuple(dict.fromkeys(codes)))
    return tuple(groups)


def _whole_years(table: dict, name: str, errors: list[str]) -> int | None:
    value = table.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_YEARS:
        errors.append(f"policies.{name}: must be a whole number of years from 1 to {MAX_YEARS}")
        return None
    return value


def _policies(data: dict, errors: list[str]) -> Policies:
    """[policies]: each setting checked; absent ones keep the default (what the audit did before policies)."""
    table = data.get("policies", {})
    if not isinstance(table, dict):
        errors.append("policies: must be a table ([policies])")
        return Policies()
    _unknown_keys(table, _POLICY_KEYS, "policies", errors)
    values: dict = {}
    for name, allowed in (("retake", RETAKE_RULES), ("failed_in_block", FAILED_IN_BLOCK_RULES)):
        if name in table:
            if table[name] not in allowed:
                errors.append(f'policies.{name}: must be one of {", ".join(allowed)} (got {str(table[name])[:40]!r})')
            else:
                values[name] = table[name]
    if "transfer_min_grade" in table:
        if table["transfer_min_grade"] not in LETTER_GRADES:
            errors.append(f"policies.transfer_min_grade: unknown grade {str(table['transfer_min_grade'])[:10]!r} "
                          f"(expected one of {', '.join(LETTER_GRADES)})")
        else:
            values["transfer_min_grade"] = table["transfer_min_grade"]
    for name in ("transfer_max_age_years", "time_limit_years"):
        values[name] = _whole_years(table, name, errors)
    if "min_terms_in_residence" in table:
        value = table["min_terms_in_residence"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 20:
            errors.append("policies.min_terms_in_residence: must be a whole number of terms from 1 to 20")
        else:
            values["min_terms_in_residence"] = value
    return Policies(**{k: v for k, v in values.items() if v is not None})


# Settings of a requirement (and of its caps) that name course codes, and those that name tags.
_CODE_SETTINGS = ("courses", "exclude_courses")
_TAG_SETTINGS = ("tags", "exclude_tags")


def _check_known_codes(table: dict, path: str, known_courses: set[str], known_tags: set[str],
                       errors: list[str]) -> None:
    """Every course code and tag a requirement or its caps name must be in the catalog: all of them reported."""
    places = [(path, table)]
    caps = table.get("caps")
    if isinstance(caps, list):
        places += [(f"{path}.caps[{i}]", cap) for i, cap in enumerate(caps, start=1) if isinstance(cap, dict)]
    for where, settings in places:
        for name in _CODE_SETTINGS:
            listed = settings.get(name, [])
            for item in listed if isinstance(listed, list) else []:
                for code in item if isinstance(item, list) else [item]:
                    if isinstance(code, str) and code not in known_courses:
                        errors.append(f'{where}.{name}: unknown course "{code}"')
        for name in _TAG_SETTINGS:
            listed = settings.get(name, [])
            for tag in listed if isinstance(listed, list) else []:
                if isinstance(tag, str) and tag not in known_tags:
                    errors.append(f'{where}.{name}: unknown tag "{tag}" (no [[courses]] table has it)')


def _check_groups(tables: list[tuple[str, dict]], errors: list[str]) -> None:
    """Groups name existing requirements, each requirement belongs to one group at most, and no group contains
    itself through others (a cycle). Checked on the raw tables, so every problem is reported at once."""
    paths = {}
    for path, table in tables:
        if isinstance(table.get("key"), str):
            paths.setdefault(table["key"], path)
    parent: dict[str, str] = {}
    children: dict[str, list[str]] = {}
    for path, table in tables:
        key, of = table.get("key"), table.get("of")
        if table.get("kind") not in GROUP_KINDS or not isinstance(of, list) or not isinstance(key, str):
            continue
        children[key] = []
        for child in of:
            if not isinstance(child, str) or child == key:
                continue  # reported by build_requirement
            if child not in paths:
                errors.append(f'{path}.of: unknown requirement "{child}"')
            elif child in parent and parent[child] != key:
                errors.append(f'{path}.of: "{child}" is already part of "{parent[child]}" '
                              f"({paths[parent[child]]}); a requirement belongs to one group only")
            else:
                parent[child] = key
                children[key].append(child)
    reported: set[str] = set()
    for start in children:
        seen = [start]
        node = start
        while node in parent:
            node = parent[node]
            if node in seen:
                cycle = seen[seen.index(node):] + [node]
                if not reported & set(cycle):
                    errors.append(f"{paths[node]}.of: the groups contain each other in a circle "
                                  f"({' → '.join(reversed(cycle))}); a group cannot be part of itself")
                    reported.update(cycle)
                break
            seen.append(node)


def _slug(table: dict, path: str, errors: list[str]) -> str:
    """A [[tracks]] or [[milestones]] code: required, a slug of at most 32 characters."""
    value = _text(table, "code", path, errors)
    if value and (not KEY_PATTERN.match(value) or len(value) > 32):
        errors.append(f"{path}.code: must be a slug of lowercase letters, digits, '-' or '_', at most 32 "
                      f"characters (got {value[:33]!r})")
        return ""
    return value


def _code_list(value, allowed: tuple[str, ...], what: str, path: str, errors: list[str]) -> tuple[str, ...]:
    """A string or a list of strings, each one of `allowed`; every unknown one is reported."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        errors.append(f"{path}: must be a {what} or a non-empty list of them")
        return ()
    for item in items:
        if item not in allowed:
            errors.append(f'{path}: unknown {what} "{item}" (expected one of {", ".join(allowed)})')
    return tuple(dict.fromkeys(i for i in items if i in allowed))


def _vocabulary(data: dict, errors: list[str], warnings: list[str]
                ) -> tuple[tuple[TrackDef, ...], tuple[MilestoneDef, ...]]:
    """[[tracks]] and [[milestones]]: the program's own codes and labels, or the defaults when none are declared."""
    tracks: list[TrackDef] = []
    track_tables = _tables(data, "tracks", errors)
    for path, table in track_tables:
        _unknown_keys(table, _TRACK_KEYS, path, errors)
        code = _slug(table, path, errors)
        label = _text(table, "label", path, errors, max_length=_LABEL_LENGTH)
        if code and code in {t.code for t in tracks}:
            errors.append(f'{path}.code: duplicate track code "{code}"')
        elif code and label:
            tracks.append(TrackDef(code, label))
    if "tracks" in data and not track_tables and isinstance(data["tracks"], list):
        errors.append("tracks: at least one [[tracks]] table is needed (or none at all for thesis / non_thesis)")
    declared_tracks = "tracks" in data
    # Track codes of every [[tracks]] table, valid or not, so one bad track does not also flag its uses as unknown.
    known_tracks = tuple(t.code for t in tracks) if declared_tracks else tuple(t.code for t in DEFAULT_TRACKS)
    if declared_tracks:
        known_tracks += tuple(dict.fromkeys(
            t["code"] for _, t in track_tables if isinstance(t.get("code"), str) and t["code"] not in known_tracks))

    milestones: list[MilestoneDef] = []
    milestone_tables = _tables(data, "milestones", errors)
    for path, table in milestone_tables:
        before = len(errors)
        _unknown_keys(table, _MILESTONE_KEYS, path, errors)
        code = _slug(table, path, errors)
        label = _text(table, "label", path, errors, max_length=_LABEL_LENGTH)
        signed_by: tuple[str, ...] = ()
        if "signed_by" not in table:
            errors.append(f'{path}.signed_by: required (who may sign it off: {", ".join(SIGNERS)}, or a list)')
        else:
            signed_by = _code_list(table["signed_by"], SIGNERS, "signer", f"{path}.signed_by", errors)
        belongs: tuple[str, ...] = ()
        if "track" in table and "tracks" in table:
            errors.append(f"{path}.tracks: write track or tracks, not both")
        elif "track" in table or "tracks" in table:
            name = "track" if "track" in table else "tracks"
            belongs = _code_list(table[name], known_tracks, "track", f"{path}.{name}", errors)
        if code and code in {m.code for m in milestones}:
            errors.append(f'{path}.code: duplicate milestone code "{code}"')
        elif len(errors) == before:
            milestones.append(MilestoneDef(code, label, signed_by, belongs))
    if "milestones" in data and not milestone_tables and isinstance(data["milestones"], list):
        errors.append("milestones: at least one [[milestones]] table is needed (or none at all for the default six)")
    if not declared_tracks:
        tracks = list(DEFAULT_TRACKS)
    if "milestones" not in data:
        milestones = list(DEFAULT_MILESTONES)
    return tuple(tracks), tuple(milestones)


def _check_milestone_tracks(req: Requirement, path: str, milestones: tuple[MilestoneDef, ...],
                            tracks: tuple[str, ...], errors: list[str]) -> None:
    """A milestones block may list a milestone only if every student the block applies to can have it."""
    for code in getattr(req, "milestones", ()):
        milestone = next((m for m in milestones if m.code == code), None)
        if milestone is None or not milestone.tracks:
            continue
        outside = [t for t in ((req.track,) if req.track else tracks) if t not in milestone.tracks]
        if outside:
            errors.append(f'{path}.milestones: "{code}" belongs to the {", ".join(milestone.tracks)} track(s) only, '
                          f'but this block also applies to {", ".join(outside)}; set track on the block or list '
                          "the milestone's tracks")


def _warn_default_vocabulary(data: dict, requirement_tables: list[tuple[str, dict]], warnings: list[str]) -> None:
    """A file that uses tracks or milestones without declaring them relies on the defaults: say so, once each."""
    uses_tracks = any("track" in t for _, t in requirement_tables)
    uses_milestones = any(t.get("kind") == "milestones" for _, t in requirement_tables)
    if "tracks" not in data and uses_tracks:
        listed = ", ".join(f'{t.code} ("{t.label}")' for t in DEFAULT_TRACKS)
        warnings.append(f"tracks: no [[tracks]] tables, so the file relies on the default tracks {listed}; "
                        "declare them with [[tracks]] code and label to say so")
    if "milestones" not in data and uses_milestones:
        listed = ", ".join(m.code for m in DEFAULT_MILESTONES)
        warnings.append(f"milestones: no [[milestones]] tables, so the file relies on the default milestones "
                        f"({listed}), each signed off by the student's advisor or an administrator; declare them "
                        "with [[milestones]] code, label and signed_by to say so")


def _check_sharing(tables: list[tuple[str, dict]], errors: list[str]) -> None:
    """share_with must name credits blocks that list this block back (sharing needs both sides' consent).

    Checked on the raw tables, so every share_with is checked even when another setting of either block is bad.
    """
    first: dict[str, dict] = {}
    for _path, table in tables:
        if isinstance(table.get("key"), str):
            first.setdefault(table["key"], table)
    for path, table in tables:
        key, share = table.get("key"), table.get("share_with")
        if table.get("kind") != "credits" or not isinstance(share, dict):
            continue  # share_with elsewhere is reported as an unknown setting, a non-table by its converter
        for other_key in share:
            if other_key == key:
                continue  # "cannot share with itself", from build_requirement
            where = f"{path}.share_with.{other_key}"
            other = first.get(other_key)
            if other is None:
                errors.append(f'{where}: unknown requirement "{other_key}"')
            elif other.get("kind") != "credits":
                errors.append(f'{where}: "{other_key}" is not a credits block (only credits blocks can share)')
            elif not isinstance(other.get("share_with"), dict) or key not in other["share_with"]:
                errors.append(
                    f'{where}: "{other_key}" does not list "{key}" in its share_with '
                    "(sharing needs both blocks to allow it)"
                )


def _amount(value: Decimal) -> str:
    """A number as written in a message: 36, 3.0, 1.5 (no exponent)."""
    return format(value, "f")


def _check_program_figures(total_credits: Decimal | None, min_gpa: Decimal | None, requirements: list[Requirement],
                           paths: dict[str, str], errors: list[str], warnings: list[str]) -> None:
    """[program] total_credits and min_gpa are what progress pages show: the requirements must ask the same."""
    for figure, kind, setting, value, what in (
        ("total_credits", TotalCreditsRequirement, "credits", total_credits, "credits in all"),
        ("min_gpa", GpaRequirement, "min_gpa", min_gpa, "as the minimum GPA"),
    ):
        if value is None:
            continue  # the [program] value itself is reported
        blocks = [r for r in requirements if isinstance(r, kind)]
        for req in blocks:
            asked = getattr(req, setting)
            if asked != value:
                errors.append(f"{paths[req.key]}.{setting}: asks for {_amount(asked)} {what}, but "
                              f"program.{figure} is {_amount(value)}; write the same number in both")
        if not blocks:
            warnings.append(f'program.{figure}: no requirement of kind "{kind.kind}" checks it, so progress pages '
                            f"show {_amount(value)} but the audit never requires it; add a [[requirements]] table "
                            f'with kind = "{kind.kind}" and {setting} = {_amount(value)}')


@dataclass(frozen=True)
class _Catalog:
    """What the course blocks can draw on: the valid courses, the concentrations and the transfer allowance."""

    courses: list[CourseDef]
    paths: dict[str, str]
    concentrations: list[str]
    max_transfer: Decimal
    complete: bool  # every [[courses]] table was valid (otherwise sums of credits would be too low)

    equivalences: tuple[tuple[str, ...], ...] = ()

    def get(self, code: str) -> CourseDef | None:
        return next((c for c in self.courses if c.code == code), None)

    def equivalents(self, code: str) -> frozenset[str]:
        """The code and every code in its equivalence group."""
        for group in self.equivalences:
            if code in group:
                return frozenset(group)
        return frozenset((code,))


def _facts(course: CourseDef, catalog: "_Catalog") -> CourseFacts:
    return CourseFacts(course.code, course.category, course.concentration, frozenset(course.tags),
                       catalog.equivalents(course.code))


def _selects(req: CreditsRequirement, course: CourseDef, concentration: str | None, catalog: "_Catalog") -> bool:
    """The audit's own matching (tracker.domain.audit), plus leftovers: any course may be left over."""
    if req.accepts_leftovers:
        return course.counts_toward_total
    return req.selector.matches(_facts(course, catalog), concentration)


def _most_credits(course: CourseDef) -> Decimal:
    """The most credits all of a student's records of this course can carry (repeats and variable credits)."""
    one = course.max_credits if course.max_credits is not None else course.credits
    if not course.repeatable:
        return one
    most = one * course.repeatable
    return min(most, course.repeat_max_credits) if course.repeat_max_credits is not None else most


def _distinct(courses: list[CourseDef], catalog: "_Catalog") -> list[CourseDef]:
    """One course per equivalence group (the one worth most): equivalent codes count once."""
    best: dict[frozenset, CourseDef] = {}
    for course in courses:
        group = catalog.equivalents(course.code)
        if group not in best or _most_credits(course) > _most_credits(best[group]):
            best[group] = course
    return list(best.values())


def _reachable(req: CreditsRequirement, catalog: "_Catalog", concentration: str | None) -> tuple[Decimal, int]:
    """The most credits and courses the block can ever count for a student of this concentration.

    An upper bound (exceptions aside): caps take off what passes their limit, disjoint caps each, so the
    bound is never below what a student can really reach (a block is refused only when it truly cannot be met).
    """
    selected = _distinct([c for c in catalog.courses if _selects(req, c, concentration, catalog)
                          and not (req.min_grade and c.pass_fail)], catalog)
    worth = sum((_most_credits(c) for c in selected), Decimal(0))
    count = sum((c.repeatable or 1) for c in selected)
    covered: set[str] = set()
    for cap in req.caps:
        members = [c for c in selected if cap.selector.matches(_facts(c, catalog), concentration)]
        if covered & {c.code for c in members}:
            continue
        covered.update(c.code for c in members)
        if cap.max_credits is not None:
            worth -= max(Decimal(0), sum((_most_credits(c) for c in members), Decimal(0)) - cap.max_credits)
        if cap.max_courses is not None:
            over = max(0, sum((c.repeatable or 1) for c in members) - cap.max_courses)
            count -= over
            worth -= sum(sorted((_most_credits(c) for c in members))[:over], Decimal(0))
    # Transfer credit counts as ungraded elective credit (tracker.services.audit), up to max_transfer_credits.
    if req.accepts_leftovers or "elective" in req.categories:
        worth += catalog.max_transfer
    return worth, count


def _check_credit_block(req: CreditsRequirement, path: str, catalog: "_Catalog", errors: list[str],
                        warnings: list[str]) -> None:
    """A credits / courses block its selection can never satisfy is refused; caps without effect are noted."""
    scopes: tuple[str | None, ...] = (None,)
    if STUDENT_CONCENTRATION in req.course_concentrations:
        scopes = req.concentrations or tuple(catalog.concentrations) or (None,)
    transfer = (f" (with up to {_amount(catalog.max_transfer)} transfer credits)"
                if catalog.max_transfer and (req.accepts_leftovers or "elective" in req.categories) else "")
    short: dict[tuple[str, Decimal], list[str | None]] = {}  # one message per shortfall, naming its concentrations
    for concentration in scopes:
        worth, count = _reachable(req, catalog, concentration)
        if req.credits is not None and worth < req.credits:
            short.setdefault(("credits", worth), []).append(concentration)
        if req.count is not None and count < req.count and not req.accepts_leftovers:
            short.setdefault(("count", Decimal(count)), []).append(concentration)
    for (what, worth), concs in short.items():
        named = ", ".join(f'"{c}"' for c in concs if c)
        who = ("" if not named else f" for a student in the {named} concentration" if len(concs) == 1
               else f" for students in the {named} concentrations")
        if what == "credits":
            errors.append(f"{path}.credits: asks for {_amount(req.credits)} credits, but{who} the courses "
                          f"it can select are worth {_amount(worth)} credits in all{transfer}; lower credits "
                          "or let it select more courses")
        else:
            errors.append(f"{path}.count: asks for {req.count} courses, but{who} it can select only "
                          f"{_amount(worth)} (a course counts once unless it is repeatable, and caps limit the "
                          "rest); lower count or let it select more courses")
    for index, cap in enumerate(req.caps, start=1):
        limit = cap.max_credits if cap.max_credits is not None else cap.max_courses
        need = req.credits if cap.max_credits is not None else req.count
        if need is not None and limit >= need:
            warnings.append(f"{path}.caps[{index}]: a limit of {_amount(Decimal(limit))} has no effect on a block "
                            f"that needs {_amount(Decimal(need))}; lower it or remove the cap")
    if req.min_grade and not req.accepts_leftovers:
        codes = [c.code for c in catalog.courses if c.pass_fail and any(
            _selects(req, c, conc, catalog) for conc in (tuple(catalog.concentrations) or (None,)))]
        if codes:
            warnings.append(f"{path}.min_grade: the pass/fail courses it selects ({', '.join(codes)}) can "
                            "never count toward it, since a P meets no minimum grade")


def _check_reachable(requirements: list[Requirement], paths: dict[str, str], catalog: _Catalog,
                     errors: list[str], warnings: list[str]) -> None:
    """Refuse blocks the catalog can never satisfy, following how the audit counts courses."""
    for req in requirements:
        path = paths[req.key]
        if isinstance(req, AllCoursesRequirement) and req.min_grade:
            for code in req.codes:
                course = catalog.get(code)
                if course is not None and course.pass_fail:
                    errors.append(f'{path}.courses: "{code}" is graded pass/fail ({catalog.paths[code]}) and a P '
                                  f'meets no minimum grade, so min_grade = "{req.min_grade}" can never be met; '
                                  "drop min_grade or the course")
        elif isinstance(req, CreditsRequirement) and catalog.complete:
            _check_credit_block(req, path, catalog, errors, warnings)
        elif isinstance(req, TotalCreditsRequirement) and catalog.complete:
            counted = [c for c in _distinct(list(catalog.courses), catalog) if c.counts_toward_total]
            worth = sum((_most_credits(c) for c in counted), Decimal(0)) + catalog.max_transfer
            if worth < req.credits:
                errors.append(f"{path}.credits: asks for {_amount(req.credits)} credits in all, but the whole "
                              f"catalog is worth {_amount(worth)} credits (with up to {_amount(catalog.max_transfer)} "
                              "transfer credits), and a course counts once; lower credits or add courses")
        elif isinstance(req, StudioTermsRequirement) and req.total_hours is not None:
            if req.total_hours <= req.terms * req.min_hours:
                warnings.append(f"{path}.total_hours: {_amount(req.total_hours)} hours in all has no effect: "
                                f"{req.terms} terms of at least {_amount(req.min_hours)} hours already make "
                                f"{_amount(req.terms * req.min_hours)}; remove it or raise it")
    _check_overlapping_lists(requirements, paths, errors)


def _may_meet(a: Requirement, b: Requirement) -> bool:
    """True when some student (a concentration and a track) has both requirements."""
    concentrations = not a.concentrations or not b.concentrations or set(a.concentrations) & set(b.concentrations)
    return bool(concentrations) and (a.track is None or b.track is None or a.track == b.track)


def _check_overlapping_lists(requirements: list[Requirement], paths: dict[str, str], errors: list[str]) -> None:
    """A course record counts toward one all_courses block only (only credits blocks share), and a course counts
    once however often it is taken: two all_courses blocks one student has cannot both require the same course."""
    lists = [r for r in requirements if isinstance(r, AllCoursesRequirement)]
    for i, later in enumerate(lists):
        for earlier in lists[:i]:
            if not _may_meet(earlier, later):
                continue
            for code in later.codes:
                if code in earlier.codes:
                    errors.append(f'{paths[later.key]}.courses: "{code}" is also required by {paths[earlier.key]} '
                                  f'("{earlier.key}"), and a course counts toward one of them only, so a student '
                                  "who has both can never complete both; list it in one block")


def load_program_definition(path: str) -> ProgramDefinition:
    """Read and parse a program definition file."""
    with open(path, encoding="utf-8") as handle:
        return parse_program_definition(handle.read())

