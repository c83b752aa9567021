"""Template filters and globals shared by every page."""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask import Flask, current_app, request, url_for

from .formatting import format_number
from .permissions import may_answer_group_session, may_change_term_sessions
from .query_args import filter_args


def format_date(value) -> str:
    """A date as 'Mon 24 Nov 2026'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return value.strftime("%a %-d %b %Y")


def format_datetime(value) -> str:
    """A UTC timestamp as '24 Nov 2026, 14:05 UTC'."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%-d %b %Y, %H:%M UTC")


def percent_class(value) -> str:
    """CSS class pct-N (N in 0..100) for a bar width; the CSP forbids inline styles."""
    try:
        n = int(round(float(value)))
    except (TypeError, ValueError):
        n = 0
    return f"pct-{max(0, min(100, n))}"


def nav_has(endpoint: str) -> bool:
    """True when a blueprint providing this endpoint is registered (navigation shows only real pages)."""
    return endpoint in current_app.view_functions


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (for pagination and filters).

    Only the known filter keys of the current query string are kept: a raw argument would reach url_for as one of its
    own keywords (`_method=DELETE` raises, `_external=1` makes the link absolute to whatever Host was sent).
    """
    view_args = request.view_args or {}
    args = {key: value for key, value in filter_args().items() if key not in view_args}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **view_args, **args)


def register_template_helpers(app: Flask) -> None:
    """Expose the helpers above to Jinja."""
    # One format, three names saying what the number is: studio hours, credits, or a requirement's figure in its
    # own unit (credits, hours, courses, milestones: an audit block's done, a waiver's amount).
    app.jinja_env.filters["hours"] = format_number
    app.jinja_env.filters["credits"] = format_number
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["day"] = format_date
    app.jinja_env.filters["when"] = format_datetime
    app.jinja_env.filters["pct_class"] = percent_class
    app.jinja_env.globals["nav_has"] = nav_has
    # The closed-term rule, so pages offer only what the services would accept (one rule, in permissions).
    app.jinja_env.globals["may_change_term_sessions"] = may_change_term_sessions
    app.jinja_env.globals["may_answer_group_session"] = may_answer_group_session
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["today"] = date.today
