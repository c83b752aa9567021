"""Program definition files (TOML): parse, validate every problem at once, and build a ProgramDefinition.

Format (tables and their settings):

    [program]          code, name, degree, total_credits, min_gpa, max_transfer_credits (optional, default 6)
    [[concentrations]] code, name
    [[courses]]        code, title, credits, category (core|concentration|elective|thesis|capstone),
                       concentration (a concentration code; required for category "concentration"),
                       pass_fail (optional, default false), description (optional)
    [[requirements]]   key, kind, title, description (optional), concentrations (optional list; empty = all),
                       track (optional: "thesis" or "non_thesis"), then the kind's own settings
                       (see tracker.domain.requirements.PARAM_SPECS).

Numbers may be written as TOML numbers or strings ("3.0"); they become Decimals. Error messages name the key at
fault with 1-based positions, as a person counts the tables in the file: `requirements[3].credits: must be a
positive number` is about the third [[requirements]] table.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from .inputs import ProgramRules
from .requirements import (
    CATEGORIES,
    KEY_PATTERN,
    MAX_DESCRIPTION_LENGTH,
    MAX_TITLE_LENGTH,
    STUDENT_CONCENTRATION,
    CreditsRequirement,
    DefinitionError,
    Requirement,
    _Invalid,
    build_requirement,
    to_decimal,
)

__all__ = ["CourseDef", "ProgramDefinition", "DefinitionError", "parse_program_definition", "load_program_definition"]

_PROGRAM_KEYS = ("code", "name", "degree", "total_credits", "min_gpa", "max_transfer_credits")
_CONCENTRATION_KEYS = ("code", "name")
_COURSE_KEYS = ("code", "title", "credits", "category", "concentration", "pass_fail", "description")
_REQUIREMENT_COMMON = ("key", "kind", "title", "description", "concentrations", "track")

# A program code names files and URLs (the definition download's filename): letters, digits, '-' and '_' only.
PROGRAM_CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,20}")
PROGRAM_CODE_RULE = "must be 1 to 20 letters, digits, '-' or '_'"
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
        )

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
    for name in data:
        if name not in ("program", "concentrations", "courses", "requirements"):
            errors.append(f'{name}: unknown section "{name}" (expected program, concentrations, courses, requirements)')

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
                           default=Decimal(6), positive=False, maximum=MAX_TOTAL_CREDITS)

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

    courses: list[CourseDef] = []
    for path, table in _tables(data, "courses", errors):
        before = len(errors)
        _unknown_keys(table, _COURSE_KEYS, path, errors)
        course_code = _text(table, "code", path, errors)
        title = _text(table, "title", path, errors)
        credits = _number(table, "credits", path, errors, maximum=MAX_COURSE_CREDITS)
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
        if course_code and course_code in {c.code for c in courses}:
            errors.append(f'{path}.code: duplicate course code "{course_code}"')
        elif len(errors) == before:
            courses.append(CourseDef(course_code, title, credits, category, concentration, pass_fail, description))
    # Codes of every [[courses]] table, valid or not, so one bad course does not also flag its uses as unknown.
    known_courses = {t.get("code") for _, t in _tables(data, "courses", []) if isinstance(t.get("code"), str)}
    known_courses = {c.strip() for c in known_courses}

    requirements: list[Requirement] = []
    seen_keys: set[str] = set()
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
            )
        key = table.get("key")
        if isinstance(key, str) and key in seen_keys:
            errors.append(f'{path}.key: duplicate requirement key "{key}"')
        if isinstance(key, str):
            seen_keys.add(key)
        # Cross-references are checked on the raw table so they are reported even when another setting is bad.
        for conc in table.get("concentrations", []) if isinstance(table.get("concentrations"), list) else []:
            if isinstance(conc, str) and conc not in concentration_codes:
                errors.append(f'{path}.concentrations: unknown concentration "{conc}"')
        listed = table.get("courses", [])
        for course_code in listed if isinstance(listed, list) else []:
            if isinstance(course_code, str) and course_code not in known_courses:
                errors.append(f'{path}.courses: unknown course "{course_code}"')
        course_concs = table.get("course_concentrations", [])
        for conc in course_concs if isinstance(course_concs, list) else []:
            if isinstance(conc, str) and conc != STUDENT_CONCENTRATION and conc not in concentration_codes:
                errors.append(f'{path}.course_concentrations: unknown concentration "{conc}"')
        if req is not None and len(errors) == before:
            requirements.append(req)
            requirement_paths[req.key] = path

    _check_sharing(requirements, requirement_paths, errors)
    if errors:
        raise DefinitionError(errors)
    return ProgramDefinition(
        code=code,
        name=name,
        degree=degree,
        total_credits=total_credits,
        min_gpa=min_gpa,
        concentrations=tuple(concentrations),
        courses=tuple(courses),
        requirements=tuple(requirements),
        max_transfer_credits=max_transfer,
    )


def _check_sharing(requirements: list[Requirement], paths: dict[str, str], errors: list[str]) -> None:
    """share_with must name credits blocks that list this block back (sharing needs both sides' consent)."""
    by_key = {r.key: r for r in requirements}
    for req in requirements:
        if not isinstance(req, CreditsRequirement):
            continue
        for other_key, _limit in req.share_with:
            path = f"{paths[req.key]}.share_with.{other_key}"
            other = by_key.get(other_key)
            if other is None:
                errors.append(f'{path}: unknown requirement "{other_key}"')
            elif not isinstance(other, CreditsRequirement):
                errors.append(f'{path}: "{other_key}" is not a credits block (only credits blocks can share)')
            elif other.share_limit(req.key) is None:
                errors.append(
                    f'{path}: "{other_key}" does not list "{req.key}" in its share_with '
                    "(sharing needs both blocks to allow it)"
                )


def load_program_definition(path: str) -> ProgramDefinition:
    """Read and parse a program definition file."""
    with open(path, encoding="utf-8") as handle:
        return parse_program_definition(handle.read())

