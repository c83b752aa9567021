"""Account pages: the user list, new accounts, CSV import, reset links, activation, advisors, concentration/track.

Pages that show a fresh reset link are rendered straight from the POST (not redirected): the link exists only in
that response, never in the database or the session cookie, and the response is marked no-store.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from ..choices import concentration_choices, program_choices, term_choices, track_choices
from ..extensions import db
from ..models import Enrollment, Program, Role, User
from ..permissions import current_actor, role_required
from ..query_args import paginate, parse_id
from ..services import ServiceError, accounts, admin_accounts, admin_catalog, history
from . import bp
from .catalog_routes import get_or_404, run_switch, save_form
from ..forms import add_field_error, attach_error, form_refusal
from ..markdown import render_doc
from .forms import (
    AdvisorForm,
    EnrollmentForm,
    ImportApplyForm,
    ImportForm,
    NewUserForm,
    UserFilterForm,
)


def reset_url(token: str) -> str:
    """The full one-time link to hand over."""
    return url_for("auth.password_reset", token=token, _external=True)


def _reset_path(token: str) -> str:
    """The one-time link's path, for the e-mail (the mail service puts PUBLIC_URL in front)."""
    return url_for("auth.password_reset", token=token)


def _no_store(html: str, status: int = 200):
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def advisor_choices(blank: str | None = "— choose —") -> list[SelectChoice]:
    """Active faculty for an advisor select."""
    choices = [] if blank is None else [SelectChoice("", blank)]
    return choices + [SelectChoice(str(u.id), f"{u.display_name} ({u.email})") for u in admin_accounts.active_faculty()]


def _int(value) -> int | None:
    """An id chosen in a select (or a hidden field): None when blank, garbled or impossible."""
    return parse_id(value)


@bp.route("/users")
@role_required(Role.ADMIN)
def users():
    """Every account, filterable by role and by a name or email search, a page at a time."""
    form = UserFilterForm(formdata=request.args)
    form.validate()
    role = form.role.data if form.role.data and not form.role.errors else None
    page = paginate(admin_accounts.users_query(role, form.q.data), current_app.config["ITEMS_PER_PAGE"])
    return render_template("admin/users.html", form=form, page=page)


@bp.route("/users/single-sign-on")
@role_required(Role.ADMIN)
def single_sign_on():
    """The single sign-on settings in force (from the environment) and how it works (docs/single-sign-on.md)."""
    from ..auth import sso

    return render_template("admin/single_sign_on.html", enabled=sso.enabled(),
                           password_login=sso.password_login_enabled(), config=current_app.config,
                           role_map=sso.role_map(current_app.config.get("OIDC_ROLE_MAP", "")),
                           callback=url_for("auth.sso_callback", _external=True),
                           after_logout=url_for("auth.login", _external=True),
                           body=render_doc("single-sign-on.md"))


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_new():
    """Create an account without a password; the page then shows the one-time link to hand over."""
    form = NewUserForm()
    form.program_id.choices = [SelectChoice("", "— choose —")] + program_choices()
    form.concentration_id.choices = concentration_choices(blank="— choose —", active_only=True)
    form.start_term_id.choices = term_choices("— choose —")
    form.advisor_id.choices = advisor_choices()
    form.track.choices = [SelectChoice("", "— choose —")] + _all_track_choices()
    if not form.is_submitted() and len(form.program_id.choices) == 2:
        form.program_id.data = form.program_id.choices[1].value
    if form.validate_on_submit():
        enrollment = None
        if form.role.data == Role.STUDENT.value:
            enrollment = admin_accounts.EnrollmentInput(
                _int(form.program_id.data), _int(form.concentration_id.data), form.track.data,
                _int(form.start_term_id.data), _int(form.advisor_id.data))
        try:
            user, token = admin_accounts.create_account(form.email.data, form.display_name.data, form.role.data,
                                                        actor=current_actor(), enrollment=enrollment)
        except ServiceError as err:
            attach_error(form, err)
        else:
            return _no_store(render_template("admin/reset_link.html", user=user, link=reset_url(token), created=True))
    return render_template("admin/new_user.html", form=form)


def _all_track_choices() -> list[SelectChoice]:
    """Every program's tracks, once per code (the service checks the track belongs to the chosen program)."""
    seen: dict[str, SelectChoice] = {}
    for program in admin_catalog.programs_by_name():
        for choice in track_choices(program):
            seen.setdefault(choice.value, choice)
    return list(seen.values()) or track_choices(None)


def _load_user(user_id: int) -> User:
    user = db.session.scalar(sa.select(User).where(User.id == user_id).options(
        joinedload(User.enrollment).joinedload(Enrollment.concentration),
        joinedload(User.enrollment).joinedload(Enrollment.advisor),
        joinedload(User.enrollment).joinedload(Enrollment.program),
        joinedload(User.enrollment).joinedload(Enrollment.start_term)))
    if user is None:
        abort(404)
    return user


def _load_student(user_id: int) -> User:
    """An enrolled student's account (with its enrollment), else 404: advisor and enrollment changes need one."""
    student = _load_user(user_id)
    if student.enrollment is None:
        abort(404)
    return student


