"""Studio views: the student's sessions, logging, editing, withdrawing, a session's page and hours per term."""
from __future__ import annotations

from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from ..forms import attach_error
from ..models import Role, SessionStatus, StudioSession
from ..permissions import (
    current_actor,
    get_booking_to_log_or_404,
    get_own_or_404,
    get_studio_session_or_404,
    role_required,
)
from ..query_args import form_count, id_arg, paginate
from ..services import ServiceError, group_sessions, studio
from ..services.audit import load_enrollment
from ..formatting import format_number
from ..markdown import render_doc
from . import bp
from .forms import EditSessionForm, LogSessionForm, SessionForm
from ..views import run_action


def _fill_choices(form: SessionForm, studio_session: StudioSession | None = None) -> None:
    form.studio_id.choices = [SelectChoice("", "Choose a studio…")] + [
        SelectChoice(s.id, s.name + ("" if s.active else " — retired"))
        for s in studio.active_studios(include_id=studio_session.studio_id if studio_session else None)
    ]
    form.supervisor_id.choices = [SelectChoice("", "Choose a faculty member…")] + [
        SelectChoice(f.id, f.display_name) for f in studio.active_faculty()
    ]


def _input(form: SessionForm) -> studio.SessionInput:
    """Only the form's own fields reach the service: extra POSTed fields (status, hours...) are ignored."""
    return studio.SessionInput(
        date=form.date.data, studio_id=form.studio_id.data, start_time=form.start_time.data,
        end_time=form.end_time.data, activity=form.activity.data, project=form.project.data or "",
        role=form.role.data, supervisor_id=form.supervisor_id.data, notes=form.notes.data or "",
    )


def _fill_participants(form: LogSessionForm) -> None:
    students = [SelectChoice("", "No one")] + [
        SelectChoice(s.id, s.display_name) for s in group_sessions.other_students(current_user.id)]
    for _, student_field, _ in form.participant_rows():
        student_field.choices = students


def _participants(form: LogSessionForm) -> list[group_sessions.ParticipantInput]:
    """The participant rows the student filled in (a row with neither a student nor a role is left out)."""
    return [group_sessions.ParticipantInput(row, student.data, role.data or None)
            for row, student, role in form.participant_rows() if student.data or role.data]


def _session_page(session_id: int) -> str:
    """The page a named student's notification links to: their own row, with Confirm and Decline."""
    return url_for("studio.detail", session_id=session_id)


def _posted_version() -> int:
    """The version the form was loaded at; a missing, garbled or oversized one never matches."""
    return form_count("version", default=-1)


def _own_session_or_404(session_id: int) -> StudioSession:
    return get_own_or_404(StudioSession, session_id, joinedload(StudioSession.term),
                          joinedload(StudioSession.studio), joinedload(StudioSession.student))


def _booking_to_log():
    """The student's own booking named by ?booking=<id> ("Log this session"), or None; anyone else's -> 404."""
    if "booking" not in request.args:
        return None
    return get_booking_to_log_or_404(id_arg("booking"))


def _prefill_from_booking(form: SessionForm, booking) -> None:
    form.date.data, form.studio_id.data = booking.date, booking.studio_id
    form.start_time.data, form.end_time.data = booking.start_time, booking.end_time
    form.project.data = booking.project or booking.purpose
    form.notes.data = booking.purpose


@bp.route("")
@role_required(Role.STUDENT)
def index():
    """The student's sessions, newest first, paginated."""
    page = paginate(studio.sessions_query(current_user.id), current_app.config["ITEMS_PER_PAGE"])
    return render_template("studio/index.html", page=page)


