"""Booking settings: a studio's opening hours, limits and closures, and a program's quota, tolerance and late window;
each refusal at its field (all at once), each change in the history, and every change undoable."""
from __future__ import annotations

import re
from datetime import date, time

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import HistoryEvent, Program, Studio, StudioClosure, StudioOpeningHours
from tracker.services import ServiceError
from tracker.services import studio_settings as settings

from .html_support import field_error, page_html, visible_text


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def _week(**overrides) -> dict:
    """The form's seven rows: open 09:00-22:00 Monday to Friday, closed at the weekend, then `overrides`."""
    data = {"max_booking_hours": "4", "booking_weeks_ahead": "4"}
    for day in range(7):
        if day < 5:
            data[f"day{day}_opens_at"], data[f"day{day}_closes_at"] = "09:00", "22:00"
        else:
            data[f"day{day}_closed"] = "y"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _hours(studio_id: int) -> dict[int, tuple[time, time]]:
    db.session.expire_all()
    return {row.weekday: (row.opens_at, row.closes_at) for row in db.session.scalars(
        sa.select(StudioOpeningHours).where(StudioOpeningHours.studio_id == studio_id))}


def _events(action: str) -> list[HistoryEvent]:
    return list(db.session.scalars(sa.select(HistoryEvent).where(HistoryEvent.action == action)
                                   .order_by(HistoryEvent.id)))


# ---------------------------------------------------------------- studio: hours and limits

def test_the_studio_list_links_each_studios_booking_settings(client, admin, make_studio):
    studio = make_studio("Studio A")
    page = page_html(client.get("/admin/studios"))
    assert f"/admin/studios/{studio.id}/settings" in page


def test_a_new_studio_shows_seven_closed_days_and_the_default_limits(client, admin, make_studio):
    studio = make_studio("Studio A")
    response = client.get(f"/admin/studios/{studio.id}/settings")
    page = page_html(response)
    assert response.status_code == 200
    for day in range(7):
        assert "checked" in re.search(rf'<input[^>]*id="day{day}_closed"[^>]*>', page).group(0)
    assert 'value="4"' in page  # 240 minutes, as hours; four weeks ahead
    assert "How booking settings work" in page


def test_saving_the_week_and_limits_records_one_history_event(client, admin, make_studio):
    studio = make_studio("Studio A")
    response = client.post_form(f"/admin/studios/{studio.id}/settings",
                                _week(max_booking_hours="2.5", booking_weeks_ahead="6"))
    assert response.status_code == 302
    assert _hours(studio.id) == {day: (time(9), time(22)) for day in range(5)}
    saved = db.session.get(Studio, studio.id)
    assert (saved.max_booking_minutes, saved.booking_weeks_ahead) == (150, 6)
    [event] = _events("studio.booking_settings_changed")
    assert event.actor_id == admin.id and event.entity_id == studio.id
    assert event.changes["max_booking_minutes"] == [240, 150]
    assert event.changes["booking_weeks_ahead"] == [4, 6]
    old, new = event.changes["opening_hours"]
    assert old.startswith("Mon closed") and new.startswith("Mon 09:00–22:00") and new.endswith("Sun closed")
    # the page shows the week saved
    page = page_html(client.get(f"/admin/studios/{studio.id}/settings"))
    assert 'value="09:00"' in page and 'value="2.5"' in page


def test_saving_nothing_new_records_nothing(client, admin, make_studio):
    studio = make_studio()
    client.post_form(f"/admin/studios/{studio.id}/settings", _week())
    client.post_form(f"/admin/studios/{studio.id}/settings", _week())
    assert len(_events("studio.booking_settings_changed")) == 1


def test_hours_set_back_undo_a_mistake(client, admin, make_studio):
    studio = make_studio()
    client.post_form(f"/admin/studios/{studio.id}/settings", _week())
    # a mistake: Wednesday closed and Friday until 02:00 (refused), then Wednesday closed by mistake is saved
    client.post_form(f"/admin/studios/{studio.id}/settings", _week(day2_closed="y", day4_closes_at="12:00"))
    assert 2 not in _hours(studio.id) and _hours(studio.id)[4] == (time(9), time(12))
    # ... and set back
    assert client.post_form(f"/admin/studios/{studio.id}/settings", _week()).status_code == 302
    assert _hours(studio.id) == {day: (time(9), time(22)) for day in range(5)}
    assert len(_events("studio.booking_settings_changed")) == 3


