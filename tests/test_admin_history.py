"""The history browser: every recorded change, newest first, filterable by who, record type and date."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from tracker.extensions import db
from tracker.models import HistoryEvent


@pytest.fixture
def admin(login_as):
    return login_as("admin", name="Head Office")


def add_event(actor, action="term.updated", entity_type="term", entity_id=1, changes=None, days_ago=0,
              summary="", subject=None):
    event = HistoryEvent(actor_id=actor.id if actor else None, action=action, entity_type=entity_type,
                         entity_id=entity_id, summary=summary or action, changes=changes or {},
                         subject_id=subject.id if subject else None,
                         created_at=datetime.now(timezone.utc) - timedelta(days=days_ago))
    db.session.add(event)
    db.session.commit()
    return event


def summaries(page: str) -> list[str]:
    return re.findall(r"<code class=\"small\">([^<]+)</code>", page)


def test_newest_first_with_the_changed_values(client, admin):
    add_event(admin, "term.created", changes={"name": "Fall 2030"}, days_ago=2)
    add_event(admin, "term.updated", changes={"name": ["Fall 2030", "Autumn 2030"]}, days_ago=1)
    page = client.get("/admin/history").get_data(as_text=True)
    assert summaries(page) == ["term.updated", "term.created"]
    assert "<del>Fall 2030</del> → <span class=\"text-break\">Autumn 2030</span>" in page
    assert "Head Office" in page


def test_a_real_change_appears(client, admin, make_term):
    term = make_term("Fall 2031")
    client.post_form(f"/admin/terms/{term.id}/close")
    page = client.get("/admin/history").get_data(as_text=True)
    assert "Closed term Fall 2031" in page and "<del>no</del> → <span class=\"text-break\">yes</span>" in page


def test_filter_by_actor_type_and_dates(client, admin, make_user):
    other = make_user("faculty", name="Prof Other")
    add_event(admin, "term.created", "term", days_ago=10)
    add_event(other, "studio_session.approved", "studio_session", days_ago=5)
    add_event(None, "program.loaded", "program", days_ago=1)
    page = client.get(f"/admin/history?actor={other.id}").get_data(as_text=True)
    assert summaries(page) == ["studio_session.approved"]
    page = client.get("/admin/history?actor=system").get_data(as_text=True)
    assert summaries(page) == ["program.loaded"]
    page = client.get("/admin/history?entity_type=term").get_data(as_text=True)
    assert summaries(page) == ["term.created"]
    since = (datetime.now(timezone.utc) - timedelta(days=6)).date().isoformat()
    until = (datetime.now(timezone.utc) - timedelta(days=3)).date().isoformat()
    page = client.get(f"/admin/history?date_from={since}&date_to={until}").get_data(as_text=True)
    assert summaries(page) == ["studio_session.approved"]
    page = client.get("/admin/history?date_from=not-a-date").get_data(as_text=True)
    assert len(summaries(page)) == 3  # a bad date is shown as an error, not a 500


def test_filter_by_the_student_concerned(client, admin, make_student):
    student = make_student(name="Maya Chen")
    add_event(admin, "enrollment.changed", "enrollment", 5, subject=student)
    add_event(admin, "term.created", "term")
    page = client.get(f"/admin/history?subject={student.id}").get_data(as_text=True)
    assert summaries(page) == ["enrollment.changed"]
    assert "concerning Maya Chen" in page


def test_history_is_paginated_at_constant_query_cost(client, admin, count_queries):
    for i in range(5):
        add_event(admin, changes={"n": [i, i + 1]})
    client.csrf_token()
    with count_queries() as small:
        assert client.get("/admin/history").status_code == 200
    for i in range(200):
        add_event(admin, changes={"n": [i, i + 1]})
    with count_queries() as large:
        page = client.get("/admin/history?page=3").get_data(as_text=True)
    assert large.count == small.count
    assert "page 3 of 5" in page
