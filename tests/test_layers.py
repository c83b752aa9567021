"""The layers stay clean: services never reach for the request, URL building or templating; models never import
WTForms or the request; no feature's routes import another feature's routes. (tracker/domain has its own, stricter
test: tests/domain/test_purity.py.)"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TRACKER = Path(__file__).resolve().parents[1] / "tracker"

# What the web layer owns: the request and what depends on it, and building URLs and pages.
WEB_ONLY = ("flask.request", "flask.url_for", "flask.session", "flask.g", "flask.render_template",
            "flask_login.current_user", "tracker.templating")
FORMS = ("wtforms", "flask_wtf", "tracker.forms", "tracker.choices")
RULES = {  # layer -> what its modules must not import (a name, or anything inside it)
    "services": WEB_ONLY + FORMS,
    "models": ("flask.request",) + FORMS,
    "formatting": WEB_ONLY,
}
ROUTE_MODULE = re.compile(r"tracker\.(\w+)\.(routes|\w+_routes)$")


def imported_names(source: str, package: str) -> list[str]:
    """Every dotted name a module imports: `from flask import request` gives 'flask.request'; relative imports are
    resolved against `package` (the module's own package)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.extend(f"{base}.{alias.name}" for alias in node.names)
    return names


def layer_violations(layer: str, source: str, package: str) -> list[str]:
    """The imports a module of this layer must not make. A bare `import flask` reaches everything in flask, and
    `from flask.globals import request` is flask.request under another name: both count."""
    out = []
    for name in imported_names(source, package):
        head, _, last = name.rpartition(".")
        aliases = {name, f"flask.{last}"} if head.startswith("flask.") else {name}
        if name == "flask" or any(a == bad or a.startswith(bad + ".") for bad in RULES[layer] for a in aliases):
            out.append(name)
    return out


def route_violations(source: str, package: str) -> list[str]:
    """Another feature's route modules that a route module of feature `package` imports."""
    feature = package.split(".")[1]
    out = []
    for name in imported_names(source, package):
        for candidate in (name, name.rsplit(".", 1)[0]):
            match = ROUTE_MODULE.match(candidate)
            if match and match.group(1) != feature:
                out.append(name)
                break
    return out


def _package(path: Path) -> str:
    return ".".join(("tracker",) + path.relative_to(TRACKER).parent.parts)


SERVICE_FILES = sorted((TRACKER / "services").rglob("*.py"))
MODEL_FILES = sorted((TRACKER / "models").rglob("*.py"))
ROUTE_FILES = sorted(p for p in TRACKER.glob("*/*.py") if p.name == "routes.py" or p.name.endswith("_routes.py"))


def test_the_layers_have_the_expected_modules():
    assert {"history.py", "review.py", "admin_accounts.py"} <= {p.name for p in SERVICE_FILES}
    assert {"base.py", "people.py"} <= {p.name for p in MODEL_FILES}
    assert {"studio/routes.py", "reports/routes.py", "admin/catalog_routes.py"} <= {
        str(p.relative_to(TRACKER)) for p in ROUTE_FILES}


@pytest.mark.parametrize("path", SERVICE_FILES, ids=lambda p: str(p.relative_to(TRACKER)))
def test_services_import_no_request_url_building_templating_or_forms(path):
    assert layer_violations("services", path.read_text(encoding="utf-8"), _package(path)) == []


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: str(p.relative_to(TRACKER)))
def test_models_import_no_forms_and_no_request(path):
    assert layer_violations("models", path.read_text(encoding="utf-8"), _package(path)) == []


def test_number_formatting_is_plain():
    path = TRACKER / "formatting.py"
    assert layer_violations("formatting", path.read_text(encoding="utf-8"), "tracker") == []


@pytest.mark.parametrize("path", ROUTE_FILES, ids=lambda p: str(p.relative_to(TRACKER)))
def test_no_route_module_imports_another_features_routes(path):
    assert route_violations(path.read_text(encoding="utf-8"), _package(path)) == []


# ---------------------------------------------------------------- the checkers catch what they should

@pytest.mark.parametrize("layer, source, caught", [
    ("services", "from flask import request", ["flask.request"]),
    ("services", "from flask import has_request_context, url_for", ["flask.url_for"]),
    ("services", "from flask import session, g, render_template",
     ["flask.session", "flask.g", "flask.render_template"]),
    ("services", "import flask", ["flask"]),
    ("services", "from flask.globals import request", ["flask.globals.request"]),
    ("services", "from flask_login import current_user", ["flask_login.current_user"]),
    ("services", "from ..templating import format_date", ["tracker.templating.format_date"]),
    ("services", "from .. import templating", ["tracker.templating"]),
    ("services", "import tracker.templating", ["tracker.templating"]),
    ("services", "from wtforms import SelectChoice", ["wtforms.SelectChoice"]),
    ("services", "from ..choices import enum_choices", ["tracker.choices.enum_choices"]),
    ("services", "from ..extensions import db\nfrom . import history\nfrom ..formatting import format_number", []),
    ("services", "from flask_login import UserMixin\nimport sqlalchemy as sa", []),
    ("models", "from wtforms import SelectChoice", ["wtforms.SelectChoice"]),
    ("models", "from wtforms.fields import SelectField", ["wtforms.fields.SelectField"]),
    ("models", "from flask import request", ["flask.request"]),
    ("models", "from ..forms import TrackerForm", ["tracker.forms.TrackerForm"]),
    ("models", "from flask_login import UserMixin\nfrom .base import utcnow", []),
])
def test_the_layer_checker_catches_forbidden_imports(layer, source, caught):
    """Guard against a checker that passes everything (or refuses what is allowed)."""
    assert layer_violations(layer, source, "tracker.services" if layer == "services" else "tracker.models") == caught


@pytest.mark.parametrize("package, source, caught", [
    ("tracker.studio", "from ..dashboard.routes import load_enrollment", ["tracker.dashboard.routes.load_enrollment"]),
    ("tracker.reports", "from ..admin.catalog_routes import program_choices",
     ["tracker.admin.catalog_routes.program_choices"]),
    ("tracker.studio", "from ..dashboard import routes", ["tracker.dashboard.routes"]),
    ("tracker.reports", "import tracker.admin.account_routes", ["tracker.admin.account_routes"]),
    ("tracker.admin", "from .catalog_routes import actor", []),  # the same feature's other route module
    ("tracker.studio", "from ..services import studio\nfrom ..choices import program_choices\n"
                       "from ..admin.forms import X", []),
])
def test_the_route_checker_catches_another_features_routes(package, source, caught):
    assert route_violations(source, package) == caught


def test_history_records_the_request_address_and_none_outside_a_request(app):
    """The address reaches history.record from the web layer (security.client_address), as it did from flask."""
    from tracker.extensions import db
    from tracker.services import history

    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.7"}):
        assert history.record(None, "test.event", "test", 1).ip_address == "203.0.113.7"
    assert history.record(None, "test.event", "test", 1).ip_address is None
    db.session.rollback()
