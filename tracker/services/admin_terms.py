"""Academic terms: add, edit, close and reopen, and delete a term that nothing uses yet."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ..extensions import db
from ..models import CourseRecord, Enrollment, EnsembleRecord, StudioSession, Term, User, utcnow
from . import Problems, ServiceError, history
from .values import check_date


def newest_first() -> list[Term]:
    """Every term, the newest first (for the terms page and term selects)."""
    return list(db.session.scalars(sa.select(Term).order_by(Term.start_date.desc())))


def _check(name: str, start: date | None, end: date | None, term_id: int | None) -> str:
    """Validate a term's values; returns the cleaned name or raises ServiceError with every field at fault."""
    problems = Problems()
    name = (name or "").strip()
    if not name:
        problems.add("name", "Enter the term's name, e.g. Fall 2026.")
    else:
        clash = db.session.scalar(
            sa.select(Term.name).where(sa.func.lower(Term.name) == name.lower(), Term.id != (term_id or 0))
        )
        if clash:
            problems.add("name", f"There is already a term called {clash}.")
    if start is None:
        problems.add("start_date", "Enter the first day of the term.")
    else:
        problems.check(check_date, start, "start_date")
    if end is None:
        problems.add("end_date", "Enter the last day of the term.")
    else:
        problems.check(check_date, end, "end_date")
    if not problems.has("start_date", "end_date"):
        if end <= start:
            problems.add("end_date", "The term must end after it starts.")
        else:
            # Studio sessions find their term by date, so two terms may not share a day.
            overlap = db.session.scalar(
                sa.select(Term).where(Term.start_date <= end, Term.end_date >= start, Term.id != (term_id or 0))
                .limit(1)
            )
            if overlap is not None:
                problems.add("start_date", f"These dates overlap {overlap.name} "
                                           f"({overlap.start_date:%-d %b %Y} – {overlap.end_date:%-d %b %Y}).")
    problems.raise_any()
    return name


def create_term(name: str, start_date: date | None, end_date: date | None, *, actor: User) -> Term:
    """Add a term."""
    name = _check(name, start_date, end_date, None)
    term = Term(name=name, start_date=start_date, end_date=end_date, closed=False)
    db.session.add(term)
    db.session.flush()
    history.record(actor, "term.created", "term", term.id, summary=f"Added term {term.name}",
                   changes={"name": name, "start_date": start_date, "end_date": end_date})
    db.session.commit()
    return term


def update_term(term: Term, name: str, start_date: date | None, end_date: date | None, *, actor: User) -> None:
    """Rename a term or move its dates; sessions already logged must stay inside the new dates."""
    name = _check(name, start_date, end_date, term.id)
    first, last = db.session.execute(
        sa.select(sa.func.min(StudioSession.date), sa.func.max(StudioSession.date))
        .where(StudioSession.term_id == term.id)
    ).one()
    if first is not None and (start_date > first or end_date < last):
        raise ServiceError(
            f"Studio sessions of this term are dated {first:%-d %b %Y} to {last:%-d %b %Y}; "
            "the term's dates must include them.", "start_date" if start_date > first else "end_date")
    changes = history.diff(term, {"name": name, "start_date": start_date, "end_date": end_date})
    if not changes:
        return
    term.name, term.start_date, term.end_date = name, start_date, end_date
    history.record(actor, "term.updated", "term", term.id, summary=f"Edited term {term.name}", changes=changes)
    db.session.commit()


def set_closed(term: Term, closed: bool, *, actor: User) -> None:
    """Close a term (its studio sessions then change only by an admin) or reopen it."""
    if term.closed == closed:
        raise ServiceError(f"{term.name} is already {'closed' if closed else 'open'}.")
    term.closed = closed
    term.closed_at = utcnow() if closed else None
    history.record(actor, "term.closed" if closed else "term.reopened", "term", term.id,
                   summary=f"{'Closed' if closed else 'Reopened'} term {term.name}",
                   changes={"closed": [not closed, closed]})
    db.session.commit()


def usage(term_id: int) -> dict[str, int]:
    """How many records of each kind use a term (one query)."""
    counts = db.session.execute(sa.select(
        sa.select(sa.func.count()).where(CourseRecord.term_id == term_id).scalar_subquery(),
        sa.select(sa.func.count()).where(EnsembleRecord.term_id == term_id).scalar_subquery(),
        sa.select(sa.func.count()).where(StudioSession.term_id == term_id).scalar_subquery(),
        sa.select(sa.func.count()).where(Enrollment.start_term_id == term_id).scalar_subquery(),
    )).one()
    return dict(zip(("course records", "ensemble records", "studio sessions", "students who started in it"), counts))


def delete_term(term: Term, *, actor: User) -> None:
    """Delete a term that has no records; a term with records can only be edited."""
    used = {label: n for label, n in usage(term.id).items() if n}
    if used:
        listed = ", ".join(f"{n} {label}" for label, n in used.items())
        raise ServiceError(f"{term.name} cannot be deleted: it has {listed}. Edit or close it instead.")
    history.record(actor, "term.deleted", "term", term.id, summary=f"Deleted term {term.name}",
                   changes={"name": term.name, "start_date": term.start_date, "end_date": term.end_date})
    db.session.delete(term)
    db.session.commit()


def records_by_term() -> dict[int, int]:
    """Term id -> how many records (course, ensemble, studio, start of enrollment) use it — one query."""
    used = sa.union_all(
        sa.select(CourseRecord.term_id.label("term_id")),
        sa.select(EnsembleRecord.term_id.label("term_id")),
        sa.select(StudioSession.term_id.label("term_id")),
        sa.select(Enrollment.start_term_id.label("term_id")).where(Enrollment.start_term_id.is_not(None)),
    ).subquery()
    return dict(db.session.execute(sa.select(used.c.term_id, sa.func.count()).group_by(used.c.term_id)).all())
