"""In-app notifications and the navigation's counts: listed newest first, read only when the user says so."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import Notification
from tracker.services import notifications, review

from .html_support import page_html


@pytest.fixture
def make_notification():
    """make_notification(user, message=..., link='', read=False, age_minutes=0) -> Notification."""

    def _make(user, message="Something happened", link="", read=False, age_minutes=0) -> Notification:
        when = datetime.now(timezone.utc) - timedelta(minutes=age_minutes)
        n = Notification(user_id=user.id, message=message, link=link, created_at=when, read_at=when if read else None)
        db.session.add(n)
        db.session.commit()
        return n

    return _make


def _unread(user_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)))


def _nav_badge(page: str, label: str) -> str | None:
    match = re.search(rf'>{label}\s*<span class="badge[^"]*">(\d+)<span class="visually-hidden">', page)
    return match.group(1) if match else None


def test_anonymous_visitors_are_sent_to_log_in(client):
    for response in (client.get("/notifications"), client.post("/notifications/read")):
        assert response.status_code in (302, 400)
    assert "/auth/login" in client.get("/notifications").headers["Location"]


def test_the_list_is_newest_first_with_unread_highlighted(client, login_as, make_notification):
    user = login_as("student")
    old = make_notification(user, "Old and read", read=True, age_minutes=60)
    new = make_notification(user, "Brand new", age_minutes=1)
    page = page_html(client.get("/notifications"))
    assert page.index("Brand new") < page.index("Old and read")
    new_item = page[page.index(f'id="notification-{new.id}"') - 200:page.index("Brand new")]
    old_item = page[page.index(f'id="notification-{old.id}"') - 200:page.index("Old and read")]
    assert "notification-unread" in new_item and ">New<" in new_item
    assert "notification-unread" not in old_item


def test_opening_the_list_marks_nothing_read(client, login_as, make_notification):
    user = login_as("student")
    make_notification(user)
    client.get("/notifications")
    client.get("/notifications")
    assert _unread(user.id) == 1


def test_a_user_sees_only_their_own_notifications(client, login_as, make_user, make_notification):
    login_as("student")
    make_notification(make_user("student"), "Someone else's news")
    assert "Someone else" not in page_html(client.get("/notifications"))


def test_mark_all_read(client, login_as, make_user, make_notification):
    user = login_as("student")
    for _ in range(3):
        make_notification(user)
    other = make_user("student")
    make_notification(other)
    assert client.get("/notifications/read").status_code == 405
    assert client.post("/notifications/read").status_code == 400  # no CSRF token
    assert _unread(user.id) == 3
    response = client.post_form("/notifications/read")
    assert response.status_code == 302
    assert "Marked 3 notifications read." in page_html(client.get(response.headers["Location"]))
    assert _unread(user.id) == 0 and _unread(other.id) == 1
    page = page_html(client.get("/notifications"))
    assert "Mark all read" not in page and "notification-unread" not in page


def test_open_marks_read_then_follows_the_link(client, login_as, make_notification):
    user = login_as("student")
    n = make_notification(user, link="/studio/sessions/42")
    assert client.get(f"/notifications/{n.id}/open").status_code == 405
    response = client.post_form(f"/notifications/{n.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/studio/sessions/42"
    assert _unread(user.id) == 0


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""])
def test_open_never_leaves_the_app(client, login_as, make_notification, link):
    user = login_as("student")
    n = make_notification(user, link=link)
    response = client.post_form(f"/notifications/{n.id}/open")
    assert response.headers["Location"] == "/notifications"
    assert _unread(user.id) == 0


def test_someone_elses_notification_is_404(client, login_as, make_user, make_notification):
    login_as("student")
    other = make_user("student")
    n = make_notification(other, link="/studio/sessions/1")
    assert client.post_form(f"/notifications/{n.id}/open").status_code == 404
    assert client.post_form("/notifications/999999/open").status_code == 404
    assert _unread(other.id) == 1


def test_the_list_is_paginated(client, app, monkeypatch, login_as, make_notification):
    monkeypatch.setitem(app.config, "ITEMS_PER_PAGE", 4)
    user = login_as("student")
    for i in range(6):
        make_notification(user, f"Message number {i}", age_minutes=i)
    first = page_html(client.get("/notifications"))
    assert "Message number 0" in first and "Message number 4" not in first
    assert "/notifications?page=2" in first
    second = page_html(client.get("/notifications?page=2"))
    assert "Message number 4" in second and "Message number 5" in second


def test_the_list_costs_the_same_queries_for_5_and_200(client, app, monkeypatch, login_as, make_notification,
                                                       count_queries):
    monkeypatch.setitem(app.config, "ITEMS_PER_PAGE", 500)
    user = login_as("student")
    for i in range(5):
        make_notification(user, link=f"/studio/sessions/{i}", read=i % 2 == 0)
    with count_queries() as small:
        assert client.get("/notifications").status_code == 200
    db.session.add_all(Notification(user_id=user.id, message=f"n{i}", link="/x") for i in range(195))
    db.session.commit()
    with count_queries() as large:
        page = page_html(client.get("/notifications"))
    assert page.count('id="notification-') == 200
    assert large.count == small.count, large.statements


# ---------------------------------------------------------------- navigation counts

def test_a_student_sees_the_unread_count_in_the_navigation(client, login_as, make_notification):
    user = login_as("student")
    assert _nav_badge(page_html(client.get("/notifications")), "Notifications") is None
    make_notification(user)
    make_notification(user)
    make_notification(user, read=True)
    assert _nav_badge(page_html(client.get("/notifications")), "Notifications") == "2"


def test_faculty_see_their_pending_review_count(client, login_as, make_user, make_student, make_session):
    faculty = login_as("faculty")
    other = make_user("faculty")
    for _ in range(2):
        make_session(make_student(), faculty)
    make_session(make_student(), faculty, status="approved")
    make_session(make_student(), other)
    assert _nav_badge(page_html(client.get("/notifications")), "Review queue") == "2"


def test_admins_see_every_pending_session_in_the_count(client, login_as, make_user, make_student, make_session):
    login_as("admin")
    make_session(make_student(), make_user("faculty"))
    make_session(make_student(), make_user("faculty"))
    assert _nav_badge(page_html(client.get("/notifications")), "Review queue") == "2"


def test_a_decision_notifies_the_student_and_moves_both_counts(app, client, login_as, make_student, make_session):
    faculty = login_as("faculty")
    student = make_student()
    session = make_session(student, faculty)
    assert _nav_badge(page_html(client.get("/review")), "Review queue") == "1"
    client.post_form(f"/review/sessions/{session.id}", {"approve": "x", "version": session.version})
    assert _nav_badge(page_html(client.get("/review")), "Review queue") is None
    student_client = app.test_client()
    student_client.login(student.email)
    page = page_html(student_client.get("/notifications"))
    assert _nav_badge(page, "Notifications") == "1"
    assert "approved your 4-hour session" in page


def test_the_counts_cost_one_query_and_nothing_for_anonymous_visitors(client, make_user, count_queries):
    faculty = make_user("faculty")
    _ = faculty.role  # loaded, as current_user is by the time templates render
    with count_queries() as q:
        assert notifications.nav_counts(faculty) == (0, 0)
    assert q.count == 1
    with count_queries() as anonymous:
        assert client.get("/auth/login").status_code == 200
    assert anonymous.count == 0


def test_the_count_queries_match_the_queue(make_user, make_student, make_session):
    faculty = make_user("faculty")
    make_session(make_student(), faculty)
    assert notifications.nav_counts(faculty)[1] == db.session.scalar(
        sa.select(sa.func.count()).select_from(review.queue_query(faculty, review.QueueFilters()).subquery()))
