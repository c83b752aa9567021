"""The base form every form of the app subclasses, and helpers every blueprint's forms share.

`TrackerForm` adds three guards to Flask-WTF's `FlaskForm`, in one place so no form can forget them:

* **A one-time submission token.** A double click, an impatient second click or a browser retry sends the same
  rendered form twice, often on two connections at once. Uniqueness rules catch some of these (a course twice in a
  term), but many changes have none (a transfer-credit exception, an account, a CSV import, a reset link), and a
  check-then-insert can race. So each rendered form carries a random token (written next to the CSRF token, so every
  template that renders `form.csrf_token`, `form.hidden_tag()` or `quick_form` sends it). When a POSTed form
  validates, the token is claimed by inserting it into `submission_token` in the request's own transaction, at once
  (INSERT ... ON CONFLICT DO NOTHING). The service's commit then commits the claim together with the change; a
  service refusal or any rollback frees it again, so the user can fix a field and send the same form. A second
  submission of the same token waits for the first one's lock (SQLite: BEGIN IMMEDIATE, see tracker/__init__.py;
  PostgreSQL: the primary key's unique index), then finds the token taken: it writes nothing and the user is told
  "This form was already sent; it was saved once." (a 303 to the page when it answers GET, or to the same-site
  page the form was on, else a form-level error). A form posted without a token (older clients, tests) behaves as before; login has no token.
* **No NUL characters.** PostgreSQL refuses "\\x00" in text (a 500) while SQLite stores it; every field whose data
  is a string (text, select, hidden, multi-select values) gets a message at the field instead.
* **No absurd numbers.** Integer data beyond a 64-bit column, decimals that are NaN, Infinity or astronomically
  large (`1e400` makes `quantize` raise) get a field error and never reach a service or the database. Real ranges
  stay with the forms' validators and the services.
"""
from __future__ import annotations

import math
import re
import secrets
import threading
import time
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, request
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from wtforms import HiddenField, SelectFieldBase
from wtforms.csrf.core import CSRFTokenField
from wtforms.widgets import HiddenInput

from .extensions import db
from .services import ServiceError
from .services.values import MAX_ID

SUBMISSION_TOKEN_NAME = "submission_token"
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
DUPLICATE_MESSAGE = "This form was already sent; it was saved once."
STALE_TOKEN_MESSAGE = "This form is out of date. Reload the page and send it again."
NUL_MESSAGE = ("Remove the invisible NUL character (often pasted from another program) from this field; "
               "it cannot be saved.")
HIDDEN_NUL_MESSAGE = ("The data sent with this form contains an invisible NUL character, which cannot be saved. "
                      "Remove it from the original text or file and start again.")
NOT_FINITE_MESSAGE = "Enter an ordinary number, like 3 or 1.5."
TOO_LARGE_MESSAGE = "This number is far too large; enter a realistic value."
BAD_CHOICE_MESSAGE = "Choose one of the listed options."

# Far above any credit, hour or amount, and small enough that quantizing to a dozen places never overflows.
MAX_DECIMAL = Decimal(10) ** 15

PURGE_EVERY_SECONDS = 600
_purge_lock = threading.Lock()
_next_purge = [0.0]


# ---------------------------------------------------------------- the token, rendered with the CSRF token

class _CSRFAndSubmissionTokenInput(HiddenInput):
    """Renders the CSRF token and, right after it, the form's one-time submission token."""

    def __call__(self, field, **kwargs):
        html = super().__call__(field, **kwargs)
        form = getattr(field.csrf_impl, "form", None)
        if form is None or not form.one_time_submission:
            return html
        return Markup(html) + Markup('<input type="hidden" name="{}" value="{}">').format(
            escape(form._prefix + SUBMISSION_TOKEN_NAME), escape(form.submission_token))


class _CSRFAndSubmissionTokenField(CSRFTokenField):
    widget = _CSRFAndSubmissionTokenInput()


class _TrackerCSRF(_FlaskFormCSRF):
    """Flask-WTF's CSRF, with a token field that also carries the submission token."""

    field_class = _CSRFAndSubmissionTokenField

    def setup_form(self, form):
        self.form = form
        return super().setup_form(form)


# ---------------------------------------------------------------- the base form

