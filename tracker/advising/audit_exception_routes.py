"""A student's audit exceptions: substitutions, waivers and transfer credit, recorded by their advisor or an admin."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from ..extensions import db
from ..models import AuditException, Course, CourseRecord, CourseStatus, Enrollment, Role, User
from ..permissions import current_actor, get_student_or_404, get_students_record_or_404, role_required
from ..services import ServiceError
from ..services import audit_exceptions as exception_service
from . import bp
from ..forms import attach_error
from .forms import SubstitutionForm, TransferForm, WaiverForm
from ..views import run_action


def _student(student_id: int) -> tuple[User, Enrollment]:
    """The student (advisors: their own advisees only, others 404) and their enrollment."""
    student = get_student_or_404(student_id)
    enrollment = db.session.scalar(
        sa.select(Enrollment).where(Enrollment.student_id == student.id)
        .options(joinedload(Enrollment.concentration), joinedload(Enrollment.program),
                 joinedload(Enrollment.advisor)))
    if enrollment is None:
        abort(404)
    return student, enrollment


def _forms(enrollment: Enrollment, student: User, **given):
    """The three forms, with their choices; a form given (with errors) replaces the blank one."""
    choices = exception_service.requirement_choices(enrollment)
    records = db.session.scalars(
        sa.select(CourseRecord).where(CourseRecord.student_id == student.id,
                                      CourseRecord.status != CourseStatus.WITHDRAWN)
        .options(joinedload(CourseRecord.course), joinedload(CourseRecord.term))
    ).all()
    records = sorted(records, key=lambda r: (r.term.start_date, r.course.code))
    courses = db.session.scalars(sa.select(Course).where(Course.program_id == enrollment.program_id)
                                 .order_by(Course.code)).all()
    # Blank forms are not bound to this request's data: only the submitted one shows what was typed.
    sub = given.get("sub") or SubstitutionForm(formdata=None, prefix="sub")
    waiver = given.get("waiver") or WaiverForm(formdata=None, prefix="waiver")
    transfer = given.get("transfer") or TransferForm(formdata=None, prefix="transfer")
    sub.course_record_id.choices = [SelectChoice("", "— choose —")] + [
        SelectChoice(str(r.id), f"{r.course.code} {r.course.title} — {r.term.name} ({r.status.label}"
                                f"{', ' + r.grade if r.grade else ''})") for r in records]
    sub.requirement_key.choices = [SelectChoice("", "— choose —")] + [
        SelectChoice(c.key, c.label) for c in choices if c.takes_substitution]
    waiver.requirement_key.choices = [SelectChoice("", "— choose —")] + [
        SelectChoice(c.key, c.label) for c in choices]
    transfer.course_id.choices = [SelectChoice("", "— none —")] + [
        SelectChoice(str(c.id), c.label) for c in courses]
    return {"sub": sub, "waiver": waiver, "transfer": transfer, "choices": choices}


def _page(student: User, enrollment: Enrollment, forms: dict | None = None):
    forms = forms or _forms(enrollment, student)
    titles = {c.key: c.title for c in forms["choices"]}
    return render_template("advising/audit_exceptions.html", student=student, enrollment=enrollment,
                           exceptions=exception_service.student_exceptions(student.id), titles=titles,
                           **forms)


@bp.route("/students/<int:student_id>/exceptions")
@role_required(Role.FACULTY, Role.ADMIN)
def audit_exceptions(student_id: int):
    """A student's exceptions, current and revoked, and the forms to record new ones."""
    student, enrollment = _student(student_id)
    return _page(student, enrollment)


def _record(student_id: int, form_cls, prefix: str, call):
    student, enrollment = _student(student_id)
    form = form_cls(prefix=prefix)
    forms = _forms(enrollment, student, **{prefix: form})  # choices are set before validating
    if form.validate_on_submit():
        try:
            call(student, form)
        except ServiceError as err:
            attach_error(form, err)
        else:
            flash("The exception is recorded; the degree audit now takes it into account.", "success")
            return redirect(url_for("advising.audit_exceptions", student_id=student_id))
    return _page(student, enrollment, forms)


@bp.route("/students/<int:student_id>/exceptions/substitution", methods=["POST"])
@role_required(Role.FACULTY, Role.ADMIN)
def substitution_record(student_id: int):
    """Record that one of the student's courses counts toward a requirement."""
    return _record(student_id, SubstitutionForm, "sub", lambda student, form: exception_service.record_substitution(
        student, form.course_record_id.data or None, form.requirement_key.data, form.justification.data,
        actor=current_actor()))


@bp.route("/students/<int:student_id>/exceptions/waiver", methods=["POST"])
@role_required(Role.FACULTY, Role.ADMIN)
def waiver_record(student_id: int):
    """Record a waiver of all or part of a requirement."""
    return _record(student_id, WaiverForm, "waiver", lambda student, form: exception_service.record_waiver(
        student, form.requirement_key.data, form.amount.data, form.justification.data, actor=current_actor()))


@bp.route("/students/<int:student_id>/exceptions/transfer", methods=["POST"])
@role_required(Role.FACULTY, Role.ADMIN)
def transfer_record(student_id: int):
    """Record transfer credit from another institution."""
    return _record(student_id, TransferForm, "transfer", lambda student, form: exception_service.record_transfer(
        student, form.transfer_title.data, form.institution.data, form.transfer_credits.data,
        form.course_id.data or None, form.justification.data, actor=current_actor(), earned_on=form.earned_on.data,
        grade=form.transfer_grade.data or None))


@bp.route("/students/<int:student_id>/exceptions/<int:exception_id>/revoke", methods=["POST"])
@role_required(Role.FACULTY, Role.ADMIN)
def audit_exception_revoke(student_id: int, exception_id: int):
    """Revoke an exception (it stays listed, marked revoked)."""
    student, _ = _student(student_id)
    exc = get_students_record_or_404(AuditException, exception_id, student.id)
    return run_action(lambda: exception_service.revoke(exc, actor=current_actor()),
                      f"The {exc.kind.label.lower()} is revoked; the degree audit no longer uses it.",
                      url_for("advising.audit_exceptions", student_id=student_id))
