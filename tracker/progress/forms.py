"""The what-if form: another concentration, track and/or catalog version (a GET form: it changes nothing, so no CSRF
token)."""
from wtforms import SelectField, SubmitField
from wtforms.validators import InputRequired, Optional

from ..forms import TrackerForm


class WhatIfForm(TrackerForm):
    """Pick the concentration and track to audit the same records under."""

    class Meta:
        csrf = False

    concentration = SelectField("Concentration", validators=[InputRequired()], choices=[])
    track = SelectField("Track", validators=[InputRequired()], choices=[])  # the program's tracks, set by the view
    # "" = the student's own catalog version; "newest" = the program's newest, offered when the student is on an older
    # one (set by the view).
    catalog = SelectField("Catalog", validators=[Optional()], choices=[])
    submit = SubmitField("Compare")
