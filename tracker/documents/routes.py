"""Progress-document views: the student's and an advisee's documents (issue, revoke) and the public verification
page and PDF that the document's link and QR code open."""
from __future__ import annotations

import re
from datetime import date, datetime

import segno
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup

from ..forms import attach_error
from ..models import Role
from ..permissions import get_document_or_404, get_enrollment_or_404, may_revoke_document, role_required
from ..services import ServiceError
from ..services import audit as audit_service
from ..services import documents as document_service
from . import bp
from .forms import IssueForm, RevokeForm
from .snapshot import snapshot
from ..progress.present import STATUS_LABELS


def _key() -> str:
    """The document key: DOCUMENT_SIGNING_KEY, or SECRET_KEY when it is not set."""
    return current_app.config.get("DOCUMENT_SIGNING_KEY") or current_app.config["SECRET_KEY"]


def _list_page(student, own: bool, form: IssueForm | None = None):
    issue_url = url_for("documents.mine_issue") if own else url_for("documents.student_issue", student_id=student.id)
    return render_template(
        "documents/index.html", student=student, own=own, form=form or IssueForm(), issue_url=issue_url,
        documents=document_service.documents_for(current_user, student.id),
        progress_url=url_for("progress.mine") if own else url_for("progress.student", student_id=student.id))


def _issue(enrollment, own: bool):
    form = IssueForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "warning")
        return redirect(url_for("documents.mine") if own else url_for("documents.student",
                                                                       student_id=enrollment.student_id))
    try:
        document = document_service.issue(current_user, enrollment, snapshot(audit_service.audit_enrollment(enrollment)),
                                          key=_key())
    except ServiceError as err:
        attach_error(form, err)
        return _list_page(enrollment.student, own, form), 400
    flash("Progress document issued. Anyone you give its link to can check it.", "success")
    return redirect(url_for("documents.verify", token=document.token))


def _own_enrollment():
    """The logged-in student's enrollment; 404 when they have none (nothing to document)."""
    return get_enrollment_or_404(audit_service.load_enrollment(current_user.id))


@bp.route("/mine")
@role_required(Role.STUDENT)
def mine():
    """The student's own progress documents, and the button that issues a new one."""
    return _list_page(_own_enrollment().student, own=True)


@bp.route("/mine/issue", methods=["POST"])
@role_required(Role.STUDENT)
def mine_issue():
    """Issue a document of the student's own audit as it stands now."""
    return _issue(_own_enrollment(), own=True)


@bp.route("/students/<int:student_id>")
@role_required(Role.FACULTY, Role.ADMIN)
def student(student_id: int):
    """An advisee's progress documents (their advisor's or an admin's view)."""
    enrollment = get_enrollment_or_404(audit_service.load_enrollment(student_id))
    return _list_page(enrollment.student, own=False)


@bp.route("/students/<int:student_id>/issue", methods=["POST"])
@role_required(Role.FACULTY, Role.ADMIN)
def student_issue(student_id: int):
    """Issue a document of an advisee's audit as it stands now."""
    enrollment = get_enrollment_or_404(audit_service.load_enrollment(student_id))
    return _issue(enrollment, own=False)


@bp.route("/<int:document_id>/revoke", methods=["GET", "POST"])
@role_required(Role.STUDENT, Role.FACULTY, Role.ADMIN)
def revoke(document_id: int):
    """Revoke an issued document, with a reason its link will show."""
    document = get_document_or_404(document_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            document_service.revoke(current_user, document, form.reason.data)
        except ServiceError as err:
            attach_error(form, err)
        else:
            flash("The document is revoked: its link now says so.", "success")
            return redirect(_back(document))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("documents/revoke.html", document=document, form=form, back=_back(document),
                           may_revoke=may_revoke_document(current_user, document)), status


def _back(document) -> str:
    if current_user.is_student:
        return url_for("documents.mine")
    return url_for("documents.student", student_id=document.student_id)


def _verification(token: str) -> document_service.Verification:
    document = document_service.by_token(token)
    if document is None:
        abort(404)
    return document_service.verify(document, key=_key())


def _page_values(checked: document_service.Verification, token: str) -> dict:
    """What the verification page and the PDF show: the content, its dates read back, the link and its QR code."""
    link = url_for("documents.verify", token=token, _external=True)
    content = checked.content
    return {"checked": checked, "content": content, "link": link, "qr": _qr(link), "status_words": STATUS_LABELS,
            "as_of": date.fromisoformat(content["as_of"]) if content else None,
            "issued_at": datetime.fromisoformat(content["issued_at"]) if content else checked.document.issued_at}


def _qr(link: str) -> Markup:
    """The verification link as an inline SVG QR code (no image request, so it passes the CSP and prints)."""
    return Markup(segno.make(link, error="m").svg_inline(scale=3, border=2, title="Verification link"))


@bp.route("/verify/<token>")
def verify(token: str):
    """The document as issued and whether it is authentic and still stands; public, so no account is needed."""
    return render_template("documents/verify.html", pdf_url=url_for("documents.verify_pdf", token=token),
                           **_page_values(_verification(token), token))


@bp.route("/verify/<token>/pdf")
def verify_pdf(token: str):
    """The document as a PDF (WeasyPrint), with its link and QR code; a revoked one is marked so on every page."""
    from weasyprint import HTML  # imported here: it loads Pango, which only this view needs

    checked = _verification(token)
    if checked.state == "not_authentic":
        abort(404)
    html = render_template("documents/pdf.html", **_page_values(checked, token))
    pdf = HTML(string=html).write_pdf()
    name = re.sub(r"[^a-z0-9]+", "-", checked.content["student"]["name"].lower()).strip("-") or "student"
    response = current_app.response_class(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="progress-{name}-{checked.content["as_of"]}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
