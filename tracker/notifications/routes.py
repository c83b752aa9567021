"""Notification views, and the app-wide navigation counts."""
from __future__ import annotations

import logging

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..permissions import current_actor, get_notification_or_404
from ..query_args import paginate
from ..security import is_safe_next
from ..services import notifications
from . import bp

log = logging.getLogger("tracker.notifications")


@bp.app_context_processor
def nav_counts() -> dict:
    """Unread notifications and (faculty, admins) sessions waiting for review: one COUNT round trip per page,
    nothing for anonymous visitors."""
    if not current_user.is_authenticated:
        return {}
    if "nav_counts" not in g:
        try:
            g.nav_counts = notifications.nav_counts(current_user)
        except SQLAlchemyError:
            # The badges must never turn a page (least of all an error page) into a second failure.
            log.exception("navigation counts unavailable")
            db.session.rollback()
            g.nav_counts = (0, 0)
    unread, pending = g.nav_counts
    return {"nav_unread_notifications": unread, "nav_pending_reviews": pending}


@bp.route("")
@login_required
def index():
    """The user's notifications, newest first; unread ones stand out and stay unread until opened."""
    page = paginate(notifications.notifications_query(current_user.id), current_app.config["ITEMS_PER_PAGE"])
    return render_template("notifications/index.html", page=page)


@bp.route("/read", methods=["POST"])
@login_required
def read():
    """Mark every notification read."""
    count = notifications.mark_all_read(current_actor())
    flash(f"Marked {count} notification{'s' if count != 1 else ''} read." if count else "Nothing was unread.",
          "success" if count else "info")
    return redirect(url_for("notifications.index"))


@bp.route("/<int:notification_id>/open", methods=["POST"], endpoint="open")
@login_required
def open_notification(notification_id: int):
    """Mark a notification read and go to what it is about (links inside the app only)."""
    notification = get_notification_or_404(notification_id)
    link = notification.link
    notifications.mark_read(notification)
    return redirect(link if is_safe_next(link) else url_for("notifications.index"))