class TrackerForm(FlaskForm):
    """Every form of the app: Flask-WTF plus the one-time submission token, the NUL guard and the number guard."""

    # False for forms whose double submission is harmless and whose request should not write (login).
    one_time_submission = True

    class Meta(FlaskForm.Meta):
        csrf_class = _TrackerCSRF

    submission_token: str

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        """Process the data as WTForms does, then neutralise NULs and absurd numbers and read the posted token."""
        formdata = self.meta.wrap_formdata(self, formdata)
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)
        self._guard_errors: dict[str, str] = {}
        for field in self:
            message = _guard_field(field)
            if message:
                self._guard_errors[field.short_name] = message
        posted = None
        if formdata is not None and hasattr(formdata, "getlist"):
            values = formdata.getlist(self._prefix + SUBMISSION_TOKEN_NAME)
            posted = values[0] if values else None
        self._posted_token = posted
        self._token_claimed = False
        if posted is not None and _TOKEN_RE.fullmatch(posted):
            self.submission_token = posted  # a re-rendered form (errors, refusal) keeps its token
        elif not getattr(self, "submission_token", None):
            self.submission_token = new_submission_token()

    def validate(self, extra_validators=None) -> bool:
        """Validate the fields, show the guards' messages, then claim the submission token (once per token)."""
        valid = super().validate(extra_validators)
        for name, message in self._guard_errors.items():
            field = self[name]
            field.errors = [message]
            if isinstance(field, HiddenField):  # not shown at a field: say it at the top of the form
                top = HIDDEN_NUL_MESSAGE if message == NUL_MESSAGE else STALE_TOKEN_MESSAGE
                if top not in self.form_errors:
                    self.form_errors.append(top)
            valid = False
        if not valid or not self.one_time_submission or self._posted_token is None or self._token_claimed:
            return valid
        if not _TOKEN_RE.fullmatch(self._posted_token):
            self.form_errors.append(STALE_TOKEN_MESSAGE)
            return False
        if not claim_submission_token(self._posted_token):
            return self._refuse_duplicate()
        self._token_claimed = True
        # Should the page render this form again (a refusal), that copy is a new submission.
        self.submission_token = new_submission_token()
        return True

    def _refuse_duplicate(self) -> bool:
        """The same form was already saved: a 303 to a page showing the message, else a form-level error."""
        target = _page_to_return_to()
        if target is not None:
            flash(DUPLICATE_MESSAGE, "info")
            abort(redirect(target, code=303))
        self.form_errors.append(DUPLICATE_MESSAGE)
        return False


def _page_to_return_to() -> str | None:
    """Where a refused duplicate goes: this URL when it answers GET, else the same-site page the form was on.

    Only a path (and query) is returned, checked against the URL map for GET, so the redirect stays on this site
    and never lands on a POST-only address (a 405). None when neither applies (no Referer sent).
    """
    rule = request.url_rule
    if rule is not None and rule.methods and "GET" in rule.methods:
        return request.full_path if request.query_string else request.path
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    try:
        current_app.create_url_adapter(request).match(parts.path, method="GET")
    except HTTPException:  # no such page, not for GET, or a redirect of the router's own
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def new_submission_token() -> str:
    """A fresh random one-time token for a rendered form."""
    return secrets.token_urlsafe(24)


# ---------------------------------------------------------------- claiming and purging tokens

def claim_submission_token(token: str) -> bool:
    """Insert the token in this request's transaction; False when another submission already holds it.

    On PostgreSQL the INSERT waits while a concurrent transaction holds the same key, then skips it if that one
    committed (or inserts if it rolled back). On SQLite the whole writing request already holds the write lock
    (BEGIN IMMEDIATE), so the committed row is simply there. The claim is never committed here: the service's
    commit does it, together with the change.
    """
    from .models import SubmissionToken, utcnow

    claimed = g.setdefault("_claimed_submission_tokens", set())
    if token in claimed:  # this very request claimed it already (a form validated twice)
        return True
    table = SubmissionToken.__table__
    user_id = current_user.id if getattr(current_user, "is_authenticated", False) else None
    values = {"token": token, "user_id": user_id, "created_at": utcnow()}
    dialect = db.session.get_bind(mapper=sa.inspect(SubmissionToken)).dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the app runs on SQLite and PostgreSQL only
        return _claim_with_savepoint(table, values)
    # RETURNING, not rowcount: psycopg's rowcount for this statement is not reliable through SQLAlchemy (-1).
    inserted = db.session.execute(insert(table).values(**values).on_conflict_do_nothing(index_elements=["token"])
                                  .returning(table.c.token)).scalar_one_or_none()
    if inserted is None:
        return False
    claimed.add(token)
    _purge_old_tokens(table, dialect)
    return True


