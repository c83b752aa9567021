"""Failed-login throttling: strict per account and per account+address, loose per address, so one person's guesses
cannot lock out everyone behind the same address (a campus NAT)."""
from __future__ import annotations

import pytest

from .fixtures.app import PASSWORD

# The session app uses LOGIN_RATE_LIMIT "5 per minute" (account + address) and the default per-account and
# per-address limits.


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _login(client, email: str, password: str = PASSWORD, address: str = "127.0.0.1"):
    """Log in through the form from a given client address."""
    token = client.csrf_token()
    client._csrf = None
    return client.post("/auth/login", data={"csrf_token": token, "email": email, "password": password},
                       **_from(address))


def test_many_students_behind_one_address_each_mistyping_can_still_log_in(app, make_student):
    students = [make_student() for _ in range(30)]
    for n, student in enumerate(students):
        browser = app.test_client()
        for _ in range(1 + n % 2):  # once or twice each: 45 failures from one address in all
            assert browser.login(student.email, "typo-password").status_code == 200
        assert browser.login(student.email).status_code == 302, f"student {n} was locked out"


def test_one_persons_guesses_do_not_lock_out_others_at_the_same_address(app, make_student):
    guessed, neighbour = make_student(), make_student()
    guesser = app.test_client()
    for _ in range(5):
        assert guesser.login(guessed.email, "wrong-password").status_code == 200
    assert guesser.login(guessed.email).status_code == 429  # that account, from here, waits
    assert app.test_client().login(neighbour.email).status_code == 302


def test_guessing_one_account_from_many_addresses_is_limited_per_account(app, make_student):
    user = make_student()
    limit = int(app.config["LOGIN_ACCOUNT_RATE_LIMIT"].split()[0])
    for n in range(limit):
        assert _login(app.test_client(), user.email, "wrong-password", f"10.1.0.{n + 1}").status_code == 200
    refused = _login(app.test_client(), user.email, PASSWORD, "10.1.1.1")
    assert refused.status_code == 429
    assert b"Too many attempts" in refused.data


def test_guessing_many_accounts_from_one_address_is_limited_per_address(app, make_student, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_RATE_LIMIT", "8 per minute")
    users = [make_student() for _ in range(9)]
    for user in users[:8]:
        assert _login(app.test_client(), user.email, "wrong-password", "10.2.0.1").status_code == 200
    assert _login(app.test_client(), users[8].email, PASSWORD, "10.2.0.1").status_code == 429
    # Another address is not affected.
    assert _login(app.test_client(), users[8].email, PASSWORD, "10.2.0.2").status_code == 302


def test_account_and_address_limit_is_strict(app, make_student):
    user = make_student()
    for _ in range(5):
        assert _login(app.test_client(), user.email, "wrong-password", "10.3.0.1").status_code == 200
    assert _login(app.test_client(), user.email, PASSWORD, "10.3.0.1").status_code == 429
    # The owner, from elsewhere, can still log in (the per-account limit is looser than 5).
    assert _login(app.test_client(), user.email, PASSWORD, "10.3.0.2").status_code == 302


def test_email_case_and_spaces_do_not_dodge_the_limit(app, make_student):
    user = make_student()
    for variant in [user.email, user.email.upper(), f"  {user.email}  ", user.email.title(), user.email]:
        assert _login(app.test_client(), variant, "wrong-password", "10.4.0.1").status_code == 200
    assert _login(app.test_client(), user.email, PASSWORD, "10.4.0.1").status_code == 429


@pytest.mark.parametrize("setting", ["LOGIN_RATE_LIMIT", "LOGIN_ACCOUNT_RATE_LIMIT", "LOGIN_ADDRESS_RATE_LIMIT"])
def test_successful_logins_use_up_no_limit(app, make_student, monkeypatch, setting):
    monkeypatch.setitem(app.config, setting, "2 per minute")
    user = make_student()
    for _ in range(4):
        browser = app.test_client()
        assert browser.login(user.email).status_code == 302
        browser.post_form("/auth/logout")
