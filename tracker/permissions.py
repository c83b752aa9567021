"""Authorization in one place: every "may this user see or act on this object" question of the app.

Views guard themselves with `role_required` and load objects through the `..._or_404` loaders below (404, not 403,
so ids cannot be probed); services apply the query scopes (`review_scope`, `studio_session_scope`) to what they
list and check the rules (`may_change_term_sessions`, `may_review`, `may_sign_milestone`, ...) before a change.
Nothing else in the app decides who may see what. tests/test_route_guards.py checks every route against this.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from .extensions import db
from .models import (ApiToken, BookingKind, Confirmation, Enrollment, Notification, ProgressDocument, Role, SessionStatus,
                     StudioBooking, StudioSession, User)

T = TypeVar("T")


# ---------------------------------------------------------------- guards for views

def role_required(*roles: Role | str) -> Callable:
    """Allow only logged-in users with one of these roles; others get 403. The view keeps them as `allowed_roles`."""
    allowed = frozenset(Role(r) for r in roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed
        return wrapped

    return decorator


def current_actor() -> User:
    """The logged-in user as a model object: services record it as the actor of a change."""
    return current_user._get_current_object()


# ---------------------------------------------------------------- rules

def can_view_enrollment(user: User, enrollment: Enrollment) -> bool:
    """Who sees a student's records and progress: the student, their advisor, or an admin."""
    if user.is_admin:
        return True
    if user.is_student:
        return enrollment.student_id == user.id
    return enrollment.advisor_id is not None and enrollment.advisor_id == user.id


def can_view_student(user: User, student_id: int) -> bool:
    """can_view_enrollment for a student id (one query for faculty)."""
    if user.is_admin:
        return True
    if user.is_student:
        return user.id == student_id
    advisor_id = db.session.scalar(sa.select(Enrollment.advisor_id).where(Enrollment.student_id == student_id))
    return advisor_id is not None and advisor_id == user.id


def may_advise(user: User, student_id: int) -> bool:
    """Who records or revokes a student's audit exceptions and milestones: their advisor or an admin."""
    return not user.is_student and can_view_student(user, student_id)


def may_issue_document(user: User, student_id: int) -> bool:
    """Who issues a student's progress document: the student themself, their advisor or an admin."""
    return can_view_student(user, student_id)


def may_revoke_document(user: User, document: ProgressDocument) -> bool:
    """Who revokes an issued progress document: whoever issued it, or an admin."""
    return user.is_admin or document.issued_by_id == user.id


def may_see_booking_names(user: User, booking) -> bool:
    """Who sees whom a studio booking (a StudioBooking) is for and why: staff, and the person it is for. Everyone
    else (other students, in a studio's calendar feed) sees only that the slot is booked."""
    return not user.is_student or (booking.user_id is not None and booking.user_id == user.id)


def may_change_term_sessions(user: User, *, closed: bool) -> bool:
    """The closed-term rule: a closed term's studio sessions are logged, changed or decided by administrators only."""
    return not closed or user.is_admin


def may_review(user: User, studio_session: StudioSession) -> bool:
    """Who decides a studio session: its supervisor (faculty) or an admin."""
    return user.is_admin or (user.is_faculty and studio_session.supervisor_id == user.id)


def may_answer_group_session(user: User, studio_session: StudioSession) -> bool:
    """Who confirms or declines a row of a group session: the student it names, while it waits for their answer."""
    return (user.is_student and studio_session.student_id == user.id
            and studio_session.confirmation == Confirmation.AWAITING
            and studio_session.status == SessionStatus.PENDING)


def may_sign_milestone(user: User, enrollment: Enrollment, milestone) -> bool:
    """The program's signed_by rule for one milestone kind (a tracker.domain.MilestoneDef) and this student."""
    return milestone.may_sign(is_admin=user.is_admin,
                              is_advisor=enrollment.advisor_id is not None and enrollment.advisor_id == user.id)


def may_see_booker(user: User, booking: StudioBooking) -> bool:
    """Who a calendar shows a booking's person to: staff (faculty, admins), and the person themself; students see
    someone else's booking as just "Booked"."""
    return not user.is_student or booking.user_id == user.id


def may_view_booking(user: User, booking: StudioBooking) -> bool:
    """Who opens a booking's page: admins, the person it is for (or who made it), and a student's advisor."""
    if user.is_admin or booking.user_id == user.id or booking.booked_by_id == user.id:
        return True
    return (user.is_faculty and booking.kind == BookingKind.BOOKING and booking.user_id is not None
            and can_view_student(user, booking.user_id))


def may_cancel_booking(user: User, booking: StudioBooking) -> bool:
    """Who cancels a booking: the person it is for, or an admin (who also removes blocked time)."""
    return user.is_admin or (booking.kind == BookingKind.BOOKING and booking.user_id == user.id)


# ---------------------------------------------------------------- query scopes for services

def review_scope(user: User) -> sa.ColumnElement[bool]:
    """The studio sessions a user reviews: admins every one, faculty those they supervise, anyone else none."""
    if user.is_admin:
        return sa.true()
    if user.is_faculty:
        return StudioSession.supervisor_id == user.id
    return sa.false()


