"""The progress page keeps its rendered audit part per audit key and view: a second view is served from it, the
student's own view and the advisor's view of the same audit never share an entry, and a write shows at once."""
from __future__ import annotations

from tracker.services import audit_cache

from .progress_support import add_course


def test_second_view_reuses_the_rendered_audit_and_views_stay_apart(client, app, demo_program, terms, make_user,
                                                                    make_student):
    advisor = make_user("faculty", name="Prof. Lin")
    student = make_student(concentration="production", track="thesis", advisor=advisor, start_term=terms.first)
    add_course(student, "MPT 601", terms.first, grade="A")
    pages = audit_cache.current_cache("progress_pages")
    pages.clear()

    client.login(student.email)
    first = client.get("/progress").get_data(as_text=True)
    second = client.get("/progress").get_data(as_text=True)
    assert (pages.misses, pages.hits) == (1, 1)
    assert "Your degree progress" in second and first.count("MPT 601") == second.count("MPT 601")

    client.post("/auth/logout", data={"csrf_token": client.csrf_token()})
    client.login(advisor.email)
    advisor_view = client.get(f"/progress/students/{student.id}").get_data(as_text=True)
    assert pages.misses == 2  # the advisor's view is its own entry, with its own buttons
    assert "Sign off milestones" in advisor_view and "Your degree progress" not in advisor_view

    add_course(student, "MPT 602", terms.first, grade="B")  # a write: the key changes, the page shows it
    after = client.get(f"/progress/students/{student.id}").get_data(as_text=True)
    assert pages.misses == 3 and after != advisor_view
    assert "grade B" in after or "B</" in after
