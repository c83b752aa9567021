"""Progress documents: a student or their advisor issues a signed snapshot of the audit; anyone with the link sees it
as issued and whether it is authentic and not revoked; the issuer revokes it; the history records both."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from tracker.extensions import db
from tracker.models import HistoryEvent, ProgressDocument
from tracker.services import ServiceError
from tracker.services import documents as service
from tracker.services.audit import load_enrollment

from .html_support import page_text


@pytest.fixture
def people(demo_program, make_user, make_student, make_course, make_course_record, make_term):
    advisor = make_user("faculty", name="Dr. Clara Lindqvist")
    student = make_student(advisor=advisor, name="Sofia Rossi")
    course = make_course(code="MPT 501", credits=3)
    make_course_record(student, course, make_term(), grade="A")
    return advisor, student


def _document(student_id: int) -> ProgressDocument:
    return db.session.scalars(sa.select(ProgressDocument).where(ProgressDocument.student_id == student_id)
                              .order_by(ProgressDocument.id.desc())).first()


def _issue_own(app, student) -> tuple[object, str]:
    """Log the student in, issue from their documents page; returns the client and the verification URL."""
    client = app.test_client()
    client.login(student.email)
    assert client.get("/documents/mine").status_code == 200
    response = client.post_form("/documents/mine/issue")
    assert response.status_code == 302
    return client, response.location


def test_a_student_issues_a_document_that_anyone_can_verify_without_an_account(app, people):
    _, student = people
    _, link = _issue_own(app, student)
    assert link.startswith("/documents/verify/")
    page = app.test_client().get(link)  # no login
    text = page_text(page)
    assert page.status_code == 200
    assert "Authentic." in text
    assert "Sofia Rossi" in text and "Dr. Clara Lindqvist" in text
    assert "Issued" in text and "by Sofia Rossi (Student)" in text
    assert "Total credits" in text and "GPA" in text
    assert "<svg" in page.get_data(as_text=True)  # the QR code, inline
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "document.issued"))
    assert event.subject_id == student.id and event.actor_id == student.id


def test_the_snapshot_stays_as_issued_when_the_records_change(app, people, make_course, make_course_record,
                                                              make_term):
    _, student = people
    _, link = _issue_own(app, student)
    before = page_text(app.test_client().get(link))
    make_course_record(student, make_course(code="MPT 502", credits=3), make_term(), grade="B")
    after = page_text(app.test_client().get(link))
    assert after == before
    content = service.verify(_document(student.id), key=app.config["SECRET_KEY"]).content
    assert content["student"]["name"] == "Sofia Rossi"


def test_a_changed_row_is_not_authentic_and_shows_nothing_of_it(app, people):
    _, student = people
    _, link = _issue_own(app, student)
    document = _document(student.id)
    document.content = document.content.replace("Sofia Rossi", "Someone Else")
    db.session.commit()
    page = app.test_client().get(link)
    text = page_text(page)
    assert "Not authentic." in text
    assert "Someone Else" not in text and "Sofia Rossi" not in text
    assert app.test_client().get(link + "/pdf").status_code == 404


def test_a_document_signed_with_another_key_does_not_verify(app, people):
    _, student = people
    _issue_own(app, student)
    document = _document(student.id)
    assert service.verify(document, key=app.config["SECRET_KEY"]).authentic
    assert service.verify(document, key="another-key-entirely").state == "not_authentic"


def test_the_document_key_comes_from_the_configuration(app, people):
    _, student = people
    app.config["DOCUMENT_SIGNING_KEY"] = "a-separate-document-key"
    try:
        _, link = _issue_own(app, student)
        document = _document(student.id)
        assert document.key_id == service.key_id("a-separate-document-key")
        assert "Authentic." in page_text(app.test_client().get(link))
    finally:
        app.config["DOCUMENT_SIGNING_KEY"] = None
    assert "Not authentic." in page_text(app.test_client().get(link))  # SECRET_KEY did not sign it


def test_the_pdf_carries_the_standing_and_the_verification_link(app, people):
    _, student = people
    _, link = _issue_own(app, student)
    response = app.test_client().get(link + "/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert 'filename="progress-sofia-rossi-' in response.headers["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Sofia Rossi" in text
    assert "Total credits" in text
    assert _document(student.id).token[:10] in text.replace("\n", "")


def test_the_issuer_revokes_and_the_link_then_says_so(app, people):
    _, student = people
    client, link = _issue_own(app, student)
    document = _document(student.id)
    assert client.get(f"/documents/{document.id}/revoke").status_code == 200
    response = client.post_form(f"/documents/{document.id}/revoke", {"reason": "A grade was corrected."})
    assert response.status_code == 302
    text = page_text(app.test_client().get(link))
    assert "Revoked." in text and "A grade was corrected." in text
    pdf = app.test_client().get(link + "/pdf")
    assert "REVOKED" in " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    actions = db.session.scalars(sa.select(HistoryEvent.action).where(HistoryEvent.subject_id == student.id)).all()
    assert actions.count("document.issued") == 1 and actions.count("document.revoked") == 1


def test_revoking_twice_is_refused(app, people):
    _, student = people
    _issue_own(app, student)
    document = _document(student.id)
    service.revoke(student, document, "")
    with pytest.raises(ServiceError, match="already revoked"):
        service.revoke(student, document, "")


def test_a_reason_too_long_is_refused_at_its_field_and_kept(app, people):
    _, student = people
    client, _ = _issue_own(app, student)
    document = _document(student.id)
    response = client.post_form(f"/documents/{document.id}/revoke", {"reason": "x" * 501})
    assert response.status_code == 400
    assert "x" * 501 in response.get_data(as_text=True)
    db.session.refresh(document)
    assert not document.revoked


def test_an_advisor_issues_for_an_advisee_and_another_faculty_member_cannot(app, people, make_user):
    advisor, student = people
    client = app.test_client()
    client.login(advisor.email)
    assert client.post_form(f"/documents/students/{student.id}/issue").status_code == 302
    other = app.test_client()
    other.login(make_user("faculty").email)
    assert other.post_form(f"/documents/students/{student.id}/issue").status_code == 404
    assert other.get(f"/documents/students/{student.id}").status_code == 404
    document = _document(student.id)
    assert other.post_form(f"/documents/{document.id}/revoke", {"reason": ""}).status_code == 404
    assert document.issued_by_id == advisor.id
    assert "Authentic." in page_text(app.test_client().get(f"/documents/verify/{document.token}"))


def test_only_the_issuer_or_an_admin_revokes(app, people, make_user):
    advisor, student = people
    _issue_own(app, student)
    document = _document(student.id)
    with pytest.raises(ServiceError, match="Only whoever issued"):
        service.revoke(advisor, document, "")
    service.revoke(make_user("admin"), document, "")
    assert document.revoked


def test_a_student_sees_only_their_own_documents(app, people, make_student):
    _, student = people
    _issue_own(app, student)
    document = _document(student.id)
    intruder = app.test_client()
    intruder.login(make_student().email)
    assert intruder.get(f"/documents/{document.id}/revoke").status_code == 404
    assert "No progress documents issued yet." in page_text(intruder.get("/documents/mine"))


@pytest.mark.parametrize("token", ["nope", "x" * 5000, "a%00b", "%E2%80%AE", "9" * 30])
def test_unknown_or_hostile_links_are_not_found(app, token):
    assert app.test_client().get(f"/documents/verify/{token}").status_code == 404
    assert app.test_client().get(f"/documents/verify/{token}/pdf").status_code == 404


def test_the_issue_button_without_its_csrf_token_writes_nothing(app, people):
    _, student = people
    client = app.test_client()
    client.login(student.email)
    response = client.post("/documents/mine/issue", data={})
    assert response.status_code in (302, 400)
    assert _document(student.id) is None


def test_the_progress_page_links_to_the_documents(app, people):
    advisor, student = people
    client = app.test_client()
    client.login(student.email)
    assert 'href="/documents/mine"' in client.get("/progress").get_data(as_text=True)
    client = app.test_client()
    client.login(advisor.email)
    assert f'href="/documents/students/{student.id}"' in client.get(
        f"/progress/students/{student.id}").get_data(as_text=True)


def test_issuing_needs_an_enrollment(app, make_user):
    client = app.test_client()
    client.login(make_user("student").email)
    assert client.get("/documents/mine").status_code == 404
    assert load_enrollment(0) is None