def test_every_problem_of_the_form_is_shown_at_its_field_at_once(client, admin, make_studio):
    studio = make_studio()
    response = client.post_form(f"/admin/studios/{studio.id}/settings", _week(
        day0_opens_at="18:00", day0_closes_at="09:00",  # closes before it opens
        day1_closes_at="", day3_opens_at="10:00", day3_closes_at="10:00",  # missing; equal
        max_booking_hours="1.1", booking_weeks_ahead="0"))
    assert response.status_code == 200
    assert "closing time must be after the opening time (18:00)" in field_error(response, "day0_closes_at")
    assert "Enter when the studio closes on Tuesday" in field_error(response, "day1_closes_at")
    assert "closing time must be after" in field_error(response, "day3_closes_at")
    assert "quarter hours" in field_error(response, "max_booking_hours")
    assert "from 1 to 52" in field_error(response, "booking_weeks_ahead")
    # the input is kept, nothing is written
    page = page_html(response)
    assert 'value="18:00"' in page and 'value="1.1"' in page
    assert _hours(studio.id) == {} and _events("studio.booking_settings_changed") == []


@pytest.mark.parametrize("hours, weeks, field, message", [
    ("0", "4", "max_booking_hours", "more than 0 and at most 24"),
    ("24.25", "4", "max_booking_hours", "more than 0 and at most 24"),
    ("", "4", "max_booking_hours", "Enter the longest booking"),
    ("1e400", "4", "max_booking_hours", "Enter the longest booking"),
    ("four", "4", "max_booking_hours", "Enter the longest booking"),
    ("4", "53", "booking_weeks_ahead", "from 1 to 52"),
    ("4", "", "booking_weeks_ahead", "from 1 to 52"),
    ("4", "9" * 40, "booking_weeks_ahead", "from 1 to 52"),
    ("4", "-1", "booking_weeks_ahead", "from 1 to 52"),
    ("4", "²", "booking_weeks_ahead", "from 1 to 52"),
])
def test_each_limit_is_checked(client, admin, make_studio, hours, weeks, field, message):
    studio = make_studio()
    response = client.post_form(f"/admin/studios/{studio.id}/settings",
                                _week(max_booking_hours=hours, booking_weeks_ahead=weeks))
    assert response.status_code == 200
    assert message in field_error(response, field)


def test_a_closed_day_ignores_its_times(client, admin, make_studio):
    studio = make_studio()
    client.post_form(f"/admin/studios/{studio.id}/settings", _week(day0_closed="y", day0_closes_at="08:00"))
    assert 0 not in _hours(studio.id)


def test_the_service_refuses_a_week_without_seven_days(make_user, make_studio):
    studio = make_studio()
    data = settings.StudioSettingsInput((settings.DayHours(0, True),), "4", "4")
    with pytest.raises(ServiceError) as err:
        settings.save_studio_settings(studio, data, actor=make_user("admin"))
    assert "seven days" in err.value.message


@pytest.mark.parametrize("role", ["faculty", "student"])
def test_only_admins_change_booking_settings(client, login_as, make_studio, demo_program, role):
    studio = make_studio()
    login_as(role)
    for url in (f"/admin/studios/{studio.id}/settings", f"/admin/programs/{demo_program.id}/booking-settings",
                "/admin/studios/settings-help"):
        assert client.get(url).status_code == 403
    assert client.post_form(f"/admin/studios/{studio.id}/closures", {"reason": "x"}).status_code == 403


def test_an_unknown_studio_is_404(client, admin):
    assert client.get("/admin/studios/999999/settings").status_code == 404
    assert client.get(f"/admin/studios/{2**63}/settings").status_code == 404


def test_a_nul_in_a_field_is_refused_at_the_field(client, admin, make_studio):
    studio = make_studio()
    response = client.post_form(f"/admin/studios/{studio.id}/settings", _week(booking_weeks_ahead="4\x00"))
    assert response.status_code == 200
    assert "NUL" in field_error(response, "booking_weeks_ahead")


# ---------------------------------------------------------------- studio: closures

