"""The studio pace forecast: where a term's studio hours will end up if the student keeps the pace so far.

Method (the one the studio hours page and the advisor's flag state): the hours that count so far are the approved
hours plus those still waiting for review or sent back (a pending session usually becomes an approved one, and
leaving it out would make every forecast look worse on the days before a review). The weekly rate is those hours
divided by the weeks of the term elapsed, counting today as elapsed; the forecast adds that rate times the weeks
left until the term's last day:

    projected = counted + counted / elapsed_days * days_left      (days, so part weeks need no rounding)

Before the term starts there is no forecast; on and after its last day the forecast is what was counted. Early in
a term one busy or idle day swings the rate, so the forecast is shown from the first day but only judged short
(the advisor's flag) once EARLIEST_JUDGEMENT_DAYS of the term have passed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

EARLIEST_JUDGEMENT_DAYS = 14
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class PaceForecast:
    """A term's projected studio hours at its end, against the minimum."""

    projected: Decimal  # hours at the term's end at this pace, to a tenth
    minimum: Decimal
    ends_on: date
    elapsed_days: int
    days_left: int

    @property
    def on_pace(self) -> bool:
        return self.projected >= self.minimum

    @property
    def judged(self) -> bool:
        """Far enough into the term for a shortfall to mean something (see the module docstring)."""
        return self.elapsed_days >= EARLIEST_JUDGEMENT_DAYS

    @property
    def falls_short(self) -> bool:
        """The projection is below the minimum, the term is still running, and it is late enough to say so."""
        return not self.on_pace and self.days_left > 0 and self.judged


def forecast(approved: Decimal, pending: Decimal, *, starts_on: date, ends_on: date, today: date,
             minimum: Decimal) -> PaceForecast | None:
    """The forecast for one term (None before it starts, or for a term that ends before it begins)."""
    if today < starts_on or ends_on < starts_on:
        return None
    counted = Decimal(approved) + Decimal(pending)
    elapsed = (min(today, ends_on) - starts_on).days + 1
    left = max(0, (ends_on - today).days)
    projected = counted + counted * left / elapsed
    return PaceForecast(projected=projected.quantize(TENTH, rounding=ROUND_HALF_UP), minimum=Decimal(minimum),
                        ends_on=ends_on, elapsed_days=elapsed, days_left=left)
