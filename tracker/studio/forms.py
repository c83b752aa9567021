"""The studio session form. It has no status, hours, student or reviewer field: those are never the student's to set."""
from wtforms import DateField, HiddenField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length

from ..courses.forms import blank_none, int_or_none
from ..choices import enum_choices
from ..forms import TrackerForm
from ..models import StudioActivity, StudioRole

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]  # browsers send seconds when the step allows them


def quarter_hour_field(label: str, required: str, example: str, description: str = "") -> TimeField:
    """A required time of day on the quarter-hour grid studios are booked and logged in (the browser's picker steps
    15 minutes); `required` is the message when it is left blank, `example` a time the error message shows."""
    return TimeField(label, format=TIME_FORMATS, validators=[InputRequired(required)],
                     invalid_value_message=f"Enter a time like {example}.", render_kw={"step": 900},
                     description=description)


class SessionForm(TrackerForm):
    """Log a session: the term follows from the date and the hours from the times."""

    date = DateField("Date", validators=[InputRequired("Enter the date of the session.")],
                     invalid_value_message="Enter a date like 2026-03-14.",
                     description="The term follows from the date.")
    studio_id = SelectField("Studio", coerce=int_or_none, validators=[InputRequired("Choose a studio.")],
                            invalid_choice_message="Choose one of the active studios.")
    start_time = quarter_hour_field("Start", "Enter the start time.", "14:00")
    end_time = quarter_hour_field("End", "Enter the end time.", "17:30",
                                  "Quarter hours (:00, :15, :30, :45); hours are computed for you.")
    activity = SelectField("Activity", choices=[SelectChoice("", "Choose…")] + enum_choices(StudioActivity),
                           validators=[InputRequired("Choose the activity.")],
                           invalid_choice_message="Choose an activity from the list.")
    project = StringField("Project title", validators=[InputRequired("Enter the project's title."), Length(max=200)])
    role = SelectField("Your role", choices=[SelectChoice("", "Choose…")] + enum_choices(StudioRole),
                       validators=[InputRequired("Choose your role.")],
                       invalid_choice_message="Choose a role from the list.")
    supervisor_id = SelectField("Supervising faculty member", coerce=int_or_none,
                                validators=[InputRequired("Choose the supervising faculty member.")],
                                invalid_choice_message="Choose an active faculty member as the supervisor.")
    notes = TextAreaField("Notes", validators=[Length(max=2000)], render_kw={"rows": 3},
                          description="Optional: what you worked on, who else was there.")
    submit = SubmitField("Log session")


class EditSessionForm(SessionForm):
    """Edit (or resubmit) a session; `version` detects a review that happened while the form was open."""

    version = HiddenField()
    submit = SubmitField("Save changes")


PARTICIPANT_ROWS = 3  # blank rows on the log form (tracker/services/group_sessions.MAX_PARTICIPANTS)


class LogSessionForm(SessionForm):
    """Log a session, optionally naming the other students who took part (a group session): each named student
    confirms on their own dashboard. The rows' student choices are filled by the view."""

    participant_1_student_id = SelectField("Other student 1", coerce=int_or_none, validate_choice=True,
                                           invalid_choice_message="Choose a student from the list.")
    participant_1_role = SelectField("Role of other student 1", coerce=blank_none, choices=[SelectChoice("", "Choose…")] + enum_choices(StudioRole),
                                     invalid_choice_message="Choose a role from the list.")
    participant_2_student_id = SelectField("Other student 2", coerce=int_or_none, validate_choice=True,
                                           invalid_choice_message="Choose a student from the list.")
    participant_2_role = SelectField("Role of other student 2", coerce=blank_none, choices=[SelectChoice("", "Choose…")] + enum_choices(StudioRole),
                                     invalid_choice_message="Choose a role from the list.")
    participant_3_student_id = SelectField("Other student 3", coerce=int_or_none, validate_choice=True,
                                           invalid_choice_message="Choose a student from the list.")
    participant_3_role = SelectField("Role of other student 3", coerce=blank_none, choices=[SelectChoice("", "Choose…")] + enum_choices(StudioRole),
                                     invalid_choice_message="Choose a role from the list.")

    def participant_rows(self):
        """(row number, student field, role field) for each participant row, for the template and the view."""
        return [(n, self[f"participant_{n}_student_id"], self[f"participant_{n}_role"])
                for n in range(1, PARTICIPANT_ROWS + 1)]
