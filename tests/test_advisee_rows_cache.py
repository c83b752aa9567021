"""The advisees list keeps each rendered row per audit key and view: a second view audits nobody, an admin's rows
(with the advisor column) and a faculty member's rows never share an entry, and every write a row shows appears on
the next view: a record, a session waiting for review, a renamed student."""
from __future__ import annotations

from tracker.extensions import db
from tracker.services import audit_cache

from .html_support import page_html
from .progress_support import add_course, add_sessions


def _row(html: str, student_id: int) -> str:
    start = html.index(f'data-student="{student_id}"')
    return html[start:html.index("</tr>", start)]


def test_second_view_audits_nobody_and_writes_show_at_once(client, app, demo_program, terms, make_user,
                                                            make_student, count_queries):
    advisor = make_user("faculty", name="Prof. Lin")
    student = make_student(advisor=advisor, name="Maya Chen", start_term=terms.first)
    other = make_student(advisor=advisor, name="Omar Diaz", start_term=terms.first)
    add_course(student, "MPT 601", terms.first, grade="A")
    rows = audit_cache.current_cache("advisee_rows")
    rows.clear()
    client.login(advisor.email)

    with count_queries() as cold:
        first = page_html(client.get("/advising"))
    with count_queries() as warm:
        second = page_html(client.get("/advising"))
    assert (rows.misses, rows.hits) == (2, 2)
    assert _row(second, student.id) == _row(first, student.id) and "Maya Chen" in _row(second, student.id)
    assert warm.count < cold.count  # neither the enrollments nor the records were read again

    add_sessions(student, advisor, terms.current, count=2, status="pending")
    after_sessions = page_html(client.get("/advising"))
    assert '<span class="badge text-bg-warning">2</span>' in _row(after_sessions, student.id)
    assert _row(after_sessions, other.id) == _row(first, other.id)  # the other student's row was kept

    student.display_name = "Maya Chen-Okafor"  # a name: the shared generation changes, every row is redrawn
    db.session.commit()
    renamed = page_html(client.get("/advising"))
    assert "Maya Chen-Okafor" in _row(renamed, student.id)


def test_admin_rows_with_the_advisor_column_are_kept_apart(client, demo_program, terms, make_user, make_student):
    advisor = make_user("faculty", name="Prof. Lin")
    admin = make_user("admin")
    student = make_student(advisor=advisor, start_term=terms.first)
    client.login(advisor.email)
    faculty_row = _row(page_html(client.get("/advising")), student.id)
    client.post("/auth/logout", data={"csrf_token": client.csrf_token()})
    client.login(admin.email)
    admin_row = _row(page_html(client.get(f"/advising?advisor={advisor.id}")), student.id)
    assert "Prof. Lin" in admin_row and "Prof. Lin" not in faculty_row


def test_without_the_cache_the_list_is_computed_every_time(app, client, demo_program, terms, make_user,
                                                           make_student):
    advisor = make_user("faculty")
    student = make_student(advisor=advisor, start_term=terms.first)
    app.extensions["advisee_rows"].size = 0  # AUDIT_CACHE_SIZE = 0 switches every audit cache off
    client.login(advisor.email)
    before = _row(page_html(client.get("/advising")), student.id)
    add_course(student, "MPT 601", terms.first, grade="A")
    after = _row(page_html(client.get("/advising")), student.id)
    assert before != after and "0%" in before
