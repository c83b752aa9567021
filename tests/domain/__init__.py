"""Tests of the pure degree-audit domain (tracker.domain): no app, no database."""
