"""What a student's course records and ensemble records share: one record per item per term, and the item choices."""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Term, User
from . import Problems, ServiceError


def active_or_kept(model, include_id: int | None) -> sa.ColumnElement[bool]:
    """The condition for an item a form offers: active, or `include_id` (a retired one an existing record keeps)."""
    condition = model.active.is_(True)
    if include_id is not None:
        condition = sa.or_(condition, model.id == include_id)
    return condition


def offered_item(model, item_id: int | None, kept_id: int | None):
    """The chosen item (course or ensemble) if it exists and a form may offer it: active, or the retired one the
    edited record keeps (`kept_id`); else None."""
    item = db.session.get(model, item_id) if item_id else None
    if item is None or not (item.active or item.id == kept_id):
        return None
    return item


def chosen_term(term_id: int | None, problems: Problems) -> Term | None:
    """The chosen term, or None with the problem noted."""
    term = db.session.get(Term, term_id) if term_id else None
    if term is None:
        problems.add("term_id", "Choose a term.")
    return term


def refuse_duplicate(model, item_column, student: User, item, term: Term, record,
                     refusal: Callable[..., ServiceError]) -> None:
    """Refuse a second record of the same item (course or ensemble) in the same term for the student; `record`,
    when editing, is the record itself, which does not count."""
    duplicate = sa.select(model.id).where(model.student_id == student.id, item_column == item.id,
                                          model.term_id == term.id)
    if record is not None:
        duplicate = duplicate.where(model.id != record.id)
    if db.session.scalar(duplicate) is not None:
        raise refusal(item, term)


def records_in_term_order(model, item, order_by, student_id: int) -> list:
    """The student's records of `model` with their `item` (the relationship: CourseRecord.course,
    EnsembleRecord.ensemble) and term loaded, oldest term first, then by `order_by` (a column of the item)."""
    return list(db.session.scalars(
        sa.select(model)
        .join(Term, Term.id == model.term_id)
        .join(item)
        .where(model.student_id == student_id)
        .options(joinedload(item), joinedload(model.term))
        .order_by(Term.start_date, Term.id, order_by)
    ))


def recent_records(model, item, student_id: int, limit: int) -> list:
    """The student's `limit` most recently added or changed records of `model`, with their `item` and term."""
    return list(db.session.scalars(
        sa.select(model)
        .where(model.student_id == student_id)
        .options(joinedload(item), joinedload(model.term))
        .order_by(model.updated_at.desc(), model.id.desc())
        .limit(limit)
    ))
