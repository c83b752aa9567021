"""The demo is data (tracker/demo_data.toml) fed through the services: a new demo student is a new [[students]]
table, whose records carry the history a real school's would."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tracker.demo import DEMO_PROGRAM_FILE, STUDENTS, load_school, seed
from tracker.extensions import db
from tracker.models import (
    CourseRecord,
    HistoryEvent,
    MilestoneRecord,
    Notification,
    SessionStatus,
    StudioSession,
    User,
)
from tracker.security import verify_password

SCHOOL = f"""
password = "a-demo-password"
domain = "small.example.test"
program = "{DEMO_PROGRAM_FILE.as_posix()}"

[director]
login = "head"
name = "Dr. Head"

[[faculty]]
login = "prof"
name = "Prof. Adviser"

[[studios]]
name = "Studio A"
location = "Room 1"

[[ensembles]]
name = "Big Band"
description = "Swing."

[[students]]
login = "zoe"
name = "Zoe Example"
concentration = "production"
track = "thesis"
advisor = "prof"
starts = "previous"
courses = [{{ course = "MPT 601", term = "previous", status = "completed", grade = "A" }}]
ensembles = [{{ ensemble = "Big Band", term = "previous", role = "engineer" }}]
sessions = [
  {{ term = "previous", count = 2, hours = 4, project = "EP", review = "approve" }},
  {{ term = "previous", count = 1, hours = 2, project = "EP", first_day = 30, review = "send_back", note = "Tracks?" }},
]
milestones = [{{ kind = "proposal", days_ago = 10, note = "Signed." }}]
"""


def _school(tmp_path, text: str = SCHOOL):
    path = tmp_path / "school.toml"
    path.write_text(text, encoding="utf-8")
    return load_school(path)


def _user(login: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == f"{login}@small.example.test"))


def test_the_demo_data_file_describes_every_demo_student():
    assert [s.login for s in STUDENTS] == ["maya", "ethan", "jonah", "priya", "luis", "sofia", "amara", "daniel"]
    maya = STUDENTS[0]
    assert (maya.concentration, maya.track, maya.advisor, maya.starts) == ("production", "thesis", "amoreno",
                                                                          "previous")
    assert len(maya.courses) == 7 and maya.sessions[0].first_day == 3 and maya.sessions[0].review == "approve"


def test_a_new_demo_student_is_a_table_of_data_with_a_real_history(app, tmp_path):
    message = seed(today=date.today(), school=_school(tmp_path))
    assert "3 new terms" in message and "3 new accounts" in message
    zoe, prof, head = _user("zoe"), _user("prof"), _user("head")
    assert verify_password(zoe.password_hash, "a-demo-password")
    assert verify_password(head.password_hash, "a-demo-password")

    record = db.session.scalar(sa.select(CourseRecord).where(CourseRecord.student_id == zoe.id))
    added = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.entity_type == "course_record",
                                                            HistoryEvent.entity_id == record.id))
    assert (record.grade, added.actor_id) == ("A", zoe.id)
    sessions = db.session.scalars(sa.select(StudioSession).where(StudioSession.student_id == zoe.id)
                                  .order_by(StudioSession.date)).all()
    assert [s.status for s in sessions] == [SessionStatus.APPROVED, SessionStatus.APPROVED,
                                            SessionStatus.NEEDS_CHANGES]
    assert all(s.reviewer_id == prof.id and s.created_at.date() == s.date for s in sessions)
    for s in sessions:
        events = db.session.execute(sa.select(HistoryEvent.action, HistoryEvent.actor_id).where(
            HistoryEvent.entity_type == "studio_session", HistoryEvent.entity_id == s.id)
            .order_by(HistoryEvent.created_at)).all()
        assert [e.actor_id for e in events] == [zoe.id, prof.id]
        assert events[0].action == "studio_session.logged"
    milestone = db.session.scalar(sa.select(MilestoneRecord).where(MilestoneRecord.student_id == zoe.id))
    assert (milestone.kind, milestone.signed_by_id) == ("proposal", prof.id)
    # Told about each decision, and long since read.
    notices = db.session.scalars(sa.select(Notification).where(Notification.user_id == zoe.id)).all()
    assert len(notices) == 3 and all(n.read_at is not None for n in notices)

    again = seed(today=date.today(), school=_school(tmp_path))
    assert "0 new accounts" in again
    assert db.session.scalar(sa.select(sa.func.count(StudioSession.id))) == 3


@pytest.mark.parametrize("written, mistake, problem", [
    ('grade = "A" }', 'grde = "A" }', "students[zoe].courses[0]: unknown key 'grde'"),
    ('term = "previous", status', 'term = "last", status',
     "students[zoe].courses[0]: a term is one of previous, current, next"),
    ('advisor = "prof"', 'advisor = "nobody"', "students[zoe].advisor: 'nobody' is not a demo faculty login"),
])
def test_a_mistake_in_the_data_file_is_refused_with_its_place(tmp_path, written, mistake, problem):
    with pytest.raises(ValueError) as err:
        _school(tmp_path, SCHOOL.replace(written, mistake, 1))
    assert problem in str(err.value)
