"""The new-token form: a name, what the token may do and how long it lasts."""
from wtforms import IntegerField, RadioField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from ..forms import TrackerForm
from ..services.api_tokens import DEFAULT_DAYS, MAX_DAYS, MAX_NAME, MIN_DAYS

# The form offers levels; each is the set of scopes the service gives the token.
LEVELS = {"read": ["read"], "write": ["read", "write"], "admin": ["read", "write", "admin"]}
LEVEL_LABELS = {"read": "Read only", "write": "Read and write", "admin": "Read, write and administer"}


class NewTokenForm(TrackerForm):
    """Make a personal access token."""

    name = StringField("Name", validators=[InputRequired("Name the token."), Length(max=MAX_NAME)],
                       description="What will use it, e.g. “Registrar nightly sync” or “My hours spreadsheet”.")
    level = RadioField("Access", default="read", validators=[InputRequired("Choose what the token may do.")],
                       description="Read: see your records and progress. Write: also log studio sessions.")
    days = IntegerField("Expires after (days)", default=DEFAULT_DAYS,
                        validators=[InputRequired("Enter how many days the token lasts.")],
                        description=f"From {MIN_DAYS} to {MAX_DAYS} days.")
    submit = SubmitField("Make the token")

    def offer(self, scopes: tuple[str, ...]) -> None:
        """Offer the levels whose scopes this user may give."""
        self.level.choices = [(level, LEVEL_LABELS[level]) for level, needs in LEVELS.items()
                              if set(needs) <= set(scopes)]
