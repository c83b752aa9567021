"""Calendar-feed forms: making the feed addresses, and replacing them (buttons with their CSRF tokens)."""
from wtforms import SubmitField

from ..forms import TrackerForm


class IssueForm(TrackerForm):
    """Make the user's feed addresses (the first time)."""

    submit = SubmitField("Make my calendar addresses")


class RotateForm(TrackerForm):
    """Replace the feed token: every address made so far stops working."""

    submit = SubmitField("Rotate: replace my addresses")
