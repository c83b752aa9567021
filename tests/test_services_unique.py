"""unique_or_refuse: a write that a unique constraint stops (a double submit that raced past the checks) becomes a
clear refusal, and nothing of that transaction is left behind."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import Course, CourseCategory, HistoryEvent
from tracker.services import ServiceError, history, unique_or_refuse


def test_a_unique_violation_becomes_a_refusal_at_the_field_and_rolls_back(make_course, make_user):
    existing = make_course(code="MPT 700")
    actor = make_user("admin")
    with pytest.raises(ServiceError) as refused:
        with unique_or_refuse("That code is taken.", "code"):
            history.record(actor, "course.created", "course", None, summary="half of a change")
            db.session.add(Course(program_id=existing.program_id, code="MPT 700", title="Twin", credits=3,
                                  category=CourseCategory.ELECTIVE))
            db.session.flush()
            db.session.commit()
    assert refused.value.message == "That code is taken." and refused.value.field == "code"
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(HistoryEvent.id))) == 0  # the history row went too


def test_a_prepared_refusal_is_raised_as_is(make_course):
    existing = make_course(code="MPT 701")
    refusal = ServiceError("You already have MPT 701 in Fall.", "course_id")
    with pytest.raises(ServiceError) as refused:
        with unique_or_refuse(refusal):
            db.session.add(Course(program_id=existing.program_id, code="MPT 701", title="Twin", credits=3,
                                  category=CourseCategory.ELECTIVE))
            db.session.flush()
    assert refused.value is refusal


def test_other_errors_roll_back_and_propagate(make_course):
    existing = make_course(code="MPT 702")
    with pytest.raises(ZeroDivisionError):
        with unique_or_refuse("unused"):
            db.session.add(Course(program_id=existing.program_id, code="MPT 703", title="New", credits=3,
                                  category=CourseCategory.ELECTIVE))
            db.session.flush()
            1 / 0
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 1
