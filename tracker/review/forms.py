"""Forms of the review queue: the filters (GET), a decision on one session, and a decision on several."""
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import TrackerForm
from ..services.review import MAX_NOTE

NOTE_TOO_LONG = f"Use at most {MAX_NOTE} characters."


def int_or_none(value):
    """Select values arrive as strings; an empty or garbled one means 'any'."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class QueueFilterForm(TrackerForm):
    """Narrow the queue by student, studio and term; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    student_id = SelectField("Student", coerce=int_or_none, validate_choice=False)
    studio_id = SelectField("Studio", coerce=int_or_none, validate_choice=False)
    term_id = SelectField("Term", coerce=int_or_none, validate_choice=False)


class DecisionForm(TrackerForm):
    """Approve, reject or send back one session; the note is the reason or what to change."""

    note = TextAreaField(
        "Note to the student", validators=[Length(max=MAX_NOTE, message=NOTE_TOO_LONG)], render_kw={"rows": 3},
        description="Required to reject (the reason) or to send back (what to change); optional when approving.",
    )
    version = HiddenField()  # the version the reviewer saw: a session edited since then is not decided blindly
    next = HiddenField()
    approve = SubmitField("Approve")
    send_back = SubmitField("Send back for changes")
    reject = SubmitField("Reject")

    def decision(self) -> str | None:
        """Which of the three buttons was pressed."""
        for name in ("approve", "reject", "send_back"):
            if getattr(self, name).data:
                return name
        return None


class BulkDecisionForm(TrackerForm):
    """Approve or reject the sessions ticked in the queue (values are 'id:version')."""

    select_all = BooleanField("Select all on this page", render_kw={"data-select-all": "selected"})
    selected = SelectMultipleField("Selected sessions", choices=[], validate_choice=False, widget=ListWidget(),
                                   option_widget=CheckboxInput())
    note = TextAreaField("Reason", validators=[Length(max=MAX_NOTE, message=NOTE_TOO_LONG)], render_kw={"rows": 2},
                         description="Required to reject the selected sessions; every student sees it.")
    approve = SubmitField("Approve selected")
    reject = SubmitField("Reject selected")


class GroupDecisionForm(TrackerForm):
    """"Approve all confirmed" of a group session: hidden 'id:version' values of the rows the page showed."""

    selected = SelectMultipleField("Participants", choices=[], validate_choice=False)
    next = HiddenField()
    approve = SubmitField("Approve all confirmed")
