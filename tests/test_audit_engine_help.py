"""The audit explained (docs/audit-engine.md) is shown to directors beside the other docs, and to no one else."""
from __future__ import annotations

import pathlib
import re

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "audit-engine.md"
CASES = pathlib.Path(__file__).resolve().parent / "domain" / "test_domain_audit_cases.py"


def test_the_audit_explained_renders_for_admins(client, login_as):
    login_as("admin")
    response = client.get("/admin/programs/audit-engine-help")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<h1 id="top">How the degree audit works</h1>' in page
    assert '<h2 id="allocation">How courses are allocated</h2>' in page
    assert "<script" not in page.split('id="audit-engine-help"')[1].split("</article>")[0]


def test_the_audit_explained_is_refused_to_students(client, login_as):
    login_as("student")
    assert client.get("/admin/programs/audit-engine-help").status_code == 403


def test_the_program_pages_link_to_the_audit_explained(client, login_as):
    login_as("admin")
    page = client.get("/admin/programs").get_data(as_text=True)
    assert 'href="/admin/programs/audit-engine-help"' in page
    for other in ("/admin/programs/definition-reference", "/admin/programs/catalog-versions-help"):
        assert 'href="/admin/programs/audit-engine-help"' in client.get(other).get_data(as_text=True), other


def test_each_audit_case_test_has_its_heading_in_the_doc():
    """The doc describes every case the tests cover, under a stable heading, and no case the tests lack."""
    tested = {int(n) for n in re.findall(r"^def test_case_(\d\d)_", CASES.read_text(encoding="utf-8"), re.M)}
    described = {int(n) for n in re.findall(r"^### Case (\d+):.*\{#case-(?:\d\d)\}$", DOC.read_text(encoding="utf-8"),
                                            re.M)}
    assert tested == described == set(range(1, 16))
