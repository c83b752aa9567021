"""Catalog versions: a program's catalogs, the rules each one means, and moving students between them.

A program has one or more catalog versions (tracker.models.CatalogVersion), each a whole program definition stored
as JSON. A student follows one version: the one in force at their start term when they enrolled, or the one an
administrator moved them to. The audit reads only that version's rules.

The parsed rules are cached per process by the definition's digest (SHA-256 of its canonical JSON): the key is the
content, so a stale entry can never be served, and replacing a version simply makes its new digest miss once.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, undefer

from .. import domain
from ..extensions import db
from ..models import CatalogVersion, Enrollment, MilestoneRecord, Program, Term, User
from . import ServiceError, history

NAME_MAX = 60  # CatalogVersion.name
MOVE_MAX = 2000  # students moved in one step: more than any program has, few enough for one preview page
_CACHE_SIZE = 64


# ---------------------------------------------------------------- content, digest and the rules cache

def canonical_json(data) -> str:
    """The one text a definition's JSON has, whatever its key order: what the digest is taken of."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_of(data) -> str:
    """The SHA-256 (hex) of a definition's canonical JSON."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def definition_data(defn: domain.ProgramDefinition) -> dict:
    """What a version stores for a definition: its JSON exactly as the database will hand it back."""
    return json.loads(canonical_json(domain.definition_to_json(defn)))


def set_definition(version: CatalogVersion, data: dict) -> None:
    """Store a definition's JSON on a version, with the digest that goes with it."""
    version.definition = data
    version.digest = digest_of(data)


@dataclass(frozen=True)
class VersionRules:
    """A version's definition parsed once: the audit's rules and its catalog's courses by code."""

    definition: domain.ProgramDefinition
    rules: domain.ProgramRules
    courses: dict  # code -> tracker.domain.CourseDef


_cache: OrderedDict[str, VersionRules] = OrderedDict()
_cache_lock = threading.Lock()


def rules_for(digest: str, definition) -> VersionRules:
    """The parsed rules of a definition (a dict, or its JSON text), from the cache when its digest was seen."""
    with _cache_lock:
        found = _cache.get(digest)
        if found is not None:
            _cache.move_to_end(digest)
            return found
    data = json.loads(definition) if isinstance(definition, str) else definition
    defn = domain.definition_from_json(data)
    parsed = VersionRules(defn, defn.rules(), {c.code: c for c in defn.courses})
    with _cache_lock:
        _cache[digest] = parsed
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return parsed


def rules_of(version: CatalogVersion) -> VersionRules:
    """A version's parsed rules (loads its definition when it is not loaded and the cache does not have it)."""
    with _cache_lock:
        found = _cache.get(version.digest)
    return found if found is not None else rules_for(version.digest, version.definition)


# ---------------------------------------------------------------- finding versions

def _order_key(version: CatalogVersion):
    start = version.start_term.start_date if version.start_term is not None else None
    return (start is not None, start or date.min, version.id)


def ordered(versions: Iterable[CatalogVersion]) -> list[CatalogVersion]:
    """Versions oldest first: the one in force from the beginning, then by their start term."""
    return sorted(versions, key=_order_key)


def program_versions(program_id: int, *, with_definitions: bool = False) -> list[CatalogVersion]:
    """A program's versions, oldest first, with start term and who loaded them (one query)."""
    query = (sa.select(CatalogVersion).where(CatalogVersion.program_id == program_id)
             .options(joinedload(CatalogVersion.start_term), joinedload(CatalogVersion.created_by),
                      joinedload(CatalogVersion.replaced_by)))
    if with_definitions:
        query = query.options(undefer(CatalogVersion.definition))
    return ordered(db.session.scalars(query))


def newest_version(program_id: int) -> CatalogVersion | None:
    """The version in force for the newest students (the latest start term), its definition loaded (one query)."""
    versions = program_versions(program_id, with_definitions=True)
    return versions[-1] if versions else None


