"""Booking views: a studio's week calendar, the booking form, my bookings, a booking's page, cancelling, the rules."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from ..forms import attach_error
from ..markdown import render_doc
from ..models import BookingKind, BookingStatus, Role
from ..permissions import (
    current_actor,
    get_booking_or_404,
    may_cancel_booking,
    may_see_booker,
    role_required,
)
from ..query_args import date_arg, id_arg, text_arg
from ..services import ServiceError, bookings
from . import bp
from .forms import BookingForm

EVERYONE = (Role.STUDENT, Role.FACULTY, Role.ADMIN)


def _time_arg(name: str) -> time | None:
    """A query argument holding a time like 14:00, or None."""
    value = text_arg(name, 8)
    try:
        return time.fromisoformat(value) if len(value) == 5 else None
    except ValueError:
        return None


def _booking_page(booking_id: int) -> str:
    """The booking's page, for its reminder e-mail."""
    return url_for("bookings.detail", booking_id=booking_id)


def _what(booking) -> str:
    return (f"{booking.studio.name} on {booking.date:%a %-d %b %Y}, "
            f"{booking.start_time:%H:%M}–{booking.end_time:%H:%M}")


@bp.route("")
@role_required(*EVERYONE)
def index():
    """The week calendar of one studio (?studio=<id>&week=<a date in the week>): free and taken slots."""
    studios = bookings.bookable_studios()
    if "studio" in request.args:
        wanted = id_arg("studio")
        studio = next((s for s in studios if s.id == wanted), None)
        if studio is None:  # garbled, impossible, retired or unknown
            abort(404)
    else:
        studio = studios[0] if studios else None
    grid = bookings.week_grid(studio, date_arg("week") or date.today()) if studio else None
    user = current_actor()
    return render_template(
        "bookings/index.html", studios=studios, studio=studio, grid=grid, duration=bookings.duration,
        sees_booker=lambda b: may_see_booker(user, b),
        opens_booking=lambda b: user.is_admin or b.user_id == user.id or b.booked_by_id == user.id,
    )


def _fill_choices(form: BookingForm) -> None:
    form.studio_id.choices = [SelectChoice("", "Choose a studio…")] + [
        SelectChoice(s.id, s.name) for s in bookings.bookable_studios()]
    if current_user.is_admin:
        form.for_user_id.choices = [SelectChoice("", "Myself")] + [
            SelectChoice(p.id, f"{p.display_name} ({p.role.label})") for p in bookings.people_to_book_for()]
    else:
        del form.for_user_id
        del form.block


def _prefill(form: BookingForm) -> None:
    """From a free slot of the calendar: ?studio=&date=&start=&end= (anything garbled is left out)."""
    form.studio_id.data = id_arg("studio")
    form.date.data = date_arg("date")
    start = _time_arg("start")
    form.start_time.data = start
    end = _time_arg("end")
    if end is None and start is not None and start.hour < 23:
        end = (datetime.combine(date.today(), start) + timedelta(hours=1)).time()
    form.end_time.data = end


@bp.route("/new", methods=["GET", "POST"])
@role_required(*EVERYONE)
def new():
    """Book a studio slot (admins: for someone, or block the time)."""
    form = BookingForm()
    _fill_choices(form)
    if not form.is_submitted():
        _prefill(form)
    if form.validate_on_submit():
        actor = current_actor()
        blocking = "block" in form and form.block.data
        try:
            if blocking:
                booking = bookings.block(actor, form.studio_id.data, form.date.data, form.start_time.data,
                                         form.end_time.data, form.purpose.data or "")
            else:
                booking = bookings.book(actor, form.studio_id.data,
                                        form.for_user_id.data if "for_user_id" in form else None,
                                        form.date.data, form.start_time.data, form.end_time.data,
                                        form.purpose.data or "", form.project.data or "",
                                        booking_link=_booking_page)
        except ServiceError as err:
            attach_error(form, err)
        else:
            flash(("Blocked " if blocking else "Booked ") + _what(booking) + ".", "success")
            return redirect(url_for("bookings.mine"))
    return render_template("bookings/form.html", form=form)


@bp.route("/mine")
@role_required(*EVERYONE)
def mine():
    """The user's upcoming bookings (with cancel buttons) and their past and cancelled ones."""
    found = bookings.my_bookings(current_actor())
    return render_template("bookings/mine.html", upcoming=found.upcoming, past=found.past,
                           log_within=timedelta(days=bookings.LOG_WITHIN_DAYS), now=datetime.now())


@bp.route("/<int:booking_id>")
@role_required(*EVERYONE)
def detail(booking_id: int):
    """A booking's page: for its person, whoever made it, a student's advisor and admins."""
    booking = get_booking_or_404(booking_id)
    ended = bookings.has_ended(booking)
    return render_template("bookings/detail.html", booking=booking, events=bookings.booking_history(booking.id),
                           ended=ended, may_cancel=may_cancel_booking(current_user, booking)
                           and booking.status == BookingStatus.ACTIVE and not ended)


@bp.route("/<int:booking_id>/cancel", methods=["POST"])
@role_required(*EVERYONE)
def cancel(booking_id: int):
    """Cancel a booking or block (POST only); the slot is free at once."""
    booking = get_booking_or_404(booking_id)
    if not may_cancel_booking(current_user, booking):
        abort(404)
    try:
        bookings.cancel(current_actor(), booking)
    except ServiceError as err:
        flash(err.message, "danger")
        return redirect(url_for("bookings.detail", booking_id=booking_id))
    what = "block" if booking.kind == BookingKind.BLOCK else "booking"
    flash(f"Cancelled the {what} of {_what(booking)}."
          + (" It was a late cancellation, which your program records." if booking.late_cancellation else ""),
          "success")
    return redirect(url_for("bookings.mine"))


@bp.route("/rules")
@role_required(*EVERYONE)
def rules():
    """How studio booking works, for students and directors (docs/studio-bookings.md, the one source)."""
    return render_template("bookings/rules.html", body=render_doc("studio-bookings.md"))
