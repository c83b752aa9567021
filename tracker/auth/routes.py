"""Login, logout and password change views."""
from __future__ import annotations

from flask import current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from ..extensions import limiter
from ..permissions import current_actor
from ..forms import attach_error
from ..security import is_safe_next
from ..services import ServiceError, accounts, admin_accounts
from . import bp
from .forms import ChangePasswordForm, LoginForm, ResetPasswordForm
from .session import start_session


def _login_failed() -> bool:
    """Only failed attempts use up the login rate limits."""
    return bool(g.get("login_failed"))


def _account() -> str:
    """The account a login attempt names, as stored (bounded like the email column)."""
    return accounts.normalise_email(request.form.get("email") or "")[:254]


def _account_address_key() -> str:
    return f"login-account-address:{_account()}|{request.remote_addr}"


def _account_key() -> str:
    return "login-account:" + _account()


def _address_key() -> str:
    return f"login-address:{request.remote_addr}"


def _limit(setting: str):
    return lambda: current_app.config[setting]


def _failed_login_limit(setting: str, key_func):
    """A limit on failed login POSTs (a successful login does not count)."""
    return limiter.limit(_limit(setting), methods=["POST"], key_func=key_func,
                         deduct_when=lambda response: _login_failed())


@bp.route("/login", methods=["GET", "POST"])
# Strict per account from one address and per account from anywhere, so guessing is slow; loose per address
# alone, so one person's typos or guesses cannot lock out everyone else behind the same NAT.
@_failed_login_limit("LOGIN_RATE_LIMIT", _account_address_key)
@_failed_login_limit("LOGIN_ACCOUNT_RATE_LIMIT", _account_key)
@_failed_login_limit("LOGIN_ADDRESS_RATE_LIMIT", _address_key)
def login():
    """Show the login form; on success go to `next` (inside the app only) or the user's home page."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user, message = accounts.authenticate(form.email.data, form.password.data, request.remote_addr)
        if user is None:
            g.login_failed = True
            attach_error(form, ServiceError(message, "password"))
            return render_template("auth/login.html", form=form), 200
        start_session(user, remember=bool(form.remember.data))
        target = request.args.get("next")
        return redirect(target if is_safe_next(target) else url_for("dashboard.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out everywhere: the session token changes, so a copied cookie stops working too."""
    accounts.logout(current_actor())
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password_change():
    """Change one's own password; other sessions end, this one continues."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_actor()
        try:
            accounts.change_password(user, form.current_password.data, form.new_password.data)
        except ServiceError as err:
            attach_error(form, err)
        else:
            start_session(user)  # a new session with the new token for this browser
            flash("Your password is changed. Other devices have been logged out.", "success")
            return redirect(url_for("dashboard.home"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def password_reset(token: str):
    """Choose a password through the one-time link the program office handed over; every session then ends."""
    try:
        reset = admin_accounts.find_reset_token(token)
    except ServiceError as err:
        return render_template("auth/reset_password.html", form=None, problem=err.message), 200
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            admin_accounts.reset_password(token, form.new_password.data)
        except ServiceError as err:
            if err.field is None:
                return render_template("auth/reset_password.html", form=None, problem=err.message), 200
            attach_error(form, err)
        else:
            if current_user.is_authenticated:
                logout_user()  # whoever was logged in here, the new password's owner logs in afresh
            flash("Your password is set. Log in with it now.", "success")
            return redirect(url_for("auth.login"))
    response = make_response(render_template("auth/reset_password.html", form=form, problem=None,
                                              email=reset.user.email))
    response.headers["Cache-Control"] = "no-store"
    return response
