"""One-time form submission tokens: the record that a rendered form was already sent (see tracker/forms.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class SubmissionToken(db.Model):
    """A form's one-time token, claimed in the same transaction as the change the form made.

    The primary key is the guard: a second submission of the same rendered form (a double click, a retry)
    inserts the same token, waits for the first transaction and then finds it taken. Rows only matter for as
    long as the form could still be sent, so old ones are purged by `created_at`.
    """

    __tablename__ = "submission_token"
    __table_args__ = (sa.Index("ix_submission_token_created_at", "created_at"),)

    token: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # Who sent it (None before login, e.g. a password reset link); kept for diagnosis, not for the lookup.
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True,
                                                   nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<SubmissionToken {self.token[:8]}… user={self.user_id} at {self.created_at:%Y-%m-%d %H:%M}>"
