"""One name per feature: blueprint, package, template folder, URL prefix and endpoint agree for every page.

The rules (docs/ARCHITECTURE-like, and what a newcomer greps for):
- a feature `x` is the blueprint `x`, the package `tracker/x/`, the templates `templates/x/` and the URLs `/x/...`;
  only the site root `/` and the load balancers' `/healthz` stand outside a feature's prefix;
- an endpoint is `x.<name>`, `<name>` snake_case and the view function's own name, with the action last
  (`catalog_edit`, `mine_export`), so a feature's endpoints sort together;
- every view is an explicit `@bp.route` in its feature's package, so grep finds each endpoint;
- URLs never end in a slash (except `/`).
"""
from __future__ import annotations

import ast
import pathlib
import re
from types import SimpleNamespace

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
TRACKER = ROOT / "tracker"
TEMPLATES = ROOT / "templates"

# Pages outside every feature's prefix, on purpose.
OUTSIDE_PREFIX = {"dashboard.home": "/", "dashboard.healthz": "/healthz"}
# Words that say what a view does; in a name of several words they come last.
ACTIONS = {"add", "apply", "assign", "change", "close", "decide", "delete", "download", "edit", "export", "import",
           "load", "log", "move", "new", "open", "read", "record", "reopen", "reset", "revoke", "undo", "withdraw"}
# Template folders that belong to no feature: shared macros and the error pages.
SHARED_TEMPLATE_FOLDERS = {"_macros", "errors"}
NAME = re.compile(r"^[a-z]+(_[a-z]+)*$")


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def endpoint_problems(endpoint: str, rule: str, view, blueprints: set[str]) -> list[str]:
    """What is wrong with one endpoint under the naming rules (empty when nothing is)."""
    problems = []
    feature, _, name = endpoint.partition(".")
    if feature not in blueprints or not name:
        return [f"{endpoint}: not inside a feature's blueprint"]
    if not NAME.match(name):
        problems.append(f"{endpoint}: the name is not snake_case")
    words = name.split("_")
    if len(words) > 1 and words[0] in ACTIONS:
        problems.append(f"{endpoint}: the action comes first (say `{'_'.join(words[1:])}_{words[0]}`)")
    if not (view.__name__ == name or view.__name__.startswith(name + "_")):
        problems.append(f"{endpoint}: the view function is called {view.__name__}")
    if not view.__module__.startswith(f"tracker.{feature}."):
        problems.append(f"{endpoint}: the view lives in {view.__module__}, outside tracker/{feature}/")
    expected = OUTSIDE_PREFIX.get(endpoint)
    if expected is not None:
        if rule != expected:
            problems.append(f"{endpoint}: expected at {expected}, found {rule}")
    elif not (rule == f"/{feature}" or rule.startswith(f"/{feature}/")):
        problems.append(f"{endpoint}: {rule} is outside /{feature}")
    if rule != "/" and rule.endswith("/"):
        problems.append(f"{endpoint}: {rule} ends in a slash")
    return problems


def test_every_endpoint_follows_the_naming_rules(app):
    blueprints = set(app.blueprints)
    problems = [p for rule in _rules(app)
                for p in endpoint_problems(rule.endpoint, rule.rule, app.view_functions[rule.endpoint], blueprints)]
    assert problems == []


def test_each_blueprint_is_its_own_package_and_url_prefix(app):
    for name, blueprint in app.blueprints.items():
        assert blueprint.import_name == f"tracker.{name}", name
        assert (TRACKER / name / "__init__.py").is_file(), name
        if name != "dashboard":  # the dashboard also holds / and /healthz, so its routes carry /dashboard
            assert blueprint.url_prefix == f"/{name}", name


@pytest.mark.parametrize("endpoint, rule, module, function, problem", [
    ("progress.export_mine", "/progress/export.csv", "tracker.progress.routes", "export_mine", "action comes first"),
    ("admin.terms", "/manage/terms", "tracker.admin.routes", "terms", "outside /admin"),
    ("admin.exceptions", "/admin/x", "tracker.advising.routes", "exceptions", "outside tracker/admin/"),
    ("reports.index", "/reports/", "tracker.reports.routes", "index", "ends in a slash"),
    ("studio.edit", "/studio/e", "tracker.studio.routes", "wrapped", "view function is called wrapped"),
    ("studio.logSession", "/studio/l", "tracker.studio.routes", "logSession", "not snake_case"),
    ("nowhere.page", "/nowhere", "tracker.nowhere.routes", "page", "not inside a feature"),
])
def test_the_naming_rules_catch_each_kind_of_slip(endpoint, rule, module, function, problem):
    view = SimpleNamespace(__name__=function, __module__=module)
    found = endpoint_problems(endpoint, rule, view, {"admin", "progress", "reports", "studio"})
    assert any(problem in p for p in found), found


def _route_decorated(tree: ast.Module) -> set[str]:
    """Names of the functions in a module decorated with `@bp.route(...)`."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                call = dec if isinstance(dec, ast.Call) else None
                if call and isinstance(call.func, ast.Attribute) and call.func.attr == "route" \
                        and isinstance(call.func.value, ast.Name) and call.func.value.id == "bp":
                    found.add(node.name)
    return found


def test_every_view_is_an_explicit_route_grep_can_find(app):
    """No endpoint is made at run time (add_url_rule in a loop): each is a `@bp.route` on a named function."""
    explicit = set()
    for path in TRACKER.glob("*/*.py"):
        module = "tracker." + ".".join(path.relative_to(TRACKER).with_suffix("").parts)
        explicit |= {(module, name) for name in _route_decorated(ast.parse(path.read_text()))}
    missing = [rule.endpoint for rule in _rules(app)
               if (app.view_functions[rule.endpoint].__module__, app.view_functions[rule.endpoint].__name__)
               not in explicit]
    assert missing == []


def _rendered_templates(path: pathlib.Path) -> list[str]:
    """Template names a module passes to render_template as a literal."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "render_template" and node.args \
                and isinstance(node.args[0], ast.Constant):
            names.append(node.args[0].value)
    return names


def test_each_feature_renders_its_own_template_folder(app):
    problems = []
    for feature in app.blueprints:
        for path in (TRACKER / feature).glob("*.py"):
            for name in _rendered_templates(path):
                if name.split("/")[0] != feature:
                    problems.append(f"{path.relative_to(ROOT)} renders {name}")
    assert problems == []


def test_every_template_folder_is_a_feature(app):
    folders = {p.name for p in TEMPLATES.iterdir() if p.is_dir()}
    assert folders - set(app.blueprints) - SHARED_TEMPLATE_FOLDERS == set()
