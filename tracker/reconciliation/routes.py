"""The reconciliation report (page and CSV) and its explanation (docs/reconciliation.md)."""
from __future__ import annotations

from datetime import date

from flask import render_template, request
from wtforms import SelectChoice

from ..csv_export import csv_response
from ..markdown import render_doc
from ..models import Role
from ..permissions import current_actor, role_required
from ..query_args import id_arg
from ..services import reconciliation
from . import bp
from .forms import ReconciliationFilterForm


@bp.route("")
@role_required(Role.FACULTY, Role.ADMIN)
def report():
    """Sessions without a booking, no-shows, sessions at other times than booked, and late cancellations.

    Admins see everything; a faculty member the sessions they supervise (as in the review queue) and the bookings
    of their advisees. Without a term in the query string the report shows the current term.
    """
    user = current_actor()
    form = ReconciliationFilterForm(formdata=request.args)
    students, studios, terms = reconciliation.filter_choices(user)
    if "term_id" in request.args:
        term_id = id_arg("term_id")  # blank ("All terms"), garbled or impossible: every term
    else:
        current = reconciliation.current_term(terms, reconciliation.wall_clock().date())
        term_id = current.id if current else None
    form.term_id.data = str(term_id) if term_id else ""
    filters = reconciliation.Filters(term_id=term_id, studio_id=id_arg("studio_id"), student_id=id_arg("student_id"))
    result = reconciliation.build(user, filters)
    if request.args.get("format") == "csv":
        return csv_response(f"reconciliation-{date.today():%Y-%m-%d}.csv", reconciliation.CSV_HEADER,
                            reconciliation.csv_rows(result))
    form.term_id.choices = [SelectChoice("", "All terms")] + [SelectChoice(str(t.id), t.name) for t in terms]
    form.studio_id.choices = [SelectChoice("", "All studios")] + [SelectChoice(str(i), n) for i, n in studios]
    form.student_id.choices = [SelectChoice("", "All students")] + [SelectChoice(str(i), n) for i, n in students]
    term = next((t for t in terms if t.id == term_id), None)
    return render_template("reconciliation/report.html", form=form, report=result, term=term,
                           shown=reconciliation.SHOWN_PER_SECTION,
                           filtered=any((filters.studio_id, filters.student_id)))


@bp.route("/help")
@role_required(Role.FACULTY, Role.ADMIN)
def help():  # noqa: A001 (the endpoint's name)
    """How the report matches sessions with bookings, for directors and faculty (docs/reconciliation.md)."""
    return render_template("reconciliation/help.html", body=render_doc("reconciliation.md"))
