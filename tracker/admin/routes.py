"""The administration landing page and the history browser."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import render_template, request
from wtforms import SelectChoice

from ..extensions import db
from ..forms import add_field_error
from ..models import (
    Concentration,
    Course,
    Ensemble,
    HistoryEvent,
    Program,
    Role,
    Studio,
    Term,
    User,
)
from ..permissions import role_required
from ..query_args import id_arg, paginate, parse_date
from ..services import history as history_service
from ..services.values import MAX_DATE, MIN_DATE
from . import bp
from .forms import HistoryFilterForm

HISTORY_PER_PAGE = 50
# Actions whose `changes` hold the values of a created or removed record rather than field -> [old, new] pairs.
_VALUE_ACTIONS = (".created", ".deleted", ".loaded", ".imported")


def _plain(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def describe_changes(event: HistoryEvent) -> list[tuple[str, str | None, str]]:
    """(field, old or None, new) triples for showing an event's changed values."""
    out = []
    as_values = event.action.endswith(_VALUE_ACTIONS)
    for name, value in (event.changes or {}).items():
        label = name.replace("_", " ")
        if not as_values and isinstance(value, list) and len(value) == 2:
            out.append((label, _plain(value[0]), _plain(value[1])))
        else:
            out.append((label, None, _plain(value)))
    return out


@bp.context_processor
def _helpers() -> dict:
    return {"describe_changes": describe_changes}


@bp.route("")
@role_required(Role.ADMIN)
def index():
    """The administration landing page: each area with its size, in one query."""
    count = lambda model, *where: sa.select(sa.func.count()).select_from(model).where(*where).scalar_subquery()  # noqa: E731
    row = db.session.execute(sa.select(
        count(Term), count(Term, Term.closed.is_(False)), count(Studio, Studio.active.is_(True)),
        count(Ensemble, Ensemble.active.is_(True)), count(Concentration, Concentration.active.is_(True)),
        count(Course, Course.active.is_(True)), count(Program), count(User, User.role == Role.STUDENT),
        count(User, User.role == Role.FACULTY), count(User, User.active.is_(False)), count(HistoryEvent),
    )).one()
    keys = ("terms", "open_terms", "studios", "ensembles", "concentrations", "courses", "programs", "students",
            "faculty", "inactive", "events")
    return render_template("admin/index.html", counts=dict(zip(keys, row)))


def _bounded_day(field) -> date | None:
    """A filter date the form parsed, if it is one the app keeps; otherwise the field says why and it is ignored."""
    if field.data is None or field.errors:
        return None
    if parse_date(field.data) is None:
        add_field_error(field, f"Enter a date between {MIN_DATE.year} and {MAX_DATE.year}.")
        return None
    return field.data


@bp.route("/history")
@role_required(Role.ADMIN)
def history():
    """Every recorded change, newest first, filterable by who made it, record type and dates."""
    form = HistoryFilterForm(formdata=request.args)
    actors, types = history_service.event_actors(), history_service.event_entity_types()
    form.actor.choices = [SelectChoice("", "Anyone"), SelectChoice("system", "The system (no user)")] + [
        SelectChoice(str(u.id), f"{u.display_name} ({u.email})") for u in actors]
    form.entity_type.choices = [SelectChoice("", "All record types")] + [
        SelectChoice(t, t.replace("_", " ")) for t in types]
    form.validate()

    filters = history_service.EventFilters(
        actor_id=id_arg("actor"), by_the_system=request.args.get("actor", "") == "system",
        entity_type=form.entity_type.data if not form.entity_type.errors else None,
        date_from=_bounded_day(form.date_from), date_to=_bounded_day(form.date_to), subject_id=id_arg("subject"))
    subject = db.session.get(User, filters.subject_id) if filters.subject_id is not None else None
    page = paginate(history_service.events_query(filters), HISTORY_PER_PAGE)
    return render_template("admin/history.html", form=form, page=page, subject=subject)
