"""Use cases that change state: one function, one transaction, one history event."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


class ServiceError(Exception):
    """A refusal the view shows next to a field (`field`) or at the top of the form (field None).

    One refusal reads `ServiceError("message", field="x")`; a form with several problems at once is refused with
    `ServiceError.many([(field, message), ...])`. `problems` always lists every (field, message) pair;
    `message` and `field` are the first of them.
    """

    def __init__(self, message: str, field: str | None = None, *,
                 problems: "list[tuple[str | None, str]] | None" = None):
        self.problems: list[tuple[str | None, str]] = list(problems) if problems else [(field, message)]
        self.field, self.message = self.problems[0]
        super().__init__(" ".join(text for _, text in self.problems))

    @classmethod
    def many(cls, problems: "list[tuple[str | None, str]]") -> "ServiceError":
        """One refusal carrying every (field, message) pair; at least one pair."""
        if not problems:
            raise ValueError("ServiceError.many needs at least one problem")
        field, message = problems[0]
        return cls(message, field, problems=problems)


class Problems:
    """Collects the problems of a form checked field by field; `raise_any()` refuses with all of them at once."""

    def __init__(self) -> None:
        self.items: list[tuple[str | None, str]] = []

    def add(self, field: str | None, message: str) -> None:
        self.items.append((field, message))

    def has(self, *fields: str | None) -> bool:
        """Whether any of `fields` already has a problem (a later check that depends on them is skipped)."""
        return any(field in fields for field, _ in self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def check(self, parse, *args, **kwargs):
        """`parse(*args, **kwargs)`, or None with its refusal's problems kept when it refuses."""
        try:
            return parse(*args, **kwargs)
        except ServiceError as err:
            self.items.extend(err.problems)
            return None

    def raise_any(self) -> None:
        if self.items:
            raise ServiceError.many(self.items)


def where_given(query, *conditions):
    """`query` narrowed to `column == value` for each (column, value) whose value a filter form gave (not blank)."""
    for column, value in conditions:
        if value:
            query = query.where(column == value)
    return query


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
