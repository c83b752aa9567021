"""Forms of the booking settings: a studio's week of opening hours and limits, its closures, a program's settings.

Numbers are text fields: the service checks them and says what is wrong next to each (all at once).
"""
from __future__ import annotations

from wtforms import BooleanField, DateField, StringField, SubmitField, TimeField
from wtforms.validators import Optional

from ..forms import TrackerForm
from ..services.studio_settings import WEEKDAYS, DayHours, day_field


class StudioSettingsForm(TrackerForm):
    """Seven rows (closed, or opens / closes), then the longest booking and how far ahead one may book.

    The day fields are made below (day0_closed, day0_opens_at, day0_closes_at, ... day6_closes_at), so a service
    problem named after one of them lands next to it.
    """

    max_booking_hours = StringField(
        "Longest booking (hours)",
        description="The most one booking may last, in quarter hours (e.g. 4 or 2.5).")
    booking_weeks_ahead = StringField(
        "Weeks ahead",
        description="How many weeks ahead students may book this studio (1 to 52).")
    submit = SubmitField("Save booking settings")

    @staticmethod
    def day_names(weekday: int) -> tuple[str, str, str]:
        """The three field names of one weekday's row."""
        return tuple(day_field(weekday, name) for name in ("closed", "opens_at", "closes_at"))

    def days(self) -> tuple[DayHours, ...]:
        """The seven rows as the service takes them."""
        out = []
        for weekday in range(7):
            closed, opens, closes = (self[name] for name in self.day_names(weekday))
            out.append(DayHours(weekday, bool(closed.data), opens.data, closes.data))
        return tuple(out)

    def fill(self, studio) -> None:
        """Show a studio's current week (a day without a row is closed) and limits."""
        by_day = {row.weekday: row for row in studio.opening_hours}
        for weekday in range(7):
            closed, opens, closes = (self[name] for name in self.day_names(weekday))
            row = by_day.get(weekday)
            closed.data = row is None
            opens.data = row.opens_at if row else None
            closes.data = row.closes_at if row else None
        hours = studio.max_booking_minutes / 60
        self.max_booking_hours.data = f"{hours:g}"
        self.booking_weeks_ahead.data = str(studio.booking_weeks_ahead)


for _weekday, _name in enumerate(WEEKDAYS):
    setattr(StudioSettingsForm, day_field(_weekday, "closed"), BooleanField(f"Closed on {_name}"))
    setattr(StudioSettingsForm, day_field(_weekday, "opens_at"),
            TimeField(f"Opens on {_name}", validators=[Optional()], format="%H:%M"))
    setattr(StudioSettingsForm, day_field(_weekday, "closes_at"),
            TimeField(f"Closes on {_name}", validators=[Optional()], format="%H:%M"))


class ClosureForm(TrackerForm):
    """Days a studio cannot be booked."""

    starts_on = DateField("First day", validators=[Optional()])
    ends_on = DateField("Last day", validators=[Optional()],
                        description="Included; the same as the first day for a one-day closure.")
    reason = StringField("Reason",
                         description="Students see it, e.g. “Console maintenance” or “Winter break”.")
    submit = SubmitField("Add closure")


class ProgramSettingsForm(TrackerForm):
    """A program's studio booking settings."""

    weekly_quota_hours = StringField(
        "Weekly booking quota (hours)",
        description="The most studio time a student may have booked in one week (Monday to Sunday). "
                    "Leave it blank for no quota.")
    reconciliation_tolerance_minutes = StringField(
        "Reconciliation tolerance (minutes)",
        description="How far a logged session's start or end may be from its booking's before the reconciliation "
                    "report lists it (0 to 720). Exactly this much is still fine.")
    late_cancellation_hours = StringField(
        "Late-cancellation window (hours)",
        description="A booking cancelled less than this many hours before it starts is recorded as a late "
                    "cancellation (0: never late).")
    submit = SubmitField("Save booking settings")
