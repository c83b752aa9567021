"""Login, logout and password change views."""
from __future__ import annotations

from flask import current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from ..extensions import limiter
from ..permissions import current_actor
from ..forms import attach_error
from ..security import is_safe_next
from ..services import ServiceError, accounts, admin_accounts
from . import bp, sso
from .forms import ChangePasswordForm, LoginForm, ResetPasswordForm, SsoLoginForm
from .session import start_session

# Kept in the session between the redirect to the provider and its callback / between login and logout.
SSO_NEXT = "sso_next"
SSO_ID_TOKEN = "sso_id_token"


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
        if not sso.password_login_enabled():
            return _login_page(form, "Password login is turned off here: log in with "
                                     f"{current_app.config['OIDC_PROVIDER_NAME']}."), 400
        user, message = accounts.authenticate(form.email.data, form.password.data, request.remote_addr)
        if user is None:
            g.login_failed = True
            attach_error(form, ServiceError(message, "password"))
            return _login_page(form), 200
        start_session(user, remember=bool(form.remember.data))
        return redirect(_next_page(request.args.get("next")))
    return _login_page(form)


def _login_page(form: LoginForm, sso_problem: str | None = None) -> str:
    """The login page: the single sign-on button when configured, the password form unless it is turned off."""
    return render_template(
        "auth/login.html", form=form, sso_form=SsoLoginForm() if sso.enabled() else None,
        sso_name=current_app.config["OIDC_PROVIDER_NAME"], password_login=sso.password_login_enabled(),
        sso_problem=sso_problem,
    )


def _next_page(target: str | None) -> str:
    return target if is_safe_next(target) else url_for("dashboard.home")


@bp.route("/sso", methods=["POST"])
def sso_login():
    """Start a single sign-on: off to the provider, which sends the browser back to `sso_callback`."""
    if not sso.enabled():
        return redirect(url_for("auth.login"))
    form = SsoLoginForm()
    if not form.validate_on_submit():
        return _login_page(LoginForm(formdata=None), "The login form had expired. Try again."), 400
    next_page = request.args.get("next")
    session[SSO_NEXT] = next_page if is_safe_next(next_page) else None
    try:
        return sso.redirect_to_provider(url_for("auth.sso_callback", _external=True))
    except sso.SsoError as err:
        return _login_page(LoginForm(formdata=None), str(err)), 502


@bp.route("/sso/callback")
@limiter.limit(_limit("LOGIN_ADDRESS_RATE_LIMIT"), key_func=_address_key)
def sso_callback():
    """Where the provider sends the browser back: check its answer, then log in the account it names."""
    if not sso.enabled():
        return redirect(url_for("auth.login"))
    try:
        identity, id_token = sso.identity_from_callback()
    except sso.SsoError as err:
        return _login_page(LoginForm(formdata=None), str(err)), 400
    user, message = accounts.sso_login(identity.email, identity.name, identity.role,
                                       allow_new=current_app.config["OIDC_NEW_ACCOUNTS"],
                                       remote_addr=request.remote_addr)
    if user is None:
        return _login_page(LoginForm(formdata=None), message), 403
    next_page = session.get(SSO_NEXT)
    start_session(user)
    session[SSO_ID_TOKEN] = id_token
    return redirect(_next_page(next_page))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out everywhere: the session token changes, so a copied cookie stops working too. After a single sign-on,
    the provider's session ends too (where it offers that), so the next person at this computer starts afresh."""
    id_token = session.pop(SSO_ID_TOKEN, None)
    accounts.logout(current_actor())
    logout_user()
    flash("You are logged out.", "info")
    return (sso.end_session_redirect(id_token, url_for("auth.login", _external=True))
            or redirect(url_for("auth.login")))


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