def _claim_with_savepoint(table, values) -> bool:
    from sqlalchemy.exc import IntegrityError

    try:
        with db.session.begin_nested():
            db.session.execute(sa.insert(table).values(**values))
    except IntegrityError:
        return False
    g.setdefault("_claimed_submission_tokens", set()).add(values["token"])
    return True


def submission_token_lifetime() -> timedelta:
    """How long a token must be remembered: as long as the form's CSRF token could still be accepted."""
    configured = current_app.config.get("SUBMISSION_TOKEN_LIFETIME")
    if configured is None:
        configured = current_app.config.get("WTF_CSRF_TIME_LIMIT") or current_app.config.get(
            "PERMANENT_SESSION_LIFETIME", timedelta(hours=12))
    if not isinstance(configured, timedelta):
        configured = timedelta(seconds=float(configured))
    return max(configured, timedelta(hours=1))


def _purge_old_tokens(table, dialect: str) -> None:
    """Now and then (every few minutes per process) delete expired tokens, by the created_at index.

    It runs in the claiming transaction (a second connection would wait on SQLite's write lock this request
    holds); on PostgreSQL rows another purge is deleting are skipped, so two purges never wait on each other.
    """
    now = time.monotonic()
    with _purge_lock:
        if now < _next_purge[0]:
            return
        _next_purge[0] = now + PURGE_EVERY_SECONDS
    from .models import utcnow

    cutoff = utcnow() - submission_token_lifetime()
    old = table.c.created_at < cutoff
    if dialect == "postgresql":
        locked = sa.select(table.c.token).where(old).with_for_update(skip_locked=True)
        db.session.execute(sa.delete(table).where(table.c.token.in_(locked)))
    else:
        db.session.execute(sa.delete(table).where(old))


def purge_expired_submission_tokens() -> int:
    """Delete every expired token now (for a CLI command or a scheduled job); returns how many."""
    from .models import SubmissionToken, utcnow

    table = SubmissionToken.__table__
    result = db.session.execute(sa.delete(table).where(table.c.created_at < utcnow() - submission_token_lifetime()))
    db.session.commit()
    return result.rowcount


# ---------------------------------------------------------------- field guards

def _strip_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_strip_nul(v) for v in value]
    return value


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def _number_problem(value) -> str | None:
    """Why a number cannot be used (None when it is fine); bools are not numbers here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return TOO_LARGE_MESSAGE if abs(value) > MAX_ID else None
    if isinstance(value, float):
        if not math.isfinite(value):
            return NOT_FINITE_MESSAGE
        return TOO_LARGE_MESSAGE if abs(value) > MAX_DECIMAL else None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return NOT_FINITE_MESSAGE
        return TOO_LARGE_MESSAGE if abs(value) > MAX_DECIMAL else None
    return None


def _guard_field(field) -> str | None:
    """Neutralise a NUL or an absurd number in a processed field; the message to show at it, if any."""
    if isinstance(field, CSRFTokenField):
        return None
    raw = field.raw_data if isinstance(getattr(field, "raw_data", None), list) else []
    if _has_nul(raw) or _has_nul(field.data):
        field.data = _strip_nul(field.data)  # shown back without the invisible character
        field.raw_data = [_strip_nul(v) for v in raw]
        return NUL_MESSAGE
    values = field.data if isinstance(field.data, (list, tuple)) else [field.data]
    for value in values:
        problem = _number_problem(value)
        if problem:
            field.data = None  # never handed to a service, and never quantized for display (raw_data is)
            if isinstance(field, SelectFieldBase):  # an id no option has: the select's own words say it best
                return getattr(field, "invalid_choice_message", None) or BAD_CHOICE_MESSAGE
            return problem
    return None


def add_field_error(field, message: str) -> None:
    """Show `message` next to `field`, after what its validators said (WTForms may hold its errors as a tuple)."""
    field.errors = list(field.errors) + [message]


def attach_error(form: FlaskForm, err: ServiceError) -> None:
    """Show every problem of a service refusal next to its field, or at the top of the form when it names none."""
    for field, message in err.problems:
        target = getattr(form, field, None) if field else None
        if target is not None and hasattr(target, "errors") and not isinstance(target.errors, dict):
            add_field_error(target, message)
        else:
            form.form_errors.append(message)


def form_refusal(form: FlaskForm) -> str | None:
    """Every problem of a form that has no page of its own to show them on (a confirm step), as one sentence list."""
    problems = list(form.form_errors)
    for field in form:
        if field.errors and not isinstance(field.errors, dict):
            problems.extend(e for e in field.errors if e not in problems)
    return " ".join(problems) or None
