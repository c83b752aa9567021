"""Reading back what a request stored: a student's rows of one record model, as the database has them now."""
from __future__ import annotations

import sqlalchemy as sa

from tracker.extensions import db


def rows_of(model, student) -> list:
    """The student's rows of `model` (CourseRecord, EnsembleRecord, ...), oldest first, freshly loaded."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(model).where(model.student_id == student.id).order_by(model.id)))
