"""Select-field choices that several features' forms share. Models and services hand out plain values (enum
members, rows, (value, label) pairs); this form-layer module wraps them in WTForms' SelectChoice."""
from __future__ import annotations

from wtforms import SelectChoice

from .models import Program
from .models.base import LabelledEnum
from .services import admin_accounts, admin_catalog, admin_terms


def enum_choices(enum_cls: type[LabelledEnum]) -> list[SelectChoice]:
    """One choice (value, label) per member of a labelled enum, in declaration order."""
    return [SelectChoice(m.value, m.label) for m in enum_cls]


def program_choices() -> list[SelectChoice]:
    """Programs for a select field."""
    return [SelectChoice(str(p.id), f"{p.name} ({p.code})") for p in admin_catalog.programs_by_name()]


def concentration_choices(program_id: int | None = None, *, blank: str | None = "— none —",
                          active_only: bool = False, keep_id: int | None = None) -> list[SelectChoice]:
    """Concentrations (of one program, or all labelled with their program) for a select field."""
    choices = [] if blank is None else [SelectChoice("", blank)]
    for c in admin_catalog.concentrations_by_name(program_id):
        if active_only and not c.active and c.id != keep_id:
            continue
        label = c.name if program_id else f"{c.name} ({c.program.code})"
        choices.append(SelectChoice(str(c.id), label + ("" if c.active else " — retired")))
    return choices


def term_choices(blank: str) -> list[SelectChoice]:
    """Terms, newest first, after a blank choice labelled `blank`, for a select field."""
    return [SelectChoice("", blank)] + [SelectChoice(str(t.id), t.name) for t in admin_terms.newest_first()]


def track_choices(program: Program | None) -> list[SelectChoice]:
    """A program's tracks (the default tracks when there is no program yet)."""
    return [SelectChoice(code, label) for code, label in admin_accounts.program_tracks(program)]
