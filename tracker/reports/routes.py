"""Report pages and their CSV exports; each runs a fixed number of queries."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import render_template, request
from wtforms import SelectChoice, SelectField, SubmitField
from wtforms.validators import Optional

from ..choices import concentration_choices, program_choices, term_choices, track_choices
from ..csv_export import csv_response
from ..extensions import db
from ..forms import TrackerForm
from ..models import Program, Role, Studio
from ..permissions import role_required
from ..query_args import id_arg, paginate
from ..services import admin_accounts
from ..services import reports as report_service
from . import bp

COHORT_PER_PAGE = 50


class _Filters(TrackerForm):
    """A GET form of report filters (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False


class StudioUsageFilters(_Filters):
    """Which term and studio."""

    term = SelectField("Term", validators=[Optional()])
    studio = SelectField("Studio", validators=[Optional()])
    submit = SubmitField("Show")


class CohortFilters(_Filters):
    """Which students."""

    program = SelectField("Program", validators=[Optional()])
    concentration = SelectField("Concentration", validators=[Optional()])
    track = SelectField("Track", choices=[], validators=[Optional()])  # the programs' own tracks, set by the view
    start_term = SelectField("Start term", validators=[Optional()])
    advisor = SelectField("Advisor", validators=[Optional()])
    submit = SubmitField("Show")


def _csv(name: str, header, rows):
    """A CSV download named after the report and today's date (cells made formula-safe by csv_export)."""
    return csv_response(f"{name}-{date.today():%Y-%m-%d}.csv", header, rows)


def _arg_int(name: str) -> int | None:
    """A filter id from the query string (None when missing, garbled or impossible)."""
    return id_arg(name)


@bp.route("")
@role_required(Role.ADMIN)
def index():
    """The list of reports."""
    return render_template("reports/index.html")


@bp.route("/studio-usage")
@role_required(Role.ADMIN)
def studio_usage():
    """Sessions and approved/pending hours by studio and term."""
    form = StudioUsageFilters(formdata=request.args)
    form.term.choices = term_choices("All terms")
    form.studio.choices = [SelectChoice("", "All studios")] + [
        SelectChoice(str(s.id), s.name) for s in db.session.scalars(sa.select(Studio).order_by(Studio.name))]
    rows = report_service.studio_usage(_arg_int("term"), _arg_int("studio"))
    if request.args.get("format") == "csv":
        return _csv("studio-usage", report_service.STUDIO_USAGE_HEADER, report_service.studio_usage_csv_rows(rows))
    return render_template("reports/studio_usage.html", form=form, rows=rows)


@bp.route("/review-turnaround")
@role_required(Role.ADMIN)
def review_turnaround():
    """Per faculty member: sessions waiting, the oldest wait, and how fast they decided lately."""
    rows = report_service.review_turnaround()
    if request.args.get("format") == "csv":
        return _csv("review-turnaround", report_service.TURNAROUND_HEADER, report_service.turnaround_csv_rows(rows))
    return render_template("reports/review_turnaround.html", rows=rows,
                           window=report_service.TURNAROUND_WINDOW_DAYS)


@bp.route("/cohort")
@role_required(Role.ADMIN)
def cohort():
    """Every student of the chosen cohort against every requirement of their program."""
    form = CohortFilters(formdata=request.args)
    form.program.choices = program_choices()
    program_id = _arg_int("program")
    if program_id is None and form.program.choices:
        program_id = int(form.program.choices[0].value)
        form.program.data = str(program_id)
    form.concentration.choices = concentration_choices(program_id, blank="All concentrations")
    program = db.session.get(Program, program_id) if program_id else None
    tracks = track_choices(program)
    form.track.choices = [SelectChoice("", "Both tracks" if len(tracks) == 2 else "All tracks")] + tracks
    form.start_term.choices = term_choices("Any start term")
    form.advisor.choices = [SelectChoice("", "Any advisor")] + [
        SelectChoice(str(u.id), u.display_name) for u in admin_accounts.active_faculty()]
    track = request.args.get("track", "")
    filters = report_service.CohortFilters(
        program_id=program_id, concentration_id=_arg_int("concentration"),
        track=track if track in {t.value for t in tracks} else None,
        start_term_id=_arg_int("start_term"), advisor_id=_arg_int("advisor"))
    program = db.session.get(Program, program_id) if program_id else None
    columns = report_service.requirement_columns(program_id)
    query = report_service.cohort_query(filters)
    if request.args.get("format") == "csv":
        ids = list(db.session.scalars(query))
        header, cells = report_service.cohort_csv(report_service.cohort_rows(ids, columns), columns)
        return _csv("cohort-progress", header, cells)
    page = paginate(query, COHORT_PER_PAGE)
    rows = report_service.cohort_rows(list(page.items), columns)
    return render_template("reports/cohort.html", form=form, page=page, rows=rows, columns=columns, program=program)
