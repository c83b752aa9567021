"""Progress documents: dated, server-signed snapshots of a student's audit that anyone with the link can verify."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .people import User


class ProgressDocument(db.Model):
    """One issued snapshot. `content` is the JSON text exactly as signed; `signature` is its HMAC-SHA256 under the
    server's document key, so a changed row no longer verifies. Revoking keeps the row (the link then says so)."""

    __tablename__ = "progress_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unguessable part of the verification link (secrets.token_urlsafe).
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    content: Mapped[str] = mapped_column(sa.Text, nullable=False)
    signature: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    # Which key signed it (the first hex digits of the key's SHA-256), so a key change is told apart from tampering.
    key_id: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    revoked_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=True)
    revoke_reason: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")

    student: Mapped[User] = relationship(foreign_keys=[student_id])
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
    revoked_by: Mapped[Optional[User]] = relationship(foreign_keys=[revoked_by_id])

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def __repr__(self) -> str:
        return f"<ProgressDocument {self.id} student={self.student_id} {self.issued_at:%Y-%m-%d}>"
