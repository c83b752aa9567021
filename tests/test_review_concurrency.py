"""Two reviewers deciding the same session at the same moment: exactly one decision is kept, nothing counts twice.

Each reviewer runs in its own thread with its own app context, so its own database session and connection — the
way two requests on two gunicorn workers would.
"""
from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import HistoryEvent, Notification, SessionStatus, StudioSession, User
from tracker.services import review

from .db_support import as_a_request, at_once

SQLITE_REASON = (
    "needs PostgreSQL (set TEST_DATABASE_URL): SQLite locks the whole database file for a writer, so two "
    "transactions can never both be inside an UPDATE of the same row; the sequential 'already reviewed' path is "
    "tested on SQLite too (test_second_reviewer_after_the_first_committed, tests/test_review.py)"
)


@pytest.fixture
def postgres_only(app):
    """Skip on SQLite, with the reason."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip(SQLITE_REASON)


def _load_for_review(session_id: int, reviewer_id: int) -> tuple[StudioSession, User]:
    """What a reviewer's request reads before deciding: the session (and what a decision looks at), the reviewer."""
    session = db.session.get(StudioSession, session_id)
    _ = session.status, session.studio.name, session.term.closed
    actor = db.session.get(User, reviewer_id)
    _ = actor.display_name
    return session, actor


def _decide_in_thread(app, session_id: int, reviewer_id: int, decision: str, note: str, results: dict, key: str,
                      loaded: threading.Event | None = None, go: threading.Event | None = None):
    """A reviewer's request: load the session, wait for the signal, decide; record 'decided' or the refusal. (Several
    reviewers released at one moment: tests/db_support.at_once.)"""

    def decide():
        session, actor = _load_for_review(session_id, reviewer_id)
        if loaded is not None:
            loaded.set()
        if go is not None:
            assert go.wait(timeout=10)
        review.decide(session, decision, note, actor=actor, session_link=str)
        return "decided"

    thread = threading.Thread(target=as_a_request, args=(app, results, key, decide), name=key, daemon=True)
    thread.start()
    return thread


def _state(session_id: int):
    db.session.expire_all()
    session = db.session.get(StudioSession, session_id)
    events = db.session.scalars(sa.select(HistoryEvent).where(
        HistoryEvent.entity_type == "studio_session", HistoryEvent.entity_id == session_id)).all()
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == session.student_id)).all()
    return session, events, notes


@pytest.fixture
def contested(make_user, make_student, make_session):
    """A pending session, its supervisor and an admin: two people allowed to decide it."""
    supervisor = make_user("faculty", name="Prof. First")
    admin = make_user("admin", name="Dean Second")
    session = make_session(make_student(), supervisor)
    db.session.commit()
    return session.id, session.version, supervisor.id, admin.id


@pytest.mark.postgres
def test_second_update_waits_for_the_first_then_matches_nothing(app, monkeypatch, postgres_only, contested):
    """A updates without committing; B's UPDATE blocks on the row lock; A commits; B sees rowcount 0."""
    session_id, version, supervisor_id, admin_id = contested
    a_updated, release_a = threading.Event(), threading.Event()
    original_notify = review.notifications.notify

    def notify_then_hold(*args, **kwargs):
        # Runs after A's UPDATE, before its commit: A holds the row lock here.
        result = original_notify(*args, **kwargs)
        if threading.current_thread().name == "a":
            a_updated.set()
            assert release_a.wait(timeout=10)
        return result

    monkeypatch.setattr(review.notifications, "notify", notify_then_hold)
    results: dict[str, str] = {}
    a = _decide_in_thread(app, session_id, supervisor_id, "approve", "", results, "a")
    assert a_updated.wait(timeout=10), results
    b = _decide_in_thread(app, session_id, admin_id, "reject", "Not a real session", results, "b")

    # B is now waiting for A's row lock (seen from a third connection).
    deadline = time.monotonic() + 10
    with db.engine.connect() as observer:
        while True:
            waiting = observer.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar()
            if waiting or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert waiting >= 1, "the second reviewer's UPDATE did not wait for the first one's lock"
    assert b.is_alive() and "b" not in results

    release_a.set()
    a.join(10)
    b.join(10)
    assert results["a"] == "decided"
    assert "already reviewed (approved by Prof. First)" in results["b"]
    session, events, notes = _state(session_id)
    assert session.status == SessionStatus.APPROVED and session.reviewer_id == supervisor_id
    assert session.review_note == "" and session.version == version + 1
    assert [e.action for e in events] == ["studio_session.approved"]
    assert len(notes) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(5))
