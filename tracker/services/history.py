"""Writing the audit trail (callers commit it in the same transaction as the change) and filtering it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import HistoryEvent, User

# Where an event's client address comes from. The web layer plugs in a reader of the current request when the app
# is created (create_app -> register_hooks), so services stay free of `flask.request`; until then, and outside a
# request (CLI, tests calling services), the address is None.
_client_address: Callable[[], str | None] = lambda: None


def read_client_address_with(source: Callable[[], str | None]) -> None:
    """Record each event's client address as `source()` returns it at the time of the event."""
    global _client_address
    _client_address = source


def _plain(value: Any) -> Any:
    """Make a value JSON-friendly for the history table."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def diff(obj: Any, new_values: dict[str, Any]) -> dict[str, list]:
    """Field -> [old, new] for the values that would change on obj."""
    changes = {}
    for field, new in new_values.items():
        old = getattr(obj, field)
        if old != new:
            changes[field] = [_plain(old), _plain(new)]
    return changes


def record(
    actor: User | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    subject_id: int | None = None,
    summary: str = "",
    changes: dict | None = None,
) -> HistoryEvent:
    """Add a history event to the session (flushed with the caller's transaction)."""
    event = HistoryEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        subject_id=subject_id,
        summary=summary[:500],
        changes=_plain(changes or {}),
        ip_address=_client_address(),
    )
    db.session.add(event)
    return event


# ---------------------------------------------------------------- the history browser

@dataclass(frozen=True)
class EventFilters:
    """The history browser's filters (None = any); dates are UTC days, both ends included."""

    actor_id: int | None = None
    by_the_system: bool = False  # only events no user made (takes precedence over actor_id)
    entity_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    subject_id: int | None = None  # events about this user, or on their account


def event_actors() -> list[User]:
    """Every user who made at least one recorded change, by name."""
    return list(db.session.scalars(
        sa.select(User).where(User.id.in_(sa.select(HistoryEvent.actor_id).distinct())).order_by(User.display_name)))


def event_entity_types() -> list[str]:
    """The kinds of record the history holds events about, alphabetically."""
    return list(db.session.scalars(sa.select(HistoryEvent.entity_type).distinct().order_by(HistoryEvent.entity_type)))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def events_query(filters: EventFilters) -> sa.Select:
    """Matching events, newest first, with who made them and whom they concern (for pagination)."""
    query = (sa.select(HistoryEvent)
             .options(joinedload(HistoryEvent.actor), joinedload(HistoryEvent.subject))
             .order_by(HistoryEvent.created_at.desc(), HistoryEvent.id.desc()))
    if filters.by_the_system:
        query = query.where(HistoryEvent.actor_id.is_(None))
    elif filters.actor_id is not None:
        query = query.where(HistoryEvent.actor_id == filters.actor_id)
    if filters.entity_type:
        query = query.where(HistoryEvent.entity_type == filters.entity_type)
    if filters.date_from is not None:
        query = query.where(HistoryEvent.created_at >= _day_start(filters.date_from))
    if filters.date_to is not None:
        query = query.where(HistoryEvent.created_at < _day_start(filters.date_to + timedelta(days=1)))
    if filters.subject_id is not None:
        query = query.where(sa.or_(HistoryEvent.subject_id == filters.subject_id,
                                   sa.and_(HistoryEvent.entity_type == "user",
                                           HistoryEvent.entity_id == filters.subject_id)))
    return query
