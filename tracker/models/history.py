"""The audit trail: who did what to which record, when, with the changed values."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .people import User


class HistoryEvent(db.Model):
    """One recorded change. `changes` maps field -> [old, new] (or a dict of values for creations)."""

    __tablename__ = "history_event"
    __table_args__ = (
        sa.Index("ix_history_event_entity", "entity_type", "entity_id"),
        sa.Index("ix_history_event_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=True)
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    entity_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    entity_id: Mapped[Optional[int]] = mapped_column(sa.Integer, nullable=True)
    # The student whose records the change concerns, so a student's history is one indexed lookup.
    subject_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=True)
    summary: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    changes: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    ip_address: Mapped[Optional[str]] = mapped_column(sa.String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    actor: Mapped[Optional[User]] = relationship(foreign_keys=[actor_id])
    subject: Mapped[Optional[User]] = relationship(foreign_keys=[subject_id])

    def __repr__(self) -> str:
        return f"<HistoryEvent {self.id} {self.action} {self.entity_type}:{self.entity_id}>"
