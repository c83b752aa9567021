"""Program setup pages: terms, studios, ensembles, concentrations and the course catalog."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from ..choices import concentration_choices, program_choices
from ..extensions import db
from ..models import Concentration, Course, Program, Role, Term
from ..permissions import role_required
from ..query_args import filter_args, parse_id, parse_text
from ..services import ServiceError, admin_catalog, admin_terms
from . import bp
from ..forms import TrackerForm, attach_error
from .forms import (
    ConcentrationForm,
    CourseFilterForm,
    CourseEditForm,
    CourseForm,
    EnsembleForm,
    RenameConcentrationForm,
    StudioForm,
    TermForm,
)


def actor():
    """The logged-in admin as a model object (services record it in the history)."""
    return current_user._get_current_object()


def _program(value) -> Program | None:
    """The program a select or hidden field names; None when blank, garbled or impossible (the service refuses)."""
    program_id = parse_id(value)
    return db.session.get(Program, program_id) if program_id is not None else None


def get_or_404(model, object_id: int, *options):
    """Load a row by id or answer 404."""
    obj = db.session.get(model, object_id, options=options or None)
    if obj is None:
        abort(404)
    return obj


def run_action(action, success: str, target: str):
    """Run a POST-only action: flash its outcome (or its refusal) and go back to the list."""
    try:
        action()
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        flash(success, "success")
    return redirect(target)


# ---------------------------------------------------------------- terms

@bp.route("/terms", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def terms():
    """Every term with its state and use; add a term."""
    form = TermForm()
    if form.validate_on_submit():
        try:
            term = admin_terms.create_term(form.name.data, form.start_date.data, form.end_date.data, actor=actor())
        except ServiceError as err:
            attach_error(form, err)
        else:
            flash(f"Added {term.name}.", "success")
            return redirect(url_for("admin.terms"))
    rows = admin_terms.newest_first()
    return render_template("admin/terms.html", form=form, terms=rows, used=admin_terms.records_by_term())


@bp.route("/terms/<int:term_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_term(term_id: int):
    """Rename a term or change its dates."""
    term = get_or_404(Term, term_id)
    form = TermForm(obj=term)
    if form.validate_on_submit():
        try:
            admin_terms.update_term(term, form.name.data, form.start_date.data, form.end_date.data, actor=actor())
        except ServiceError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            flash(f"Saved {term.name}.", "success")
            return redirect(url_for("admin.terms"))
    return render_template("admin/edit.html", form=form, title=f"Edit {term.name}", back=url_for("admin.terms"))


@bp.route("/terms/<int:term_id>/close", methods=["POST"])
@role_required(Role.ADMIN)
def close_term(term_id: int):
    """Close a term: from now on only an admin logs or changes its studio sessions."""
    term = get_or_404(Term, term_id)
    return run_action(lambda: admin_terms.set_closed(term, True, actor=actor()),
                      f"{term.name} is closed. Only administrators can now log or change its studio sessions.",
                      url_for("admin.terms"))


@bp.route("/terms/<int:term_id>/reopen", methods=["POST"])
@role_required(Role.ADMIN)
def reopen_term(term_id: int):
    """Reopen a closed term."""
    term = get_or_404(Term, term_id)
    return run_action(lambda: admin_terms.set_closed(term, False, actor=actor()), f"{term.name} is open again.",
                      url_for("admin.terms"))


@bp.route("/terms/<int:term_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def delete_term(term_id: int):
    """Delete a term nothing uses."""
    term = get_or_404(Term, term_id)
    name = term.name
    return run_action(lambda: admin_terms.delete_term(term, actor=actor()), f"Deleted {name}.",
                      url_for("admin.terms"))


# ---------------------------------------------------------------- studios and ensembles

@dataclass(frozen=True)
class SimpleItemPage:
    """How one kind of simple catalog item appears in the admin: its form, its URLs and its list page's texts."""

    kind: admin_catalog.SimpleItem
    form: type[TrackerForm]
    plural: str  # URL segment and list endpoint: "studios"
    intro: str  # what the list page explains first
    usage_header: str  # heading of the use-count column
    detail_class: str = ""  # CSS class of the detail cell (descriptions run long, so they are small)

    @property
    def id_arg(self) -> str:
        """The URL variable naming one item: studio_id, ensemble_id (other templates build these URLs)."""
        return f"{self.kind.noun}_id"

    def endpoint(self, view: str) -> str:
        """The endpoint of one of this kind's views: list, edit, active or delete."""
        noun = self.kind.noun
        return {"list": self.plural, "edit": f"edit_{noun}", "active": f"{noun}_active",
                "delete": f"delete_{noun}"}[view]

    def url(self, view: str, item=None, **values) -> str:
        """The URL of one of this kind's views, for one item if given."""
        if item is not None:
            values[self.id_arg] = item.id
        return url_for(f"admin.{self.endpoint(view)}", **values)