def get_version(program_id: int, version_id: int | None) -> CatalogVersion | None:
    """One of the program's versions by id (None when it is not one of them)."""
    if version_id is None:
        return None
    version = db.session.get(CatalogVersion, version_id, options=[joinedload(CatalogVersion.start_term)])
    return version if version is not None and version.program_id == program_id else None


def version_for_start(program_id: int, start_term: Term | None) -> int | None:
    """The id of the program's version in force for a student starting in `start_term` (see models)."""
    from ..models.catalog import version_in_force, version_starts_query

    starts = db.session.execute(version_starts_query(program_id)).all()
    return version_in_force(starts, start_term.start_date if start_term is not None else None)


def students_by_version(program_id: int) -> dict[int, int]:
    """Version id -> number of students following it (one query)."""
    return dict(db.session.execute(
        sa.select(Enrollment.catalog_version_id, sa.func.count()).where(Enrollment.program_id == program_id)
        .group_by(Enrollment.catalog_version_id)).all())


def students_of(program_id: int, version_id: int | None = None) -> list[Enrollment]:
    """The program's students (of one version, when given), by name, with their version (one query)."""
    query = (sa.select(Enrollment).join(User, User.id == Enrollment.student_id)
             .where(Enrollment.program_id == program_id)
             .options(joinedload(Enrollment.student), joinedload(Enrollment.catalog_version),
                      joinedload(Enrollment.concentration), joinedload(Enrollment.start_term))
             .order_by(User.display_name, User.id))
    if version_id is not None:
        query = query.where(Enrollment.catalog_version_id == version_id)
    return list(db.session.scalars(query))


def rules_for_enrollment(enrollment: Enrollment) -> VersionRules:
    """The rules the enrollment's version means (one query: the version's digest and definition)."""
    digest, text = db.session.execute(
        sa.select(CatalogVersion.digest, sa.cast(CatalogVersion.definition, sa.Text))
        .where(CatalogVersion.id == enrollment.catalog_version_id)).one()
    return rules_for(digest, text)


# ---------------------------------------------------------------- moving students to another version

@dataclass
class MoveLine:
    """One student of a move: the audit now and under the target version, or why they cannot move."""

    enrollment: Enrollment
    current: object  # tracker.services.audit.StudentAudit
    target: object | None
    problem: str | None = None

    @property
    def student(self) -> User:
        """The student of this line."""
        return self.enrollment.student


@dataclass
class MovePreview:
    """What moving the chosen students to `target` would do to each audit (nothing is written)."""

    program: Program
    target: CatalogVersion
    lines: list[MoveLine] = field(default_factory=list)

    @property
    def problems(self) -> list[MoveLine]:
        """The students who cannot be moved (any one stops the whole move)."""
        return [line for line in self.lines if line.problem]

    @property
    def student_ids(self) -> list[int]:
        """The chosen students, in the order shown."""
        return [line.enrollment.student_id for line in self.lines]


def parse_student_ids(values: Iterable) -> list[int] | None:
    """Distinct student ids from form values, in order; None when any value is not an id or there are too many."""
    from .values import parse_id

    ids: list[int] = []
    for value in values:
        number = parse_id(value)
        if number is None:
            return None
        if number not in ids:
            ids.append(number)
    return ids if len(ids) <= MOVE_MAX else None


def _target(program: Program, target_id) -> CatalogVersion:
    from .values import parse_id

    version = get_version(program.id, parse_id(target_id))
    if version is None:
        raise ServiceError("Choose one of this program's catalog versions.", "target")
    return version


