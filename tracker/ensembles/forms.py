"""The ensemble participation form."""
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..courses.forms import int_or_none
from ..choices import enum_choices
from ..forms import TrackerForm
from ..models import EnsembleRole


class EnsembleRecordForm(TrackerForm):
    """Add or edit one ensemble record: ensemble, term, role and notes."""

    ensemble_id = SelectField("Ensemble", coerce=int_or_none, validators=[InputRequired("Choose an ensemble.")],
                              invalid_choice_message="Choose one of the school's active ensembles.")
    term_id = SelectField("Term", coerce=int_or_none, validators=[InputRequired("Choose a term.")],
                          invalid_choice_message="Choose a term from the list.")
    role = SelectField("Your role", choices=enum_choices(EnsembleRole), validators=[InputRequired("Choose your role.")],
                       invalid_choice_message="Choose a role from the list.")
    notes = TextAreaField("Notes", validators=[Length(max=2000)], description="Optional: concerts, pieces, duties.",
                          render_kw={"rows": 3})
    submit = SubmitField("Add ensemble")
