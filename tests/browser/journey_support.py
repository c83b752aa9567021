"""Steps several journeys take the same way: logging in through the form, logging a studio session, and
checking a page with axe."""
from __future__ import annotations

from ..fixtures.app import PASSWORD

SERIOUS = ("serious", "critical")
# The content of a closed <details> is not rendered, so axe would skip it: open them all first.
OPEN_DETAILS = "document.querySelectorAll('details:not([open])').forEach(d => { d.open = true; })"


def log_in(page, email: str, password: str = PASSWORD) -> None:
    """Log in through the real form on this page (for a page of a second browser context, or a phone-sized one)."""
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def fill_session_form(page, day: str, end: str, *, notes: str | None = None) -> None:
    """From any page: Studio, Log a session, and fill the form (Studio A from 10:00 to `end`, mixing as engineer on
    Harbour Lights EP for Prof. Lena Adler); the caller submits it."""
    page.get_by_role("link", name="Studio", exact=True).click()
    page.get_by_role("link", name="Log a session").first.click()
    page.get_by_label("Date").fill(day)
    page.get_by_label("Studio", exact=True).select_option(label="Studio A")
    page.get_by_label("Start", exact=True).fill("10:00")
    page.get_by_label("End", exact=True).fill(end)
    page.get_by_label("Activity").select_option(label="Mixing")
    page.get_by_label("Your role").select_option(label="Engineer")
    page.get_by_label("Project title").fill("Harbour Lights EP")
    page.get_by_label("Supervising faculty member").select_option(label="Prof. Lena Adler")
    if notes is not None:
        page.get_by_label("Notes").fill(notes)


def serious_violations(results) -> list[str]:
    """One line per serious/critical violation: rule, how many elements, and the first few with axe's reason."""
    lines = []
    for v in results.response["violations"]:
        if v.get("impact") not in SERIOUS:
            continue
        nodes = "; ".join(
            f"{' '.join(n['target'])} {n['html'][:120]!r}: {(n.get('failureSummary') or '').splitlines()[-1].strip()}"
            for n in v["nodes"][:3])
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements): {v['help']} -- {nodes}")
    return lines
