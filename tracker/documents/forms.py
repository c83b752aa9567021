"""Progress-document forms: issuing (a button with its CSRF token) and revoking (with a reason)."""
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from ..forms import TrackerForm
from ..services.documents import MAX_REASON


class IssueForm(TrackerForm):
    """Issue a document from the audit as it stands now."""

    submit = SubmitField("Issue a progress document")


class RevokeForm(TrackerForm):
    """Revoke an issued document; the reason is shown to whoever opens its link."""

    reason = TextAreaField("Reason", validators=[Length(max=MAX_REASON)], render_kw={"rows": 2},
                           description="Optional; shown on the verification page, e.g. “issued with a grade that "
                                       "was later corrected”.")
    submit = SubmitField("Revoke the document")
