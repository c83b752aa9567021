"""A student logs in with the university account through a real OpenID provider (oidc-provider, its own login
page), lands on their dashboard, and logging out ends the provider's session too."""
from __future__ import annotations

import re

from playwright.sync_api import expect


def test_log_in_and_out_through_the_university_provider(page, sso_on, make_student):
    make_student(email="maya.chen@uni.test", name="Maya Chen")

    page.goto("/auth/login")
    page.get_by_role("button", name="Log in with Test University").click()
    # The provider's own login page (its development form accepts any password).
    expect(page).to_have_url(re.compile("^" + re.escape(sso_on["OIDC_ISSUER"]) + "/interaction/"))
    page.locator("input[name=login]").fill("maya.chen@uni.test")
    page.locator("input[name=password]").fill("her university password")
    page.locator("button[type=submit]").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Maya")
    expect(page.get_by_role("button", name=re.compile("Maya Chen"))).to_be_visible()

    # Log out: the provider asks to confirm ending its session, then sends the browser back to the login page.
    page.get_by_role("button", name=re.compile("Maya Chen")).click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile("^" + re.escape(sso_on["OIDC_ISSUER"]) + "/session/end"))
    page.locator("button[autofocus], button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/auth/login(\?state=[^&]+)?$"))
    expect(page.get_by_role("button", name="Log in with Test University")).to_be_visible()

    # The provider's session is gone: logging in again asks for the university login once more.
    page.get_by_role("button", name="Log in with Test University").click()
    expect(page.locator("input[name=login]")).to_be_visible()