def register_simple_item_views(page: SimpleItemPage) -> None:
    """Add the list, edit, retire/reactivate and delete views of one kind of simple catalog item."""
    kind = page.kind
    item_rule = f"/{page.plural}/<int:{page.id_arg}>"

    def load(url_values: dict):
        return get_or_404(kind.model, url_values[page.id_arg])

    def index():
        """Every item of this kind with its use; add one."""
        form = page.form()
        if form.validate_on_submit():
            try:
                item = admin_catalog.save_item(kind, None, form.name.data, form[kind.detail].data, actor=actor())
            except ServiceError as err:
                attach_error(form, err)
            else:
                flash(f"Added {item.name}.", "success")
                return redirect(page.url("list"))
        rows = db.session.scalars(sa.select(kind.model).order_by(kind.model.active.desc(), kind.model.name)).all()
        return render_template("admin/simple_items.html", page=page, form=form, items=rows,
                               used=admin_catalog.usage_by_item(kind))

    def edit(**url_values):
        """Rename an item or change its detail."""
        item = load(url_values)
        form = page.form(obj=item)
        if form.validate_on_submit():
            try:
                admin_catalog.save_item(kind, item, form.name.data, form[kind.detail].data, actor=actor())
            except ServiceError as err:
                db.session.rollback()
                attach_error(form, err)
            else:
                flash(f"Saved {item.name}.", "success")
                return redirect(page.url("list"))
        return render_template("admin/edit.html", form=form, title=f"Edit {item.name}", back=page.url("list"))

    def set_active(action: str, **url_values):
        """Retire or reactivate an item."""
        item = load(url_values)
        active = action == "reactivate"
        return run_action(lambda: admin_catalog.set_item_active(kind, item, active, actor=actor()),
                          f"{item.name} is {'active again' if active else 'retired'}.", page.url("list"))

    def delete(**url_values):
        """Delete an item nothing uses."""
        item = load(url_values)
        name = item.name
        return run_action(lambda: admin_catalog.delete_item(kind, item, actor=actor()), f"Deleted {name}.",
                          page.url("list"))

    for rule, view, func, methods in (
        (f"/{page.plural}", "list", index, ["GET", "POST"]),
        (f"{item_rule}/edit", "edit", edit, ["GET", "POST"]),
        (f"{item_rule}/<any(retire, reactivate):action>", "active", set_active, ["POST"]),
        (f"{item_rule}/delete", "delete", delete, ["POST"]),
    ):
        bp.add_url_rule(rule, page.endpoint(view), role_required(Role.ADMIN)(func), methods=methods)


register_simple_item_views(SimpleItemPage(
    admin_catalog.STUDIO, StudioForm, "studios",
    intro="A retired studio is no longer offered for new sessions; its sessions stay. "
          "Only a studio without sessions can be deleted.",
    usage_header="Sessions"))
register_simple_item_views(SimpleItemPage(
    admin_catalog.ENSEMBLE, EnsembleForm, "ensembles",
    intro="A retired ensemble is no longer offered to students; its records stay. "
          "Only an ensemble without records can be deleted.",
    usage_header="Records", detail_class="small"))


# ---------------------------------------------------------------- concentrations

