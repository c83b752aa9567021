"""Studio time that is planned rather than logged: opening hours, closures and bookings (tracker.services.bookings)."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, enum_column, utcnow
from .catalog import Studio
from .enums import BookingKind, BookingStatus
from .people import User
from .records import StudioSession


class StudioOpeningHours(db.Model):
    """When a studio may be booked on one weekday (0 = Monday), in local wall-clock time."""

    __tablename__ = "studio_opening_hours"
    __table_args__ = (
        sa.UniqueConstraint("studio_id", "weekday"),
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(sa.ForeignKey("studio.id", ondelete="CASCADE"), index=True, nullable=False)
    weekday: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    opens_at: Mapped[time] = mapped_column(sa.Time, nullable=False)
    closes_at: Mapped[time] = mapped_column(sa.Time, nullable=False)

    studio: Mapped[Studio] = relationship(back_populates="opening_hours")

    def __repr__(self) -> str:
        return f"<StudioOpeningHours studio={self.studio_id} day={self.weekday} {self.opens_at}-{self.closes_at}>"


class StudioClosure(db.Model):
    """Whole days a studio cannot be booked (maintenance, holidays), first and last day included."""

    __tablename__ = "studio_closure"
    __table_args__ = (
        sa.Index("ix_studio_closure_studio_days", "studio_id", "starts_on", "ends_on"),
        sa.CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(sa.ForeignKey("studio.id", ondelete="CASCADE"), index=True, nullable=False)
    starts_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    studio: Mapped[Studio] = relationship()
    created_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<StudioClosure studio={self.studio_id} {self.starts_on}..{self.ends_on}>"


class StudioBooking(db.Model):
    """A reserved slot of a studio on one date: a booking for a person, or time an admin blocked."""

    __tablename__ = "studio_booking"
    __table_args__ = (
        # What the week calendar and the overlap check read: a studio's active bookings on a date.
        sa.Index("ix_studio_booking_studio_date", "studio_id", "date", "status"),
        sa.Index("ix_studio_booking_user_date", "user_id", "date"),
        sa.CheckConstraint("end_time > start_time", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(sa.ForeignKey("studio.id"), index=True, nullable=False)
    # Whom the slot is for (None for blocked time).
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=True)
    booked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=False)
    kind: Mapped[BookingKind] = mapped_column(enum_column(BookingKind), nullable=False, default=BookingKind.BOOKING)
    date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    start_time: Mapped[time] = mapped_column(sa.Time, nullable=False)
    end_time: Mapped[time] = mapped_column(sa.Time, nullable=False)
    purpose: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    project: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    status: Mapped[BookingStatus] = mapped_column(
        enum_column(BookingStatus), nullable=False, default=BookingStatus.ACTIVE
    )
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True, nullable=True)
    # Cancelled less than the program's late_cancellation_hours before the start.
    late_cancellation: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False,
                                                    server_default=sa.false())
    # The session logged from this booking ("log this session"), once there is one.
    session_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("studio_session.id", ondelete="SET NULL"), index=True, nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    studio: Mapped[Studio] = relationship()
    user: Mapped[Optional[User]] = relationship(foreign_keys=[user_id])
    booked_by: Mapped[User] = relationship(foreign_keys=[booked_by_id])
    cancelled_by: Mapped[Optional[User]] = relationship(foreign_keys=[cancelled_by_id])
    session: Mapped[Optional[StudioSession]] = relationship()

    @property
    def minutes(self) -> int:
        return (self.end_time.hour * 60 + self.end_time.minute) - (self.start_time.hour * 60 + self.start_time.minute)

    def __repr__(self) -> str:
        return f"<StudioBooking {self.id} studio={self.studio_id} {self.date} {self.start_time}-{self.end_time}>"
