"""Calendar-feed views: the user's page of feed addresses (make them, replace them), the guide, and the two public
feeds a calendar app fetches by their secret address."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..forms import attach_error
from ..markdown import render_doc
from ..models import Role, Studio
from ..permissions import current_actor, role_required
from ..services import ServiceError
from ..services import calendar_feeds as feeds
from . import bp
from .forms import IssueForm, RotateForm
from .ics import render

ALL_ROLES = (Role.STUDENT, Role.FACULTY, Role.ADMIN)


def _zone() -> ZoneInfo:
    """The school's time zone (APP_TIMEZONE, checked when the app starts)."""
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def _addresses(token: str, studios: list[Studio]) -> dict:
    """The feed addresses, absolute, as https (or http) and as webcal:// (which opens the calendar app)."""
    def both(url: str) -> dict:
        return {"url": url, "webcal": "webcal://" + url.split("://", 1)[1]}

    return {"mine": both(url_for("calendar.mine_feed", token=token, _external=True)),
            "studios": [(studio, both(url_for("calendar.studio_feed", token=token, studio_id=studio.id,
                                              _external=True))) for studio in studios]}


def _page(issue_form: IssueForm | None = None, rotate_form: RotateForm | None = None, status: int = 200):
    token = current_user.calendar_token
    addresses = _addresses(token, feeds.feed_studios()) if token else None
    return render_template("calendar/index.html", addresses=addresses, issue_form=issue_form or IssueForm(),
                           rotate_form=rotate_form or RotateForm(), zone=current_app.config["APP_TIMEZONE"],
                           past_days=feeds.PAST_DAYS, staff=not current_user.is_student), status


@bp.route("")
@role_required(*ALL_ROLES)
def index():
    """The user's calendar feed addresses with how to subscribe to them, or the button that makes them."""
    return _page()


@bp.route("/token", methods=["POST"])
@role_required(*ALL_ROLES)
def token_new():
    """Make the user's feed addresses (their token), the first time they ask."""
    form = IssueForm()
    if not form.validate_on_submit():
        attach_error(form, ServiceError("The form expired; send it again."))
        return _page(issue_form=form, status=400)
    try:
        feeds.issue_token(current_actor())
    except ServiceError as err:
        attach_error(form, err)
        return _page(issue_form=form, status=400)
    flash("Your calendar addresses are ready. Keep them to yourself: anyone with one sees that calendar.", "success")
    return redirect(url_for("calendar.index"))


@bp.route("/token/rotate", methods=["POST"])
@role_required(*ALL_ROLES)
def token_rotate():
    """Replace the user's feed token: every address made with the old one stops working at once."""
    form = RotateForm()
    if not form.validate_on_submit():
        attach_error(form, ServiceError("The form expired; send it again."))
        return _page(rotate_form=form, status=400)
    try:
        feeds.rotate_token(current_actor())
    except ServiceError as err:
        attach_error(form, err)
        return _page(rotate_form=form, status=400)
    flash("Your calendar addresses were replaced; the old ones no longer work. Subscribe again with the new ones.",
          "success")
    return redirect(url_for("calendar.index"))


@bp.route("/guide")
@role_required(*ALL_ROLES)
def guide():
    """How the feeds work and how to subscribe in each calendar app (docs/calendar-feeds.md, one source)."""
    return render_template("calendar/guide.html", body=render_doc("calendar-feeds.md"))


# ---------------------------------------------------------------- the feeds (public: the token is the key)

def _owner_or_404(token: str):
    user = feeds.user_by_token(token)
    if user is None:
        abort(404)
    return user


def _today():
    return datetime.now(_zone()).date()


def _ics(feed: feeds.Feed, filename: str):
    zone = _zone()
    body = render(feed, zone=zone, domain=request.host.lower())
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    # The address is a secret: no shared cache keeps the feed, and no search engine lists it.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/<token>/mine.ics")
def mine_feed(token: str):
    """The token owner's own studio time: their bookings and studio sessions, as iCalendar."""
    user = _owner_or_404(token)
    return _ics(feeds.mine_feed(user, today=_today()), "studio-time.ics")


@bp.route("/<token>/studio/<int:studio_id>.ics")
def studio_feed(token: str, studio_id: int):
    """One studio's bookings, blocked time and closures as iCalendar, with names only for staff."""
    user = _owner_or_404(token)
    studio = db.session.get(Studio, studio_id)
    if studio is None:
        abort(404)
    return _ics(feeds.studio_feed(user, studio, today=_today()), f"studio-{studio.id}.ics")
