"""A student issues a progress document; someone without an account opens its link and sees it authentic; the
student revokes it and the same link then says so."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from ..fixtures.app import PASSWORD
from ..progress_support import add_course


def test_issue_verify_and_revoke_a_progress_document(page, browser, live_server, browser_login, demo_program,
                                                     terms, make_user, make_student):
    advisor = make_user("faculty", name="Prof. Alicia Moreno")
    student = make_student(advisor=advisor, name="Maya Chen", start_term=terms.current)
    add_course(student, "MPT 601", terms.current, status="in_progress")

    browser_login(student.email, PASSWORD)
    page.get_by_role("link", name="Progress").click()
    page.get_by_role("link", name="Progress documents").click()
    expect(page.get_by_text("No progress documents issued yet.")).to_be_visible()
    page.get_by_role("button", name="Issue a progress document").click()
    expect(page.get_by_text("Progress document issued.")).to_be_visible()
    expect(page.get_by_text("Authentic.")).to_be_visible()
    link = page.url
    assert re.search(r"/documents/verify/[\w-]{20,}$", link)

    # A committee member with the link and no account.
    outsider = browser.new_context(base_url=live_server)
    try:
        opage = outsider.new_page()
        opage.goto(link)
        expect(opage.get_by_text("Authentic.")).to_be_visible()
        expect(opage.get_by_text(f"Maya Chen ({student.email})")).to_be_visible()
        expect(opage.get_by_role("link", name="Download PDF")).to_be_visible()
        expect(opage.locator("figure svg")).to_have_count(1)  # the QR code

        # The student revokes it.
        page.get_by_role("link", name="Progress").click()
        page.get_by_role("link", name="Progress documents").click()
        page.get_by_role("link", name="Revoke…").click()
        page.get_by_label("Reason").fill("Issued before the spring grades were in.")
        page.get_by_role("button", name="Revoke the document").click()
        expect(page.get_by_text("The document is revoked")).to_be_visible()
        expect(page.get_by_role("cell", name=re.compile(r"^Revoked "))).to_be_visible()

        opage.reload()
        expect(opage.get_by_text("Revoked.", exact=False).first).to_be_visible()
        expect(opage.get_by_text("Issued before the spring grades were in.", exact=False)).to_be_visible()
    finally:
        outsider.close()
