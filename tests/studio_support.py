"""The studio-session form as a browser posts it, and a student's sessions read back, for the tests that log
sessions through the pages (tests/test_studio.py, tests/test_group_sessions.py)."""
from __future__ import annotations

from datetime import date, timedelta

from tracker.models import StudioSession

from .db_support import rows_of

YESTERDAY = date.today() - timedelta(days=1)


def session_form(supervisor, studio, participants=(), **overrides) -> dict:
    """A valid log form: yesterday 10:00-13:30 mixing "Lanterns EP" in `studio` under `supervisor`, naming each of
    `participants` ((student or None, role) pairs) in its participant rows; `overrides` replace any field."""
    data = {
        "date": YESTERDAY.isoformat(), "studio_id": studio.id, "start_time": "10:00", "end_time": "13:30",
        "activity": "mixing", "project": "Lanterns EP", "role": "engineer", "supervisor_id": supervisor.id,
        "notes": "Drum stems",
    }
    for n, (student, role) in enumerate(participants, start=1):
        data[f"participant_{n}_student_id"] = student.id if student is not None else ""
        data[f"participant_{n}_role"] = role
    data.update(overrides)
    return data


def sessions_of(student) -> list[StudioSession]:
    """The student's studio sessions, oldest first, freshly loaded."""
    return rows_of(StudioSession, student)
