"""One vocabulary: the pages' labelled enums name exactly the codes the degree audit (tracker.domain) knows.

The domain is the source (the audit runs on its codes); the enums in tracker.models.enums only add labels. If one
side gains a code, this test says which side is missing it.
"""
from __future__ import annotations

import pytest

from tracker import domain
from tracker.domain.inputs import COURSE_STATUSES, SESSION_STATUSES
from tracker.models import LETTER_GRADES, PASS_FAIL_GRADES, CourseCategory, CourseStatus, SessionStatus


@pytest.mark.parametrize("enum, codes", [
    (CourseCategory, domain.CATEGORIES),
    (CourseStatus, COURSE_STATUSES),
    (SessionStatus, SESSION_STATUSES),
], ids=lambda v: getattr(v, "__name__", ""))
def test_labelled_enums_name_the_domains_codes(enum, codes):
    assert [member.value for member in enum] == list(codes)


def test_grades_have_one_source():
    assert LETTER_GRADES is domain.LETTER_GRADES and PASS_FAIL_GRADES is domain.PASS_FAIL_GRADES


def test_tracks_and_milestone_kinds_are_program_data_not_enums():
    import tracker.models as models
    assert not hasattr(models, "Track") and not hasattr(models, "MilestoneKind")
    assert [t.code for t in domain.DEFAULT_TRACKS] == ["thesis", "non_thesis"]
