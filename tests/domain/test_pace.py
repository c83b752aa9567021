"""The studio pace forecast's arithmetic (tracker.domain.pace) on its edge cases."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tracker.domain.pace import EARLIEST_JUDGEMENT_DAYS, forecast

START = date(2026, 9, 1)
END = date(2026, 12, 14)  # 105 days, first and last included
FORTY = Decimal(40)


def _at(today: date, approved="0", pending="0"):
    return forecast(Decimal(approved), Decimal(pending), starts_on=START, ends_on=END, today=today, minimum=FORTY)


def test_midway_the_rate_so_far_is_carried_to_the_last_day():
    today = START + timedelta(days=51)  # 52 days elapsed (today included), 53 left
    outlook = _at(today, approved="15", pending="5")
    assert (outlook.elapsed_days, outlook.days_left) == (52, 53)
    assert outlook.projected == Decimal("40.4")  # 20 + 20 / 52 * 53
    assert outlook.on_pace and not outlook.falls_short


def test_a_short_projection_is_flagged_only_after_the_first_two_weeks():
    early = _at(START + timedelta(days=EARLIEST_JUDGEMENT_DAYS - 2), approved="2")
    assert not early.on_pace and not early.judged and not early.falls_short
    later = _at(START + timedelta(days=EARLIEST_JUDGEMENT_DAYS - 1), approved="2")
    assert later.judged and later.falls_short


def test_on_the_first_day_one_session_is_the_whole_rate():
    outlook = _at(START, approved="4")
    assert outlook.elapsed_days == 1 and outlook.days_left == 104
    assert outlook.projected == Decimal("420.0")  # 4 h a day for 105 days: why early forecasts are not judged


def test_with_no_sessions_the_forecast_is_zero():
    outlook = _at(START + timedelta(days=30))
    assert outlook.projected == 0 and outlook.falls_short


def test_on_the_last_day_the_forecast_is_what_was_counted():
    outlook = _at(END, approved="30", pending="4")
    assert outlook.days_left == 0 and outlook.elapsed_days == 105
    assert outlook.projected == Decimal("34.0")
    assert not outlook.falls_short  # nothing is left to change: the term's own warning speaks for it


def test_after_the_term_the_rate_stops_at_its_end():
    outlook = _at(END + timedelta(days=10), approved="12")
    assert outlook.elapsed_days == 105 and outlook.days_left == 0 and outlook.projected == Decimal("12.0")


def test_a_term_already_complete_projects_above_the_minimum():
    outlook = _at(START + timedelta(days=60), approved="41")
    assert outlook.on_pace and outlook.projected > FORTY


@pytest.mark.parametrize("today", [START - timedelta(days=1), date(2020, 1, 1)])
def test_no_forecast_before_the_term_starts(today):
    assert _at(today) is None


def test_no_forecast_for_a_term_that_ends_before_it_starts():
    assert forecast(Decimal(1), Decimal(0), starts_on=END, ends_on=START, today=END, minimum=FORTY) is None


def test_quarter_hours_round_to_a_tenth():
    outlook = _at(START + timedelta(days=2), approved="0.25")  # 0.25 + 0.25 / 3 * 102 = 8.75
    assert outlook.projected == Decimal("8.8")
