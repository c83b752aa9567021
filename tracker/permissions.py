"""Authorization in one place: role checks and lookups scoped to what the current user may see."""
from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from .extensions import db
from .models import Enrollment, Role, User

T = TypeVar("T")


def role_required(*roles: Role | str) -> Callable:
    """Allow only logged-in users with one of these roles; others get 403."""
    allowed = {Role(r) for r in roles}

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def current_actor() -> User:
    """The logged-in user as a model object: services record it as the actor of a change."""
    return current_user._get_current_object()


def student_ids_visible_to(user: User) -> sa.Select | None:
    """A SELECT of student ids this user may see, or None for 'every student' (admins)."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.FACULTY:
        return sa.select(Enrollment.student_id).where(Enrollment.advisor_id == user.id)
    return sa.select(sa.literal(user.id))


def can_view_student(user: User, student_id: int) -> bool:
    """Students see themselves, advisors their advisees, admins everyone."""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.STUDENT:
        return user.id == student_id
    advisor_id = db.session.scalar(sa.select(Enrollment.advisor_id).where(Enrollment.student_id == student_id))
    return advisor_id == user.id


def get_student_or_404(student_id: int) -> User:
    """A student the current user may see; 404 (not 403) so ids cannot be probed."""
    student = db.session.get(User, student_id)
    if student is None or student.role != Role.STUDENT or not can_view_student(current_user, student_id):
        abort(404)
    return student


def get_own_or_404(model: type[T], object_id: int, *options) -> T:
    """Load a student-owned record belonging to the current user, else 404."""
    obj = db.session.scalar(
        sa.select(model).where(model.id == object_id, model.student_id == current_user.id).options(*options)
    )
    if obj is None:
        abort(404)
    return obj


def can_view_enrollment(user: User, enrollment: Enrollment) -> bool:
    """can_view_student for an enrollment already loaded (no query): self, the advisor, or an admin."""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.STUDENT:
        return enrollment.student_id == user.id
    return enrollment.advisor_id == user.id


def may_sign_milestone(user: User, enrollment: Enrollment, milestone) -> bool:
    """The program's signed_by rule for one milestone kind (a tracker.domain.MilestoneDef) and this student."""
    return milestone.may_sign(is_admin=user.role == Role.ADMIN,
                              is_advisor=enrollment.advisor_id is not None and enrollment.advisor_id == user.id)
