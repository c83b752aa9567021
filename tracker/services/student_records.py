"""What a student's course records and ensemble records share: one record per item per term, and the item choices."""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa

from ..extensions import db
from ..models import Term, User
from . import ServiceError


def active_or_kept(model, include_id: int | None) -> sa.ColumnElement[bool]:
    """The condition for an item a form offers: active, or `include_id` (a retired one an existing record keeps)."""
    condition = model.active.is_(True)
    if include_id is not None:
        condition = sa.or_(condition, model.id == include_id)
    return condition


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
