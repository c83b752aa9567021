"""The what-if form: another concentration and/or track (a GET form: it changes nothing, so no CSRF token)."""
from wtforms import SelectField, SubmitField
from wtforms.validators import InputRequired

from ..forms import TrackerForm


class WhatIfForm(TrackerForm):
    """Pick the concentration and track to audit the same records under."""

    class Meta:
        csrf = False

    concentration = SelectField("Concentration", validators=[InputRequired()], choices=[])
    track = SelectField("Track", validators=[InputRequired()], choices=[])  # the program's tracks, set by the view
    submit = SubmitField("Compare")
