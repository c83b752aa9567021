"""Advising: the advisees list (progress, GPA, pending reviews, risk) and milestone sign-off pages."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import HistoryEvent, MilestoneRecord

from .html_support import page_html
from .progress_support import add_course, add_sessions, sign


def _row(html: str, student_id: int) -> str:
    start = html.index(f'data-student="{student_id}"')
    return html[start:html.index("</tr>", start)]


# ---------------------------------------------------------------- the list

def test_faculty_see_their_advisees_with_progress_gpa_pending_and_risk(client, demo_program, terms, make_user,
                                                                       make_student):
    advisor = make_user("faculty")
    other_advisor = make_user("faculty")
    fine = make_student(advisor=advisor, name="Maya Chen", start_term=terms.current)
    add_course(fine, "MPT 601", terms.first, grade="A")
    add_sessions(fine, advisor, terms.current, count=7, status="pending")  # 28 h in 61 days: 46 h by the end
    low_gpa = make_student(advisor=advisor, name="Ethan Brooks", start_term=terms.current)
    add_course(low_gpa, "MPT 663", terms.first, grade="C")
    low_core = make_student(advisor=advisor, name="Priya Raman", start_term=terms.current)
    add_course(low_core, "MPT 601", terms.first, grade="C+")
    add_course(low_core, "MPT 602", terms.first, grade="A")
    add_course(low_core, "MPT 603", terms.first, grade="A")
    short = make_student(advisor=advisor, name="Luis Ortega", start_term=terms.current)
    add_sessions(short, advisor, terms.second, count=5, hours=4)      # 20 of 40 h in a term that has ended
    behind = make_student(advisor=advisor, name="Sofia Rossi", start_term=terms.first)  # 2 terms done, 0%
    slow = make_student(advisor=advisor, name="Noor Haddad", start_term=terms.current)
    add_course(slow, "MPT 601", terms.first, grade="A")
    add_sessions(slow, advisor, terms.current, count=2, hours=4)  # 8 h in 61 days: about 13.2 h by the end
    not_mine = make_student(advisor=other_advisor, name="Jonah Park")

    client.login(advisor.email)
    response = client.get("/advising")
    assert response.status_code == 200
    html = page_html(response)
    assert "Jonah Park" not in html and f'data-student="{not_mine.id}"' not in html
    row = _row(html, fine.id)
    assert "On track" in row and "4.00" in row and '<span class="badge text-bg-warning">7</span>' in row
    assert f'href="/progress/students/{fine.id}"' in row
    assert re.search(r'aria-label="Overall progress of Maya Chen: done" aria-valuenow="\d+"', row)
    assert "At risk" in _row(html, low_gpa.id) and "The GPA 2.00 is below the minimum 3.00." in _row(html, low_gpa.id)
    assert 'text-danger' in _row(html, low_gpa.id)
    assert "At risk" in _row(html, low_core.id) and "grade C+ below minimum B-" in _row(html, low_core.id)
    assert "At risk" in _row(html, short.id) and "with 20 of 40 approved studio hours" in _row(html, short.id)
    assert "At risk" in _row(html, behind.id)
    assert "Behind schedule: 0% done after 2 of 4 planned terms" in _row(html, behind.id)
    end = terms.current.end_date
    assert "At risk" in _row(html, slow.id)
    assert (f"Studio pace in Current term: about 13.2 of 40 approved hours by {end.day} {end:%b} at the pace so far."
            in _row(html, slow.id))
    assert "6 students" in html and "5 at risk" in html


def test_the_pace_flag_waits_for_two_weeks_and_leaves_the_last_three_to_the_term_warning(
        client, demo_program, make_term, make_user, make_student):
    """Early in a term one idle week says little; in its last three weeks the audit's own warning names the
    shortfall, so the pace is not flagged twice."""
    advisor = make_user("faculty")
    today = date.today()
    young = make_term("Young term", start=today - timedelta(days=10), end=today + timedelta(days=90))
    fresh = make_student(advisor=advisor, name="Early Bird", start_term=young)
    add_course(fresh, "MPT 601", young, grade="A")
    client.login(advisor.email)
    assert "On track" in _row(page_html(client.get("/advising")), fresh.id)
    with db.session.no_autoflush:
        young.start_date = today - timedelta(days=90)
        young.end_date = today + timedelta(days=10)
    db.session.commit()
    add_sessions(fresh, advisor, young, count=1, hours=4)
    row = _row(page_html(client.get("/advising")), fresh.id)
    assert "Studio pace" not in row
    assert f"Young term ends on {young.end_date.isoformat()} with 4 of 40 approved studio hours." in row


def test_admins_see_every_student_and_can_filter_by_advisor(client, demo_program, make_user, make_student):
    amoreno = make_user("faculty", name="Prof. Alicia Moreno")
    bokafor = make_user("faculty", name="Dr. Ben Okafor")
    a = make_student(advisor=amoreno, name="Maya Chen")
    b = make_student(advisor=bokafor, name="Jonah Park")
    c = make_student(name="Daniel Kim")
    admin = make_user("admin")
    client.login(admin.email)
    html = page_html(client.get("/advising"))
    assert all(f'data-student="{s.id}"' in html for s in (a, b, c))
    assert "<h1 class=\"h3 mb-1\">Students</h1>" in html and "Prof. Alicia Moreno" in html
    assert f'<option value="{amoreno.id}">Prof. Alicia Moreno</option>' in html
    only = page_html(client.get(f"/advising?advisor={bokafor.id}"))
    assert f'data-student="{b.id}"' in only and f'data-student="{a.id}"' not in only
    assert f'<option selected value="{bokafor.id}">' in only or f'value="{bokafor.id}" selected' in only
    none = page_html(client.get("/advising?advisor=none"))
    assert f'data-student="{c.id}"' in none and f'data-student="{a.id}"' not in none


def test_an_empty_list_says_so(client, make_user):
    client.login(make_user("faculty").email)
    assert "No advisees are assigned to you yet." in page_html(client.get("/advising"))


def test_students_may_not_open_advising(client, demo_program, make_student):
    student = make_student()
    client.login(student.email)
    assert client.get("/advising").status_code == 403
    assert client.get(f"/advising/students/{student.id}/milestones").status_code == 403


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/advising")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["faculty", "admin"])
def test_the_list_costs_the_same_queries_for_5_and_50_advisees(app, demo_program, terms, make_user, make_student,
                                                              count_queries, role):
    counts = {}
    for size in (5, 50):
        advisor = make_user("faculty")
        viewer = advisor if role == "faculty" else make_user("admin")
        for i in range(size):
            student = make_student(advisor=advisor, start_term=terms.first)
            add_course(student, "MPT 601", terms.first, grade="B", commit=False)
            add_sessions(student, advisor, terms.current, count=2, status="pending", commit=False)
        db.session.commit()
        client = app.test_client()
        client.login(viewer.email)
        query = f"?advisor={advisor.id}" if role == "admin" else ""
        with count_queries() as q:
            response = client.get("/advising" + query)
        assert response.status_code == 200
        assert len(re.findall(r"data-student=", page_html(response))) == size
        counts[size] = q.count
    assert counts[5] == counts[50], counts


# ---------------------------------------------------------------- milestone sign-off pages

@pytest.fixture
def cast(demo_program, make_user, make_student):
    advisor = make_user("faculty", name="Prof. Alicia Moreno")
    return {
        "advisor": advisor,
        "student": make_student(advisor=advisor, track="thesis", name="Maya Chen"),
        "other_faculty": make_user("faculty"),
        "admin": make_user("admin", name="Director Dana"),
    }


def _url(cast, suffix=""):
    return f"/advising/students/{cast['student'].id}/milestones{suffix}"


@pytest.mark.parametrize("who, expected", [("advisor", 200), ("admin", 200), ("other_faculty", 404)])
def test_who_may_open_the_sign_off_page(client, cast, who, expected):
    client.login(cast[who].email)
    assert client.get(_url(cast)).status_code == expected


def test_the_sign_off_page_offers_only_the_tracks_unsigned_milestones(client, cast):
    sign(cast["student"], "proposal", date.today() - timedelta(days=9), cast["advisor"])
    client.login(cast["advisor"].email)
    html = page_html(client.get(_url(cast)))
    options = re.findall(r'<option[^>]*value="([^"]*)"', html)
    assert options == ["", "committee", "defense", "deposit"]
    assert "Undo sign-off" in html and 'data-confirm="Undo the sign-off of' in html
    assert f'value="{date.today().isoformat()}"' in html          # the date defaults to today


@pytest.mark.parametrize("who", ["advisor", "admin"])
def test_signing_off_records_it_and_the_audit_follows(client, cast, who):
    client.login(cast[who].email)
    on = date.today() - timedelta(days=1)
    response = client.post_form(_url(cast), {"kind": "proposal", "completed_on": on.isoformat(),
                                             "note": "Approved by the committee"})
    assert response.status_code == 302 and response.headers["Location"].endswith(_url(cast))
    page = page_html(client.get(_url(cast)))
    assert "Signed off “Thesis proposal approved” for Maya Chen." in page
    assert "1 of 4 milestones signed off" in page and "Approved by the committee" in page
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "milestone.signed_off"))
    assert event.actor_id == cast[who].id and event.subject_id == cast["student"].id
    # The student's own pages follow at once.
    student = client.application.test_client()
    student.login(cast["student"].email)
    progress = page_html(student.get("/progress"))
    assert "Signed off by " + cast[who].display_name in progress


@pytest.mark.parametrize("data, field_message", [
    ({"kind": "proposal", "completed_on": (date.today() + timedelta(days=1)).isoformat()},
     "The date cannot be in the future."),
    ({"kind": "capstone", "completed_on": date.today().isoformat()},
     "is not a milestone of the thesis track"),
    ({"kind": "proposal", "completed_on": ""}, "Enter the date."),
    ({"kind": "", "completed_on": date.today().isoformat()}, "Choose a milestone."),
])
def test_refused_sign_offs_keep_the_input_and_write_nothing(client, cast, data, field_message):
    client.login(cast["advisor"].email)
    response = client.post_form(_url(cast), {**data, "note": "keep me"})
    assert response.status_code == 200
    html = page_html(response)
    assert field_message in html and 'aria-invalid="true"' in html and "keep me" in html
    assert db.session.scalar(sa.select(sa.func.count(MilestoneRecord.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(HistoryEvent.id))
                             .where(HistoryEvent.entity_type == "milestone_record")) == 0


def test_other_faculty_cannot_sign_or_undo(client, cast):
    record = sign(cast["student"], "proposal", date.today(), cast["advisor"])
    client.login(cast["other_faculty"].email)
    assert client.post_form(_url(cast), {"kind": "committee",
                                         "completed_on": date.today().isoformat()}).status_code == 404
    assert client.post_form(_url(cast, f"/{record.id}/undo")).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(MilestoneRecord.id))) == 1


def test_a_student_cannot_sign_off_their_own_milestone(client, cast):
    client.login(cast["student"].email)
    response = client.post_form(_url(cast), {"kind": "proposal", "completed_on": date.today().isoformat()})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(MilestoneRecord.id))) == 0


def test_undo_is_post_only_with_csrf_and_history_keeps_both(client, cast):
    client.login(cast["advisor"].email)
    client.post_form(_url(cast), {"kind": "proposal", "completed_on": date.today().isoformat()})
    record = db.session.scalar(sa.select(MilestoneRecord))
    assert client.get(_url(cast, f"/{record.id}/undo")).status_code == 405
    assert client.post(_url(cast, f"/{record.id}/undo")).status_code == 400          # no CSRF token
    response = client.post_form(_url(cast, f"/{record.id}/undo"))
    assert response.status_code == 302
    page = page_html(client.get(_url(cast)))
    assert "The sign-off of “Thesis proposal approved” is undone." in page
    assert "0 of 4 milestones signed off" in page
    assert db.session.scalar(sa.select(sa.func.count(MilestoneRecord.id))) == 0
    actions = db.session.scalars(sa.select(HistoryEvent.action).where(HistoryEvent.entity_type == "milestone_record")
                                 .order_by(HistoryEvent.id)).all()
    assert actions == ["milestone.signed_off", "milestone.revoked"]
    assert "Undid the sign-off of “Thesis proposal approved”" in page
    # Undoing twice is explained, not an error page.
    again = client.post_form(_url(cast, f"/{record.id}/undo"), follow_redirects=True)
    assert again.status_code == 200 and "no longer exists" in page_html(again)


def test_an_out_of_order_sign_off_is_flagged_on_the_page(client, cast):
    client.login(cast["advisor"].email)
    client.post_form(_url(cast), {"kind": "deposit", "completed_on": date.today().isoformat()})
    html = page_html(client.get(_url(cast)))
    assert "Thesis deposited was signed off" in html and "before Thesis proposal approved" in html
