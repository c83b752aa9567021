"""E-mail: the outbox (each message written in the transaction of the event it announces) and each user's choice
per kind of mail."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, enum_column, utcnow
from .enums import MailKind, MailMode, MailStatus
from .people import User


class OutboxMessage(db.Model):
    """One e-mail to one user. `flask tracker send-mail` claims queued ones whose time has come (a conditional
    UPDATE, so two senders never send one twice), sends them, and retries a failure later until it gives up."""

    __tablename__ = "outbox_message"
    # What the sender polls: the queued messages that are due, oldest first.
    __table_args__ = (sa.Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True,
                                              nullable=False)
    kind: Mapped[MailKind] = mapped_column(enum_column(MailKind), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body_text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_html: Mapped[Optional[str]] = mapped_column(sa.Text, nullable=True)
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), nullable=False, default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_error: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    # The booking a reminder is about: cancelling the booking withdraws a reminder not sent yet.
    booking_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("studio_booking.id", ondelete="CASCADE"),
                                                      index=True, nullable=True)

    recipient: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind.value} to={self.recipient_id} {self.status.value}>"


class MailPreference(db.Model):
    """A user's choice for one kind of mail; without a row the kind's default applies (services/mail.py)."""

    __tablename__ = "mail_preference"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint (user_id, kind) is the index on user_id.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[MailKind] = mapped_column(enum_column(MailKind), nullable=False)
    mode: Mapped[MailMode] = mapped_column(enum_column(MailMode), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<MailPreference user={self.user_id} {self.kind.value}={self.mode.value}>"
