"""The booking form: studio, date, times, purpose, project; admins also choose the person, or block the time."""
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from ..courses.forms import int_or_none
from ..forms import TrackerForm
from ..studio.forms import quarter_hour_field


class BookingForm(TrackerForm):
    """Book a studio slot. `for_user_id` and `block` exist for admins only (the view removes them for others)."""

    studio_id = SelectField("Studio", coerce=int_or_none, validators=[InputRequired("Choose a studio.")],
                            invalid_choice_message="Choose one of the studios.")
    date = DateField("Date", validators=[InputRequired("Enter the date.")],
                     invalid_value_message="Enter a date like 2026-03-14.")
    start_time = quarter_hour_field("Start", "Enter the start time.", "14:00")
    end_time = quarter_hour_field("End", "Enter the end time.", "16:00", "Quarter hours (:00, :15, :30, :45).")
    purpose = StringField("Purpose", validators=[InputRequired("Say what the booking is for."), Length(max=200)],
                          description="What you will do, e.g. “Tracking drums for the EP”.")
    project = StringField("Project (optional)", validators=[Length(max=200)],
                          description="The project's title; it is filled in when you log the session.")
    for_user_id = SelectField("For", coerce=int_or_none, invalid_choice_message="Choose a person from the list.")
    block = BooleanField("Block this time instead of booking it",
                         description="Nobody can book blocked time (maintenance, a class); the purpose is shown as "
                                     "the reason.")
    submit = SubmitField("Book")
