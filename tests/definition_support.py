"""Program definition files for tests, written in a line each: TOML tables from keyword arguments, the tracks and
milestone kinds several tests declare, and the parser's errors for a text. Pure: tracker.domain only, no app."""
from __future__ import annotations

import json

import pytest

from tracker.domain import DefinitionError, parse_program_definition


def toml_value(value) -> str:
    """A Python value as TOML writes it: "strings", numbers, true/false, [lists] and { inline = tables }."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return str(value)


def table(header: str, /, **fields) -> str:
    """One table ("program") or array-of-tables entry ("[courses]") with its fields, a line each, in the given order."""
    return f"[{header}]\n" + "".join(f"{key} = {toml_value(value)}\n" for key, value in fields.items())


def requirement(key: str, kind: str, title: str, **params) -> str:
    """A [[requirements]] table."""
    return table("[requirements]", key=key, kind=kind, title=title, **params)


def course(code: str, title: str, credits, category: str, **more) -> str:
    """A [[courses]] table."""
    return table("[courses]", code=code, title=title, credits=credits, category=category, **more)


def concentration(code: str, name: str) -> str:
    """A [[concentrations]] table."""
    return table("[concentrations]", code=code, name=name)


def tables(*texts: str, lead: str = "\n") -> str:
    """Tables one after another, a blank line between them (and `lead` before the first)."""
    return lead + "\n".join(texts)


def block(**settings) -> str:
    """One [[requirements]] table from values already written as TOML (key='"x"'), a blank line before it."""
    lines = ["", "[[requirements]]"]
    for name, value in settings.items():
        lines.append(f"{name} = {value}")
    return "\n".join(lines) + "\n"


def errors_of(text: str) -> list[str]:
    """Every problem the parser reports for a definition text (it must refuse it)."""
    with pytest.raises(DefinitionError) as info:
        parse_program_definition(text)
    return info.value.errors


# A program's own tracks and milestone kinds (the domain's vocabulary tests and the end-to-end vocabulary tests).
VOCABULARY = tables(
    table("[tracks]", code="portfolio", label="Portfolio"),
    table("[tracks]", code="recital", label="Recital"),
    table("[milestones]", code="portfolio_review", label="Portfolio review passed", signed_by="advisor",
          track="portfolio"),
    table("[milestones]", code="jury", label="Jury passed", signed_by=["admin"], tracks=["portfolio", "recital"]),
)

# A valid, quiet definition to add one problem to (the validation and vocabulary tests).
BASE = """\
[program]
code = "MM-X"
name = "Test"
degree = "Master of Music"
total_credits = 12
min_gpa = "3.0"
max_transfer_credits = 0

[[concentrations]]
code = "production"
name = "Production"

[[concentrations]]
code = "technical"
name = "Technical"

[[courses]]
code = "C1"
title = "Core One"
credits = 3
category = "core"

[[courses]]
code = "P1"
title = "Production One"
credits = 3
category = "concentration"
concentration = "production"

[[courses]]
code = "P2"
title = "Production Two"
credits = 3
category = "concentration"
concentration = "production"

[[courses]]
code = "T1"
title = "Technical One"
credits = 3
category = "concentration"
concentration = "technical"

[[courses]]
code = "E1"
title = "Practicum"
credits = 1
category = "elective"
pass_fail = true

[[requirements]]
key = "total"
kind = "total_credits"
title = "Total"
credits = 12

[[requirements]]
key = "gpa"
kind = "gpa"
title = "GPA"
min_gpa = "3.0"
"""