@bp.route("/log", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def log():
    """Log a studio session for review."""
    form = LogSessionForm()
    _fill_choices(form)
    booking = _booking_to_log()
    if booking is not None and booking.session_id is not None:
        flash("This booking has already been logged as a session.", "info")
        return redirect(url_for("studio.detail", session_id=booking.session_id))
    _fill_participants(form)
    if not form.is_submitted():
        form.date.data = date.today()
        enrollment = load_enrollment(current_user.id)
        # The advisor often supervises; preselect them when they can.
        if enrollment and enrollment.advisor and any(c.value == enrollment.advisor_id for c in form.supervisor_id.choices):
            form.supervisor_id.data = enrollment.advisor_id
        if booking is not None:
            _prefill_from_booking(form, booking)
    if form.validate_on_submit():
        user = current_actor()
        participants = _participants(form)
        try:
            if participants:
                studio_session = group_sessions.log_group_session(user, _input(form), participants, actor=user,
                                                                  session_link=_session_page, booking=booking)
            else:
                studio_session = studio.log_session(user, _input(form), actor=user, booking=booking)
        except ServiceError as err:
            attach_error(form, err)
        else:
            if participants:
                flash(f"Group session logged: {format_number(studio_session.hours)} hours, waiting for review. "
                      f"The {len(participants)} student{'s' if len(participants) != 1 else ''} you named "
                      "will each confirm or decline it.", "success")
            else:
                flash(f"Session logged: {format_number(studio_session.hours)} hours, waiting for review.", "success")
            return redirect(url_for("studio.index"))
    return render_template("studio/form.html", form=form, session=None)


@bp.route("/sessions/<int:session_id>")
@login_required
def detail(session_id: int):
    """A session with its status, review and history: for its student, its supervisor and admins."""
    studio_session = get_studio_session_or_404(session_id)
    return render_template("studio/detail.html", session=studio_session,
                           events=studio.session_history(studio_session.id))


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def edit(session_id: int):
    """Edit a pending session, or fix and resubmit one sent back for changes."""
    studio_session = _own_session_or_404(session_id)
    locked = studio.no_longer_editable(studio_session) if request.method == "GET" else None
    if locked:
        flash(locked, "warning")
        return redirect(url_for("studio.detail", session_id=studio_session.id))
    form = EditSessionForm(obj=studio_session)
    if studio_session.status == SessionStatus.NEEDS_CHANGES:
        form.submit.label.text = "Save and resubmit"
    _fill_choices(form, studio_session)
    if not form.is_submitted():
        form.version.data = studio_session.version
    if form.validate_on_submit():
        resubmitting = studio_session.status == SessionStatus.NEEDS_CHANGES
        try:
            studio.update_session(studio_session, _input(form), actor=current_actor(),
                                  expected_version=_posted_version())
        except ServiceError as err:
            attach_error(form, err)
        else:
            flash("Session resubmitted for review." if resubmitting else "Session saved.", "success")
            return redirect(url_for("studio.detail", session_id=session_id))
    return render_template("studio/form.html", form=form, session=studio_session)


@bp.route("/sessions/<int:session_id>/withdraw", methods=["POST"])
@role_required(Role.STUDENT)
def withdraw(session_id: int):
    """Withdraw a pending or sent-back session (POST only, asked to confirm in the page)."""
    studio_session = _own_session_or_404(session_id)
    try:
        studio.withdraw_session(studio_session, actor=current_actor(),
                                expected_version=_posted_version())
    except ServiceError as err:
        flash(err.message, "danger")
        return redirect(url_for("studio.detail", session_id=session_id))
    flash("Session withdrawn.", "success")
    return redirect(url_for("studio.index"))


@bp.route("/sessions/<int:session_id>/confirm", methods=["POST"])
@role_required(Role.STUDENT)
def confirm(session_id: int):
    """Confirm taking part in a group session another student named you in (POST only)."""
    studio_session = _own_session_or_404(session_id)
    return run_action(lambda: group_sessions.confirm(studio_session, actor=current_actor()),
                      "Confirmed: the session now waits for the supervisor's review.",
                      url_for("studio.detail", session_id=session_id), refused="warning")


@bp.route("/sessions/<int:session_id>/decline", methods=["POST"])
@role_required(Role.STUDENT)
def decline(session_id: int):
    """Decline a group session another student named you in (POST only): it will not count for you."""
    studio_session = _own_session_or_404(session_id)
    return run_action(lambda: group_sessions.decline(studio_session, actor=current_actor()),
                      "Declined: the session will not count for you. The others in it are not affected.",
                      url_for("dashboard.student"), refused="warning")


@bp.route("/hours")
@role_required(Role.STUDENT)
def hours():
    """Approved, pending and rejected hours per term against the program's minimum."""
    enrollment = load_enrollment(current_user.id)
    rule = studio.studio_rule(enrollment)
    terms = studio.hours_by_term(current_user.id, enrollment, rule)
    today = date.today()
    forecasts = {t.term.id: t.forecast(today) for t in terms}
    return render_template("studio/hours.html", terms=terms, rule=rule, forecasts=forecasts)


@bp.route("/group-sessions-help")
@role_required(Role.STUDENT, Role.FACULTY, Role.ADMIN)
def group_help():
    """How group sessions work, for students, faculty and directors (docs/group-sessions.md, the one source)."""
    return render_template("studio/group_help.html", body=render_doc("group-sessions.md"))
