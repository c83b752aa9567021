"""Loading a program definition (TOML) into a catalog version: a preview of the changes, then one transaction.

A definition goes into one catalog version of its program (tracker.services.catalog_versions): either it replaces
an existing version (the audits of that version's students change; by default the newest version, so reloading a
file behaves as it always has), or it becomes a new version in force from a start term (no current student's audit
changes: students keep the version they follow until an administrator moves them). A new program gets its first
version, in force from the beginning.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..domain import DefinitionError, ProgramDefinition, Vocabulary, parse_program_definition
from ..extensions import db
from ..models import (
    CatalogVersion,
    Concentration,
    Course,
    CourseCategory,
    Enrollment,
    MilestoneRecord,
    Program,
    Term,
    User,
    utcnow,
)
from . import Problems, ServiceError, catalog_versions, history

FIRST_VERSION_NAME = "Initial"


@dataclass(frozen=True)
class LoadTarget:
    """Where a definition goes: a new catalog version (`new_version`, with its name and start term) or an existing
    version it replaces (`version_id`; None: the program's newest)."""

    new_version: bool = False
    version_id: int | None = None
    name: str | None = None
    start_term_id: int | None = None


REPLACE_NEWEST = LoadTarget()


@dataclass
class ProgramChanges:
    """What loading a definition would change, in words an administrator reads before applying it."""

    program_code: str
    new_program: bool
    lines: list[str] = field(default_factory=list)
    # The catalog version the definition goes into: its name, whether it is created, and the students following it
    # (whose audits change); for a new version, the version it is compared with.
    version_name: str = ""
    creates_version: bool = False
    students_following: int = 0
    compared_with: str = ""
    start_term_name: str = ""

    @property
    def summary(self) -> str:
        return "; ".join(self.lines) if self.lines else "no changes"

    @property
    def impact(self) -> str:
        """One sentence on whose audits change."""
        if self.new_program:
            return f"The program's first catalog version, “{self.version_name}”, applies to every student."
        if self.creates_version:
            return (f"A new catalog version “{self.version_name}” is created, in force for students who start in "
                    f"{self.start_term_name} or later. No current student's audit changes: each keeps the version "
                    "they follow until you move them.")
        count = self.students_following
        whose = ("the audit of the 1 student who follows it changes" if count == 1
                 else f"the audits of the {count} students who follow it change")
        return f"Replaces catalog version “{self.version_name}”: {whose}. Students of other versions are not affected."


@dataclass
class _Resolved:
    """A LoadTarget checked against the database."""

    program: Program | None
    version: CatalogVersion | None  # the version replaced (None: a new one)
    name: str
    start_term: Term | None
    base: CatalogVersion | None  # what the preview compares with: the replaced version, or the newest


def _clean_name(name: str | None) -> str:
    """A version name on one line, bounded; refusals at the name field."""
    text = " ".join((name or "").split())
    if not text:
        raise ServiceError("Name the new catalog version, e.g. 2026–27.", "version_name")
    if len(text) > catalog_versions.NAME_MAX:
        raise ServiceError(f"Use at most {catalog_versions.NAME_MAX} characters.", "version_name")
    if any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in name or ""):
        raise ServiceError("Use letters, digits and punctuation only.", "version_name")
    return text


