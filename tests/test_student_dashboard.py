"""The student's dashboard: enrollment, this term's studio hours, sessions waiting, reviews that came back, recent
records, and a constant number of queries."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import EnsembleRecord, EnsembleRole, StudioSession

from .catalog_support import add_requirement
from .html_support import visible_text


def test_dashboard_shows_enrollment_and_quick_actions(client, login_as, make_user):
    advisor = make_user("faculty", name="Prof. Alicia Moreno")
    login_as("student", concentration="technical", track="non_thesis", advisor=advisor)
    text = visible_text(client.get("/dashboard/student"))
    for expected in ("Technical", "Non-thesis", "Prof. Alicia Moreno", "Log a studio session", "Add a course"):
        assert expected in text


def test_dashboard_lists_waiting_sessions_and_reviews_with_links(client, login_as, make_user, make_session):
    supervisor = make_user("faculty", name="Dr. Ben Okafor")
    student = login_as("student")
    day = date.today() - timedelta(days=3)
    pending = make_session(student, supervisor, day=day, start="09:00", hours=2, project="Pending one")
    sent_back = make_session(student, supervisor, day=day, start="12:00", hours=1, status="needs_changes")
    approved = make_session(student, supervisor, day=day, start="14:00", hours=3, status="approved")
    rejected = make_session(student, supervisor, day=day, start="18:00", hours=1, status="rejected")
    db.session.execute(sa.update(StudioSession).where(StudioSession.id == rejected.id)
                       .values(review_note="Not supervised."))
    db.session.commit()
    withdrawn = make_session(student, supervisor, day=day - timedelta(days=1), status="withdrawn")
    page = client.get("/dashboard/student").get_data(as_text=True)
    text = visible_text(client.get("/dashboard/student"))
    waiting = text[text.index("Sessions waiting for review"):text.index("Reviews that came back")]
    assert "Waiting for review" in waiting and "with Dr. Ben Okafor" in waiting
    assert "Sent back for changes" in waiting and "Fix and resubmit" in waiting
    reviews = text[text.index("Reviews that came back"):]
    assert "Approved" in reviews and "Rejected" in reviews and "Not supervised." in reviews
    for session in (pending, sent_back, approved, rejected):
        assert f'href="/studio/sessions/{session.id}"' in page
    assert f'href="/studio/sessions/{withdrawn.id}"' not in page
    assert f'href="/studio/sessions/{sent_back.id}/edit"' in page


def test_dashboard_shows_this_terms_hours_against_the_minimum(client, login_as, make_user, make_session, make_term):
    supervisor = make_user("faculty")
    term = make_term("This term")
    student = login_as("student", start_term=term)
    add_requirement(student.enrollment.program_id, "studio", "studio_terms", "Studio",
                    {"terms": 2, "min_hours": "20"})
    make_session(student, supervisor, hours=5, status="approved", term=term)
    text = visible_text(client.get("/dashboard/student"))
    assert "Studio hours in This term" in text and "5 approved, 0 waiting — minimum 20" in text


def test_dashboard_shows_recent_records(client, login_as, make_course, make_term, make_course_record,
                                        make_ensemble):
    student = login_as("student")
    term = make_term("Fall 2025", start=date(2025, 8, 24), end=date(2025, 12, 18))
    make_course_record(student, make_course(code="MPT 601", title="Critical Listening"), term, grade="A-")
    db.session.add(EnsembleRecord(student_id=student.id, ensemble_id=make_ensemble("Jazz Band").id, term_id=term.id,
                                  role=EnsembleRole.ENGINEER))
    db.session.commit()
    text = visible_text(client.get("/dashboard/student"))
    recent = text[text.index("Recent records"):]
    assert "MPT 601 Critical Listening · Fall 2025 Completed A-" in recent
    assert "Jazz Band · Fall 2025 Engineer" in recent


def test_dashboard_without_enrollment_still_works(client, make_user):
    student = make_user("student")
    client.login(student.email)
    response = client.get("/dashboard/student")
    assert response.status_code == 200 and "not enrolled in a program yet" in visible_text(response)


def test_dashboard_costs_the_same_queries_for_5_and_200_rows(app, make_student, make_user, make_term, make_studio,
                                                              make_course, make_course_record, make_session,
                                                              count_queries):
    supervisors = [make_user("faculty") for _ in range(3)]
    studios = [make_studio() for _ in range(3)]
    catalog = [make_course() for _ in range(20)]
    counts = []
    for n in (5, 200):
        base = date.today() - timedelta(days=1000 if n == 5 else 700)
        terms = [make_term(start=base + timedelta(days=100 * i), end=base + timedelta(days=100 * i + 90))
                 for i in range(10)]
        student = make_student(start_term=terms[0])
        for i in range(n):
            make_course_record(student, catalog[i % 20], terms[i // 20], status="completed", grade="B")
            make_session(student, supervisors[i % 3], day=terms[i % 10].start_date + timedelta(days=i // 10),
                         studio=studios[i % 3], term=terms[i % 10],
                         status=["pending", "approved", "rejected", "needs_changes"][i % 4],
                         created_at=datetime.now(timezone.utc))
        client = app.test_client()
        client.login(student.email)
        db.session.expire_all()
        with count_queries() as q:
            assert client.get("/dashboard/student").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_dashboard_shows_live_degree_progress_that_grows_with_a_completed_course(client, login_as):
    """The first thing a student sees is how far along they are; finishing a core course moves the figure."""
    from .progress_support import DEMO_TOML, add_course
    from tracker.services.programs import load_program_text
    from tracker.models import Term

    load_program_text(DEMO_TOML.read_text(), actor=None)
    student = login_as("student")
    term = Term(name="Spring", start_date=date.today() - timedelta(days=200), end_date=date.today() - timedelta(days=90))
    db.session.add(term)
    db.session.commit()
    before = client.get("/dashboard/student").get_data(as_text=True)
    assert "Degree progress" in before and "<strong>0%</strong> complete" in before
    add_course(student, "MPT 601", term, "completed", "A")
    after = client.get("/dashboard/student").get_data(as_text=True)
    assert "<strong>0%</strong> complete" not in after
    assert 'href="/progress"' in after