def _problem(enrollment: Enrollment, target: CatalogVersion, rules: VersionRules, milestone_kinds) -> str | None:
    """Why this student cannot follow the target version (None when they can)."""
    name = enrollment.student.display_name
    defn = rules.definition
    if enrollment.catalog_version_id == target.id:
        return f"{name} already follows {target.label}."
    if enrollment.concentration.code not in {code for code, _ in defn.concentrations}:
        return f"{target.label} has no {enrollment.concentration.name} concentration, which {name} is in."
    if enrollment.track not in defn.vocabulary.track_codes:
        return f"{target.label} has no {enrollment.track_label} track, which {name} follows."
    missing = sorted(set(milestone_kinds) - set(defn.vocabulary.milestone_codes))
    if missing:
        labels = ", ".join(enrollment.program.vocabulary.milestone_label(k) for k in missing)
        return f"{name} has sign-offs ({labels}) that {target.label} does not declare."
    return None


def preview_move(program: Program, student_ids: list[int], target_id) -> MovePreview:
    """Each chosen student's audit under their version and under the target (four queries; nothing written).

    Raises ServiceError when no student is chosen, a chosen one is not the program's, or the target is not one of
    its versions.
    """
    from . import audit as audit_service

    if not student_ids:
        raise ServiceError("Choose at least one student.", "students")
    target = _target(program, target_id)
    audits = audit_service.audit_students(student_ids)
    if any(sid not in audits or audits[sid].enrollment.program_id != program.id for sid in student_ids):
        raise ServiceError(f"Choose students of {program.code} only.", "students")
    target_rules = rules_for(*db.session.execute(
        sa.select(CatalogVersion.digest, sa.cast(CatalogVersion.definition, sa.Text))
        .where(CatalogVersion.id == target.id)).one())
    preview = MovePreview(program, target)
    for sid in student_ids:
        current = audits[sid]
        kinds = [m.kind for m in current.records.milestone_rows]
        problem = _problem(current.enrollment, target, target_rules, kinds)
        after = None if problem else audit_service.rerun(current, version=target, version_rules=target_rules)
        preview.lines.append(MoveLine(current.enrollment, current, after, problem))
    return preview


def apply_move(program: Program, student_ids: list[int], target_id, *, actor: User) -> int:
    """Move the students to the target version in one transaction, one history event each; returns how many.

    Everything is checked again on the locked rows; any refusal (ServiceError) leaves every student where they were.
    """
    try:
        if not student_ids:
            raise ServiceError("Choose at least one student.", "students")
        target = _target(program, target_id)
        target_rules = rules_for(*db.session.execute(
            sa.select(CatalogVersion.digest, sa.cast(CatalogVersion.definition, sa.Text))
            .where(CatalogVersion.id == target.id)).one())
        enrollments = list(db.session.scalars(
            sa.select(Enrollment).where(Enrollment.student_id.in_(student_ids))
            .options(joinedload(Enrollment.student), joinedload(Enrollment.catalog_version),
                     joinedload(Enrollment.concentration), joinedload(Enrollment.program))
            .with_for_update(of=Enrollment).execution_options(populate_existing=True)))
        if len(enrollments) != len(student_ids) or any(e.program_id != program.id for e in enrollments):
            raise ServiceError(f"Choose students of {program.code} only.", "students")
        kinds: dict[int, list[str]] = {}
        for student_id, kind in db.session.execute(
                sa.select(MilestoneRecord.student_id, MilestoneRecord.kind)
                .where(MilestoneRecord.student_id.in_(student_ids))):
            kinds.setdefault(student_id, []).append(kind)
        problems = [p for p in (_problem(e, target, target_rules, kinds.get(e.student_id, ())) for e in enrollments)
                    if p]
        if problems:
            raise ServiceError(" ".join(problems) + " Nobody was moved.", "students")
        for enrollment in sorted(enrollments, key=lambda e: e.student_id):
            old = enrollment.catalog_version
            enrollment.catalog_version_id = target.id
            history.record(
                actor, "enrollment.catalog_moved", "enrollment", enrollment.id, subject_id=enrollment.student_id,
                summary=f"Moved {enrollment.student.email} from {old.label} to {target.label}",
                changes={"catalog_version": [old.name, target.name], "catalog_version_id": [old.id, target.id]},
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(enrollments)
