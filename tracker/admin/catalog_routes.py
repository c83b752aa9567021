"""Program setup pages: terms, studios, ensembles, concentrations and the course catalog."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from ..choices import concentration_choices, program_choices
from ..extensions import db
from ..models import Concentration, Course, Program, Role, Term
from ..permissions import current_actor, role_required
from ..query_args import filter_args, parse_id, parse_text
from ..services import ServiceError, admin_catalog, admin_terms
from . import bp
from ..forms import TrackerForm, attach_error
from ..views import run_action
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


def run_switch(action: str, switch, success, target: str):
    """Run a retire or deactivate (`switch(False)`) or a reactivate (`switch(True)`) as the URL's `action` says, like
    run_action; `success(active)` says what happened."""
    active = action == "reactivate"
    return run_action(lambda: switch(active), success(active), target)


def active_again_or_retired(name: str):
    """The success message of a catalog item's retire / reactivate switch."""
    return lambda active: f"{name} is {'active again' if active else 'retired'}."


def save_form(form, save, success, target: str, *, rollback: bool = False):
    """Run `save()` for a valid submitted form: flash `success(result)` and answer a redirect to `target`.

    None when the form was not submitted or not valid, or when the service refused (its problems are then on the
    form, after a rollback when `rollback`: an edit form's object may hold the refused values), so the caller
    renders its page again with the input kept.
    """
    if not form.validate_on_submit():
        return None
    try:
        result = save()
    except ServiceError as err:
        if rollback:
            db.session.rollback()
        attach_error(form, err)
        return None
    flash(success(result), "success")
    return redirect(target)


# ---------------------------------------------------------------- terms