def _add_closure(client, studio, first="2026-12-24", last="2027-01-02", reason="Winter break"):
    return client.post_form(f"/admin/studios/{studio.id}/closures",
                            {"starts_on": first, "ends_on": last, "reason": reason})


def test_adding_a_closure_lists_it_with_a_history_event(client, admin, make_studio):
    studio = make_studio("Studio A")
    response = _add_closure(client, studio)
    assert response.status_code == 302 and response.headers["Location"].endswith("#closures")
    [closure] = db.session.scalars(sa.select(StudioClosure)).all()
    assert (closure.starts_on, closure.ends_on, closure.reason) == (date(2026, 12, 24), date(2027, 1, 2),
                                                                    "Winter break")
    [event] = _events("studio_closure.created")
    assert event.entity_id == closure.id and event.changes["reason"] == "Winter break"
    assert event.changes["starts_on"] == "2026-12-24" and event.changes["studio"] == "Studio A"
    text = visible_text(client.get(f"/admin/studios/{studio.id}/settings"))
    assert "Winter break" in text and "added by" in text


def test_a_one_day_closure_is_fine(client, admin, make_studio):
    studio = make_studio()
    assert _add_closure(client, studio, "2026-12-24", "2026-12-24").status_code == 302


def test_closure_problems_are_all_shown_and_nothing_is_written(client, admin, make_studio):
    studio = make_studio()
    response = _add_closure(client, studio, "2027-01-02", "2026-12-24", "")
    assert response.status_code == 200
    assert "cannot be before the first day" in field_error(response, "ends_on")
    assert "Say why the studio is closed" in field_error(response, "reason")
    assert db.session.scalar(sa.select(sa.func.count(StudioClosure.id))) == 0
    # the hours form on the same page is still filled in
    assert 'id="opening-hours"' in page_html(response)
    response = _add_closure(client, studio, "", "", "x" * 201)
    assert "Enter the first day" in field_error(response, "starts_on")
    assert "Enter the last day" in field_error(response, "ends_on")
    assert "at most 200" in field_error(response, "reason")
    response = _add_closure(client, studio, "9999-12-31", "9999-12-31", "Far")
    assert response.status_code == 200 and "Enter a date between" in field_error(response, "starts_on")


def test_removing_a_closure_undoes_it_and_is_recorded(client, admin, make_studio):
    studio = make_studio("Studio A")
    _add_closure(client, studio)
    closure_id = db.session.scalar(sa.select(StudioClosure.id))
    assert client.get(f"/admin/studios/{studio.id}/closures/{closure_id}/delete").status_code == 405
    response = client.post_form(f"/admin/studios/{studio.id}/closures/{closure_id}/delete")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(StudioClosure.id))) == 0
    [event] = _events("studio_closure.deleted")
    assert event.entity_id == closure_id and event.changes["reason"] == "Winter break"
    # another studio's closure id under this studio's URL is not found
    other = make_studio()
    _add_closure(client, other)
    other_closure = db.session.scalar(sa.select(StudioClosure.id))
    assert client.post_form(f"/admin/studios/{studio.id}/closures/{other_closure}/delete").status_code == 404
    assert client.post_form(f"/admin/studios/{studio.id}/closures/{2**63}/delete").status_code == 404


def test_closure_forms_need_a_csrf_token(client, admin, make_studio):
    studio = make_studio()
    response = client.post(f"/admin/studios/{studio.id}/closures",
                           data={"starts_on": "2026-12-24", "ends_on": "2026-12-24", "reason": "x"})
    assert response.status_code in (400, 200)
    assert db.session.scalar(sa.select(sa.func.count(StudioClosure.id))) == 0


def test_the_settings_page_costs_the_same_with_many_closures(client, admin, make_studio, make_user, count_queries):
    studio = make_studio()
    actor = make_user("admin")

    def add(n: int) -> None:
        for i in range(n):
            settings.add_closure(studio, date(2030, 1, 1 + i % 28), date(2030, 2, 1), f"Reason {i}", actor=actor)

    add(2)
    with count_queries() as small:
        assert client.get(f"/admin/studios/{studio.id}/settings").status_code == 200
    add(30)
    with count_queries() as large:
        assert client.get(f"/admin/studios/{studio.id}/settings").status_code == 200
    assert large.count == small.count