def test_simultaneous_decisions_keep_exactly_one(app, postgres_only, make_user, contested, round_):
    """Four reviewers released together by a barrier: one decision wins, three are told it was already reviewed."""
    session_id, version, supervisor_id, admin_id = contested
    reviewers = dict(enumerate([(supervisor_id, "approve", ""), (admin_id, "reject", "Duplicate"),
                                (make_user("admin").id, "send_back", "Fix the times"),
                                (make_user("admin").id, "approve", "")]))

    def decide(key, loaded):
        session, actor = loaded
        _, decision, note = reviewers[key]
        review.decide(session, decision, note, actor=actor, session_link=str)
        return "decided"

    results = at_once(app, reviewers, lambda key: _load_for_review(session_id, reviewers[key][0]), decide)
    assert len(results) == 4 and not any(r.startswith("crashed") for r in results.values()), results
    winners = [k for k, r in results.items() if r == "decided"]
    assert len(winners) == 1, results
    assert all("already reviewed" in r for k, r in results.items() if k not in winners), results

    session, events, notes = _state(session_id)
    winner_id, winner_decision, _ = reviewers[winners[0]]
    assert session.reviewer_id == winner_id
    assert session.status == review.Decision(winner_decision).status
    assert session.version == version + 1
    assert len(events) == 1 and len(notes) == 1


@pytest.mark.postgres
def test_overlapping_bulk_approvals_count_each_session_once(app, postgres_only, make_user, make_student,
                                                             make_session):
    supervisor = make_user("faculty")
    admin = make_user("admin")
    student = make_student()
    sessions = [make_session(student, supervisor, day=date.today() - timedelta(days=n + 1)) for n in range(6)]
    ids = [(s.id, s.version) for s in sessions]
    picks = {"supervisor": (supervisor.id, ids[:4]), "admin": (admin.id, ids[2:])}

    def load(key):
        actor = db.session.get(User, picks[key][0])
        _ = actor.display_name
        return actor

    def approve(key, actor):
        return review.decide_many(picks[key][1], "approve", "", actor=actor, session_link=str)

    results = at_once(app, picks, load, approve, join_seconds=30)
    first, second = results["supervisor"], results["admin"]
    assert isinstance(first, review.BulkResult) and isinstance(second, review.BulkResult), results
    assert first.decided + second.decided == 6
    assert first.already_reviewed + second.already_reviewed == 2
    db.session.expire_all()
    for s_id, _ in ids:
        session, events, _ = _state(s_id)
        assert session.status == SessionStatus.APPROVED
        assert [e.action for e in events] == ["studio_session.approved"]
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))
                             .where(Notification.user_id == student.id)) == 6


def test_second_reviewer_after_the_first_committed(app, contested):
    """The sequential path, on SQLite and PostgreSQL: both open the session; one decides; the other is refused."""
    session_id, version, supervisor_id, admin_id = contested
    results: dict[str, str] = {}
    a_loaded, b_done = threading.Event(), threading.Event()
    a = _decide_in_thread(app, session_id, supervisor_id, "reject", "Wrong studio", results, "a",
                          loaded=a_loaded, go=b_done)
    assert a_loaded.wait(10)
    b = _decide_in_thread(app, session_id, admin_id, "approve", "", results, "b")
    b.join(10)
    b_done.set()
    a.join(10)
    assert results == {
        "b": "decided",
        "a": "This session was already reviewed (approved by Dean Second). Your decision was not recorded.",
    }
    session, events, notes = _state(session_id)
    assert session.status == SessionStatus.APPROVED and session.version == version + 1
    assert len(events) == 1 and len(notes) == 1
