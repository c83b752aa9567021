"""The e-mail preferences form (one choice per kind of mail the user can get) and the unsubscribe button."""
from __future__ import annotations

from wtforms import RadioField, SubmitField
from wtforms.fields.choices import SelectChoice

from ..forms import TrackerForm
from ..models import MailKind
from ..services.mail import ALLOWED_MODES

# What each choice means, under the kind's question.
HELP = {
    MailKind.SESSION_REVIEWED: "When a supervisor approves, rejects or sends back a session you logged.",
    MailKind.SESSIONS_WAITING: "One e-mail a day listing the sessions you supervise that wait for your review.",
    MailKind.MILESTONE_SIGNED_OFF: "When your advisor or the program office signs off one of your milestones.",
    MailKind.PASSWORD_RESET: "The one-time link the program office makes for you to set your password.",
    MailKind.BOOKING_REMINDER: "The day before a studio booking of yours (“right away” sends it 24 hours ahead).",
}


class PreferencesForm(TrackerForm):
    """Built per user by `preferences_form`: a RadioField named after each kind's code."""

    one_time_submission = False  # saving the same choices twice changes nothing
    submit = SubmitField("Save my choices")


def preferences_form(kinds: list[MailKind], current: dict[MailKind, str], formdata=None) -> PreferencesForm:
    """The form for these kinds, showing the current modes (or the posted ones)."""

    class Form(PreferencesForm):
        pass

    for kind in kinds:
        setattr(Form, kind.value, RadioField(
            kind.label, choices=[SelectChoice(m.value, m.label) for m in ALLOWED_MODES[kind]],
            default=current[kind].value, description=HELP[kind]))
    Form.submit = SubmitField("Save my choices")  # after the choices
    return Form(formdata=formdata) if formdata is not None else Form()


class UnsubscribeForm(TrackerForm):
    """The one button of the unsubscribe page (its token is in the URL)."""

    one_time_submission = False
    submit = SubmitField("Stop these e-mails")
