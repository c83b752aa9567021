"""Progress views: a student's live audit (their own, or an advisee's), its CSV, what-if, and the milestones list.

Every page computes the audit live. The student's page costs two queries for the audit (services.audit), checked for
access between the two, so a refused request never reads the records.
"""
from __future__ import annotations

import re
import sqlalchemy as sa
from wtforms import SelectChoice
from flask import abort, redirect, render_template, request, url_for
from markupsafe import Markup
from flask_login import current_user, login_required

from ..csv_export import csv_response
from ..extensions import db
from ..models import Concentration, Enrollment, Role
from ..permissions import get_enrollment_or_404, role_required
from ..query_args import filter_args
from ..services import audit as audit_service
from ..services import audit_cache
from ..services import catalog_versions
from ..services import milestones as milestone_service
from . import bp
from .forms import WhatIfForm
from .present import CSV_HEADER, CompareRow, compare_rows, csv_rows, helpers


# The what-if form's query arguments: the only ones carried over when a student is sent to their own page.
WHAT_IF_KEYS = frozenset({"concentration", "track", "catalog", "submit"})


@bp.context_processor
def _helpers() -> dict:
    return helpers()


def _links(student_id: int, own: bool) -> dict:
    """The page's own URLs, for the student's view or an advisor's."""
    if own:
        return {"csv": url_for("progress.mine_export"), "what_if": url_for("progress.mine_what_if"),
                "milestones": url_for("progress.milestones"), "self": url_for("progress.mine"),
                "documents": url_for("documents.mine")}
    return {"csv": url_for("progress.student_export", student_id=student_id),
            "what_if": url_for("progress.student_what_if", student_id=student_id),
            "milestones": url_for("advising.milestones", student_id=student_id),
            "self": url_for("progress.student", student_id=student_id),
            "documents": url_for("documents.student", student_id=student_id)}


def _not_enrolled():
    """What a student without an enrollment sees instead of their progress pages."""
    return render_template("progress/not_enrolled.html")


def _page(audit: audit_service.StudentAudit, own: bool):
    """The progress page. Its audit part is rendered once per audit key and view (own or an advisor's) and kept in
    this process: the key changes with every write the audit depends on, so the HTML is as fresh as the audit, and
    it holds nothing else of the request (no CSRF token, no user but the student and the advisor)."""
    enrollment = audit.enrollment
    cache = audit_cache.current_cache("progress_pages")
    key = (audit_cache.audit_key(enrollment, audit.today), own)
    content = cache.get(key) if cache is not None else None
    if content is None:
        content = Markup(render_template(
            "progress/_page_content.html", audit=audit, result=audit.result, enrollment=enrollment, own=own,
            links=_links(enrollment.student_id, own), milestones=milestone_service.track_milestones(audit)))
        if cache is not None:
            cache.put(key, content)
    return render_template("progress/page.html", enrollment=enrollment, own=own, content=content)


@bp.route("")
@role_required(Role.STUDENT)
def mine():
    """The student's own progress toward the degree."""
    enrollment = audit_service.load_enrollment(current_user.id)
    if enrollment is None:
        return _not_enrolled()
    return _page(audit_service.audit_enrollment(enrollment), own=True)


@bp.route("/students/<int:student_id>")
@login_required
def student(student_id: int):
    """An advisee's progress page, for their advisor or an administrator."""
    if current_user.is_student and student_id == current_user.id:
        return redirect(url_for("progress.mine"))
    enrollment = get_enrollment_or_404(audit_service.load_enrollment(student_id))
    return _page(audit_service.audit_enrollment(enrollment), own=False)


def _filename(audit: audit_service.StudentAudit) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", audit.enrollment.student.display_name.lower()).strip("-") or "student"
    return f"progress-{name}-{audit.today.isoformat()}.csv"


def _export(audit: audit_service.StudentAudit):
    rules = audit.rules  # the catalog version's figures
    return csv_response(_filename(audit), CSV_HEADER, csv_rows(audit.result, rules.total_credits, rules.min_gpa))


