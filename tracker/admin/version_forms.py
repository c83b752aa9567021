"""Forms of the catalog-version pages: where a loaded definition goes, and moving students to another version."""
from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import TrackerForm
from ..services.catalog_versions import NAME_MAX
from .forms import ApplyDefinitionForm, DefinitionForm

REPLACE, NEW = "replace", "new"


class VersionedDefinitionForm(DefinitionForm):
    """A definition and the catalog version it goes into: one it replaces, or a new one from a start term."""

    mode = RadioField("Load it as", choices=[SelectChoice(REPLACE, "A replacement of a catalog version"),
                                             SelectChoice(NEW, "A new catalog version")],
                      default=REPLACE, validators=[Optional()],  # not sent: a replacement, as before versions
                      description="Replacing changes the audits of the students who follow that version. A new "
                                  "version changes nobody's audit: only students who start later follow it.")
    version_id = SelectField("Version to replace", choices=[], validators=[Optional()])
    version_name = StringField("Name of the new version", validators=[Optional(), Length(max=NAME_MAX)],
                               description="For example “2026–27”; shown to students as “Catalog 2026–27”.")
    start_term_id = SelectField("In force from", choices=[], validators=[Optional()],
                                description="Students whose start term begins on or after this term's first day "
                                            "follow the new version when they are enrolled.")


class ApplyVersionedDefinitionForm(ApplyDefinitionForm):
    """The previewed definition and where it goes, carried back to be checked again and applied."""

    mode = HiddenField()
    version_id = HiddenField()
    version_name = HiddenField()
    start_term_id = HiddenField()


class VersionFilterForm(TrackerForm):
    """Which students the move page lists (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    current = SelectField("Students following", choices=[], validators=[Optional()])
    submit = SubmitField("Show")


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice drawn as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        """Every ticked value must be one of the choices, said in the page's words."""
        allowed = {str(choice.value) for choice in self.choices}
        if any(str(value) not in allowed for value in self.data or ()):
            raise ValidationError("Choose students of this program only.")


class MoveStudentsForm(TrackerForm):
    """The students to move and the version to move them to; submitting shows the preview (nothing is written)."""

    one_time_submission = False  # a preview: sending it twice is harmless

    students = MultiCheckboxField("Students", choices=[], validators=[Optional()])
    everyone = BooleanField("Every student listed", description="Ticks every student in the list above.")
    target = SelectField("Move them to", choices=[],
                         validators=[InputRequired(message="Choose the catalog version to move them to.")])
    submit = SubmitField("Preview the move")


class ConfirmMoveForm(TrackerForm):
    """The previewed move, carried back to be checked again and applied in one step."""

    students = HiddenField()
    target = HiddenField()
    submit = SubmitField("Move these students")
