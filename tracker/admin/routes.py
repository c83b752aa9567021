"""The administration landing page and the history browser."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask import render_template, request
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from ..extensions import db
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


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _bounded_day(field) -> date | None:
    """A filter date the form parsed, if it is one the app keeps; otherwise the field says why and it is ignored."""
    if field.data is None or field.errors:
        return None
    if parse_date(field.data) is None:
        field.errors = list(field.errors) + [f"Enter a date between {MIN_DATE.year} and {MAX_DATE.year}."]
        return None
    return field.data


@bp.route("/history")
@role_required(Role.ADMIN)
def history():
    """Every recorded change, newest first, filterable by who made it, record type and dates."""
    form = HistoryFilterForm(formdata=request.args)
    actors = db.session.scalars(
        sa.select(User).where(User.id.in_(sa.select(HistoryEvent.actor_id).distinct())).order_by(User.display_name)
    ).all()
    types = db.session.scalars(sa.select(HistoryEvent.entity_type).distinct().order_by(HistoryEvent.entity_type))
    form.actor.choices = [SelectChoice("", "Anyone"), SelectChoice("system", "The system (no user)")] + [
        SelectChoice(str(u.id), f"{u.display_name} ({u.email})") for u in actors]
    form.entity_type.choices = [SelectChoice("", "All record types")] + [
        SelectChoice(t, t.replace("_", " ")) for t in types]
    form.validate()

    query = (sa.select(HistoryEvent)
             .options(joinedload(HistoryEvent.actor), joinedload(HistoryEvent.subject))
             .order_by(HistoryEvent.created_at.desc(), HistoryEvent.id.desc()))
    actor = request.args.get("actor", "")
    if actor == "system":
        query = query.where(HistoryEvent.actor_id.is_(None))
    elif id_arg("actor") is not None:
        query = query.where(HistoryEvent.actor_id == id_arg("actor"))
    if form.entity_type.data and not form.entity_type.errors:
        query = query.where(HistoryEvent.entity_type == form.entity_type.data)
    date_from, date_to = _bounded_day(form.date_from), _bounded_day(form.date_to)
    if date_from is not None:
        query = query.where(HistoryEvent.created_at >= _day_start(date_from))
    if date_to is not None:
        query = query.where(HistoryEvent.created_at < _day_start(date_to + timedelta(days=1)))
    subject = None
    subject_id = id_arg("subject")
    if subject_id is not None:
        subject = db.session.get(User, subject_id)
        query = query.where(sa.or_(HistoryEvent.subject_id == subject_id,
                                   sa.and_(HistoryEvent.entity_type == "user", HistoryEvent.entity_id == subject_id)))
    page = paginate(query, HISTORY_PER_PAGE)
    return render_template("admin/history.html", form=form, page=page, subject=subject)