@bp.route("/export.csv")
@role_required(Role.STUDENT)
def mine_export():
    """The student's progress figures as CSV."""
    enrollment = audit_service.load_enrollment(current_user.id)
    if enrollment is None:
        abort(404)
    return _export(audit_service.audit_enrollment(enrollment))


@bp.route("/students/<int:student_id>/export.csv")
@login_required
def student_export(student_id: int):
    """An advisee's progress figures as CSV."""
    enrollment = get_enrollment_or_404(audit_service.load_enrollment(student_id))
    return _export(audit_service.audit_enrollment(enrollment))


def _compare(current: audit_service.StudentAudit, alternative: audit_service.StudentAudit) -> list[CompareRow]:
    """Each requirement's block now and under the what-if (None where it does not apply), groups followed by their
    options: the current version's requirements in order, then those only the what-if's catalog version has."""
    order = [(r.key, r.title) for r in current.rules.requirements]
    order += [(r.key, r.title) for r in alternative.rules.requirements]
    return compare_rows(order, current.result, alternative.result)


def _what_if(enrollment: Enrollment, own: bool):
    """The same records audited under another concentration and/or track, beside the current audit."""
    current = audit_service.audit_enrollment(enrollment)
    concentrations = db.session.scalars(
        sa.select(Concentration)
        .where(Concentration.program_id == enrollment.program_id, Concentration.active.is_(True))
        .order_by(Concentration.name)
    ).all()
    submitted = bool(request.args)
    form = WhatIfForm(formdata=request.args if submitted else None,
                      concentration=enrollment.concentration.code, track=enrollment.track)
    form.concentration.choices = [SelectChoice(c.code, c.name) for c in concentrations]
    vocabulary = enrollment.program.vocabulary
    form.track.choices = [SelectChoice(t.code, t.label) for t in vocabulary.tracks]
    newest = catalog_versions.newest_version(enrollment.program_id)
    on_older = newest is not None and newest.id != enrollment.catalog_version_id
    form.catalog.choices = [SelectChoice("", f"Current catalog ({enrollment.catalog_version.name})")] + (
        [SelectChoice("newest", f"Under the newest catalog ({newest.name})")] if on_older else [])
    alternative = None
    if submitted and form.validate():
        version = newest if on_older and form.catalog.data == "newest" else None
        alternative = audit_service.rerun(current, concentration=form.concentration.data, track=form.track.data,
                                          version=version)
    rows = _compare(current, alternative) if alternative else []
    names = {c.code: c.name for c in concentrations}
    names.setdefault(enrollment.concentration.code, enrollment.concentration.name)
    return render_template(
        "progress/what_if.html", form=form, current=current, alternative=alternative, rows=rows, enrollment=enrollment,
        own=own, links=_links(enrollment.student_id, own), concentration_names=names,
        track_labels={t.code: t.label for t in vocabulary.tracks},
    )


@bp.route("/what-if")
@role_required(Role.STUDENT)
def mine_what_if():
    """What-if for the student: their records under another concentration or track; nothing is saved."""
    enrollment = audit_service.load_enrollment(current_user.id)
    if enrollment is None:
        return _not_enrolled()
    return _what_if(enrollment, own=True)


@bp.route("/students/<int:student_id>/what-if")
@login_required
def student_what_if(student_id: int):
    """What-if for an advisee, for their advisor or an administrator."""
    if current_user.is_student and student_id == current_user.id:
        return redirect(url_for("progress.mine_what_if", **filter_args(WHAT_IF_KEYS)))
    return _what_if(get_enrollment_or_404(audit_service.load_enrollment(student_id)), own=False)


@bp.route("/milestones")
@role_required(Role.STUDENT)
def milestones():
    """The milestones of the student's track, signed off or still ahead."""
    enrollment = audit_service.load_enrollment(current_user.id)
    if enrollment is None:
        return _not_enrolled()
    audit = audit_service.audit_enrollment(enrollment)
    return render_template(
        "progress/milestones.html", audit=audit, enrollment=audit.enrollment,
        milestones=milestone_service.track_milestones(audit), block=milestone_service.milestone_block(audit),
    )
