"""Loading a program definition (TOML) into the database: a preview of the changes, then one transaction."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from ..domain import DefinitionError, ProgramDefinition, Vocabulary, parse_program_definition, requirement_to_dict
from ..extensions import db
from ..models import Concentration, Course, CourseCategory, Enrollment, MilestoneRecord, Program, Requirement, User
from . import history

@dataclass
class ProgramChanges:
    """What loading a definition would change, in words an administrator reads before applying it."""

    program_code: str
    new_program: bool
    lines: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return "; ".join(self.lines) if self.lines else "no changes"


def requirement_row_values(req) -> dict:
    """The column values of a Requirement row for a domain requirement."""
    data = requirement_to_dict(req)
    return {
        "kind": data["kind"],
        "key": req.key,
        "title": req.title,
        "description": req.description or "",
        "concentrations": list(req.concentrations),
        "track": req.track,
        "params": data["params"],
    }


def plan_changes(defn: ProgramDefinition) -> ProgramChanges:
    """Compare a parsed definition with the database (read-only)."""
    program = db.session.scalar(sa.select(Program).where(Program.code == defn.code))
    changes = ProgramChanges(defn.code, program is None)
    if program is None:
        changes.lines.append(
            f"new program {defn.code}: {len(defn.concentrations)} concentrations, {len(defn.courses)} courses, "
            f"{len(defn.requirements)} requirements"
        )
        return changes
    for attr, label in (("name", "name"), ("degree", "degree"), ("total_credits", "total credits"),
                        ("min_gpa", "minimum GPA")):
        old, new = getattr(program, attr), getattr(defn, attr)
        if (Decimal(old) != Decimal(new)) if isinstance(new, Decimal) else (old != new):
            changes.lines.append(f"{label}: {old} → {new}")
    changes.lines.extend(_vocabulary_changes(program.vocabulary, defn.vocabulary))
    existing_conc = {c.code: c for c in program.concentrations}
    for code, name in defn.concentrations:
        if code not in existing_conc:
            changes.lines.append(f"add concentration {name}")
        elif existing_conc[code].name != name:
            changes.lines.append(f"rename concentration {existing_conc[code].name} → {name}")
    existing_courses = {c.code: c for c in program.courses}
    for course in defn.courses:
        old = existing_courses.get(course.code)
        if old is None:
            changes.lines.append(f"add course {course.code} {course.title}")
        elif (old.title, Decimal(old.credits), old.category.value, old.pass_fail) != (
            course.title, Decimal(course.credits), course.category, course.pass_fail
        ):
            changes.lines.append(f"update course {course.code} {course.title}")
    existing_reqs = {r.key: r for r in program.requirements}
    new_keys = [r.key for r in defn.requirements]
    for req in defn.requirements:
        old = existing_reqs.get(req.key)
        values = requirement_row_values(req)
        if old is None:
            changes.lines.append(f"add requirement “{req.title}”")
        elif (old.kind, old.title, old.description, old.concentrations, old.track, old.params) != (
            values["kind"], values["title"], values["description"], values["concentrations"], values["track"],
            values["params"],
        ):
            changes.lines.append(f"change requirement “{req.title}”")
    for key, old in existing_reqs.items():
        if key not in new_keys:
            changes.lines.append(f"remove requirement “{old.title}”")
    if [r.key for r in program.requirements] != new_keys and not any(
        line.startswith(("add requirement", "remove requirement")) for line in changes.lines
    ):
        changes.lines.append("reorder requirements")
    return changes


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


def _check_vocabulary_in_use(program: Program, vocabulary: Vocabulary) -> None:
    """Refuse to drop a track students are enrolled in, or a milestone kind someone has been signed off for."""
    problems = []
    used_tracks = db.session.execute(
        sa.select(Enrollment.track, sa.func.count()).where(Enrollment.program_id == program.id)
        .group_by(Enrollment.track)).all()
    for code, count in used_tracks:
        if code not in vocabulary.track_codes:
            problems.append(f'tracks: track "{code}" is no longer declared, but {count} student(s) of the program '
                            "follow it; keep its [[tracks]] table or move them to another track first")
    used_kinds = db.session.execute(
        sa.select(MilestoneRecord.kind, sa.func.count()).join(Enrollment, Enrollment.student_id ==
                                                              MilestoneRecord.student_id)
        .where(Enrollment.program_id == program.id).group_by(MilestoneRecord.kind)).all()
    for code, count in used_kinds:
        if code not in vocabulary.milestone_codes:
            problems.append(f'milestones: milestone "{code}" is no longer declared, but {count} sign-off(s) of '
                            "the program's students use it; keep its [[milestones]] table")
    if problems:
        raise DefinitionError(problems)


def apply_definition(defn: ProgramDefinition, source_text: str | None, actor: User | None) -> tuple[Program, str]:
    """Create or update the program, its vocabulary, concentrations, catalog and requirements in one transaction."""
    changes = plan_changes(defn)
    try:
        program = db.session.scalar(sa.select(Program).where(Program.code == defn.code))
        if program is None:
            program = Program(code=defn.code)
            db.session.add(program)
        else:
            _check_vocabulary_in_use(program, defn.vocabulary)
        program.tracks, program.milestone_kinds = defn.vocabulary.to_json()
        program.name = defn.name
        program.degree = defn.degree
        program.total_credits = Decimal(defn.total_credits)
        program.min_gpa = Decimal(defn.min_gpa)
        if getattr(defn, "max_transfer_credits", None) is not None:
            program.max_transfer_credits = Decimal(defn.max_transfer_credits)
        if source_text is not None:
            program.definition_source = source_text
        db.session.flush()

        concentrations = {c.code: c for c in db.session.scalars(
            sa.select(Concentration).where(Concentration.program_id == program.id))}
        for code, name in defn.concentrations:
            conc = concentrations.get(code)
            if conc is None:
                conc = concentrations[code] = Concentration(program_id=program.id, code=code, name=name)
                db.session.add(conc)
            conc.name, conc.active = name, True
        db.session.flush()

        courses = {c.code: c for c in db.session.scalars(sa.select(Course).where(Course.program_id == program.id))}
        for cdef in defn.courses:
            course = courses.get(cdef.code)
            if course is None:
                course = Course(program_id=program.id, code=cdef.code)
                db.session.add(course)
            course.title = cdef.title
            course.credits = Decimal(cdef.credits)
            course.category = CourseCategory(cdef.category)
            course.concentration_id = concentrations[cdef.concentration].id if cdef.concentration else None
            course.pass_fail = bool(cdef.pass_fail)
            course.description = cdef.description or ""
            course.active = True

        db.session.execute(sa.delete(Requirement).where(Requirement.program_id == program.id))
        db.session.expire(program, ["requirements"])
        for position, req in enumerate(defn.requirements):
            db.session.add(Requirement(program_id=program.id, position=position, **requirement_row_values(req)))
        db.session.flush()
        history.record(
            actor, "program.loaded", "program", program.id, summary=f"Loaded definition of {program.code}",
            changes={"changes": changes.lines},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return program, changes.summary


def load_program_text(text: str, actor: User | None) -> tuple[Program, str]:
    """Parse and apply a definition; raises DefinitionError (nothing written) when it is malformed."""
    return apply_definition(parse_program_definition(text), text, actor)
