"""Requirement kinds: frozen dataclasses, their validation, and their dict form for database rows.

A program's requirements are data. Each requirement has a `kind` (the string used in TOML files and in the
database), a `key` unique within the program, a title, an optional description, the concentrations it applies to
(empty = all) and the track it applies to (None = both). The kind's own settings ("params") are validated here, so a
TOML file and a database row are checked by the same code.

Sharing (`share_with` on "credits" blocks): a course may count toward two blocks at once only when *both* blocks list
each other; the number of credits they may share is the smaller of the two limits. A one-sided listing is an error
in a program definition. Blocks that take leftovers cannot share (leftovers are, by definition, unused elsewhere).
"""
from __future__ import annotations

import functools
import re
import reprlib
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Union

from .grades import LETTER_GRADES
from .selectors import STUDENT_CONCENTRATION, Selector, SelectorSettings
from .vocabulary import DEFAULT_MILESTONES, DEFAULT_TRACKS

KINDS: tuple[str, ...] = (
    "all_courses",
    "credits",
    "courses",
    "total_credits",
    "gpa",
    "ensemble_terms",
    "studio_terms",
    "milestones",
    "all_of",
    "any_of",
    "n_of",
)
GROUP_KINDS = frozenset({"all_of", "any_of", "n_of"})
MAX_NUMBER = 99_999  # the largest course number a number_range may name
# The default vocabulary (a program that declares no [[tracks]] or [[milestones]]); see tracker.domain.vocabulary.
TRACKS: tuple[str, ...] = tuple(t.code for t in DEFAULT_TRACKS)
CATEGORIES: tuple[str, ...] = ("core", "concentration", "elective", "thesis", "capstone")
MILESTONE_KINDS: tuple[str, ...] = tuple(m.code for m in DEFAULT_MILESTONES)
MILESTONE_LABELS: dict[str, str] = {m.code: m.label for m in DEFAULT_MILESTONES}
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Bounds on a definition's values: what the database columns hold, and far beyond any real program.
MAX_KEY_LENGTH = 64
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 5000
MAX_AMOUNT = Decimal(10_000)  # credits, hours: any requirement's amount
MAX_PLACES = 4  # decimals of any amount
MAX_COUNT = 1000  # terms


class DefinitionError(ValueError):
    """A program definition or requirement is invalid; `errors` lists every problem, each naming its key."""

    def __init__(self, errors: list[str], warnings: tuple[str, ...] | list[str] = ()):
        self.errors = list(errors)
        # What a program definition's parser would also have warned about, to show beside the errors.
        self.warnings = tuple(warnings)
        super().__init__("; ".join(self.errors))


@dataclass(frozen=True, kw_only=True)
class RequirementBase:
    """Fields every requirement kind has."""

    kind: ClassVar[str] = ""
    unit: ClassVar[str] = ""
    key: str
    title: str
    description: str = ""
    concentrations: tuple[str, ...] = ()
    track: str | None = None

    @property
    def linked(self) -> bool:
        """True for a block measured two ways at once (credits and a count of courses)."""
        return False

    @property
    def measure(self) -> str:
        """The unit of this requirement's need (a credits block giving only a count measures courses)."""
        return self.unit

    def applies_to(self, concentration: str | None, track: str | None) -> bool:
        """True when this requirement applies to a student of this concentration and track."""
        if self.concentrations and concentration not in self.concentrations:
            return False
        return self.track is None or self.track == track


