"""The report's filters, read from the query string (no CSRF token: it changes nothing)."""
from wtforms import SelectField, SubmitField
from wtforms.validators import Optional

from ..forms import TrackerForm


class ReconciliationFilterForm(TrackerForm):
    """Narrow the report by term, studio and student; the choices are filled in by the view."""

    class Meta:
        csrf = False

    term_id = SelectField("Term", validators=[Optional()], validate_choice=False)
    studio_id = SelectField("Studio", validators=[Optional()], validate_choice=False)
    student_id = SelectField("Student", validators=[Optional()], validate_choice=False)
    submit = SubmitField("Show")
