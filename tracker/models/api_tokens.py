"""Personal access tokens for the JSON API: a user's named, scoped, expiring secret (only its hash is kept)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .people import User

# What a token may do: read its user's data, change it (write), or use the administrators' operations (admin).
SCOPES = ("read", "write", "admin")


class ApiToken(db.Model):
    """One personal access token. The secret itself is shown once, when it is made; the row keeps its SHA-256
    (`token_hash`) to find it by and its first characters (`prefix`) so its owner can tell tokens apart."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    # Space-separated, from SCOPES ("read write").
    scopes: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="read")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or utcnow())

    def usable(self, now: datetime | None = None) -> bool:
        """Neither revoked nor expired."""
        return not self.revoked and not self.expired(now)

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}… user={self.user_id} {self.scopes!r}>"
