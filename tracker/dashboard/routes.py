"""Home pages: the landing page after login is the one for the user's role."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Confirmation, Enrollment, Program, Role, SessionStatus, StudioSession, Term, User
from ..permissions import role_required
from ..progress.present import overall_bar
from ..services import audit as audit_service
from ..services import bookings, courses, ensembles, group_sessions, studio
from . import bp


@bp.route("/")
@login_required
def home():
    """Send each user to their role's page."""
    return redirect(url_for(f"dashboard.{current_user.role.value}"))


@bp.route("/dashboard/student")
@role_required(Role.STUDENT)
def student():
    """The student's dashboard: program, advisor, this term's studio hours, open sessions, reviews, recent records."""
    enrollment = audit_service.load_enrollment(current_user.id)
    # The degree audit runs live here too (two queries), so the first thing a student sees is how far along they are.
    audit = audit_service.audit_enrollment(enrollment) if enrollment else None
    rule = studio.studio_rule(enrollment)
    today = date.today()
    this_term = next((t for t in studio.hours_by_term(current_user.id, enrollment, rule) if t.term.contains(today)),
                     None)
    return render_template(
        "dashboard/student.html", enrollment=enrollment, this_term=this_term, rule=rule,
        waiting=studio.waiting_for_review(current_user.id), reviews=studio.recent_reviews(current_user.id),
        to_confirm=group_sessions.awaiting_confirmation(current_user.id),
        recent_courses=courses.recent_courses(current_user.id),
        recent_ensembles=ensembles.recent_ensembles(current_user.id),
        audit=audit, overall=overall_bar(audit.result) if audit else None,
        to_log=bookings.bookings_to_log(current_user.id),
    )


@bp.route("/dashboard/faculty")
@role_required(Role.FACULTY)
def faculty():
    """The faculty dashboard: advisees and the sessions waiting for their review."""
    advisees = db.session.scalars(
        sa.select(User)
        .join(Enrollment, Enrollment.student_id == User.id)
        .where(Enrollment.advisor_id == current_user.id)
        .options(joinedload(User.enrollment).joinedload(Enrollment.concentration),
                 joinedload(User.enrollment).joinedload(Enrollment.program))  # the track's label
        .order_by(User.display_name)
    ).all()
    pending = db.session.scalar(
        sa.select(sa.func.count(StudioSession.id)).where(
            StudioSession.supervisor_id == current_user.id, StudioSession.status == SessionStatus.PENDING,
            StudioSession.confirmation == Confirmation.CONFIRMED,  # a named student's answer comes first
        )
    )
    return render_template("dashboard/faculty.html", advisees=advisees, pending=pending)


@bp.route("/dashboard/admin")
@role_required(Role.ADMIN)
def admin():
    """The administrator's dashboard: the size of what they run."""
    counts = {
        "students": db.session.scalar(sa.select(sa.func.count(User.id)).where(User.role == Role.STUDENT)),
        "faculty": db.session.scalar(sa.select(sa.func.count(User.id)).where(User.role == Role.FACULTY)),
        "programs": db.session.scalar(sa.select(sa.func.count(Program.id))),
        "pending": db.session.scalar(
            sa.select(sa.func.count(StudioSession.id)).where(StudioSession.status == SessionStatus.PENDING)
        ),
    }
    terms = db.session.scalars(sa.select(Term).order_by(Term.start_date)).all()
    return render_template("dashboard/admin.html", counts=counts, terms=terms)


@bp.route("/healthz")
def healthz():
    """Liveness probe for load balancers (and the benchmark's trivial baseline): no database, no session."""
    return {"status": "ok"}