@dataclass(frozen=True, kw_only=True)
class AllCoursesRequirement(RequirementBase):
    """Every listed course, each with at least `min_grade` when given.

    An item of `courses` is a code or a tuple of alternative codes ("MPT 602 or MPT 652"): one of them fills it.
    """

    kind: ClassVar[str] = "all_courses"
    unit: ClassVar[str] = "courses"
    courses: tuple[str | tuple[str, ...], ...]
    min_grade: str | None = None

    @property
    def slots(self) -> tuple[tuple[str, ...], ...]:
        """Each item as a tuple of the codes that fill it."""
        return tuple((item,) if isinstance(item, str) else tuple(item) for item in self.courses)

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code the block names, alternatives included, in file order."""
        return tuple(code for slot in self.slots for code in slot)


@dataclass(frozen=True)
class Cap:
    """At most `max_credits` credits or `max_courses` courses of a block may come from the courses selected."""

    selector: Selector
    max_credits: Decimal | None = None
    max_courses: int | None = None


@dataclass(frozen=True, kw_only=True)
class CreditsRequirement(RequirementBase, SelectorSettings):
    """Credits and/or a number of courses (`count`) from the courses its selector takes (tracker.domain.selectors).

    `caps` limit what may come from a sub-selection; `max_pass_fail_credits` limits pass/fail credit.
    """

    kind: ClassVar[str] = "credits"
    unit: ClassVar[str] = "credits"  # "courses" when only `count` is given: see `measure`
    credits: Decimal | None = None
    count: int | None = None
    # The course filters (courses, categories, ... exclude_tags) come from SelectorSettings.
    min_grade: str | None = None
    max_pass_fail_credits: Decimal | None = None
    caps: tuple[Cap, ...] = ()
    accepts_leftovers: bool = False
    # Sorted (other_key, max shared credits) pairs: a tuple keeps the dataclass hashable.
    share_with: tuple[tuple[str, Decimal], ...] = ()

    @property
    def measure(self) -> str:
        """What the block's need counts: credits, or courses when it gives only a count."""
        return "courses" if self.credits is None else "credits"

    @property
    def linked(self) -> bool:
        """True when the block needs both credits and a number of courses."""
        return self.credits is not None and self.count is not None

    @functools.cached_property
    def selector(self) -> Selector:
        """The block's course filters (built once: the audit asks for them for every record)."""
        return Selector.of(self)

    def share_limit(self, other_key: str) -> Decimal | None:
        """The most credits this block lets `other_key` share with it, or None."""
        for key, limit in self.share_with:
            if key == other_key:
                return limit
        return None


@dataclass(frozen=True, kw_only=True)
class CoursesRequirement(CreditsRequirement):
    """A number of courses ("choose 2 of these"), with the selectors and settings of a credits block."""

    kind: ClassVar[str] = "courses"
    unit: ClassVar[str] = "courses"


@dataclass(frozen=True, kw_only=True)
class GroupRequirement(RequirementBase):
    """Sub-requirements (`of`, keys of other requirements): all of them, any one, or `choose` of them."""

    unit: ClassVar[str] = "requirements"
    of: tuple[str, ...]

    @property
    def counts(self) -> int | None:
        """How many options count (None: all of them)."""
        return None


@dataclass(frozen=True, kw_only=True)
class AllOfRequirement(GroupRequirement):
    """Every sub-requirement."""

    kind: ClassVar[str] = "all_of"


@dataclass(frozen=True, kw_only=True)
class AnyOfRequirement(GroupRequirement):
    """One sub-requirement: the option that gives the most progress counts, the others are shown."""

    kind: ClassVar[str] = "any_of"

    @property
    def counts(self) -> int:
        return 1


@dataclass(frozen=True, kw_only=True)
class NOfRequirement(GroupRequirement):
    """`choose` of the sub-requirements: the best `choose` count."""

    kind: ClassVar[str] = "n_of"
    choose: int

    @property
    def counts(self) -> int:
        return self.choose


@dataclass(frozen=True, kw_only=True)
class TotalCreditsRequirement(RequirementBase):
    """Credits in all, from every counted course record."""

    kind: ClassVar[str] = "total_credits"
    unit: ClassVar[str] = "credits"
    credits: Decimal


@dataclass(frozen=True, kw_only=True)
class GpaRequirement(RequirementBase):
    """A minimum cumulative GPA (rounded half-up to 2 decimals before comparing)."""

    kind: ClassVar[str] = "gpa"
    unit: ClassVar[str] = "gpa"
    min_gpa: Decimal


@dataclass(frozen=True, kw_only=True)
class EnsembleTermsRequirement(RequirementBase):
    """A number of terms with at least one ensemble."""

    kind: ClassVar[str] = "ensemble_terms"
    unit: ClassVar[str] = "terms"
    terms: int