@bp.route("/concentrations", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def concentrations():
    """Concentrations by program, with their students; add a concentration."""
    form = ConcentrationForm()
    form.program_id.choices = program_choices()
    if form.validate_on_submit():
        try:
            conc = admin_catalog.create_concentration(_program(form.program_id.data),
                                                      form.code.data, form.name.data, actor=actor())
        except ServiceError as err:
            attach_error(form, err)
        else:
            flash(f"Added the {conc.name} concentration.", "success")
            return redirect(url_for("admin.concentrations"))
    rows = db.session.scalars(
        sa.select(Concentration).join(Program).options(joinedload(Concentration.program))
        .order_by(Program.name, Concentration.active.desc(), Concentration.name)
    ).all()
    return render_template("admin/concentrations.html", form=form, concentrations=rows,
                           students=admin_catalog.students_by_concentration())


@bp.route("/concentrations/<int:conc_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_concentration(conc_id: int):
    """Rename a concentration (its code stays)."""
    conc = get_or_404(Concentration, conc_id)
    form = RenameConcentrationForm(obj=conc)
    if form.validate_on_submit():
        try:
            admin_catalog.rename_concentration(conc, form.name.data, actor=actor())
        except ServiceError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            flash(f"Renamed to {conc.name}.", "success")
            return redirect(url_for("admin.concentrations"))
    return render_template("admin/edit.html", form=form, title=f"Rename the {conc.name} concentration",
                           note=f"Its code, “{conc.code}”, stays: requirements and program definitions use it.",
                           back=url_for("admin.concentrations"))


@bp.route("/concentrations/<int:conc_id>/<any(retire, reactivate):action>", methods=["POST"])
@role_required(Role.ADMIN)
def concentration_active(conc_id: int, action: str):
    """Retire or reactivate a concentration."""
    conc = get_or_404(Concentration, conc_id)
    active = action == "reactivate"
    return run_action(lambda: admin_catalog.set_concentration_active(conc, active, actor=actor()),
                      f"The {conc.name} concentration is {'active again' if active else 'retired'}.",
                      url_for("admin.concentrations"))


# ---------------------------------------------------------------- courses

def _course_choices(form, program_id: int | None = None) -> None:
    form.concentration_id.choices = concentration_choices(program_id)
    if hasattr(form, "program_id"):
        form.program_id.choices = program_choices()


@bp.route("/courses")
@role_required(Role.ADMIN)
def courses():
    """The course catalog, filterable by program, state and a search."""
    form = CourseFilterForm(formdata=request.args)
    form.program.choices = [SelectChoice("", "All programs")] + program_choices()
    form.validate()
    rows = admin_catalog.catalog_courses(
        program_id=parse_id(form.program.data) if not form.program.errors else None,
        active={"active": True, "retired": False}.get(form.state.data), search=parse_text(form.q.data))
    return render_template("admin/courses.html", form=form, courses=rows, used=admin_catalog.records_by_course(),
                           many_programs=len(form.program.choices) > 2)


@bp.route("/courses/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_course():
    """Add a course to a program's catalog."""
    form = CourseForm()
    _course_choices(form)
    if form.validate_on_submit():
        program = _program(form.program_id.data)
        try:
            course = admin_catalog.create_course(
                program, form.code.data, form.title.data, form.credits.data, form.category.data,
                form.concentration_id.data or None, form.pass_fail.data, form.description.data, actor=actor(),
                max_credits=form.max_credits.data)
        except ServiceError as err:
            attach_error(form, err)
        else:
            flash(f"Added {course.code} {course.title}.", "success")
            return redirect(url_for("admin.courses"))
    return render_template("admin/edit.html", form=form, title="Add a course", back=url_for("admin.courses"))


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_course(course_id: int):
    """Edit a course's title, credits (a range for a variable-credit course), category, concentration, grading and
    description."""
    course = get_or_404(Course, course_id)
    form = CourseEditForm(obj=course)
    _course_choices(form, course.program_id)
    if form.validate_on_submit():
        try:
            admin_catalog.update_course(course, form.title.data, form.credits.data, form.category.data,
                                        form.concentration_id.data or None, form.pass_fail.data,
                                        form.description.data, actor=actor(), max_credits=form.max_credits.data)
        except ServiceError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            flash(f"Saved {course.code}.", "success")
            return redirect(url_for("admin.courses"))
    return render_template("admin/edit.html", form=form, title=f"Edit {course.code} {course.title}",
                           note=f"{course.code} in {course.program.name}; the code cannot change.",
                           back=url_for("admin.courses"))


@bp.route("/courses/<int:course_id>/<any(retire, reactivate):action>", methods=["POST"])
@role_required(Role.ADMIN)
def course_active(course_id: int, action: str):
    """Retire or reactivate a course."""
    course = get_or_404(Course, course_id)
    active = action == "reactivate"
    return run_action(lambda: admin_catalog.set_course_active(course, active, actor=actor()),
                      f"{course.code} is {'active again' if active else 'retired'}.",
                      _back_to_courses(request.referrer))


@bp.route("/courses/<int:course_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def delete_course(course_id: int):
    """Delete a course nobody took and no requirement names."""
    course = get_or_404(Course, course_id)
    code = course.code
    return run_action(lambda: admin_catalog.delete_course(course, actor=actor()), f"Deleted {code}.",
                      url_for("admin.courses"))


def _back_to_courses(referrer: str | None) -> str:
    """Back to the course list with its filters when that is where the admin came from, else the plain list.

    Only the referrer's path and query are kept, so the redirect stays relative whatever Host header was sent.
    """
    courses_url = url_for("admin.courses")
    if not referrer:
        return courses_url
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.path != courses_url:
        return courses_url
    query = urlencode(filter_args(args=MultiDict(parse_qsl(parts.query))))
    return f"{courses_url}?{query}" if query else courses_url
