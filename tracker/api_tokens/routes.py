"""API-token views: the user's tokens with the form that makes one (its secret shown once), and revoking."""
from __future__ import annotations

from flask import render_template, url_for

from ..forms import attach_error
from ..models import Role, utcnow
from ..permissions import current_actor, get_api_token_or_404, role_required
from ..services import ServiceError
from ..services import api_tokens as token_service
from . import bp
from .forms import LEVELS, NewTokenForm
from ..views import run_action

EVERY_ROLE = (Role.STUDENT, Role.FACULTY, Role.ADMIN)


def _form() -> NewTokenForm:
    form = NewTokenForm()
    form.offer(token_service.allowed_scopes(current_actor()))
    return form


def _page(form: NewTokenForm, status: int = 200, secret: str | None = None, made=None):
    user = current_actor()
    return render_template("api_tokens/index.html", form=form, tokens=token_service.tokens_for(user),
                           now=utcnow(), secret=secret, made=made), status


@bp.route("")
@role_required(*EVERY_ROLE)
def index():
    """The user's API tokens (never their secrets) and the form that makes a new one."""
    return _page(_form())


@bp.route("/new", methods=["POST"])
@role_required(*EVERY_ROLE)
def new():
    """Make a token and show its secret on this one response (it is not kept, so it cannot be shown again)."""
    form = _form()
    if form.validate_on_submit():
        user = current_actor()
        try:
            token, secret = token_service.create_token(user, form.name.data, LEVELS.get(form.level.data, []),
                                                       form.days.data, actor=user)
        except ServiceError as err:
            attach_error(form, err)
        else:
            # Rendered, not redirected: a redirect would have to carry the secret in the (readable) session cookie.
            return _page(_form(), secret=secret, made=token)
    return _page(form, 400)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@role_required(*EVERY_ROLE)
def revoke(token_id: int):
    """Revoke one of the user's tokens: requests using it are refused from now on."""
    token = get_api_token_or_404(token_id)
    return run_action(lambda: token_service.revoke_token(token, actor=current_actor()),
                      f"The token “{token.name}” is revoked.", url_for("api_tokens.index"), refused="warning")