def reconciliation_booking_scope(user: User) -> sa.ColumnElement[bool]:
    """The studio bookings a user sees on the reconciliation report: admins every one, faculty their advisees'
    (a booking has no supervisor; the advisor is who sees a student's records, as in can_view_student), anyone
    else none. The report's sessions follow review_scope."""
    if user.is_admin:
        return sa.true()
    if user.is_faculty:
        return StudioBooking.user_id.in_(sa.select(Enrollment.student_id).where(Enrollment.advisor_id == user.id))
    return sa.false()


def advisee_scope(user: User) -> sa.ColumnElement[bool]:
    """The enrollments whose students a user reads as an advisor (the advisees list, can_view_enrollment): admins
    every one, faculty their advisees, anyone else none."""
    if user.is_admin:
        return sa.true()
    if user.is_faculty:
        return Enrollment.advisor_id == user.id
    return sa.false()


def studio_session_scope(user: User) -> sa.ColumnElement[bool]:
    """The studio sessions a user may see: students their own, faculty those they supervise, admins every one."""
    if user.is_student:
        return StudioSession.student_id == user.id
    return review_scope(user)


# ---------------------------------------------------------------- loaders for views (404 for what is not yours)

def get_student_or_404(student_id: int) -> User:
    """A student the current user may see."""
    student = db.session.get(User, student_id)
    if student is None or not student.is_student or not can_view_student(current_user, student_id):
        abort(404)
    return student


def get_enrollment_or_404(enrollment: Enrollment | None) -> Enrollment:
    """An enrollment the caller loaded (with what its page needs), if the current user may see it."""
    if enrollment is None or not can_view_enrollment(current_user, enrollment):
        abort(404)
    return enrollment


def get_advisee_or_404(enrollment: Enrollment | None) -> Enrollment:
    """An enrollment the caller loaded, if the current user advises the student or is an admin."""
    if enrollment is None or current_user.is_student or not can_view_enrollment(current_user, enrollment):
        abort(404)
    return enrollment


def get_own_or_404(model: type[T], object_id: int, *options) -> T:
    """A student-owned record (course, ensemble, studio session) belonging to the current user."""
    obj = db.session.scalar(
        sa.select(model).where(model.id == object_id, model.student_id == current_user.id).options(*options)
    )
    if obj is None:
        abort(404)
    return obj


def get_students_record_or_404(model: type[T], object_id: int, student_id: int) -> T:
    """A record of a student the caller already checked access to (e.g. an audit exception on their page)."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.student_id != student_id:
        abort(404)
    return obj


def get_studio_session_or_404(session_id: int) -> StudioSession:
    """A studio session the current user may see, with the people, studio and term its page shows."""
    found = db.session.scalar(
        sa.select(StudioSession)
        .where(StudioSession.id == session_id, studio_session_scope(current_user))
        .options(joinedload(StudioSession.student), joinedload(StudioSession.supervisor),
                 joinedload(StudioSession.reviewer), joinedload(StudioSession.studio), joinedload(StudioSession.term))
    )
    if found is None:
        abort(404)
    return found


def get_group_sessions_or_404(group_id: int) -> list[StudioSession]:
    """A group session's rows that the current user reviews (review_scope), with what the group's page shows; 404
    when there is none. Students never get here: each of them sees the group only as their own row."""
    found = list(db.session.scalars(
        sa.select(StudioSession)
        .where(StudioSession.group_id == group_id, review_scope(current_user))
        .options(joinedload(StudioSession.student), joinedload(StudioSession.supervisor),
                 joinedload(StudioSession.reviewer), joinedload(StudioSession.studio), joinedload(StudioSession.term))
        .order_by(StudioSession.id)
    ))
    if not found:
        abort(404)
    return found


def get_notification_or_404(notification_id: int) -> Notification:
    """One of the current user's own notifications."""
    found = db.session.scalar(
        sa.select(Notification).where(Notification.id == notification_id, Notification.user_id == current_user.id)
    )
    if found is None:
        abort(404)
    return found


def get_document_or_404(document_id: int) -> ProgressDocument:
    """A progress document about a student the current user may see (its public link needs no login: that page
    looks the document up by its token instead)."""
    found = db.session.get(ProgressDocument, document_id)
    if found is None or not can_view_student(current_user, found.student_id):
        abort(404)
    return found


def get_booking_or_404(booking_id: int) -> StudioBooking:
    """A studio booking the current user may see (may_view_booking), with its studio and people."""
    found = db.session.scalar(
        sa.select(StudioBooking).where(StudioBooking.id == booking_id)
        .options(joinedload(StudioBooking.studio), joinedload(StudioBooking.user), joinedload(StudioBooking.booked_by),
                 joinedload(StudioBooking.cancelled_by), joinedload(StudioBooking.session))
    )
    if found is None or not may_view_booking(current_user, found):
        abort(404)
    return found


def get_booking_to_log_or_404(booking_id: int | None) -> StudioBooking:
    """One of the current student's own bookings (not blocked time), for logging it as a session."""
    found = None
    if booking_id is not None:
        found = db.session.scalar(
            sa.select(StudioBooking)
            .where(StudioBooking.id == booking_id, StudioBooking.user_id == current_user.id,
                   StudioBooking.kind == BookingKind.BOOKING)
            .options(joinedload(StudioBooking.studio))
        )
    if found is None:
        abort(404)
    return found


def get_api_token_or_404(token_id: int) -> ApiToken:
    """One of the current user's own API tokens (nobody else's, administrators' included: a token is personal)."""
    found = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id))
    if found is None:
        abort(404)
    return found
