"""Advising forms: the advisor filter (admins), the milestone sign-off and the audit exceptions."""
from wtforms import DateField, DecimalField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..domain import LETTER_GRADES
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


# ---------------------------------------------------------------- audit exceptions

_JUSTIFICATION = dict(validators=[DataRequired(message="A justification is required."), Length(max=4000)],
                      render_kw={"rows": 2}, description="Why this exception is made; kept with it for good.")


class SubstitutionForm(TrackerForm):
    """One of the student's courses counts toward a requirement."""

    course_record_id = SelectField("Course taken", validators=[DataRequired(message="Choose a course.")])
    requirement_key = SelectField("Counts toward", validators=[DataRequired(message="Choose a requirement.")])
    justification = TextAreaField("Justification", **_JUSTIFICATION)
    submit = SubmitField("Record substitution")


class WaiverForm(TrackerForm):
    """All or part of a requirement is waived."""

    requirement_key = SelectField("Requirement", validators=[DataRequired(message="Choose a requirement.")])
    amount = DecimalField("Amount waived", places=2, validators=[Optional()],
                          description="In the requirement's unit (credits, courses, terms…); blank waives it whole.")
    justification = TextAreaField("Justification", **_JUSTIFICATION)
    submit = SubmitField("Record waiver")


class TransferForm(TrackerForm):
    """Credit accepted from another institution."""

    transfer_title = StringField("Course title", validators=[DataRequired(), Length(max=200)])
    institution = StringField("Institution", validators=[DataRequired(), Length(max=200)])
    transfer_credits = DecimalField("Credits", places=1, validators=[InputRequired(message="Enter the credits.")])
    earned_on = DateField("Earned on", validators=[Optional()],
                          description="Optional: when the course was completed there. A program may not count "
                                      "transfer credit older than its limit.")
    transfer_grade = SelectField("Grade there", validators=[Optional()],
                                 choices=[SelectChoice("", "No grade recorded")]
                                 + [SelectChoice(g, g) for g in LETTER_GRADES + ("P",)],
                                 description="Optional: a program may not count transfer credit below a grade.")
    course_id = SelectField("Equivalent catalog course", validators=[Optional()], description="Optional.")
    justification = TextAreaField("Justification", **_JUSTIFICATION)
    submit = SubmitField("Record transfer credit")
