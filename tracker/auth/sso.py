"""Single sign-on through the university's OpenID Connect provider, with Authlib as the client.

The authorization-code flow with PKCE (S256), state and nonce: Authlib keeps the state, the nonce and the code
verifier in the signed session cookie between the redirect and the callback (so any worker or host can take the
callback), checks the state, exchanges the code, and verifies the ID token's signature, issuer, audience and nonce.
What the provider says about the person (its claims) then goes to `accounts.sso_login`, which finds or refuses the
account. Everything is configured by the OIDC_* settings (config.py, README).
"""
from __future__ import annotations

from dataclasses import dataclass

from authlib.common.errors import AuthlibBaseError
from flask import current_app
from joserfc.errors import JoseError

from ..extensions import oauth
from ..models.enums import Role

# The name of the one provider in Authlib's registry.
PROVIDER = "university"

# The settings the registered client was made from (per process; see _client).
_registered: dict[str, tuple] = {}


class SsoError(Exception):
    """The provider's answer could not be used: a wrong or replayed state, a refused code, a bad ID token."""


@dataclass(frozen=True)
class Identity:
    """What the provider vouches for: the account's e-mail, its name, and the role its claims map to (if any)."""

    email: str
    name: str
    role: Role | None


def enabled() -> bool:
    """True when an issuer and a client id are configured."""
    config = current_app.config
    return bool(config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID"))


def password_login_enabled() -> bool:
    """Password login can be turned off only while single sign-on is on (nobody could log in otherwise)."""
    return bool(current_app.config.get("PASSWORD_LOGIN", True)) or not enabled()


def _client():
    """The provider's Authlib client, registered again whenever its settings change (the registry is per process,
    keyed by the settings it was made from, so it can never serve another configuration's client)."""
    config = current_app.config
    settings = (config["OIDC_ISSUER"].rstrip("/"), config["OIDC_CLIENT_ID"], config.get("OIDC_CLIENT_SECRET"),
                config.get("OIDC_SCOPES") or "openid email profile")
    if _registered.get(PROVIDER) != settings:
        issuer, client_id, secret, scopes = settings
        oauth._clients.pop(PROVIDER, None)  # Authlib keeps made clients here; drop the one of the old settings
        oauth.register(
            PROVIDER,
            client_id=client_id,
            client_secret=secret,
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": scopes, "code_challenge_method": "S256", "timeout": 10},
        )
        _registered[PROVIDER] = settings
    return oauth.create_client(PROVIDER)


def redirect_to_provider(callback_url: str):
    """The redirect that starts a login at the provider (the state, nonce and PKCE verifier go into the session)."""
    try:
        return _client().authorize_redirect(callback_url)
    except (AuthlibBaseError, OSError, ValueError) as err:
        raise SsoError(f"The sign-on service cannot be reached ({type(err).__name__}).") from err


def identity_from_callback() -> tuple[Identity, str | None]:
    """Finish the login the provider sent back: (who it is, the ID token to end the provider session with later).

    Raises SsoError for a wrong or missing state (a forged or replayed callback), a code the provider refuses
    (replayed or expired), an ID token that fails verification, or claims without the configured e-mail.
    """
    config = current_app.config
    email_claim = config.get("OIDC_EMAIL_CLAIM") or "email"
    try:
        client = _client()
        token = client.authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        if email_claim not in claims and token.get("access_token"):
            # Many providers put only `sub` in the ID token and the rest behind the userinfo endpoint.
            extra = client.userinfo(token=token)
            if extra.get("sub") != claims.get("sub"):
                raise SsoError("The sign-on service's answers did not agree about who this is.")
            claims.update(extra)
    except (AuthlibBaseError, JoseError, OSError, ValueError, KeyError) as err:
        raise SsoError(_reason(err)) from err
    email = claims.get(email_claim)
    if not isinstance(email, str) or "@" not in email:
        raise SsoError("The sign-on service did not say which e-mail address this account has.")
    if claims.get("email_verified") is False:
        raise SsoError("The sign-on service has not verified this account's e-mail address.")
    name = claims.get("name") if isinstance(claims.get("name"), str) else email.split("@")[0]
    return Identity(email=email, name=name, role=role_from_claims(claims)), token.get("id_token")


def _reason(err: Exception) -> str:
    """A message for the login page (the details go to the log, not to the person)."""
    current_app.logger.warning("single sign-on refused: %s: %r", type(err).__name__, err)
    error = getattr(err, "error", "")
    if error == "mismatching_state":
        return "This sign-on answer does not belong to a login started here (it may be old or used already)."
    if error == "invalid_grant":
        return "The sign-on service refused this login (the code was used already or has expired)."
    if error == "access_denied":
        return "The login was cancelled at the sign-on service."
    return "The sign-on service's answer could not be checked."


def role_map(text: str) -> dict[str, Role]:
    """OIDC_ROLE_MAP ("value=role,value=role") as a dict; entries naming no role are ignored."""
    mapping = {}
    for item in (text or "").split(","):
        value, _, role = item.partition("=")
        if value.strip() and role.strip() in {r.value for r in Role}:
            mapping[value.strip()] = Role(role.strip())
    return mapping


def role_from_claims(claims: dict) -> Role | None:
    """The role the configured claim maps to (the highest, if it carries several values), or None."""
    claim = current_app.config.get("OIDC_ROLE_CLAIM")
    if not claim:
        return None
    values = claims.get(claim)
    values = values if isinstance(values, list) else [values]
    mapping = role_map(current_app.config.get("OIDC_ROLE_MAP", ""))
    roles = {mapping[v] for v in values if isinstance(v, str) and v in mapping}
    for role in (Role.ADMIN, Role.FACULTY, Role.STUDENT):
        if role in roles:
            return role
    return None


def end_session_redirect(id_token: str | None, after_url: str):
    """The redirect that also ends the provider's session, or None when it offers no end-session endpoint (or that
    is turned off)."""
    if not (enabled() and id_token and current_app.config.get("OIDC_END_PROVIDER_SESSION", True)):
        return None
    try:
        client = _client()
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        return client.logout_redirect(post_logout_redirect_uri=after_url, id_token_hint=id_token)
    except (AuthlibBaseError, OSError, ValueError) as err:
        current_app.logger.warning("provider logout skipped: %s", err)
        return None