def _resolve(defn: ProgramDefinition, target: LoadTarget | None) -> _Resolved:
    """Check where the definition goes; raises ServiceError (at the form field) when it cannot go there."""
    target = target or REPLACE_NEWEST
    program = db.session.scalar(sa.select(Program).where(Program.code == defn.code))
    if program is None:
        name = _clean_name(target.name) if target.name and target.name.strip() else FIRST_VERSION_NAME
        return _Resolved(None, None, name, None, None)
    versions = catalog_versions.program_versions(program.id, with_definitions=True)
    newest = versions[-1] if versions else None
    if not target.new_version:
        if target.version_id is None:
            version = newest
        else:
            version = next((v for v in versions if v.id == target.version_id), None)
            if version is None:
                raise ServiceError("Choose one of this program's catalog versions.", "version_id")
        if version is None:  # a program stored without any version: its definition becomes the first
            return _Resolved(program, None, FIRST_VERSION_NAME, None, None)
        return _Resolved(program, version, version.name, version.start_term, version)
    problems = Problems()
    name = problems.check(_clean_name, target.name)
    if name is not None and any(v.name.casefold() == name.casefold() for v in versions):
        problems.add("version_name", f"{program.code} already has a catalog version called “{name}”.")
    term = db.session.get(Term, target.start_term_id) if target.start_term_id else None
    if term is None:
        problems.add("start_term_id", "Choose the first term the new catalog applies to.")
    else:
        clash = next((v for v in versions if v.start_term_id == term.id), None)
        if clash is not None:
            problems.add("start_term_id", f"Catalog version “{clash.name}” already starts in {term.name}; choose "
                                          "another term or replace that version.")
    problems.raise_any()
    return _Resolved(program, None, name, term, newest)


def plan_changes(defn: ProgramDefinition, target: LoadTarget | None = None) -> ProgramChanges:
    """Compare a parsed definition with the version it replaces (or, for a new version, the newest); read-only.

    Raises ServiceError when the target is not possible (a taken name or start term, a version of another program).
    """
    where = _resolve(defn, target)
    if where.program is None:
        changes = ProgramChanges(defn.code, True, version_name=where.name, creates_version=True)
        changes.lines.append(
            f"new program {defn.code}: {len(defn.concentrations)} concentrations, {len(defn.courses)} courses, "
            f"{len(defn.requirements)} requirements"
        )
        return changes
    counts = catalog_versions.students_by_version(where.program.id)
    changes = ProgramChanges(
        defn.code, False, version_name=where.name, creates_version=where.version is None,
        students_following=counts.get(where.version.id, 0) if where.version else 0,
        compared_with=where.base.name if where.base else "",
        start_term_name=where.start_term.name if where.start_term else "",
    )
    base = catalog_versions.rules_of(where.base).definition if where.base is not None else None
    if base is None:
        changes.lines.append(f"first catalog version of {defn.code}: {len(defn.requirements)} requirements")
        return changes
    changes.lines.extend(_definition_changes(base, defn))
    return changes


def _keyed_changes(old_items, new_items, key, added, changed) -> list[str]:
    """In the new order, `added(item)` for each new item whose key the old ones lack and `changed(before, item)` for
    each whose old item with the same key differs."""
    before_by_key = {key(item): item for item in old_items}
    lines = []
    for item in new_items:
        before = before_by_key.get(key(item))
        if before is None:
            lines.append(added(item))
        elif before != item:
            lines.append(changed(before, item))
    return lines


def _definition_changes(old: ProgramDefinition, new: ProgramDefinition) -> list[str]:
    """The preview's lines: what differs between two definitions (values compared, not their spelling)."""
    lines = []
    for attr, label in (("name", "name"), ("degree", "degree"), ("total_credits", "total credits"),
                        ("min_gpa", "minimum GPA"), ("max_transfer_credits", "maximum transfer credits")):
        before, after = getattr(old, attr), getattr(new, attr)
        if before != after:
            lines.append(f"{label}: {before} → {after}")
    lines.extend(_vocabulary_changes(old.vocabulary, new.vocabulary))
    lines.extend(_keyed_changes(old.concentrations, new.concentrations, lambda conc: conc[0],
                                lambda conc: f"add concentration {conc[1]}",
                                lambda before, conc: f"rename concentration {before[1]} → {conc[1]}"))
    old_courses = {c.code: c for c in old.courses}
    new_codes = {c.code for c in new.courses}
    lines.extend(_keyed_changes(old.courses, new.courses, lambda course: course.code,
                                lambda course: f"add course {course.code} {course.title}",
                                lambda _, course: f"update course {course.code} {course.title}"))
    lines.extend(f"remove course {code} {c.title} from this catalog (it stays for the records that use it)"
                 for code, c in old_courses.items() if code not in new_codes)
    if old.equivalences != new.equivalences:
        lines.append("change course equivalences")
    if old.policies != new.policies:
        lines.append("change policies")
    existing_reqs = {r.key: r for r in old.requirements}
    new_keys = [r.key for r in new.requirements]
    lines.extend(_keyed_changes(old.requirements, new.requirements, lambda req: req.key,
                                lambda req: f"add requirement “{req.title}”",
                                lambda _, req: f"change requirement “{req.title}”"))
    lines.extend(f"remove requirement “{before.title}”"
                 for key, before in existing_reqs.items() if key not in new_keys)
    if [r.key for r in old.requirements] != new_keys and not any(
        line.startswith(("add requirement", "remove requirement")) for line in lines
    ):
        lines.append("reorder requirements")
    return lines


