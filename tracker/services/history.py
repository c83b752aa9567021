"""Writing the audit trail; callers commit it in the same transaction as the change."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

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
