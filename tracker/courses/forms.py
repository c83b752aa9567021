"""The course record form: a course from the program's catalog (filterable), a term, a status, a grade and, for a
variable-credit course, the credits taken."""
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired

from ..choices import enum_choices
from ..forms import TrackerForm
from ..models import LETTER_GRADES, CourseStatus


def int_or_none(value):
    """Coerce a select's value to an int; the empty placeholder becomes None."""
    if value in (None, ""):
        return None
    return int(value)


def blank_none(value):
    """The empty choice means 'no value'."""
    return value or None


GRADE_CHOICES = ([SelectChoice("", "No grade yet")] + [SelectChoice(g, g) for g in LETTER_GRADES]
                 + [SelectChoice("P", "P (pass)"), SelectChoice("NP", "NP (no pass)")])


class CourseRecordForm(TrackerForm):
    """Add or edit one course record; the service checks the catalog, the grade rules and duplicates."""

    find = StringField(
        "Find a course",
        description="Type part of a code or title to narrow the list below.",
        render_kw={"data-filter-select": "course_id", "autocomplete": "off", "type": "search"},
    )
    course_id = SelectField("Course", coerce=int_or_none, validators=[InputRequired("Choose a course.")],
                            invalid_choice_message="Choose a course from your program's catalog.")
    # Always on the page (the pages work without JavaScript; app.js hides it while a fixed-credit course is
    # chosen). The service checks it against the course's range, and ignores it for a fixed-credit course.
    credits = StringField(
        "Credits (variable-credit courses only)",
        description="Only for a course listed with a range, such as “1–3 cr”: how many credits you take. "
                    "Leave it empty for any other course.",
        render_kw={"inputmode": "decimal", "autocomplete": "off", "data-variable-credits": "course_id"},
    )
    term_id = SelectField("Term", coerce=int_or_none, validators=[InputRequired("Choose a term.")],
                          invalid_choice_message="Choose a term from the list.")
    status = SelectField("Status", choices=enum_choices(CourseStatus), validators=[InputRequired("Choose a status.")],
                         invalid_choice_message="Choose a status from the list.")
    grade = SelectField(
        "Grade", choices=GRADE_CHOICES, coerce=blank_none, invalid_choice_message="Choose a grade from the list.",
        description="Only for a completed course: A to F, or P/NP for a pass/fail course.",
    )
    submit = SubmitField("Add course")
