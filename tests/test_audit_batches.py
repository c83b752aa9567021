"""Audits computed in batches give the same results as one batch: a whole school's cohort CSV with cold caches runs
query 2 once per COMPUTE_BATCH students, so a worker never holds every record of the school at once."""
from __future__ import annotations

from tracker.services import audit as audit_service
from tracker.services import audit_cache

from .progress_support import add_course, add_sessions


def _students(make_user, make_student, terms, n):
    advisor = make_user("faculty")
    made = []
    for i in range(n):
        student = make_student(concentration="production", track="thesis", advisor=advisor, start_term=terms.first)
        add_course(student, "MPT 601", terms.first, grade="A")
        if i % 2:
            add_course(student, "MPT 602", terms.first, grade="B")
        add_sessions(student, advisor, terms.current, count=1 + i, hours=3, status="approved")
        made.append(student.id)
    return made


def _figures(audits):
    return {sid: (a.result.overall_percent, str(a.result.gpa), [(b.key, b.done) for b in a.result.walk()])
            for sid, a in audits.items()}


def test_batches_give_the_same_audits_and_summaries(app, demo_program, terms, make_user, make_student,
                                                    count_queries, monkeypatch):
    ids = _students(make_user, make_student, terms, 5)
    audit_cache.current_cache().clear()
    whole = _figures(audit_service.audit_students(ids))

    monkeypatch.setattr(audit_service, "COMPUTE_BATCH", 2)
    audit_cache.current_cache().clear()
    audit_cache.current_cache("audit_summaries").clear()
    with count_queries() as cold:
        batched = _figures(audit_service.audit_students(ids))
    assert batched == whole
    # Query 1, then query 2 once per batch of two: 5 students make three batches.
    assert cold.count == 1 + 3
    with count_queries() as warm:  # every batch went into the cache
        audit_service.audit_students(ids)
    assert warm.count == 1

    audit_cache.current_cache().clear()
    with count_queries() as summaries_cold:
        summaries = audit_service.audit_summaries(ids)
    assert summaries_cold.count == 1 + 3
    assert {sid: s.overall_percent for sid, (_e, s) in summaries.items()} == {
        sid: figures[0] for sid, figures in whole.items()}