@dataclass(frozen=True, kw_only=True)
class StudioTermsRequirement(RequirementBase):
    """A number of terms with at least `min_hours` approved studio hours, and optionally `total_hours` in all."""

    kind: ClassVar[str] = "studio_terms"
    unit: ClassVar[str] = "terms"
    terms: int
    min_hours: Decimal
    total_hours: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class MilestonesRequirement(RequirementBase):
    """Milestones signed off, expected in the listed order."""

    kind: ClassVar[str] = "milestones"
    unit: ClassVar[str] = "milestones"
    milestones: tuple[str, ...]


Requirement = Union[
    AllCoursesRequirement,
    CreditsRequirement,
    TotalCreditsRequirement,
    GpaRequirement,
    EnsembleTermsRequirement,
    StudioTermsRequirement,
    MilestonesRequirement,
    CoursesRequirement,
    AllOfRequirement,
    AnyOfRequirement,
    NOfRequirement,
]
REQUIREMENT_CLASSES: dict[str, type] = {
    cls.kind: cls
    for cls in (
        AllCoursesRequirement,
        CreditsRequirement,
        CoursesRequirement,
        TotalCreditsRequirement,
        GpaRequirement,
        EnsembleTermsRequirement,
        StudioTermsRequirement,
        MilestonesRequirement,
        AllOfRequirement,
        AnyOfRequirement,
        NOfRequirement,
    )
}
COURSE_KINDS = frozenset({"all_courses", "credits", "courses"})
COMMON_FIELDS = ("key", "title", "description", "concentrations", "track")


# --- value converters: each returns the converted value or raises _Invalid(message) -----------------------------


def _shown(value: Any) -> str:
    """A value quoted in a message: reprlib bounds its length and nesting (a file may hold anything)."""
    return reprlib.repr(value)


class _Invalid(Exception):
    """A single setting is invalid; each message completes '<path>: ...' (a list setting may have several)."""

    def __init__(self, *messages: str):
        super().__init__(*messages)
        self.messages = messages

    def __str__(self) -> str:
        return "; ".join(self.messages)


