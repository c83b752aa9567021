"""A student's ensemble participation: add, edit and delete, one record per ensemble per term."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa

from ..extensions import db
from ..models import Ensemble, EnsembleRecord, EnsembleRole, Term, User
from . import Problems, ServiceError, history, unique_or_refuse
from .student_records import (active_or_kept, chosen_term, offered_item, recent_records, records_in_term_order,
                              refuse_duplicate)

ENTITY = "ensemble_record"


@dataclass(frozen=True)
class EnsembleInput:
    """What the ensemble form submits."""

    ensemble_id: int | None
    term_id: int | None
    role: EnsembleRole | str | None
    notes: str = ""


def active_ensembles(include_id: int | None = None) -> list[Ensemble]:
    """Active ensembles by name (plus `include_id`, a retired one an existing record still uses)."""
    return list(db.session.scalars(
        sa.select(Ensemble).where(active_or_kept(Ensemble, include_id)).order_by(Ensemble.name)))


def _check(
    student: User, data: EnsembleInput, record: EnsembleRecord | None
) -> tuple[Ensemble, Term, EnsembleRole, str]:
    """Validate the input, every field at once; returns the clean values."""
    problems = Problems()
    ensemble = offered_item(Ensemble, data.ensemble_id, record.ensemble_id if record is not None else None)
    if ensemble is None:
        problems.add("ensemble_id", "Choose one of the school's active ensembles.")
    term = chosen_term(data.term_id, problems)
    try:
        role = EnsembleRole(data.role)
    except ValueError:
        problems.add("role", "Choose your role in the ensemble.")
    problems.raise_any()
    refuse_duplicate(EnsembleRecord, EnsembleRecord.ensemble_id, student, ensemble, term, record, _duplicate)
    return ensemble, term, role, (data.notes or "").strip()


def _duplicate(ensemble: Ensemble, term: Term) -> ServiceError:
    return ServiceError(f"You already have {ensemble.name} in {term.name}: one record per ensemble per term. "
                        "Edit that record instead.", "ensemble_id")


def add_ensemble(student: User, data: EnsembleInput, *, actor: User) -> EnsembleRecord:
    """Record the student's participation in an ensemble for a term."""
    ensemble, term, role, notes = _check(student, data, None)
    record = EnsembleRecord(student_id=student.id, ensemble_id=ensemble.id, term_id=term.id, role=role, notes=notes)
    db.session.add(record)
    with unique_or_refuse(_duplicate(ensemble, term)):
        db.session.flush()
    history.record(
        actor, "ensemble_record.added", ENTITY, record.id, subject_id=student.id,
        summary=f"Added {ensemble.name} in {term.name} ({role.label.lower()})",
        changes={"ensemble": ensemble.name, "term": term.name, "role": role, "notes": notes},
    )
    db.session.commit()
    return record


def update_ensemble(record: EnsembleRecord, data: EnsembleInput, *, actor: User) -> EnsembleRecord:
    """Change an ensemble record."""
    ensemble, term, role, notes = _check(record.student, data, record)
    # The history shows names, which a reader understands, rather than ids.
    before = SimpleNamespace(ensemble=record.ensemble.name, term=record.term.name, role=record.role,
                             notes=record.notes)
    changes = history.diff(before, {"ensemble": ensemble.name, "term": term.name, "role": role, "notes": notes})
    if not changes:
        return record
    record.ensemble_id, record.term_id, record.role, record.notes = ensemble.id, term.id, role, notes
    with unique_or_refuse(_duplicate(ensemble, term)):
        db.session.flush()
    history.record(actor, "ensemble_record.edited", ENTITY, record.id, subject_id=record.student_id,
                   summary=f"Edited {ensemble.name} in {term.name}", changes=changes)
    db.session.commit()
    return record


def delete_ensemble(record: EnsembleRecord, *, actor: User) -> None:
    """Delete an ensemble record."""
    history.record(
        actor, "ensemble_record.deleted", ENTITY, record.id, subject_id=record.student_id,
        summary=f"Deleted {record.ensemble.name} in {record.term.name}",
        changes={"ensemble": record.ensemble.name, "term": record.term.name, "role": record.role,
                 "notes": record.notes},
    )
    db.session.delete(record)
    db.session.commit()


def ensembles_of(student_id: int) -> list[EnsembleRecord]:
    """The student's ensemble records, oldest term first."""
    return records_in_term_order(EnsembleRecord, EnsembleRecord.ensemble, Ensemble.name, student_id)


def recent_ensembles(student_id: int, limit: int = 3) -> list[EnsembleRecord]:
    """The student's most recently added or changed ensemble records."""
    return recent_records(EnsembleRecord, EnsembleRecord.ensemble, student_id, limit)