@bp.route("/terms", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def terms():
    """Every term with its state and use; add a term."""
    form = TermForm()
    saved = save_form(form, lambda: admin_terms.create_term(form.name.data, form.start_date.data, form.end_date.data,
                                                            actor=current_actor()),
                      lambda term: f"Added {term.name}.", url_for("admin.terms"))
    if saved is not None:
        return saved
    rows = admin_terms.newest_first()
    return render_template("admin/terms.html", form=form, terms=rows, used=admin_terms.records_by_term())


@bp.route("/terms/<int:term_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def term_edit(term_id: int):
    """Rename a term or change its dates."""
    term = get_or_404(Term, term_id)
    form = TermForm(obj=term)
    saved = save_form(form, lambda: admin_terms.update_term(term, form.name.data, form.start_date.data,
                                                            form.end_date.data, actor=current_actor()),
                      lambda _: f"Saved {term.name}.", url_for("admin.terms"), rollback=True)
    if saved is not None:
        return saved
    return render_template("admin/edit.html", form=form, title=f"Edit {term.name}", back=url_for("admin.terms"))


@bp.route("/terms/<int:term_id>/close", methods=["POST"])
@role_required(Role.ADMIN)
def term_close(term_id: int):
    """Close a term: from now on only an admin logs or changes its studio sessions."""
    term = get_or_404(Term, term_id)
    return run_action(lambda: admin_terms.set_closed(term, True, actor=current_actor()),
                      f"{term.name} is closed. Only administrators can now log or change its studio sessions.",
                      url_for("admin.terms"))


@bp.route("/terms/<int:term_id>/reopen", methods=["POST"])
@role_required(Role.ADMIN)
def term_reopen(term_id: int):
    """Reopen a closed term."""
    term = get_or_404(Term, term_id)
    return run_action(lambda: admin_terms.set_closed(term, False, actor=current_actor()), f"{term.name} is open again.",
                      url_for("admin.terms"))


@bp.route("/terms/<int:term_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def term_delete(term_id: int):
    """Delete a term nothing uses."""
    term = get_or_404(Term, term_id)
    name = term.name
    return run_action(lambda: admin_terms.delete_term(term, actor=current_actor()), f"Deleted {name}.",
                      url_for("admin.terms"))


# ---------------------------------------------------------------- studios and ensembles

@dataclass(frozen=True)
class SimpleItemPage:
    """How one kind of simple catalog item appears in the admin: its form, its endpoints and its list page's texts."""

    kind: admin_catalog.SimpleItem
    form: type[TrackerForm]
    intro: str  # what the list page explains first
    usage_header: str  # heading of the use-count column
    detail_class: str = ""  # CSS class of the detail cell (descriptions run long, so they are small)

    @property
    def plural(self) -> str:
        """The list page's title word: "studios"."""
        return f"{self.kind.noun}s"

    @property
    def id_arg(self) -> str:
        """The URL variable naming one item: studio_id, ensemble_id (other templates build these URLs)."""
        return f"{self.kind.noun}_id"

    def endpoint(self, view: str) -> str:
        """The endpoint of one of this kind's views: list ("admin.studios"), edit, active or delete."""
        noun = self.kind.noun
        return "admin." + (self.plural if view == "list" else f"{noun}_{view}")

    def url(self, view: str, item=None, **values) -> str:
        """The URL of one of this kind's views, for one item if given."""
        if item is not None:
            values[self.id_arg] = item.id
        return url_for(self.endpoint(view), **values)


STUDIOS = SimpleItemPage(
    admin_catalog.STUDIO, StudioForm,
    intro="A retired studio is no longer offered for new sessions; its sessions stay. "
          "Only a studio without sessions can be deleted.",
    usage_header="Sessions")
ENSEMBLES = SimpleItemPage(
    admin_catalog.ENSEMBLE, EnsembleForm,
    intro="A retired ensemble is no longer offered to students; its records stay. "
          "Only an ensemble without records can be deleted.",
    usage_header="Records", detail_class="small")


def _simple_items(page: SimpleItemPage):
    """Every item of this kind with its use; add one."""
    kind = page.kind
    form = page.form()
    saved = save_form(form, lambda: admin_catalog.save_item(kind, None, form.name.data, form[kind.detail].data,
                                                            actor=current_actor()),
                      lambda item: f"Added {item.name}.", page.url("list"))
    if saved is not None:
        return saved
    rows = db.session.scalars(sa.select(kind.model).order_by(kind.model.active.desc(), kind.model.name)).all()
    return render_template("admin/simple_items.html", page=page, form=form, items=rows,
                           used=admin_catalog.usage_by_item(kind))


def _simple_item_edit(page: SimpleItemPage, item_id: int):
    """Rename an item or change its detail."""
    kind = page.kind
    item = get_or_404(kind.model, item_id)
    form = page.form(obj=item)
    saved = save_form(form, lambda: admin_catalog.save_item(kind, item, form.name.data, form[kind.detail].data,
                                                            actor=current_actor()),
                      lambda _: f"Saved {item.name}.", page.url("list"), rollback=True)
    if saved is not None:
        return saved
    return render_template("admin/edit.html", form=form, title=f"Edit {item.name}", back=page.url("list"))


def _simple_item_active(page: SimpleItemPage, item_id: int, action: str):
    """Retire or reactivate an item."""
    item = get_or_404(page.kind.model, item_id)
    return run_switch(action, lambda active: admin_catalog.set_item_active(page.kind, item, active,
                                                                           actor=current_actor()),
                      active_again_or_retired(item.name), page.url("list"))


def _simple_item_delete(page: SimpleItemPage, item_id: int):
    """Delete an item nothing uses."""
    item = get_or_404(page.kind.model, item_id)
    name = item.name
    return run_action(lambda: admin_catalog.delete_item(page.kind, item, actor=current_actor()), f"Deleted {name}.",
                      page.url("list"))


@bp.route("/studios", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def studios():
    """Every studio with its sessions; add a studio."""
    return _simple_items(STUDIOS)


@bp.route("/studios/<int:studio_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def studio_edit(studio_id: int):
    """Rename a studio or change its location."""
    return _simple_item_edit(STUDIOS, studio_id)


@bp.route("/studios/<int:studio_id>/<any(retire, reactivate):action>", methods=["POST"])
@role_required(Role.ADMIN)
def studio_active(studio_id: int, action: str):
    """Retire or reactivate a studio."""
    return _simple_item_active(STUDIOS, studio_id, action)


@bp.route("/studios/<int:studio_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def studio_delete(studio_id: int):
    """Delete a studio without sessions."""
    return _simple_item_delete(STUDIOS, studio_id)


@bp.route("/ensembles", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def ensembles():
    """Every ensemble with its records; add an ensemble."""
    return _simple_items(ENSEMBLES)


@bp.route("/ensembles/<int:ensemble_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def ensemble_edit(ensemble_id: int):
    """Rename an ensemble or change its description."""
    return _simple_item_edit(ENSEMBLES, ensemble_id)


@bp.route("/ensembles/<int:ensemble_id>/<any(retire, reactivate):action>", methods=["POST"])
@role_required(Role.ADMIN)
def ensemble_active(ensemble_id: int, action: str):
    """Retire or reactivate an ensemble."""
    return _simple_item_active(ENSEMBLES, ensemble_id, action)


@bp.route("/ensembles/<int:ensemble_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def ensemble_delete(ensemble_id: int):
    """Delete an ensemble without records."""
    return _simple_item_delete(ENSEMBLES, ensemble_id)


# ---------------------------------------------------------------- concentrations

@bp.route("/concentrations", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def concentrations():
    """Concentrations by program, with their students; add a concentration."""
    form = ConcentrationForm()
    form.program_id.choices = program_choices()
    saved = save_form(form, lambda: admin_catalog.create_concentration(_program(form.program_id.data), form.code.data,
                                                                       form.name.data, actor=current_actor()),
                      lambda conc: f"Added the {conc.name} concentration.", url_for("admin.concentrations"))
    if saved is not None:
        return saved
    rows = db.session.scalars(
        sa.select(Concentration).join(Program).options(joinedload(Concentration.program))
        .order_by(Program.name, Concentration.active.desc(), Concentration.name)
    ).all()
    return render_template("admin/concentrations.html", form=form, concentrations=rows,
                           students=admin_catalog.students_by_concentration())


@bp.route("/concentrations/<int:conc_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def concentration_edit(conc_id: int):
    """Rename a concentration (its code stays)."""
    conc = get_or_404(Concentration, conc_id)
    form = RenameConcentrationForm(obj=conc)
    saved = save_form(form, lambda: admin_catalog.rename_concentration(conc, form.name.data, actor=current_actor()),
                      lambda _: f"Renamed to {conc.name}.", url_for("admin.concentrations"), rollback=True)
    if saved is not None:
        return saved
    return render_template("admin/edit.html", form=form, title=f"Rename the {conc.name} concentration",
                           note=f"Its code, “{conc.code}”, stays: requirements and program definitions use it.",
                           back=url_for("admin.concentrations"))


@bp.route("/concentrations/<int:conc_id>/<any(retire, reactivate):action>", methods=["POST"])
@role_required(Role.ADMIN)
def concentration_active(conc_id: int, action: str):
    """Retire or reactivate a concentration."""
    conc = get_or_404(Concentration, conc_id)
    return run_switch(action, lambda active: admin_catalog.set_concentration_active(conc, active,
                                                                                    actor=current_actor()),
                      active_again_or_retired(f"The {conc.name} concentration"), url_for("admin.concentrations"))


# ---------------------------------------------------------------- courses

def _course_choices(form, program_id: int | None = None) -> None:
    form.concentration_id.choices = concentration_choices(program_id)
    if hasattr(form, "program_id"):
        form.program_id.choices = program_choices()


@bp.route("/catalog")
@role_required(Role.ADMIN)
def catalog():
    """The course catalog, filterable by program, state and a search."""
    form = CourseFilterForm(formdata=request.args)
    form.program.choices = [SelectChoice("", "All programs")] + program_choices()
    form.validate()
    rows = admin_catalog.catalog_courses(
        program_id=parse_id(form.program.data) if not form.program.errors else None,
        active={"active": True, "retired": False}.get(form.state.data), search=parse_text(form.q.data))
    return render_template("admin/catalog.html", form=form, courses=rows, used=admin_catalog.records_by_course(),
                           many_programs=len(form.program.choices) > 2)


@bp.route("/catalog/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def catalog_new():
    """Add a course to a program's catalog."""
    form = CourseForm()
    _course_choices(form)
    saved = save_form(form, lambda: admin_catalog.create_course(
        _program(form.program_id.data), form.code.data, form.title.data, form.credits.data, form.category.data,
        form.concentration_id.data or None, form.pass_fail.data, form.description.data, actor=current_actor(),
        max_credits=form.max_credits.data),
        lambda course: f"Added {course.code} {course.title}.", url_for("admin.catalog"))
    if saved is not None:
        return saved
    return render_template("admin/edit.html", form=form, title="Add a course", back=url_for("admin.catalog"))


@bp.route("/catalog/<int:course_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def catalog_edit(course_id: int):
    """Edit a course's title, credits (a range for a variable-credit course), category, concentration, grading and
    description."""
    course = get_or_404(Course, course_id)
    form = CourseEditForm(obj=course)
    _course_choices(form, course.program_id)
    saved = save_form(form, lambda: admin_catalog.update_course(
        course, form.title.data, form.credits.data, form.category.data, form.concentration_id.data or None,
        form.pass_fail.data, form.description.data, actor=current_actor(), max_credits=form.max_credits.data),
        lambda _: f"Saved {course.code}.", url_for("admin.catalog"), rollback=True)
    if saved is not None:
        return saved
    return render_template("admin/edit.html", form=form, title=f"Edit {course.code} {course.title}",
                           note=f"{course.code} in {course.program.name}; the code cannot change.",
                           back=url_for("admin.catalog"))


@bp.route("/catalog/<int:course_id>/<any(retire, reactivate):action>", methods=["POST"])
@role_required(Role.ADMIN)
def catalog_active(course_id: int, action: str):
    """Retire or reactivate a course."""
    course = get_or_404(Course, course_id)
    return run_switch(action, lambda active: admin_catalog.set_course_active(course, active, actor=current_actor()),
                      active_again_or_retired(course.code), _back_to_courses(request.referrer))


@bp.route("/catalog/<int:course_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def catalog_delete(course_id: int):
    """Delete a course nobody took and no requirement names."""
    course = get_or_404(Course, course_id)
    code = course.code
    return run_action(lambda: admin_catalog.delete_course(course, actor=current_actor()), f"Deleted {code}.",
                      url_for("admin.catalog"))


def _back_to_courses(referrer: str | None) -> str:
    """Back to the course list with its filters when that is where the admin came from, else the plain list.

    Only the referrer's path and query are kept, so the redirect stays relative whatever Host header was sent.
    """
    courses_url = url_for("admin.catalog")
    if not referrer:
        return courses_url
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.path != courses_url:
        return courses_url
    query = urlencode(filter_args(args=MultiDict(parse_qsl(parts.query))))
    return f"{courses_url}?{query}" if query else courses_url
