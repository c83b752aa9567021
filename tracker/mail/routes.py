"""E-mail views: preferences (any logged-in user), unsubscribe (public: the signed token is the authority), and
the outbox with its Retry button (administrators)."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..extensions import csrf
from ..forms import attach_error
from ..models import MailStatus, Role
from ..permissions import current_actor, role_required
from ..query_args import paginate
from ..services import ServiceError
from ..services import mail as mail_service
from . import bp
from .forms import UnsubscribeForm, preferences_form
from ..views import run_action


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    """The user's choice for each kind of e-mail they can get: right away, in a daily summary, or never."""
    user = current_actor()
    kinds = mail_service.kinds_for(user)
    form = preferences_form(kinds, mail_service.modes_for(user.id))
    if form.validate_on_submit():
        try:
            changes = mail_service.set_modes(user, {kind.value: form[kind.value].data for kind in kinds}, kinds)
        except ServiceError as err:
            attach_error(form, err)
        else:
            flash("Your e-mail choices are saved." if changes else "Nothing changed.", "success" if changes else "info")
            return redirect(url_for("mail.preferences"))
    return render_template("mail/preferences.html", form=form, email=user.email)


def _unsubscribe_target(token: str):
    found = mail_service.read_unsubscribe_token(token)
    if found is None:
        return None, render_template("mail/unsubscribe.html", found=None, form=None), 404
    return found, None, 200


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """Stop one kind of e-mail from the link in one, logged in or not: the page asks, the button turns it off."""
    found, page, status = _unsubscribe_target(token)
    if found is None:
        return page, status
    user, kind = found
    form = UnsubscribeForm()
    if form.validate_on_submit():
        mail_service.unsubscribe(user, kind)
        return render_template("mail/unsubscribe.html", found=found, form=None, done=True)
    return render_template("mail/unsubscribe.html", found=found, form=form,
                           off=mail_service.mode_for(user.id, kind).value == "off")


@bp.route("/unsubscribe/<token>/one-click", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail program posts without a page; the signed token is the proof, not a cookie
def unsubscribe_one_click(token: str):
    """The List-Unsubscribe header's link: a mail program's one-click POST unsubscribes; a browser opening it (GET)
    is sent to the page that asks first."""
    if request.method == "GET":
        return redirect(url_for("mail.unsubscribe", token=token))
    found = mail_service.read_unsubscribe_token(token)
    if found is None:
        return "This unsubscribe link is not valid.\n", 404, {"Content-Type": "text/plain; charset=utf-8"}
    mail_service.unsubscribe(*found)
    return "Unsubscribed.\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/outbox")
@role_required(Role.ADMIN)
def outbox():
    """Messages not yet sent (or of one status): recipient, subject, attempts, the last error, Retry when failed."""
    status = request.args.get("state")
    chosen = MailStatus(status) if status in {s.value for s in MailStatus} else None
    page = paginate(mail_service.outbox_query(chosen), current_app.config["ITEMS_PER_PAGE"])
    return render_template("mail/outbox.html", page=page, chosen=chosen, counts=mail_service.status_counts(),
                           statuses=list(MailStatus))


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@role_required(Role.ADMIN)
def retry(message_id: int):
    """Queue a failed message again, due now."""
    state = request.args.get("state")
    return run_action(lambda: mail_service.retry(message_id, actor=current_actor()),
                      lambda message: f"Queued again: “{message.subject}” to {message.recipient.email}.",
                      url_for("mail.outbox", state=state if state in {s.value for s in MailStatus} else None))
