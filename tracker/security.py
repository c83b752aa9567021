"""Password hashing (argon2id), safe redirects, the client's address and the security headers every response carries."""
from __future__ import annotations

from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, Response, has_request_context, request

_hasher = PasswordHasher()  # argon2id with argon2-cffi's defaults (above OWASP's minimum)
# Verified against when the email is unknown, so a missing account costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches the hash; a missing hash is verified against a dummy to even out timing."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if email and password.strip().lower() == email.strip().lower():
        return "The password must not be your email address."
    return None


def is_safe_next(target: str | None) -> bool:
    """Only relative paths inside this app are followed after login (no scheme, no host, no '//')."""
    if not target:
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


def content_security_policy(form_targets: str = "") -> str:
    """The Content-Security-Policy header; `form_targets` are origins besides ours that a form's redirect may reach
    (the single sign-on provider: logging in and out are POSTs that end on its pages)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            " ".join(["form-action 'self'", form_targets]).strip(),
            "frame-ancestors 'none'",
        ]
    )


def _policy(app: Flask) -> str:
    """This app's policy: forms may also lead to the single sign-on provider's origin when one is configured."""
    issuer = app.config.get("OIDC_ISSUER")
    if not issuer:
        return content_security_policy()
    parts = urlsplit(issuer)
    return content_security_policy(f"{parts.scheme}://{parts.netloc}")


def client_address() -> str | None:
    """The address of the client of the request being handled (as ProxyFix left it), or None outside a request."""
    return request.remote_addr if has_request_context() else None


def register_security_headers(app: Flask) -> None:
    """Attach CSP, nosniff, frame and referrer headers to every response."""

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", _policy(app))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages show private records: keep them out of shared caches and the back-button cache after logout.
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
