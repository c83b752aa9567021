"""Course views: the list by term, add, edit and delete (students only, their own records)."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from ..forms import attach_error
from ..models import CourseRecord, Role
from ..permissions import current_actor, get_own_or_404, role_required
from ..services import ServiceError, courses
from ..services.studio import term_for
from ..formatting import format_number
from . import bp
from .forms import CourseRecordForm
from ..views import run_action


def _fill_choices(form: CourseRecordForm, program_id: int, record: CourseRecord | None = None) -> None:
    catalog = courses.catalog_for(program_id, include_id=record.course_id if record else None)
    form.course_id.choices = [SelectChoice("", "Choose a course…")] + [
        SelectChoice(c.id, f"{c.code} {c.title} ({_credits_label(c)} cr{', pass/fail' if c.pass_fail else ''})"
                     + ("" if c.active else " — retired"),
                     # app.js shows the credits field only while a variable-credit course is chosen.
                     render_kw={"data-variable": "1"} if c.max_credits is not None else {})
        for c in catalog
    ]
    form.term_id.choices = [SelectChoice("", "Choose a term…")] + [
        SelectChoice(t.id, t.name) for t in courses.all_terms()]


def _credits_label(course) -> str:
    """'3' for a fixed-credit course, '1–3' for a variable-credit one."""
    if course.max_credits is None:
        return format_number(course.credits)
    return f"{format_number(course.credits)}–{format_number(course.max_credits)}"


def _input(form: CourseRecordForm) -> courses.CourseInput:
    return courses.CourseInput(course_id=form.course_id.data, term_id=form.term_id.data,
                               status=form.status.data, grade=form.grade.data, credits=form.credits.data)


def _flash_ignored_credits(record: CourseRecord, form: CourseRecordForm) -> None:
    """Tell the student when credits typed for a fixed-credit course were not used."""
    note = courses.ignored_credits_note(record.course, form.credits.data)
    if note:
        flash(note, "info")


@bp.route("")
@role_required(Role.STUDENT)
def index():
    """The student's courses grouped by term, with credit totals."""
    groups = courses.courses_by_term(current_user.id)
    enrolled = courses.program_id_of(current_user) is not None
    return render_template("courses/index.html", groups=groups, enrolled=enrolled)


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def new():
    """Add a course from the program's catalog."""
    program_id = courses.program_id_of(current_user)
    if program_id is None:
        return render_template("courses/form.html", form=None, record=None)
    form = CourseRecordForm()
    _fill_choices(form, program_id)
    if not form.is_submitted():
        current = term_for(date.today())
        form.term_id.data = current.id if current else None
    if form.validate_on_submit():
        try:
            record = courses.add_course_record(current_actor(), _input(form), actor=current_actor())
        except ServiceError as err:
            attach_error(form, err)
        else:
            flash(f"Added {record.course.code} in {record.term.name}.", "success")
            _flash_ignored_credits(record, form)
            return redirect(url_for("courses.index"))
    return render_template("courses/form.html", form=form, record=None)


@bp.route("/<int:record_id>/edit", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def edit(record_id: int):
    """Change a course record's course, term, status, grade or (variable-credit course) credits."""
    record = get_own_or_404(CourseRecord, record_id, joinedload(CourseRecord.course), joinedload(CourseRecord.term))
    program_id = courses.program_id_of(current_user)
    if program_id is None:
        return render_template("courses/form.html", form=None, record=record)
    form = CourseRecordForm(obj=record)
    if not form.is_submitted():
        form.credits.data = courses.format_credits(record.credits) if record.credits is not None else ""
    form.submit.label.text = "Save changes"
    _fill_choices(form, program_id, record)
    if form.validate_on_submit():
        try:
            courses.update_course_record(record, _input(form), actor=current_actor())
        except ServiceError as err:
            attach_error(form, err)
        else:
            flash("Course record saved.", "success")
            _flash_ignored_credits(record, form)
            return redirect(url_for("courses.index"))
    return render_template("courses/form.html", form=form, record=record, relied_on=courses.relied_on_by(record))


@bp.route("/<int:record_id>/delete", methods=["POST"])
@role_required(Role.STUDENT)
def delete(record_id: int):
    """Delete a course record (POST only, asked to confirm in the page)."""
    record = get_own_or_404(CourseRecord, record_id, joinedload(CourseRecord.course), joinedload(CourseRecord.term))
    label = f"{record.course.code} in {record.term.name}"
    return run_action(lambda: courses.delete_course_record(record, actor=current_actor()), f"Deleted {label}.",
                      url_for("courses.index"))
