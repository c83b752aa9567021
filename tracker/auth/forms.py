"""Forms for logging in and changing a password."""
from wtforms import BooleanField, EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import TrackerForm


class LoginForm(TrackerForm):
    """Email and password (no one-time token: logging in twice is harmless and should not wait on a write)."""

    one_time_submission = False

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "username"})
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=256)], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField("Keep me logged in on this device")
    submit = SubmitField("Log in")


class ChangePasswordForm(TrackerForm):
    """The current password, then the new one twice."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=10, message="Use at least 10 characters."),
            Length(max=256, message="Use at most 256 characters."),
        ],
        description="At least 10 characters. A passphrase of several words works well.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two new passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change password")


class ResetPasswordForm(TrackerForm):
    """A new password, twice, chosen through a one-time link (same rules as changing a password)."""

    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=10, message="Use at least 10 characters."),
            Length(max=256, message="Use at most 256 characters."),
        ],
        description="At least 10 characters. A passphrase of several words works well.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two new passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Set password")
