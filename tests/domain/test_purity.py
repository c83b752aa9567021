"""The audit domain stays pure: no web framework, no database layer, standard library only."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "tracker" / "domain"
FORBIDDEN = ("flask", "sqlalchemy", "werkzeug", "tracker.models", "tracker.services", "tracker.extensions")
FILES = sorted(DOMAIN.glob("*.py"))


def imported_modules(path: Path) -> list[str]:
    """Absolute names of every module a file imports (relative imports resolved against tracker.domain)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = ["tracker", "domain"][: 3 - node.level] if node.level <= 2 else []
                base = ".".join(package + ([node.module] if node.module else []))
                names.extend([base] if node.module else [f"{base}.{a.name}" for a in node.names])
            else:
                names.append(node.module or "")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            names.append("<dynamic __import__>")
    return names


def test_domain_has_the_expected_modules():
    assert {"__init__.py", "grades.py", "requirements.py", "definition.py", "audit.py"} <= {p.name for p in FILES}


def is_forbidden(name: str) -> bool:
    """True for flask, flask_* extensions, sqlalchemy and tracker's database and service layers."""
    return name.startswith("flask_") or any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_domain_module_imports_nothing_impure(path):
    for name in imported_modules(path):
        assert not is_forbidden(name), f"{path.name} imports {name}"
        top = name.split(".")[0]
        assert name.startswith("tracker.domain") or top in sys.stdlib_module_names, \
            f"{path.name} imports {name}, which is neither the standard library nor tracker.domain"


def test_the_checker_catches_forbidden_imports(tmp_path):
    """Guard against a checker that passes everything."""
    bad = tmp_path / "bad.py"
    bad.write_text("import flask\nfrom sqlalchemy import orm\nfrom ..models import User\nfrom flask_login import x\n"
                   "from ..services.accounts import y\nfrom .grades import GRADES\n")
    names = imported_modules(bad)
    assert names == ["flask", "sqlalchemy", "tracker.models", "flask_login", "tracker.services.accounts",
                     "tracker.domain.grades"]
    assert [is_forbidden(n) for n in names] == [True, True, True, True, True, False]
