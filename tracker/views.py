"""What the views of every feature share: running a POST-only action and telling the user how it went."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect

from .services import ServiceError


def run_action(action: Callable[[], Any], success: str | Callable[[Any], str], target: str,
               refused: str = "danger"):
    """Run a POST-only action (a call of one service), flash what happened and redirect to `target`.

    `success` is the message when it worked, or a function of the action's result that words it (the result may
    name what was done); a refusal flashes the service's own message in the `refused` category ("warning" where
    the refusal is usually a harmless race, such as a second click).
    """
    try:
        result = action()
    except ServiceError as err:
        flash(err.message, refused)
    else:
        flash(success(result) if callable(success) else success, "success")
    return redirect(target)