def to_decimal(value: Any, *, positive: bool = False, allow_zero: bool = True,
               maximum: Decimal = MAX_AMOUNT, places: int = MAX_PLACES) -> Decimal:
    """A bounded Decimal from an int, a decimal string or a float (via its shortest repr); bools are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise _Invalid("must be a number")
    if isinstance(value, int) and value > maximum:  # before str(): a huge int is slow (or refused) to print
        raise _Invalid(f"must be at most {maximum}")
    if isinstance(value, str) and len(value) > 64:
        raise _Invalid("must be a number")
    try:
        # str() of a float gives its shortest repr, so 0.1 becomes Decimal("0.1"), not the binary expansion.
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise _Invalid("must be a number") from None
    if not number.is_finite():
        raise _Invalid("must be a number")
    if positive and number <= 0:
        raise _Invalid("must be a positive number")
    if not allow_zero and number == 0:
        raise _Invalid("must not be zero")
    if number < 0:
        raise _Invalid("must not be negative")
    if number > maximum:
        raise _Invalid(f"must be at most {maximum}")
    # Only now is quantize safe (it refuses results beyond the context's precision).
    if number.as_tuple().exponent < -places and number != number.quantize(Decimal(1).scaleb(-places)):
        raise _Invalid(f"must have at most {places} decimal{'s' if places != 1 else ''}")
    return number


def _positive_decimal(value: Any) -> Decimal:
    return to_decimal(value, positive=True)


def _gpa_value(value: Any) -> Decimal:
    number = to_decimal(value, positive=True)
    if number > 4:
        raise _Invalid("must be at most 4.0")
    return number


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid("must be a whole number")
    if value <= 0:
        raise _Invalid("must be a positive whole number")
    if value > MAX_COUNT:
        raise _Invalid(f"must be at most {MAX_COUNT}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("must be true or false")
    return value


def _min_grade(value: Any) -> str | None:
    if value is None:
        return None
    if value not in LETTER_GRADES:
        raise _Invalid(f"unknown grade {_shown(value)} (expected one of {', '.join(LETTER_GRADES)})")
    return value


def _string_list(value: Any, *, allow_empty: bool = True) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        raise _Invalid("must be a list of strings")
    items = []
    twice = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise _Invalid("must be a list of non-empty strings")
        if len(item) > MAX_KEY_LENGTH or any(ord(c) < 32 for c in item):
            raise _Invalid(f"must list codes of at most {MAX_KEY_LENGTH} characters, each on one line")
        if item in items:
            if item not in twice:
                twice.append(item)
        else:
            items.append(item)
    if twice:  # every repeated item, not only the first
        raise _Invalid(*(f'lists "{item}" twice' for item in twice))
    if not items and not allow_empty:
        raise _Invalid("must not be empty")
    return tuple(items)


def _non_empty_list(value: Any) -> tuple[str, ...]:
    return _string_list(value, allow_empty=False)


def _categories(value: Any) -> tuple[str, ...]:
    items = _string_list(value)
    unknown = [item for item in items if item not in CATEGORIES]
    if unknown:
        raise _Invalid(*(f'unknown category "{item}" (expected one of {", ".join(CATEGORIES)})' for item in unknown))
    return items


def _milestones(value: Any) -> tuple[str, ...]:
    # Whether each code is one of the program's milestones is checked by build_requirement (it knows the program).
    return _string_list(value, allow_empty=False)


def _share_with(value: Any) -> tuple[tuple[str, Decimal], ...]:
    if not isinstance(value, dict):
        raise _Invalid("must be a table of requirement key = credits")
    pairs = []
    problems = []
    for key, limit in value.items():
        try:
            pairs.append((str(key), to_decimal(limit, positive=True)))
        except _Invalid as exc:
            problems.extend(f"{key}: {message}" for message in exc.messages)
    if problems:
        raise _Invalid(*problems)
    return tuple(sorted(pairs))


def _course_items(value: Any) -> tuple[str | tuple[str, ...], ...]:
    """all_courses `courses`: codes, or lists of alternative codes; no code twice in the block."""
    if not isinstance(value, (list, tuple)):
        raise _Invalid("must be a list of course codes (a list inside it: alternatives)")
    items: list = []
    problems: list[str] = []
    seen: list[str] = []
    for item in value:
        if isinstance(item, (list, tuple)):
            try:
                codes = _string_list(item, allow_empty=False)
            except _Invalid as exc:
                problems.extend(f"alternatives {_shown(item)}: {m}" for m in exc.messages)
                continue
            if len(codes) < 2:
                problems.append(f"alternatives {_shown(list(item))}: list at least two courses (or write the code "
                                "alone)")
                continue
            items.append(codes)
        else:
            try:
                codes = _string_list([item])
            except _Invalid as exc:
                problems.extend(exc.messages)
                continue
            items.append(codes[0])
        for code in codes:
            if code in seen:
                problems.append(f'lists "{code}" twice')
            seen.append(code)
    if problems:
        raise _Invalid(*problems)
    if not items:
        raise _Invalid("must not be empty")
    return tuple(items)


def _optional_positive_decimal(value: Any) -> Decimal | None:
    return None if value is None else to_decimal(value, positive=True)


def _optional_positive_int(value: Any) -> int | None:
    return None if value is None else _positive_int(value)


def _number_range(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise _Invalid("must be two whole numbers, the lowest and highest course number: [5000, 8999]")
    low, high = value
    if not (0 <= low <= high <= MAX_NUMBER):
        raise _Invalid(f"must go from a lower to a higher course number, between 0 and {MAX_NUMBER}")
    return (low, high)


def _keys(value: Any) -> tuple[str, ...]:
    items = _string_list(value, allow_empty=False)
    bad = [item for item in items if not KEY_PATTERN.match(item)]
    if bad:
        raise _Invalid(*(f"{_shown(item)} is not a requirement key" for item in bad))
    return items


# The selector settings (tracker.domain.selectors): the same in a credits block and in each of its caps.
_SELECTOR_SPECS: dict[str, tuple[Any, bool, Any]] = {
    "courses": (_string_list, False, ()),
    "categories": (_categories, False, ()),
    "course_concentrations": (_string_list, False, ()),
    "tags": (_string_list, False, ()),
    "subjects": (_string_list, False, ()),
    "not_subjects": (_string_list, False, ()),
    "number_range": (_number_range, False, None),
    "exclude_courses": (_string_list, False, ()),
    "exclude_tags": (_string_list, False, ()),
}
_CAP_LIMITS = ("max_credits", "max_courses")


def _caps(value: Any) -> tuple[Cap, ...]:
    """[[requirements.caps]]: each a selector and exactly one of max_credits / max_courses."""
    if not isinstance(value, (list, tuple)):
        raise _Invalid("must be an array of tables ([[requirements.caps]])")
    caps: list[Cap] = []
    problems: list[str] = []
    for index, table in enumerate(value, start=1):
        where = f"[{index}]"
        if isinstance(table, Cap):  # already built (a requirement rebuilt from its dataclass)
            caps.append(table)
            continue
        if not isinstance(table, dict):
            problems.append(f"{where}: must be a table")
            continue
        before = len(problems)
        values: dict[str, Any] = {}
        for name in sorted(set(table) - set(_SELECTOR_SPECS) - set(_CAP_LIMITS)):
            problems.append(f'{where}.{name}: unknown setting "{name}" for a cap')
        for name, (convert, _required, default) in _SELECTOR_SPECS.items():
            try:
                values[name] = convert(table[name]) if table.get(name) is not None else default
            except _Invalid as exc:
                problems.extend(f"{where}.{name}: {m}" for m in exc.messages)
        limits = [name for name in _CAP_LIMITS if table.get(name) is not None]
        if len(limits) != 1:
            problems.append(f"{where}: give max_credits or max_courses (one of them)")
        max_credits = max_courses = None
        try:
            if "max_credits" in limits:
                max_credits = to_decimal(table["max_credits"])
            if "max_courses" in limits:
                max_courses = table["max_courses"]
                if isinstance(max_courses, bool) or not isinstance(max_courses, int) or not 0 <= max_courses \
                        <= MAX_COUNT:
                    raise _Invalid(f"must be a whole number from 0 to {MAX_COUNT}")
        except _Invalid as exc:
            problems.extend(f"{where}.{limits[0]}: {m}" for m in exc.messages)
        selector = Selector(**values) if len(problems) == before else None
        if selector is not None and not selector.selects_anything:
            problems.append(f"{where}: say which courses the cap limits (courses, categories, tags, subjects, ...)")
        elif selector is not None:
            caps.append(Cap(selector, max_credits, max_courses))
    if problems:
        raise _Invalid(*problems)
    return tuple(caps)


_CREDITS_SPECS: dict[str, tuple[Any, bool, Any]] = {
    "credits": (_optional_positive_decimal, False, None),
    "count": (_optional_positive_int, False, None),
    **_SELECTOR_SPECS,
    "min_grade": (_min_grade, False, None),
    "max_pass_fail_credits": (lambda v: None if v is None else to_decimal(v), False, None),
    "caps": (_caps, False, ()),
    "accepts_leftovers": (_bool, False, False),
    "share_with": (_share_with, False, ()),
}

# name -> (converter, required, default). Order is the order of to_dict output.
PARAM_SPECS: dict[str, dict[str, tuple[Any, bool, Any]]] = {
    "all_courses": {
        "courses": (_course_items, True, None),
        "min_grade": (_min_grade, False, None),
    },
    "credits": _CREDITS_SPECS,
    "courses": {**_CREDITS_SPECS, "count": (_positive_int, True, None)},
    "total_credits": {"credits": (_positive_decimal, True, None)},
    "gpa": {"min_gpa": (_gpa_value, True, None)},
    "ensemble_terms": {"terms": (_positive_int, True, None)},
    "studio_terms": {
        "terms": (_positive_int, True, None),
        "min_hours": (_positive_decimal, True, None),
        "total_hours": (lambda v: None if v is None else _positive_decimal(v), False, None),
    },
    "milestones": {"milestones": (_milestones, True, None)},
    "all_of": {"of": (_keys, True, None)},
    "any_of": {"of": (_keys, True, None)},
    "n_of": {"of": (_keys, True, None), "choose": (_positive_int, True, None)},
}


def build_requirement(
    kind: Any,
    key: Any,
    title: Any,
    description: Any,
    concentrations: Any,
    track: Any,
    params: dict,
    *,
    path: str,
    errors: list[str],
    param_path: str | None = None,
    tracks: tuple[str, ...] | None = None,
    milestone_kinds: tuple[str, ...] | None = None,
) -> Requirement | None:
    """Validate one requirement, appending '<path>.<field>: problem' messages to errors; None when invalid.

    `tracks` and `milestone_kinds` are the program's declared codes (None: the default vocabulary).
    """
    param_path = param_path or path
    tracks = TRACKS if tracks is None else tuple(tracks)
    milestone_kinds = MILESTONE_KINDS if milestone_kinds is None else tuple(milestone_kinds)
    count = len(errors)
    if not isinstance(key, str) or not KEY_PATTERN.match(key) or len(key) > MAX_KEY_LENGTH:
        errors.append(f"{path}.key: must be a slug of lowercase letters, digits, '-' or '_', at most "
                      f"{MAX_KEY_LENGTH} characters (got {_shown(key)})")
    if not isinstance(title, str) or not title.strip():
        errors.append(f"{path}.title: must be a non-empty string")
    elif len(title.strip()) > MAX_TITLE_LENGTH or any(ord(c) < 32 for c in title):
        errors.append(f"{path}.title: must be one line of at most {MAX_TITLE_LENGTH} characters")
    if description is None:
        description = ""
    if not isinstance(description, str):
        errors.append(f"{path}.description: must be a string")
    elif len(description) > MAX_DESCRIPTION_LENGTH or "\x00" in description:
        errors.append(f"{path}.description: must be text of at most {MAX_DESCRIPTION_LENGTH} characters")
    try:
        concentration_codes = _string_list(concentrations if concentrations is not None else [])
    except _Invalid as exc:
        errors.extend(f"{path}.concentrations: {message}" for message in exc.messages)
        concentration_codes = ()
    if track is not None and (not isinstance(track, str) or track not in tracks):
        errors.append(f"{path}.track: unknown track {_shown(track)} (expected one of {', '.join(tracks)})")
    if not isinstance(kind, str) or kind not in REQUIREMENT_CLASSES:
        errors.append(f"{path}.kind: unknown kind {_shown(kind)} (expected one of {', '.join(KINDS)})")
        return None
    values: dict[str, Any] = {}
    spec = PARAM_SPECS[kind]
    for name in sorted(set(params) - set(spec)):
        errors.append(f'{param_path}.{name}: unknown setting "{name}" for kind "{kind}"')
    for name, (convert, required, default) in spec.items():
        if name not in params or (params[name] is None and not required):
            if required:
                errors.append(f"{param_path}.{name}: required for kind \"{kind}\"")
            else:
                values[name] = default
            continue
        try:
            values[name] = convert(params[name])
        except _Invalid as exc:
            errors.extend(f"{param_path}.{name}: {message}" for message in exc.messages)
    if kind == "milestones" and values.get("milestones"):
        errors.extend(f'{param_path}.milestones: unknown milestone "{item}" (expected one of '
                      f'{", ".join(milestone_kinds)})' for item in values["milestones"] if item not in milestone_kinds)
    if kind in ("credits", "courses") and len(errors) == count:
        if values["credits"] is None and values["count"] is None:
            errors.append(f"{param_path}.credits: required for kind \"credits\" (or count, for a number of courses)")
        if not Selector(**{n: values[n] for n in _SELECTOR_SPECS}).selects_anything:
            if not values["accepts_leftovers"]:
                errors.append(
                    f"{param_path}.credits: a {kind} block needs courses, categories, course_concentrations, "
                    "tags, subjects, not_subjects, number_range or accepts_leftovers = true"
                )
        if values["share_with"] and values["credits"] is not None and values["count"] is not None:
            errors.append(f"{param_path}.share_with: a block that needs both credits and a count of courses "
                          "cannot share credits")
        if values["share_with"] and values["credits"] is None:
            errors.append(f"{param_path}.share_with: only a block that needs credits can share them")
        for index, cap in enumerate(values["caps"], start=1):
            if cap.max_credits is not None and values["credits"] is None:
                errors.append(f"{param_path}.caps[{index}].max_credits: the block counts courses, so limit "
                              "the cap in courses (max_courses)")
        if values["share_with"] and values["accepts_leftovers"]:
            errors.append(f"{param_path}.share_with: a block that accepts leftovers cannot share credits")
        if any(other == key for other, _ in values["share_with"]):
            errors.append(f"{param_path}.share_with: a block cannot share with itself")
    if kind == "n_of" and len(errors) == count and values["choose"] > len(values["of"]):
        errors.append(f"{param_path}.choose: chooses {values['choose']} of {len(values['of'])} options; list at "
                      "least as many options in `of` as it chooses")
    if kind in GROUP_KINDS and len(errors) == count and key in values["of"]:
        errors.append(f"{param_path}.of: a group cannot contain itself")
    if len(errors) > count:
        return None
    return REQUIREMENT_CLASSES[kind](
        key=key,
        title=title.strip(),
        description=description,
        concentrations=concentration_codes,
        track=track,
        **values,
    )


def requirement_params(req: Requirement) -> dict:
    """The kind's settings of a requirement as a JSON-ready dict (Decimals as strings, defaults left out)."""
    out: dict[str, Any] = {}
    spec = PARAM_SPECS[req.kind]
    for name, (_convert, required, default) in spec.items():
        value = getattr(req, name)
        if not required and value == default:
            continue
        out[name] = _jsonable(value, name)
    return out


