"""Accounts: create users, authenticate, change passwords, deactivate — each change in the history."""
from __future__ import annotations

import logging

import sqlalchemy as sa

from ..extensions import db
from ..models import Role, User, utcnow
from ..security import hash_password, needs_rehash, password_problem, verify_password
from . import ServiceError
from . import history

log = logging.getLogger("tracker.auth")


def normalise_email(email: str) -> str:
    """Emails are compared case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """The account with this email, whatever its case."""
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str, display_name: str, role: Role | str, password: str | None, *, actor: User | None = None
) -> User:
    """Create an account; password None leaves it unusable until a reset link is used."""
    email = normalise_email(email)
    if not email or "@" not in email:
        raise ServiceError("Enter a valid email address.", "email")
    if find_user_by_email(email) is not None:
        raise ServiceError("An account with this email already exists.", "email")
    if password is not None:
        problem = password_problem(password, email)
        if problem:
            raise ServiceError(problem, "password")
    user = User(
        email=email,
        display_name=display_name.strip(),
        role=Role(role),
        password_hash=hash_password(password) if password is not None else None,
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    history.record(
        actor, "user.created", "user", user.id, summary=f"Created {user.role.label.lower()} {user.email}",
        changes={"email": user.email, "display_name": user.display_name, "role": user.role},
    )
    db.session.commit()
    return user


def authenticate(email: str, password: str, remote_addr: str | None) -> tuple[User | None, str | None]:
    """Check credentials; returns (user, None) or (None, message). Failures are logged without the password."""
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok:
        log.warning("failed login for email=%r from %s", normalise_email(email)[:254], remote_addr)
        return None, "Email or password is incorrect."
    if not user.active:
        log.warning("login refused for deactivated account email=%r from %s", user.email, remote_addr)
        return None, "This account is deactivated. Ask the program office to reactivate it."
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return user, None


def sso_login(email: str, name: str, role: Role | None, *, allow_new: bool,
              remote_addr: str | None) -> tuple[User | None, str | None]:
    """The account for someone the single sign-on provider vouches for: (user, None) or (None, message).

    The e-mail finds the account. An unknown e-mail is refused unless `allow_new` (just-in-time accounts): then it
    gets an account without a password, in the role the provider's claims map to, else a student's; an existing
    account keeps the role the program office gave it. A deactivated account is refused as at the password login.
    """
    email = normalise_email(email)[:254]
    user = find_user_by_email(email)
    if user is None:
        if not allow_new:
            log.warning("single sign-on refused for unknown email=%r from %s", email, remote_addr)
            return None, (f"There is no account for {email} here. Ask the program office to create one, "
                          "then log in again.")
        user = User(email=email, display_name=(name or email.split("@")[0]).strip()[:120],
                    role=role or Role.STUDENT, password_hash=None, active=True)
        db.session.add(user)
        db.session.flush()
        history.record(user, "user.created", "user", user.id,
                       subject_id=user.id if user.is_student else None,
                       summary=f"Account created at first single sign-on: {user.role.label.lower()} {user.email}",
                       changes={"email": user.email, "display_name": user.display_name, "role": user.role})
    elif not user.active:
        log.warning("single sign-on refused for deactivated account email=%r from %s", email, remote_addr)
        return None, "This account is deactivated. Ask the program office to reactivate it."
    user.last_login_at = utcnow()
    db.session.commit()
    return user, None


def logout(user: User) -> None:
    """End every session of the user (a copied cookie stops working)."""
    user.rotate_session_token()
    db.session.commit()


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change a password after checking the current one; ends other sessions."""
    if not verify_password(user.password_hash, current_password):
        raise ServiceError("The current password is not correct.", "current_password")
    problem = password_problem(new_password, user.email)
    if problem:
        raise ServiceError(problem, "new_password")
    if verify_password(user.password_hash, new_password):
        raise ServiceError("Choose a password different from the current one.", "new_password")
    user.password_hash = hash_password(new_password)
    user.rotate_session_token()
    history.record(user, "user.password_changed", "user", user.id, summary="Changed own password")
    db.session.commit()


def set_active(user: User, active: bool, *, actor: User) -> None:
    """Deactivate (ending every session) or reactivate an account."""
    if user.active == active:
        return
    if not active and actor.id == user.id:
        raise ServiceError("You cannot deactivate your own account.")
    user.active = active
    user.rotate_session_token()
    history.record(
        actor, "user.activated" if active else "user.deactivated", "user", user.id,
        subject_id=user.id if user.is_student else None,
        summary=f"{'Reactivated' if active else 'Deactivated'} {user.email}",
        changes={"active": [not active, active]},
    )
    db.session.commit()
