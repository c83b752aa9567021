"""Use cases that change state: one function, one transaction, one history event."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


class ServiceError(Exception):
    """A refusal the view shows next to a field (`field`) or at the top of the form (field None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@contextmanager
def unique_or_refuse(refusal: "ServiceError | str", field: str | None = None) -> Iterator[None]:
    """Run writes a unique constraint guards: a double submit that raced past the checks becomes `refusal`.

    Any error rolls the transaction back, so nothing is left half-written.
    """
    from sqlalchemy.exc import IntegrityError

    from ..extensions import db

    try:
        yield
    except IntegrityError:
        db.session.rollback()
        raise (refusal if isinstance(refusal, ServiceError) else ServiceError(refusal, field)) from None
    except Exception:
        db.session.rollback()
        raise
