"""Review views: the queue (with bulk decisions), and one session's page with its decision form."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from ..forms import attach_error
from ..extensions import db
from ..models import Role
from ..permissions import current_actor, get_group_sessions_or_404, role_required
from ..query_args import id_arg, page_arg, parse_count, parse_id, text_arg
from ..security import is_safe_next
from ..services import ServiceError, group_sessions, review
from ..services.studio import session_history
from ..formatting import format_number
from ..templating import format_date, url_with
from . import bp
from .forms import BulkDecisionForm, DecisionForm, GroupDecisionForm, QueueFilterForm


def _back(target: str | None) -> str:
    """Where to go after a decision: the page it came from (inside the app only), else the queue."""
    return target if is_safe_next(target) else url_for("review.queue")


def _session_page(session_id: int) -> str:
    """The page a decision's notification links the student to."""
    return url_for("studio.detail", session_id=session_id)


def _selected(values: list[str]) -> list[tuple[int, int | None]]:
    """Ticked boxes are 'id:version'; anything garbled (or an id no row can have) is ignored."""
    out = []
    for value in values or []:
        session_id, _, version = str(value).partition(":")
        if parse_id(session_id) is not None:
            out.append((parse_id(session_id), parse_count(version)))
    return out


def _bulk_message(result: review.BulkResult, decision: str | None) -> str:
    verb = "Approved" if decision == "approve" else "Rejected"
    parts = [f"{verb} {result.decided} session{'s' if result.decided != 1 else ''}."]
    if result.already_reviewed:
        parts.append(f"{result.already_reviewed} had already been reviewed or withdrawn; they were left as they are.")
    if result.changed:
        parts.append(f"{result.changed} changed after you loaded the page; review them again.")
    if result.awaiting:
        parts.append(f"{result.awaiting} {'are' if result.awaiting != 1 else 'is'} still waiting for the student's "
                     "confirmation of a group session; decide them once they confirm.")
    if result.unavailable:
        parts.append(f"{result.unavailable} could not be decided by you (not in your queue, or in a closed term).")
    return " ".join(parts)


@bp.route("", methods=["GET", "POST"])
@role_required(Role.FACULTY, Role.ADMIN)
def queue():
    """Sessions waiting for the reviewer, oldest first, filterable; POST approves or rejects the ticked ones."""
    user = current_actor()
    filters_form = QueueFilterForm(formdata=request.args)
    # The ids are read with the bounded parser: the form's own coercion would pass 10**30 on to SQL.
    filters = review.QueueFilters(id_arg("student_id"), id_arg("studio_id"), id_arg("term_id"))
    bulk = BulkDecisionForm()
    if bulk.validate_on_submit():
        decision = "approve" if bulk.approve.data else "reject" if bulk.reject.data else None
        try:
            result = review.decide_many(_selected(bulk.selected.data), decision, bulk.note.data, actor=user,
                                         session_link=_session_page)
        except ServiceError as err:
            attach_error(bulk, err)
        else:
            flash(_bulk_message(result, decision), "success" if result.decided else "warning")
            return redirect(url_with())
    page = db.paginate(review.queue_query(user, filters), page=page_arg(),
                       per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)
    if not page.items and page.page > 1 and page.pages:
        return redirect(url_with(page=page.pages))
    rows = review.queue_rows(page.items, user)
    students, studios, terms = review.filter_choices(user)
    filters_form.student_id.choices = [SelectChoice("", "All students")] + [SelectChoice(*s) for s in students]
    filters_form.studio_id.choices = [SelectChoice("", "All studios")] + [SelectChoice(*s) for s in studios]
    filters_form.term_id.choices = [SelectChoice("", "All terms")] + [SelectChoice(*t) for t in terms]
    return render_template("review/queue.html", page=page, rows=rows, filters_form=filters_form, bulk=bulk,
                           filtered=any((filters.student_id, filters.studio_id, filters.term_id)))


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@role_required(Role.FACULTY, Role.ADMIN)
def decide(session_id: int):
    """One session with its history, and the form to approve, reject or send it back."""
    user = current_actor()
    studio_session = review.reviewable_or_none(user, session_id)
    if studio_session is None:
        abort(404)
    form = DecisionForm()
    if not form.is_submitted():
        form.version.data = studio_session.version
        form.next.data = text_arg("next", 2000)
    if form.validate_on_submit():
        student = studio_session.student.display_name
        day, hours = format_date(studio_session.date), format_number(studio_session.hours)
        decision = form.decision()
        try:
            review.decide(studio_session, decision, form.note.data, actor=user, session_link=_session_page,
                          expected_version=parse_count(form.version.data))
        except ServiceError as err:
            if err.field:
                attach_error(form, err)
                return render_template("review/decide.html", session=studio_session, form=form,
                                       events=session_history(studio_session.id), back=_back(form.next.data))
            flash(err.message, "warning")
            return redirect(_back(form.next.data))
        verb = {"approve": "Approved", "reject": "Rejected", "send_back": "Sent back"}[decision]
        flash(f"{verb} {student}'s {hours}-hour session of {day}.", "success")
        return redirect(_back(form.next.data))
    return render_template("review/decide.html", session=studio_session, form=form,
                           events=session_history(studio_session.id),
                           back=_back(form.next.data))


@bp.route("/groups/<int:group_id>")
@role_required(Role.FACULTY, Role.ADMIN)
def group(group_id: int):
    """A group session in one place: every participant's row (that this reviewer reviews) with their role,
    confirmation, flags and decision, "Approve all confirmed", and the history of every step for every student."""
    sessions = get_group_sessions_or_404(group_id)
    rows = review.queue_rows(sessions)
    here = url_for("review.group", group_id=group_id)
    return render_template("review/group.html", group_id=group_id, rows=rows, here=here,
                           events=group_sessions.group_history([s.id for s in sessions]),
                           back=_back(text_arg("next", 2000)))


@bp.route("/groups/<int:group_id>/decide", methods=["POST"])
@role_required(Role.FACULTY, Role.ADMIN)
def group_decide(group_id: int):
    """Approve every confirmed participant of a group session still waiting for review (POST; the page sends the
    version of each row it showed, so a row changed since is left for another look)."""
    sessions = get_group_sessions_or_404(group_id)
    form = GroupDecisionForm()
    if not form.validate_on_submit():
        flash("This form is out of date. Reload the page and send it again.", "warning")
        return redirect(_back(form.next.data))
    try:
        result = group_sessions.approve_confirmed(sessions, _selected(form.selected.data), actor=current_actor(),
                                                  session_link=_session_page)
    except ServiceError as err:
        flash(err.message, "warning")
    else:
        flash(_bulk_message(result, "approve"), "success" if result.decided else "warning")
    return redirect(_back(form.next.data))