def _vocabulary_changes(old: Vocabulary, new: Vocabulary) -> list[str]:
    """The preview's lines for added, renamed and removed tracks and milestone kinds (and changed sign-off rules)."""
    lines = []
    for noun, olds, news in (("track", old.tracks, new.tracks), ("milestone", old.milestones, new.milestones)):
        before = {item.code: item for item in olds}
        after = {item.code: item for item in news}
        for code, item in after.items():
            if code not in before:
                lines.append(f"add {noun} {item.label} ({code})")
            elif before[code].label != item.label:
                lines.append(f"rename {noun} {before[code].label} → {item.label}")
            elif before[code] != item:
                lines.append(f"change {noun} {item.label}: who signs it off or its tracks")
        lines.extend(f"remove {noun} {item.label} ({code})" for code, item in before.items() if code not in after)
    return lines


def _check_vocabulary_in_use(version: CatalogVersion, vocabulary: Vocabulary) -> None:
    """Refuse to drop a track the version's students follow, or a milestone kind one of them was signed off for."""
    problems = []
    used_tracks = db.session.execute(
        sa.select(Enrollment.track, sa.func.count()).where(Enrollment.catalog_version_id == version.id)
        .group_by(Enrollment.track)).all()
    for code, count in used_tracks:
        if code not in vocabulary.track_codes:
            problems.append(f'tracks: track "{code}" is no longer declared, but {count} student(s) of the program '
                            "follow it; keep its [[tracks]] table or move them to another track first")
    used_kinds = db.session.execute(
        sa.select(MilestoneRecord.kind, sa.func.count()).join(Enrollment, Enrollment.student_id ==
                                                              MilestoneRecord.student_id)
        .where(Enrollment.catalog_version_id == version.id).group_by(MilestoneRecord.kind)).all()
    for code, count in used_kinds:
        if code not in vocabulary.milestone_codes:
            problems.append(f'milestones: milestone "{code}" is no longer declared, but {count} sign-off(s) of '
                            "the program's students use it; keep its [[milestones]] table")
    if problems:
        raise DefinitionError(problems)


def _union_vocabulary(definitions: list[ProgramDefinition]) -> Vocabulary:
    """The newest definition's tracks and milestone kinds, then those only older ones declare (newest first)."""
    tracks: dict = {}
    milestones: dict = {}
    for defn in reversed(definitions):
        for t in defn.tracks:
            tracks.setdefault(t.code, t)
        for m in defn.milestones:
            milestones.setdefault(m.code, m)
    return Vocabulary(tuple(tracks.values()), tuple(milestones.values()))