# ---------------------------------------------------------------- program settings

def _program_post(client, program, quota="", tolerance="15", late="24"):
    return client.post_form(f"/admin/programs/{program.id}/booking-settings",
                            {"weekly_quota_hours": quota, "reconciliation_tolerance_minutes": tolerance,
                             "late_cancellation_hours": late})


def test_the_program_page_shows_and_links_its_booking_settings(client, admin, demo_program):
    page = visible_text(client.get(f"/admin/programs/{demo_program.id}"))
    assert "Weekly booking quota: none" in page and "reconciliation tolerance: 15 minutes" in page
    form = client.get(f"/admin/programs/{demo_program.id}/booking-settings")
    assert form.status_code == 200 and 'value="15"' in page_html(form) and 'value="24"' in page_html(form)


def test_saving_program_settings_records_the_change(client, admin, demo_program):
    response = _program_post(client, demo_program, quota="10.5", tolerance="20", late="48")
    assert response.status_code == 302
    db.session.expire_all()
    program = db.session.get(Program, demo_program.id)
    assert (program.booking_weekly_quota_minutes, program.reconciliation_tolerance_minutes,
            program.late_cancellation_hours) == (630, 20, 48)
    [event] = _events("program.booking_settings_changed")
    assert event.changes == {"booking_weekly_quota_minutes": [None, 630],
                             "reconciliation_tolerance_minutes": [15, 20], "late_cancellation_hours": [24, 48]}
    assert "Weekly booking quota: 10.5 hours" in visible_text(client.get(f"/admin/programs/{demo_program.id}"))
    # blank again: no quota (the mistake undone)
    assert _program_post(client, demo_program, quota="", tolerance="15", late="24").status_code == 302
    db.session.expire_all()
    assert db.session.get(Program, demo_program.id).booking_weekly_quota_minutes is None
    assert len(_events("program.booking_settings_changed")) == 2


def test_a_zero_tolerance_and_window_are_allowed(client, admin, demo_program):
    assert _program_post(client, demo_program, tolerance="0", late="0").status_code == 302


def test_every_program_setting_problem_at_once(client, admin, demo_program):
    response = _program_post(client, demo_program, quota="0", tolerance="721", late="x")
    assert response.status_code == 200
    assert "or leave it blank" in field_error(response, "weekly_quota_hours")
    assert "0 to 720" in field_error(response, "reconciliation_tolerance_minutes")
    assert "0 to 720" in field_error(response, "late_cancellation_hours")
    assert _events("program.booking_settings_changed") == []
    response = _program_post(client, demo_program, quota="169", tolerance="", late="99999999999999999999")
    assert "or leave it blank" in field_error(response, "weekly_quota_hours")
    assert "0 to 720" in field_error(response, "reconciliation_tolerance_minutes")
    assert "0 to 720" in field_error(response, "late_cancellation_hours")
    response = _program_post(client, demo_program, quota="1.1")
    assert "quarter hours" in field_error(response, "weekly_quota_hours")


def test_an_unknown_program_is_404(client, admin):
    assert client.get(f"/admin/programs/{2**63}/booking-settings").status_code == 404
    assert client.get("/admin/programs/999999/booking-settings").status_code == 404


def test_the_help_page_renders_the_doc(client, admin):
    response = client.get("/admin/studios/settings-help")
    assert response.status_code == 200
    assert "Undoing a mistake" in visible_text(response)


def test_a_weekday_added_by_someone_else_meanwhile_is_refused_not_a_server_error(make_user, make_studio):
    studio, admin = make_studio(), make_user("admin")
    assert studio.opening_hours == []  # what this admin's form was built from
    db.session.execute(sa.insert(StudioOpeningHours).values(studio_id=studio.id, weekday=0, opens_at=time(8),
                                                            closes_at=time(20)))
    days = tuple(settings.DayHours(d, d != 0, time(9) if d == 0 else None, time(22) if d == 0 else None)
                 for d in range(7))
    with pytest.raises(ServiceError) as err:
        settings.save_studio_settings(studio, settings.StudioSettingsInput(days, "4", "5"), actor=admin)
    assert "at the same moment" in err.value.message
    assert _events("studio.booking_settings_changed") == []