def _user_page(user: User, advisor_form=None, enrollment_form=None, status: int = 200):
    """The user's page with its forms (a form with errors is passed in to be shown)."""
    if user.enrollment is not None:
        if advisor_form is None:
            advisor_form = AdvisorForm(formdata=None, advisor_id=str(user.enrollment.advisor_id or ""))
        if enrollment_form is None:
            enrollment_form = EnrollmentForm(formdata=None, concentration_id=str(user.enrollment.concentration_id),
                                             track=user.enrollment.track)
        advisor_form.advisor_id.choices = advisor_choices()
        enrollment_form.concentration_id.choices = concentration_choices(
            user.enrollment.program_id, blank=None, active_only=True, keep_id=user.enrollment.concentration_id)
        enrollment_form.track.choices = track_choices(user.enrollment.program)
    events = db.session.scalars(history.events_query(history.EventFilters(subject_id=user.id)).limit(15)).all()
    return render_template("admin/user.html", user=user, advisor_form=advisor_form,
                           enrollment_form=enrollment_form, events=events), status


@bp.route("/users/<int:user_id>")
@role_required(Role.ADMIN)
def user(user_id: int):
    """One account: its state, enrollment, advisor, actions and recent history."""
    return _user_page(_load_user(user_id))


@bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
@role_required(Role.ADMIN)
def user_reset_link(user_id: int):
    """Make a new one-time password link (older links stop working) and show it once."""
    target = _load_user(user_id)
    try:
        token = admin_accounts.issue_reset_link(target, actor=current_actor(), reset_link=_reset_path)
    except ServiceError as err:
        flash(err.message, "danger")
        return redirect(url_for("admin.user", user_id=user_id))
    return _no_store(render_template("admin/reset_link.html", user=target, link=reset_url(token), created=False))


@bp.route("/users/<int:user_id>/<any(deactivate, reactivate):action>", methods=["POST"])
@role_required(Role.ADMIN)
def user_active(user_id: int, action: str):
    """Deactivate an account (ending its sessions) or reactivate it."""
    target = get_or_404(User, user_id)
    return run_switch(action, lambda active: accounts.set_active(target, active, actor=current_actor()),
                      lambda active: f"{target.display_name} is "
                                     f"{'reactivated' if active else 'deactivated and logged out'}.",
                      url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/advisor", methods=["POST"])
@role_required(Role.ADMIN)
def advisor_assign(user_id: int):
    """Assign a student's advisor."""
    student = _load_student(user_id)
    form = AdvisorForm()
    form.advisor_id.choices = advisor_choices()
    saved = save_form(form, lambda: admin_accounts.assign_advisor(student, _int(form.advisor_id.data),
                                                                  actor=current_actor()),
                      lambda _: f"Advisor of {student.display_name} saved.", url_for("admin.user", user_id=user_id))
    return saved if saved is not None else _user_page(student, advisor_form=form)


@bp.route("/users/<int:user_id>/enrollment", methods=["POST"])
@role_required(Role.ADMIN)
def enrollment_change(user_id: int):
    """Move a student to another concentration or track (the history keeps the old values)."""
    student = _load_student(user_id)
    form = EnrollmentForm()
    form.concentration_id.choices = concentration_choices(
        student.enrollment.program_id, blank=None, active_only=True, keep_id=student.enrollment.concentration_id)
    form.track.choices = track_choices(student.enrollment.program)
    saved = save_form(form, lambda: admin_accounts.change_enrollment(student, _int(form.concentration_id.data),
                                                                     form.track.data, actor=current_actor()),
                      lambda _: f"Concentration and track of {student.display_name} saved.",
                      url_for("admin.user", user_id=user_id))
    return saved if saved is not None else _user_page(student, enrollment_form=form)


# ---------------------------------------------------------------- CSV import

def _import_form() -> ImportForm:
    form = ImportForm()
    form.program_id.choices = program_choices()
    return form


@bp.route("/users/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def students_import():
    """Upload a CSV of students and check it (a dry run that writes nothing)."""
    form = _import_form()
    if form.validate_on_submit():
        try:
            text = form.csv_file.data.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            add_field_error(form.csv_file, "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”.")
        else:
            program_id = parse_id(form.program_id.data)
            program = db.session.get(Program, program_id) if program_id else None
            if program is None:  # the select only offers existing programs; a forged value is refused here
                abort(400)
            return _dry_run_page(form, program, text)
    return render_template("admin/import.html", form=form, plan=None)


def _dry_run_page(form: ImportForm, program: Program, text: str, plan=None):
    plan = plan or admin_accounts.plan_import(text, program)
    apply_form = None
    if plan.ok:
        apply_form = ImportApplyForm(formdata=None, program_id=str(program.id), csv_text=text)
        apply_form.submit.label.text = f"Import {len(plan.rows)} student{'s' if len(plan.rows) != 1 else ''}"
    return render_template("admin/import.html", form=form, plan=plan, program=program, apply_form=apply_form)


@bp.route("/users/import/apply", methods=["POST"])
@role_required(Role.ADMIN)
def students_import_apply():
    """Import the checked file: every student or, if any row is bad now, none."""
    apply_form = ImportApplyForm()
    program_id = parse_id(apply_form.program_id.data)
    if not apply_form.validate_on_submit() or program_id is None:
        abort(400, description=form_refusal(apply_form))
    program = get_or_404(Program, program_id)
    text = apply_form.csv_text.data or ""
    try:
        created = admin_accounts.apply_import(text, program, actor=current_actor())
    except admin_accounts.ImportRefused as err:
        return _dry_run_page(_import_form(), program, text, plan=err.plan)
    except ServiceError as err:
        form = _import_form()
        attach_error(form, err)
        return render_template("admin/import.html", form=form, plan=None)
    links = [(user, reset_url(token)) for user, token in created]
    return _no_store(render_template("admin/import_done.html", program=program, links=links))
