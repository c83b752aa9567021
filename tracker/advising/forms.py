"""Advising forms: the advisor filter (admins) and the milestone sign-off."""
from wtforms import DateField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..forms import TrackerForm


class AdvisorFilterForm(TrackerForm):
    """Narrow the students list to one advisor's advisees (a GET form, no CSRF token)."""

    class Meta:
        csrf = False

    advisor = SelectField("Advisor", choices=[])
    submit = SubmitField("Filter")


class SignOffForm(TrackerForm):
    """Sign a milestone of the student's track off: which one, when, and a note."""

    # The service checks the milestone belongs to the student's track and says so in words.
    kind = SelectField("Milestone", validators=[InputRequired(message="Choose a milestone.")], choices=[],
                       validate_choice=False)
    completed_on = DateField("Date passed", validators=[InputRequired(message="Enter the date.")],
                             description="The day the milestone was passed; not in the future.")
    note = TextAreaField("Note", validators=[Length(max=2000)],
                         description="Optional, e.g. the committee members or the exam result.",
                         render_kw={"rows": 3})
    submit = SubmitField("Sign off")
