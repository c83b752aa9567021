"""Advising views: the advisees list with live progress and risk flags, and milestone sign-off for an advisee."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from markupsafe import Markup
from flask_login import current_user
from wtforms import SelectChoice

from ..forms import attach_error
from ..extensions import db
from ..models import EnrollmentStatus, Role, Term
from ..permissions import current_actor, get_advisee_or_404, may_sign_milestone, role_required
from ..query_args import id_arg, paginate
from ..progress.present import helpers
from ..services import ServiceError, history
from ..services import advising as advising_service
from ..services import audit as audit_service
from ..services import audit_cache
from ..services import milestones as milestone_service
from . import bp
from .forms import AdvisorFilterForm, SignOffForm
from ..views import run_action

PER_PAGE = 50


@bp.context_processor
def _helpers() -> dict:
    return helpers()


@dataclass
class AdviseeRow:
    """One line of the advisees list, as computed (before rendering)."""

    audit: audit_service.StudentAudit
    risks: list[str]
    pending: int


@dataclass(frozen=True)
class RenderedRow:
    """One line of the advisees list as HTML, and whether it is flagged (the page counts those)."""

    html: Markup
    at_risk: bool


def _advisor_filter() -> tuple[AdvisorFilterForm | None, dict]:
    """Admins may narrow the list to one advisor ('none' = students without one); faculty see their advisees."""
    if current_user.is_faculty:
        return None, {"advisor_id": current_user.id}
    form = AdvisorFilterForm(formdata=request.args if "advisor" in request.args else None)
    faculty = advising_service.advisors()
    form.advisor.choices = [SelectChoice("", "All students"), SelectChoice("none", "No advisor assigned")] + [
        SelectChoice(str(u.id), u.display_name) for u in faculty
    ]
    chosen = request.args.get("advisor", "")
    return form, {"without_advisor": chosen == "none", "advisor_id": id_arg("advisor")}


@bp.route("")
@role_required(Role.FACULTY, Role.ADMIN)
def advisees():
    """Advisees (all enrolled students for admins) with overall progress, GPA, pending reviews and risk flags.

    A constant number of queries whatever the number of students: the page of ids, its count, the two audit
    queries, the terms (for "behind schedule") and, for admins, the advisor choices.
    """
    form, advisees_of = _advisor_filter()
    page = paginate(advising_service.advisee_ids_query(**advisees_of), PER_PAGE)
    rendered = _rendered_rows(page.items, date.today(), current_user.is_admin)
    rows = [rendered[student_id] for student_id in page.items if student_id in rendered]
    return render_template("advising/advisees.html", rows=rows, page=page, form=form,
                           is_admin=current_user.is_admin)


def _rendered_rows(student_ids: list[int], today: date, is_admin: bool) -> dict[int, RenderedRow]:
    """The list's rows, each rendered once per audit key and view (admin or not) and kept in this process.

    The audit key changes with every write a row shows (the student's records and enrollment through their stamp;
    names, terms and programs through the generation), so a kept row is exactly as fresh as its audit. One light
    query reads the keys; only the students whose rows are missing are audited (two queries) with the terms."""
    cache = audit_cache.current_cache("advisee_rows")
    keys = audit_service.audit_keys(student_ids, today) if cache is not None else {}
    found = {sid: row for sid, key in keys.items() if (row := cache.get((key, is_admin))) is not None}
    missing = [sid for sid in student_ids if sid not in found]
    if not missing:
        return found
    audits = audit_service.audit_students(missing, today=today)
    terms = db.session.scalars(sa.select(Term)).all() if audits else []
    for student_id, audit in audits.items():
        active = audit.enrollment.status == EnrollmentStatus.ACTIVE
        risks = audit_service.risk_reasons(
            audit, audit_service.completed_terms(audit.enrollment, terms, today), terms) if active else []
        html = Markup(render_template("advising/_advisee_row.html", row=AdviseeRow(
            audit, risks, audit.records.pending_sessions), is_admin=is_admin))
        found[student_id] = RenderedRow(html, bool(risks))
        if cache is not None:
            # Under the key of the enrollment the audit was computed from, not the one read above: a write that
            # committed in between leaves the row under the older key, which no later reader asks for.
            cache.put((audit_cache.audit_key(audit.enrollment, today), is_admin), found[student_id])
    return found


@bp.route("/students/<int:student_id>/milestones", methods=["GET", "POST"])
@role_required(Role.FACULTY, Role.ADMIN)
def milestones(student_id: int):
    """The advisee's track milestones: sign one off (date, note), or undo a sign-off; the audit follows."""
    enrollment = get_advisee_or_404(audit_service.load_enrollment(student_id))
    form = SignOffForm()
    audit = audit_service.audit_enrollment(enrollment)
    rows = milestone_service.track_milestones(audit)
    vocabulary = enrollment.program.vocabulary
    user = current_actor()

    def choice_label(kind: str) -> str:
        # Offered all the same (the refusal then says why at the field), but marked before anyone tries.
        milestone = vocabulary.milestone(kind)
        if may_sign_milestone(user, enrollment, milestone):
            return milestone.label
        return f"{milestone.label} (signed off by {milestone.signer_words()} only)"

    form.kind.choices = [SelectChoice("", "Choose a milestone…")] + [
        SelectChoice(m.kind, choice_label(m.kind)) for m in rows if not m.signed_off]
    if not form.is_submitted():
        form.completed_on.data = date.today()
    if form.validate_on_submit():
        try:
            record = milestone_service.sign_off(current_actor(), student_id, form.kind.data,
                                                form.completed_on.data, form.note.data or "",
                                                milestones_link=url_for("progress.milestones"))
        except ServiceError as err:
            attach_error(form, err)
        else:
            flash(f"Signed off “{milestone_service.milestone_label(enrollment, record.kind)}” for "
                  f"{enrollment.student.display_name}.", "success")
            return redirect(url_for("advising.milestones", student_id=student_id))
    events = db.session.scalars(history.events_query(
        history.EventFilters(entity_type=milestone_service.ENTITY, subject_id=student_id)).limit(50)).all()
    return render_template("advising/milestones.html", audit=audit, enrollment=audit.enrollment, form=form,
                           milestones=rows, block=milestone_service.milestone_block(audit), events=events)


@bp.route("/students/<int:student_id>/milestones/<int:record_id>/undo", methods=["POST"])
@role_required(Role.FACULTY, Role.ADMIN)
def milestone_undo(student_id: int, record_id: int):
    """Undo a sign-off (after the browser asks for confirmation); the history keeps both events."""
    enrollment = get_advisee_or_404(audit_service.load_enrollment(student_id))
    return run_action(lambda: milestone_service.revoke(current_actor(), student_id, record_id),
                      lambda kind: f"The sign-off of “{milestone_service.milestone_label(enrollment, kind)}” "
                                   "is undone.",
                      url_for("advising.milestones", student_id=student_id), refused="warning")
