"""Who may reach the administration and report pages: admins everything, faculty and students nothing
(except an advisor on their own advisee's exceptions page)."""
from __future__ import annotations

import pytest

ADMIN_PAGES = [
    "/admin", "/admin/terms", "/admin/studios", "/admin/ensembles", "/admin/concentrations", "/admin/catalog",
    "/admin/catalog/new", "/admin/programs", "/admin/programs/load",
    "/admin/programs/definition-reference", "/admin/users", "/admin/users/new",
    "/admin/users/import", "/admin/history", "/reports", "/reports/studio-usage", "/reports/review-turnaround",
    "/reports/cohort", "/reports/studio-usage?format=csv", "/reports/review-turnaround?format=csv",
    "/reports/cohort?format=csv",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_reaches_every_page(client, login_as, make_program, url):
    make_program()
    login_as("admin")
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("role", ["student", "faculty"])
@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_students_and_faculty_get_403(client, login_as, role, url):
    login_as(role)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/admin", "/reports", "/admin/users"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["student", "faculty"])
def test_admin_posts_are_refused_for_others(client, login_as, make_term, make_user, role):
    term = make_term()
    other = make_user("faculty")
    login_as(role)
    assert client.post_form(f"/admin/terms/{term.id}/close").status_code == 403
    assert client.post_form(f"/admin/users/{other.id}/deactivate").status_code == 403
    assert client.post_form("/admin/terms", {"name": "X", "start_date": "2030-01-01",
                                              "end_date": "2030-05-01"}).status_code == 403


def test_admin_post_without_csrf_is_refused(client, login_as, make_term):
    term = make_term()
    login_as("admin")
    response = client.post(f"/admin/terms/{term.id}/close")
    assert response.status_code == 400
    assert term.closed is False


def test_nav_links_administration_and_reports_for_admins_only(client, login_as):
    login_as("admin")
    page = client.get("/dashboard/admin").get_data(as_text=True)
    assert 'href="/admin"' in page and ">Administration<" in page
    assert 'href="/reports"' in page


def test_nav_hides_administration_from_faculty(client, login_as):
    login_as("faculty")
    page = client.get("/dashboard/faculty").get_data(as_text=True)
    assert 'href="/admin"' not in page and 'href="/reports"' not in page


def test_exceptions_page_access(client, login_as, make_user, make_student, make_program):
    """Advisors: their advisees only (404 otherwise); students: 403; admins: everyone."""
    make_program()
    advisor = make_user("faculty")
    advisee = make_student(advisor=advisor)
    stranger = make_student()
    client.login(advisor.email)
    assert client.get(f"/advising/students/{advisee.id}/exceptions").status_code == 200
    assert client.get(f"/advising/students/{stranger.id}/exceptions").status_code == 404
    assert client.get(f"/advising/students/{advisor.id}/exceptions").status_code == 404
    client.post_form("/auth/logout")
    client.login(advisee.email)
    assert client.get(f"/advising/students/{advisee.id}/exceptions").status_code == 403
    client.post_form("/auth/logout")
    login_as("admin")
    assert client.get(f"/advising/students/{stranger.id}/exceptions").status_code == 200
    assert client.get("/advising/students/999999/exceptions").status_code == 404
