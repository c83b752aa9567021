"""Forms for logging in and changing a password."""
from wtforms import BooleanField, EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import TrackerForm
from ..security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


def new_password_field() -> PasswordField:
    """The new password of the change and reset forms, with the length rules of `security.password_problem`."""
    return PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, message=f"Use at least {MIN_PASSWORD_LENGTH} characters."),
            Length(max=MAX_PASSWORD_LENGTH, message=f"Use at most {MAX_PASSWORD_LENGTH} characters."),
        ],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A passphrase of several words works well.",
        render_kw={"autocomplete": "new-password"},
    )


def repeat_password_field() -> PasswordField:
    """The new password once more, which must match `new_password`."""
    return PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two new passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(TrackerForm):
    """Email and password (no one-time token: logging in twice is harmless and should not wait on a write)."""

    one_time_submission = False

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "username"})
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField("Keep me logged in on this device")
    submit = SubmitField("Log in")


class SsoLoginForm(TrackerForm):
    """The "Log in with <provider>" button: a POST, so another site cannot start a login in this browser."""

    one_time_submission = False

    submit = SubmitField("Log in")


class ChangePasswordForm(TrackerForm):
    """The current password, then the new one twice."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    new_password = new_password_field()
    confirm = repeat_password_field()
    submit = SubmitField("Change password")


class ResetPasswordForm(TrackerForm):
    """A new password, twice, chosen through a one-time link (same rules as changing a password)."""

    new_password = new_password_field()
    confirm = repeat_password_field()
    submit = SubmitField("Set password")
