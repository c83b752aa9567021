"""Course selectors: which courses a requirement (or a cap inside one) draws on.

A selector is the filters of a credits block or a cap. A course is selected when ANY of the positive filters
takes it (an explicit list, a category, a concentration, a tag, or the pool of subject and number range), and
none of the exclusions does. The pool is one filter: `subjects`, `not_subjects` and `number_range` must all hold
for the courses it takes ("at least 4 courses in MUS at the 5000-8999 level": subjects = ["MUS"] and
number_range = [5000, 8999]; "a cognate from outside the department": not_subjects = ["MUS"]).

Course codes are "SUBJECT NUMBER" ("MUS 5010", "MPT 601"): the subject is the leading letters, the number the
digits after them. A code without that shape has no subject or number, so a pool never takes it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields

STUDENT_CONCENTRATION = "$student"  # in course_concentrations: the audited student's own concentration
_CODE = re.compile(r"^\s*([A-Za-z]+)[\s-]*(\d+)")
# Selector settings as TOML names them, in display order.
SELECTOR_SETTINGS = ("courses", "categories", "course_concentrations", "tags", "subjects", "not_subjects",
                     "number_range", "exclude_courses", "exclude_tags")


def subject_and_number(code: str) -> tuple[str | None, int | None]:
    """("MUS", 5010) for "MUS 5010"; (None, None) for a code without a subject and number."""
    match = _CODE.match(code or "")
    if not match:
        return None, None
    return match.group(1).upper(), int(match.group(2))


@dataclass(frozen=True)
class CourseFacts:
    """What a selector looks at for one course: its code and the codes equivalent to it, category, tags."""

    code: str
    category: str | None
    concentration: str | None
    tags: frozenset[str] = frozenset()
    codes: frozenset[str] = frozenset()  # the code and every code equivalent to it

    def named_by(self, listed) -> bool:
        """True when a list of codes names this course (or an equivalent of it)."""
        return any(code in listed for code in (self.codes or (self.code,)))


@dataclass(frozen=True, kw_only=True)
class SelectorSettings:
    """The settings of a course filter (SELECTOR_SETTINGS), as a Selector and a credits block both declare them."""

    courses: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    course_concentrations: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    not_subjects: tuple[str, ...] = ()
    number_range: tuple[int, int] | None = None
    exclude_courses: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Selector(SelectorSettings):
    """A course filter; see the module docstring for how its settings combine."""

    @property
    def has_pool(self) -> bool:
        """True when the subject / number pool is set."""
        return bool(self.subjects or self.not_subjects or self.number_range)

    @property
    def selects_anything(self) -> bool:
        """True when at least one positive filter is set (exclusions alone select nothing)."""
        return bool(self.courses or self.categories or self.course_concentrations or self.tags or self.has_pool)

    def _in_pool(self, code: str) -> bool:
        subject, number = subject_and_number(code)
        if subject is None:
            return False
        if self.subjects and subject not in {s.upper() for s in self.subjects}:
            return False
        if self.not_subjects and subject in {s.upper() for s in self.not_subjects}:
            return False
        if self.number_range and not (self.number_range[0] <= number <= self.number_range[1]):
            return False
        return True

    def why(self, course: CourseFacts, student_concentration: str | None) -> str | None:
        """Why the selector takes the course ("listed course", "cognate course", ...), or None when it does not."""
        if course.named_by(self.exclude_courses) or (course.tags & set(self.exclude_tags)):
            return None
        if course.named_by(self.courses):
            return "listed course"
        if course.category in self.categories:
            return f"{course.category} course"
        wanted = {student_concentration if c == STUDENT_CONCENTRATION else c for c in self.course_concentrations}
        if course.concentration is not None and course.concentration in wanted:
            return f"{course.concentration} concentration course"
        tagged = sorted(course.tags & set(self.tags))
        if tagged:
            return f"{tagged[0]} course"
        if self.has_pool and self._in_pool(course.code):
            return "in the course pool"
        return None

    def matches(self, course: CourseFacts, student_concentration: str | None) -> bool:
        """True when the selector takes the course."""
        return self.why(course, student_concentration) is not None

    @classmethod
    def of(cls, obj) -> "Selector":
        """The selector settings of a requirement or cap (any object with those attributes)."""
        return cls(**{f.name: getattr(obj, f.name) for f in fields(cls) if hasattr(obj, f.name)})
