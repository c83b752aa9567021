"""Booking settings: a studio's opening hours, limits and closures; a program's quota, tolerance and late window."""
from __future__ import annotations


from flask import abort, flash, redirect, render_template, url_for
from markupsafe import Markup

from ..extensions import db
from ..forms import attach_error
from ..markdown import render_doc
from ..models import Program, Role, Studio, StudioClosure
from ..permissions import current_actor, role_required
from ..services import ServiceError
from ..services import studio_settings as settings
from . import bp
from .catalog_routes import get_or_404
from .settings_forms import ClosureForm, ProgramSettingsForm, StudioSettingsForm
from ..views import run_action


def _settings_page(studio: Studio, form: StudioSettingsForm, closure_form: ClosureForm):
    return render_template("admin/studio_settings.html", studio=studio, form=form, closure_form=closure_form,
                           closures=settings.studio_closures(studio.id), weekdays=settings.WEEKDAYS)


@bp.route("/studios/<int:studio_id>/settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def studio_settings(studio_id: int):
    """A studio's opening hours per weekday, longest booking and weeks ahead; its closures below."""
    studio = get_or_404(Studio, studio_id)
    form = StudioSettingsForm()
    if not form.is_submitted():
        form.fill(studio)
    if form.validate_on_submit():
        data = settings.StudioSettingsInput(form.days(), form.max_booking_hours.data, form.booking_weeks_ahead.data)
        try:
            settings.save_studio_settings(studio, data, actor=current_actor())
        except ServiceError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            flash(f"Saved the booking settings of {studio.name}.", "success")
            return redirect(url_for("admin.studio_settings", studio_id=studio_id))
    return _settings_page(studio, form, ClosureForm())


@bp.route("/studios/<int:studio_id>/closures", methods=["POST"])
@role_required(Role.ADMIN)
def studio_closure_add(studio_id: int):
    """Close a studio for bookings on some days."""
    studio = get_or_404(Studio, studio_id)
    closure_form = ClosureForm()
    if closure_form.validate_on_submit():
        try:
            closure = settings.add_closure(studio, closure_form.starts_on.data, closure_form.ends_on.data,
                                           closure_form.reason.data, actor=current_actor())
        except ServiceError as err:
            db.session.rollback()
            attach_error(closure_form, err)
        else:
            flash(f"{studio.name} is closed from {closure.starts_on:%-d %b %Y} to {closure.ends_on:%-d %b %Y}.",
                  "success")
            return redirect(url_for("admin.studio_settings", studio_id=studio_id) + "#closures")
    form = StudioSettingsForm(formdata=None)
    form.fill(studio)
    return _settings_page(studio, form, closure_form)


@bp.route("/studios/<int:studio_id>/closures/<int:closure_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def studio_closure_delete(studio_id: int, closure_id: int):
    """Remove a closure: the studio can be booked on those days again."""
    closure = db.session.get(StudioClosure, closure_id)
    if closure is None or closure.studio_id != studio_id:
        abort(404)
    first, last = closure.starts_on, closure.ends_on
    return run_action(lambda: settings.remove_closure(closure, actor=current_actor()),
                      f"Removed the closure from {first:%-d %b %Y} to {last:%-d %b %Y}.",
                      url_for("admin.studio_settings", studio_id=studio_id) + "#closures")


@bp.route("/programs/<int:program_id>/booking-settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def program_booking_settings(program_id: int):
    """A program's weekly booking quota, reconciliation tolerance and late-cancellation window."""
    program = get_or_404(Program, program_id)
    form = ProgramSettingsForm()
    if not form.is_submitted():
        quota = program.booking_weekly_quota_minutes
        form.weekly_quota_hours.data = f"{quota / 60:g}" if quota is not None else ""
        form.reconciliation_tolerance_minutes.data = str(program.reconciliation_tolerance_minutes)
        form.late_cancellation_hours.data = str(program.late_cancellation_hours)
    if form.validate_on_submit():
        data = settings.ProgramSettingsInput(form.weekly_quota_hours.data, form.reconciliation_tolerance_minutes.data,
                                             form.late_cancellation_hours.data)
        try:
            settings.save_program_settings(program, data, actor=current_actor())
        except ServiceError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            flash(f"Saved the studio booking settings of {program.name}.", "success")
            return redirect(url_for("admin.program", program_id=program_id) + "#booking-settings")
    return render_template("admin/edit.html", form=form, title=f"Studio booking settings: {program.name}",
                           back=url_for("admin.program", program_id=program_id), section="admin.programs",
                           note=Markup('What each setting does: <a href="{}">studio booking settings</a>.').format(
                               url_for("admin.studio_settings_help")))


@bp.route("/studios/settings-help")
@role_required(Role.ADMIN)
def studio_settings_help():
    """How opening hours, closures, limits, quotas and the late-cancellation window work (docs/studio-settings.md)."""
    return render_template("admin/studio_settings_help.html", body=render_doc("studio-settings.md"))
