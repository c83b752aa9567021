"""A per-process cache of degree audits that can never serve a stale one.

An entry is keyed by what the database says about the student at the moment of the request (see
tracker.models.audit_stamps): the student's stamp, the shared generation, the catalog version and its digest, and
today's date (terms end and warnings change with the date). Every write an audit depends on changes the stamp or
the generation in the same transaction, so after it commits every process on every host computes a new key and
misses; nothing has to be told to forget anything. Old entries simply age out (least recently used first).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date
from typing import Any, Hashable

from flask import Flask, current_app

DEFAULT_SIZE = 512  # full audits kept per process: an audit with its records is about 30-150 kB of objects
SUMMARY_SIZE = 20000  # summaries (the figures list pages show) kept per process: well under 1 kB each
# Rendered progress pages (the audit part, 20-80 kB of HTML each) kept per process: as many as full audits.


class AuditCache:
    """A thread-safe LRU mapping of audit keys to computed audits."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        """The entry for this key, or None (and counts the hit or miss)."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, value: Any) -> None:
        """Keep an entry, dropping the least recently used beyond the size."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (never needed for correctness; tests use it to start cold)."""
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


def init_app(app: Flask) -> None:
    """Give the app its own caches (two app objects in one process, as in tests, keep separate ones): full audits
    for the progress pages, the summaries the cohort report lists for a whole school, and the rendered audit part
    of progress pages and of advisees-list rows (keyed by the audit key too, so exactly as fresh as the audit)."""
    size = app.config.get("AUDIT_CACHE_SIZE", DEFAULT_SIZE)
    app.extensions["audit_cache"] = AuditCache(size)
    app.extensions["audit_summaries"] = AuditCache(SUMMARY_SIZE if size else 0)
    app.extensions["progress_pages"] = AuditCache(size)
    # Rendered advisees-list rows (about 2 kB of HTML each), keyed by the audit key too: a school's worth.
    app.extensions["advisee_rows"] = AuditCache(SUMMARY_SIZE if size else 0)


def current_cache(kind: str = "audit_cache") -> AuditCache | None:
    """This app's cache of full audits (or of summaries: kind "audit_summaries"; rendered progress pages:
    "progress_pages"; rendered advisees-list rows: "advisee_rows"); None when switched off (AUDIT_CACHE_SIZE = 0)."""
    cache = current_app.extensions.get(kind)
    return cache if cache is not None and cache.size > 0 else None


def audit_key(enrollment, today: date) -> tuple:
    """What a cached audit of this enrollment is valid for (the stamps are loaded with the enrollment)."""
    version = enrollment.catalog_version
    return stamps_key(enrollment.student_id, enrollment.audit_stamp, enrollment.audit_generation,
                      enrollment.catalog_version_id, version.digest if version is not None else None, today)


def stamps_key(student_id: int, stamp: str | None, generation: str | None, version_id: int | None,
               digest: str | None, today: date) -> tuple:
    """The audit key from its parts, for callers that read the stamps without loading the enrollment."""
    return (student_id, stamp, generation, version_id, digest, today)
