"""Reading back what a request stored (a student's rows of one record model, as the database has them now), and
running two requests' work at the same moment."""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from functools import partial

import sqlalchemy as sa

from tracker.extensions import db
from tracker.services import ServiceError


def rows_of(model, student) -> list:
    """The student's rows of `model` (CourseRecord, EnsembleRecord, ...), oldest first, freshly loaded."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(model).where(model.student_id == student.id).order_by(model.id)))


def lose_the_race(monkeypatch, service, model, **row) -> None:
    """Let `service._check` pass, then have another submission commit `row` (a `model` row) before this one does:
    two submissions at once, both past the check, as the database sees them."""
    original = service._check

    def check_then_lose_the_race(*args, **kwargs):
        result = original(*args, **kwargs)
        with db.engine.begin() as conn:  # the other submission commits first
            conn.execute(sa.insert(model.__table__).values(**row, created_at=sa.func.now(), updated_at=sa.func.now()))
        return result

    monkeypatch.setattr(service, "_check", check_then_lose_the_race)


def as_a_request(app, results: dict, key: Hashable, work: Callable[[], object]) -> None:
    """Run `work()` as a request on a worker thread would, in its own app context (its own database session and
    connection), and put what came of it in `results[key]`: what it returned, the ServiceError's message, or
    "crashed: ..." (which the test fails on)."""
    with app.app_context():
        try:
            results[key] = work()
        except ServiceError as err:
            results[key] = err.message
        except Exception as err:  # noqa: BLE001 — reported to the test, which fails on it
            results[key] = f"crashed: {err!r}"
        finally:
            db.session.remove()


def at_once(app, keys: Iterable[Hashable], load: Callable[[Hashable], object],
            act: Callable[[Hashable, object], object], join_seconds: float = 20) -> dict:
    """Run one request's work per key, each in its own thread as_a_request, released together by a barrier:
    `load(key)` is what the request reads first, `act(key, loaded)` the write that races. Each key's result, as
    as_a_request words it."""
    keys = list(keys)
    barrier = threading.Barrier(len(keys))
    results: dict = {}

    def run(key) -> object:
        loaded = load(key)
        barrier.wait(timeout=10)
        return act(key, loaded)

    threads = [threading.Thread(target=as_a_request, args=(app, results, key, partial(run, key)),
                                name=str(key), daemon=True) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(join_seconds)
    return results
