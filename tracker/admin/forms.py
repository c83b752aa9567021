"""Forms of the administration pages; choices that come from the database are filled in by the views."""
from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..choices import enum_choices
from ..forms import TrackerForm
from ..models import CourseCategory, Role



class FilterForm(TrackerForm):
    """A GET form of filters: no CSRF token (it changes nothing), values read from the query string."""

    class Meta:
        csrf = False


# ---------------------------------------------------------------- program setup

class TermForm(TrackerForm):
    """A term's name and dates."""

    name = StringField("Name", validators=[DataRequired(), Length(max=64)], description="For example “Fall 2026”.")
    start_date = DateField("First day", validators=[DataRequired(message="Enter the first day of the term.")])
    end_date = DateField("Last day", validators=[DataRequired(message="Enter the last day of the term.")])
    submit = SubmitField("Save term")


class StudioForm(TrackerForm):
    """A studio room."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    location = StringField("Location", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Save studio")


class EnsembleForm(TrackerForm):
    """An ensemble."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField("Save ensemble")


class ConcentrationForm(TrackerForm):
    """A new concentration of a program."""

    program_id = SelectField("Program", validators=[DataRequired(message="Choose the program.")])
    code = StringField("Code", validators=[DataRequired(), Length(max=32)],
                       description="Lower-case, used in program definitions, e.g. production.")
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    submit = SubmitField("Add concentration")


class RenameConcentrationForm(TrackerForm):
    """A concentration's new name."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    submit = SubmitField("Rename")


class _CourseIdentity(TrackerForm):
    # Defined first so that program and code come first on the new-course form (fields keep creation order).
    program_id = SelectField("Program", validators=[DataRequired(message="Choose the program.")])
    code = StringField("Code", validators=[DataRequired(), Length(max=32)], description="For example MPT 601.")


class CourseEditForm(TrackerForm):
    """A course's editable settings (its code and program are fixed once created)."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    credits = DecimalField("Credits", places=1, validators=[InputRequired(message="Enter the number of credits.")],
                           description="For a variable-credit course, the least a record may carry.")
    max_credits = DecimalField(
        "Maximum credits (variable-credit course)", places=1, validators=[Optional()],
        description="Only for a variable-credit course (independent study, topics): the most credits a student may "
                    "take in one record. Leave it blank for a fixed-credit course.")
    category = SelectField("Category", choices=enum_choices(CourseCategory))
    concentration_id = SelectField("Concentration", validators=[Optional()],
                                   description="Required for concentration courses.")
    pass_fail = BooleanField("Graded pass/fail")
    description = TextAreaField("Description", validators=[Optional(), Length(max=4000)], render_kw={"rows": 3})
    submit = SubmitField("Save course")


class CourseForm(_CourseIdentity, CourseEditForm):
    """A new catalog course."""


class CourseFilterForm(FilterForm):
    """Filter the course catalog."""

    program = SelectField("Program", validators=[Optional()])
    state = SelectField("State", choices=[SelectChoice("", "Active and retired"), SelectChoice("active", "Active"),
                                          SelectChoice("retired", "Retired")],
                        validators=[Optional()])
    q = StringField("Code or title", validators=[Optional(), Length(max=64)])
    submit = SubmitField("Filter")


class DefinitionForm(TrackerForm):
    """A program definition, typed or pasted in the box or uploaded as a .toml file."""

    definition = TextAreaField(
        "Program definition (TOML)", validators=[Optional()],
        render_kw={"rows": 24, "spellcheck": "false"},
        description="Every table, kind and setting is explained in the program definition reference (linked "
                    "above). Nothing changes until you apply the previewed changes.",
    )
    upload = FileField("…or upload a .toml file", validators=[FileAllowed(["toml"], "Upload a .toml file.")],
                       description="A file, when given, replaces the text in the box.")
    submit = SubmitField("Preview changes")


class ApplyDefinitionForm(TrackerForm):
    """The previewed definition, carried back to be checked again and applied."""

    definition = HiddenField()
    program_id = HiddenField()
    submit = SubmitField("Apply changes")


# ---------------------------------------------------------------- accounts

class UserFilterForm(FilterForm):
    """Filter the user list."""

    role = SelectField("Role", choices=[SelectChoice("", "All roles")] + enum_choices(Role), validators=[Optional()])
    q = StringField("Name or email", validators=[Optional(), Length(max=120)])
    submit = SubmitField("Filter")


class NewUserForm(TrackerForm):
    """A new account; students also get their enrollment."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    display_name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=enum_choices(Role))
    program_id = SelectField("Program", validators=[Optional()], description="Students only.")
    concentration_id = SelectField("Concentration", validators=[Optional()], description="Students only.")
    # Choices are the programs' own tracks (set by the view); the service checks the track is the chosen program's.
    track = SelectField("Track", choices=[], validators=[Optional()], validate_choice=False,
                        description="Students only; one of the program's tracks.")
    start_term_id = SelectField("Start term", validators=[Optional()], description="Students only.")
    advisor_id = SelectField("Advisor", validators=[Optional()], description="Students only; active faculty.")
    submit = SubmitField("Create account")


class ImportForm(TrackerForm):
    """A CSV file of students to check (dry run)."""

    program_id = SelectField("Program the students join", validators=[DataRequired(message="Choose the program.")])
    csv_file = FileField(
        "CSV file",
        validators=[FileRequired("Choose a CSV file."), FileAllowed(["csv", "txt"], "Upload a .csv file.")],
        description="Columns: email, name, concentration (code or name), track (one of the program's tracks, code "
                    "or label), "
                    "start term (its name), advisor (a faculty email). The first row names the columns.",
    )
    submit = SubmitField("Check the file")


class ImportApplyForm(TrackerForm):
    """The checked file, carried back to be checked again and imported."""

    program_id = HiddenField()
    csv_text = HiddenField()
    submit = SubmitField("Import the students")


class AdvisorForm(TrackerForm):
    """Assign a student's advisor."""

    advisor_id = SelectField("Advisor", validators=[DataRequired(message="Choose an advisor.")])
    submit = SubmitField("Assign advisor")


class EnrollmentForm(TrackerForm):
    """Move a student to another concentration or track."""

    concentration_id = SelectField("Concentration", validators=[DataRequired()])
    track = SelectField("Track", choices=[])  # the student's program's tracks, set by the view
    submit = SubmitField("Save concentration and track")


# ---------------------------------------------------------------- history

class HistoryFilterForm(FilterForm):
    """Filter the history browser."""

    actor = SelectField("Changed by", validators=[Optional()])
    entity_type = SelectField("Record type", validators=[Optional()])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    subject = HiddenField()
    submit = SubmitField("Filter")
