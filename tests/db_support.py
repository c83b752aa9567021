"""Reading back what a request stored: a student's rows of one record model, as the database has them now."""
from __future__ import annotations

import sqlalchemy as sa

from tracker.extensions import db


def rows_of(model, student) -> list:
    """The student's rows of `model` (CourseRecord, EnsembleRecord, ...), oldest first, freshly loaded."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(model).where(model.student_id == student.id).order_by(model.id)))


def lose_the_race(monkeypatch, service, model, **row) -> None:
    """Let `service._check` pass, then have another submission commit `row` (a `model` row) before this one does:
    two submissions at once, both past the check, as the database sees them."""
    original = service._check

    def check_then_lose_the_race(*args, **kwargs):
        result = original(*args, **kwargs)
        with db.engine.begin() as conn:  # the other submission commits first
            conn.execute(sa.insert(model.__table__).values(**row, created_at=sa.func.now(), updated_at=sa.func.now()))
        return result

    monkeypatch.setattr(service, "_check", check_then_lose_the_race)
