"""The advisees list's queries: who may be chosen as an advisor there, and which students the list shows."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Enrollment, Role, User
from ..permissions import advisee_scope


def advisors() -> list[User]:
    """Faculty and administrators (anyone who may advise), by name."""
    return list(db.session.scalars(
        sa.select(User).where(User.role.in_([Role.FACULTY, Role.ADMIN])).order_by(User.display_name, User.id)))


def advisee_ids_query(*, advisor_id: int | None = None, without_advisor: bool = False) -> sa.Select:
    """Ids of enrolled students by name, for pagination: one advisor's advisees, the students without an advisor,
    or (neither given) every enrolled student."""
    query = sa.select(Enrollment.student_id).join(User, User.id == Enrollment.student_id)
    if without_advisor:
        query = query.where(Enrollment.advisor_id.is_(None))
    elif advisor_id is not None:
        query = query.where(Enrollment.advisor_id == advisor_id)
    return query.order_by(User.display_name, User.id)


def advisees_query(user: User) -> sa.Select:
    """The enrollments of the students `user` advises (every enrolled student for admins; permissions.advisee_scope),
    by name as on the advisees list, with the student, program, concentration, start term and advisor: one page at a
    time for the JSON API's students list."""
    return (
        sa.select(Enrollment).join(User, User.id == Enrollment.student_id)
        .where(advisee_scope(user))
        .options(joinedload(Enrollment.student), joinedload(Enrollment.program), joinedload(Enrollment.concentration),
                 joinedload(Enrollment.start_term), joinedload(Enrollment.advisor))
        .order_by(User.display_name, User.id)
    )