def _catalog_rows(program: Program, defn: ProgramDefinition, *, update_existing: bool) -> None:
    """Create the concentrations and courses the definition names; update existing rows only from the newest
    version (the rows are shared by every version: the course list shows the current catalog)."""
    concentrations = {c.code: c for c in db.session.scalars(
        sa.select(Concentration).where(Concentration.program_id == program.id))}
    for code, name in defn.concentrations:
        conc = concentrations.get(code)
        if conc is None:
            conc = concentrations[code] = Concentration(program_id=program.id, code=code, name=name)
            db.session.add(conc)
        elif not update_existing:
            continue
        conc.name, conc.active = name, True
    db.session.flush()

    courses = {c.code: c for c in db.session.scalars(sa.select(Course).where(Course.program_id == program.id))}
    for cdef in defn.courses:
        course = courses.get(cdef.code)
        if course is None:
            course = Course(program_id=program.id, code=cdef.code)
            db.session.add(course)
        elif not update_existing:
            continue
        course.title = cdef.title
        course.credits = Decimal(cdef.credits)
        course.max_credits = None if cdef.max_credits is None else Decimal(cdef.max_credits)
        course.category = CourseCategory(cdef.category)
        course.concentration_id = concentrations[cdef.concentration].id if cdef.concentration else None
        course.pass_fail = bool(cdef.pass_fail)
        course.description = cdef.description or ""
        course.active = True


def _sync_program(program: Program, newest: ProgramDefinition, source: str | None,
                  vocabulary: Vocabulary) -> None:
    """The program row's display copy of its newest version."""
    program.name = newest.name
    program.degree = newest.degree
    program.total_credits = Decimal(newest.total_credits)
    program.min_gpa = Decimal(newest.min_gpa)
    program.max_transfer_credits = Decimal(newest.max_transfer_credits)
    program.definition_source = source
    program.tracks, program.milestone_kinds = vocabulary.to_json()


def apply_definition(defn: ProgramDefinition, source_text: str | None, actor: User | None,
                     target: LoadTarget | None = None) -> tuple[Program, str]:
    """Create or replace a catalog version with the definition, and the rows it names, in one transaction.

    `target` None replaces the newest version (a new program gets its first). Raises DefinitionError when the
    definition would drop a track or milestone kind the version's students use, ServiceError when the target is
    not possible; nothing is written then.
    """
    try:
        changes = plan_changes(defn, target)
        where = _resolve(defn, target)
        program = where.program
        if program is None:
            program = Program(code=defn.code, name=defn.name, degree=defn.degree,
                              total_credits=Decimal(defn.total_credits), min_gpa=Decimal(defn.min_gpa))
            db.session.add(program)
            db.session.flush()
        data = catalog_versions.definition_data(defn)
        version = where.version
        if version is None:
            version = CatalogVersion(program_id=program.id, name=where.name,
                                     start_term_id=where.start_term.id if where.start_term else None,
                                     created_by_id=actor.id if actor else None)
            db.session.add(version)
            catalog_versions.set_definition(version, data)
            version.source = source_text
            action = "created"
        else:
            _check_vocabulary_in_use(version, defn.vocabulary)
            if catalog_versions.digest_of(data) != version.digest or (
                    source_text is not None and source_text != version.source):
                catalog_versions.set_definition(version, data)
                if source_text is not None:
                    version.source = source_text
                version.replaced_at = utcnow()
                version.replaced_by_id = actor.id if actor else None
            action = "replaced"
        db.session.flush()

        versions = catalog_versions.program_versions(program.id, with_definitions=True)
        definitions = [defn if v.id == version.id else catalog_versions.rules_of(v).definition for v in versions]
        is_newest = versions[-1].id == version.id
        _catalog_rows(program, defn, update_existing=is_newest)
        _sync_program(program, definitions[-1], versions[-1].source, _union_vocabulary(definitions))
        db.session.flush()
        history.record(
            actor, "program.loaded", "program", program.id,
            summary=f"Loaded definition of {program.code} ({action} catalog version {version.name})",
            changes={"changes": changes.lines, "catalog_version": version.name, "version_action": action},
        )
        db.session.commit()
    except IntegrityError:  # another administrator created this program, or a version with this name or term
        db.session.rollback()
        raise ServiceError("Someone else changed this program's catalog versions at the same moment, so nothing "
                           "was changed. Check the program's versions and try again.") from None
    except Exception:
        db.session.rollback()
        raise
    return program, changes.summary


def load_program_text(text: str, actor: User | None, target: LoadTarget | None = None) -> tuple[Program, str]:
    """Parse and apply a definition; raises DefinitionError (nothing written) when it is malformed."""
    return apply_definition(parse_program_definition(text), text, actor, target)

