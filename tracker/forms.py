"""Helpers every blueprint's forms share."""
from __future__ import annotations

from flask_wtf import FlaskForm

from .services import ServiceError


def attach_error(form: FlaskForm, err: ServiceError) -> None:
    """Show a service refusal next to its field, or at the top of the form when it names none."""
    target = getattr(form, err.field, None) if err.field else None
    if target is not None and hasattr(target, "errors") and not isinstance(target.errors, dict):
        target.errors = list(target.errors) + [err.message]
    else:
        form.form_errors.append(err.message)
