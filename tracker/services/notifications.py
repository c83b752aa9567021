"""In-app notifications: writing them inside the caller's transaction, listing them, marking them read, nav counts."""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models import Confirmation, Notification, SessionStatus, StudioSession, User, utcnow
from ..permissions import review_scope

MAX_MESSAGE = 500  # the column's length


def notify(user_id: int, message: str, link: str = "") -> Notification:
    """Add a notification to the session; the caller commits it with the change it announces."""
    notification = Notification(user_id=user_id, message=message[:MAX_MESSAGE], link=link[:300])
    db.session.add(notification)
    return notification


def notifications_query(user_id: int) -> sa.Select:
    """A user's notifications, newest first (for pagination)."""
    return (
        sa.select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def pending_reviews_select(user: User) -> sa.Select:
    """COUNT of the sessions waiting for this user's review: those they supervise, or every one for admins (not
    those still waiting for a named participant's confirmation: they cannot be decided yet)."""
    return sa.select(sa.func.count(StudioSession.id)).where(StudioSession.status == SessionStatus.PENDING,
                                                            StudioSession.confirmation == Confirmation.CONFIRMED,
                                                            review_scope(user))


def unread_select(user_id: int) -> sa.Select:
    """COUNT of a user's unread notifications (served by ix_notification_user_unread)."""
    return sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )


def nav_counts(user: User) -> tuple[int, int]:
    """(unread notifications, sessions waiting for review) in one round trip; the second is 0 for students."""
    columns = [unread_select(user.id).scalar_subquery()]
    reviewer = not user.is_student
    if reviewer:
        columns.append(pending_reviews_select(user).scalar_subquery())
    row = db.session.execute(sa.select(*columns)).one()
    return int(row[0] or 0), int(row[1] or 0) if reviewer else 0


# Reading a notification is not a change to anyone's records, so it writes no history event.
def mark_read(notification: Notification) -> None:
    """Mark one notification read (already read ones keep their first read time)."""
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; returns how many were unread."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0