def _jsonable(value: Any, name: str) -> Any:
    if name == "share_with":
        return {key: str(limit) for key, limit in value}
    if name == "caps":
        return [_cap_to_dict(cap) for cap in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return [_jsonable(item, "") for item in value]
    return value


def _cap_to_dict(cap: Cap) -> dict:
    out: dict[str, Any] = {}
    for name, (_convert, _required, default) in _SELECTOR_SPECS.items():
        value = getattr(cap.selector, name)
        if value != default:
            out[name] = _jsonable(value, name)
    if cap.max_credits is not None:
        out["max_credits"] = str(cap.max_credits)
    if cap.max_courses is not None:
        out["max_courses"] = cap.max_courses
    return out


def requirement_to_dict(req: Requirement) -> dict:
    """A requirement as a JSON-serialisable dict: kind, key, title, description, concentrations, track, params."""
    return {
        "kind": req.kind,
        "key": req.key,
        "title": req.title,
        "description": req.description,
        "concentrations": list(req.concentrations),
        "track": req.track,
        "params": requirement_params(req),
    }


def requirement_from_dict(
    kind: str,
    key: str,
    title: str,
    description: str,
    concentrations: list | tuple,
    track: str | None,
    params: dict,
    *,
    tracks: tuple[str, ...] | None = None,
    milestone_kinds: tuple[str, ...] | None = None,
) -> Requirement:
    """Rebuild a requirement from its stored parts (the inverse of requirement_to_dict); raises DefinitionError.

    `tracks` and `milestone_kinds` are the program's codes (None: the default vocabulary)."""
    errors: list[str] = []
    if not isinstance(params, dict):
        raise DefinitionError([f"{key}.params: must be a mapping"])
    req = build_requirement(
        kind, key, title, description, concentrations, track, params,
        path=str(key), errors=errors, param_path=f"{key}.params", tracks=tracks, milestone_kinds=milestone_kinds,
    )
    if errors or req is None:
        raise DefinitionError(errors)
    return req


def requirement_fields(req: Requirement) -> tuple[str, ...]:
    """Names of the kind-specific settings of a requirement, in display order."""
    return tuple(f.name for f in fields(req) if f.name not in COMMON_FIELDS)
