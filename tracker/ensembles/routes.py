"""Ensemble views: list, add, edit and delete (students only, their own records)."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from ..forms import attach_error
from ..models import EnsembleRecord, Role
from ..permissions import current_actor, get_own_or_404, role_required
from ..services import ServiceError, ensembles
from ..services.courses import all_terms
from ..services.studio import term_for
from . import bp
from .forms import EnsembleRecordForm


def _fill_choices(form: EnsembleRecordForm, record: EnsembleRecord | None = None) -> None:
    form.ensemble_id.choices = [SelectChoice("", "Choose an ensemble…")] + [
        SelectChoice(e.id, e.name + ("" if e.active else " — retired"))
        for e in ensembles.active_ensembles(include_id=record.ensemble_id if record else None)
    ]
    form.term_id.choices = [SelectChoice("", "Choose a term…")] + [SelectChoice(t.id, t.name) for t in all_terms()]


def _input(form: EnsembleRecordForm) -> ensembles.EnsembleInput:
    return ensembles.EnsembleInput(ensemble_id=form.ensemble_id.data, term_id=form.term_id.data,
                                   role=form.role.data, notes=form.notes.data or "")


@bp.route("")
@role_required(Role.STUDENT)
def index():
    """The student's ensembles, oldest term first."""
    return render_template("ensembles/index.html", records=ensembles.ensembles_of(current_user.id))


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def new():
    """Record participation in an ensemble for a term."""
    form = EnsembleRecordForm()
    _fill_choices(form)
    if not form.is_submitted():
        current = term_for(date.today())
        form.term_id.data = current.id if current else None
    if form.validate_on_submit():
        try:
            record = ensembles.add_ensemble(current_actor(), _input(form),
                                            actor=current_actor())
        except ServiceError as err:
            attach_error(form, err)
        else:
            flash(f"Added {record.ensemble.name} in {record.term.name}.", "success")
            return redirect(url_for("ensembles.index"))
    return render_template("ensembles/form.html", form=form, record=None)


@bp.route("/<int:record_id>/edit", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def edit(record_id: int):
    """Change an ensemble record."""
    record = get_own_or_404(EnsembleRecord, record_id, joinedload(EnsembleRecord.ensemble),
                            joinedload(EnsembleRecord.term))
    form = EnsembleRecordForm(obj=record)
    form.submit.label.text = "Save changes"
    _fill_choices(form, record)
    if form.validate_on_submit():
        try:
            ensembles.update_ensemble(record, _input(form), actor=current_actor())
        except ServiceError as err:
            attach_error(form, err)
        else:
            flash("Ensemble record saved.", "success")
            return redirect(url_for("ensembles.index"))
    return render_template("ensembles/form.html", form=form, record=record)


@bp.route("/<int:record_id>/delete", methods=["POST"])
@role_required(Role.STUDENT)
def delete(record_id: int):
    """Delete an ensemble record (POST only, asked to confirm in the page)."""
    record = get_own_or_404(EnsembleRecord, record_id, joinedload(EnsembleRecord.ensemble),
                            joinedload(EnsembleRecord.term))
    label = f"{record.ensemble.name} in {record.term.name}"
    ensembles.delete_ensemble(record, actor=current_actor())
    flash(f"Deleted {label}.", "success")
    return redirect(url_for("ensembles.index"))
