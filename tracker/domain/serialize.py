"""A program definition as JSON: what a catalog version stores, so audits never depend on re-reading TOML.

`definition_to_json` and `definition_from_json` are inverses. The JSON is plain data (strings for decimals) with a
`format` number, so a stored version stays readable when the definition language grows: a newer engine reads
older formats, and a key it does not know is an error rather than a silent change of meaning.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from .definition import CourseDef, Policies, ProgramDefinition
from .requirements import DefinitionError, requirement_from_dict, requirement_to_dict
from .vocabulary import Vocabulary

FORMAT = 1


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _course_to_json(course: CourseDef) -> dict:
    return {
        "code": course.code, "title": course.title, "credits": _dec(course.credits), "category": course.category,
        "concentration": course.concentration, "pass_fail": course.pass_fail, "description": course.description,
        "max_credits": _dec(course.max_credits), "tags": list(course.tags), "repeatable": course.repeatable,
        "repeat_max_credits": _dec(course.repeat_max_credits), "counts_toward_total": course.counts_toward_total,
    }


def _course_from_json(data: dict) -> CourseDef:
    return CourseDef(
        code=data["code"], title=data["title"], credits=Decimal(data["credits"]), category=data["category"],
        concentration=data.get("concentration"), pass_fail=bool(data.get("pass_fail", False)),
        description=data.get("description") or "",
        max_credits=None if data.get("max_credits") is None else Decimal(data["max_credits"]),
        tags=tuple(data.get("tags") or ()), repeatable=data.get("repeatable"),
        repeat_max_credits=None if data.get("repeat_max_credits") is None else Decimal(data["repeat_max_credits"]),
        counts_toward_total=bool(data.get("counts_toward_total", True)),
    )


def definition_to_json(defn: ProgramDefinition) -> dict:
    """The whole definition as JSON-ready data (warnings are not kept: they were shown when it was loaded)."""
    tracks, milestones = defn.vocabulary.to_json()
    return {
        "format": FORMAT,
        "code": defn.code, "name": defn.name, "degree": defn.degree,
        "total_credits": _dec(defn.total_credits), "min_gpa": _dec(defn.min_gpa),
        "max_transfer_credits": _dec(defn.max_transfer_credits),
        "concentrations": [[code, name] for code, name in defn.concentrations],
        "tracks": tracks, "milestones": milestones,
        "courses": [_course_to_json(c) for c in defn.courses],
        "equivalences": [list(group) for group in defn.equivalences],
        "policies": defn.policies.to_json(),
        "requirements": [requirement_to_dict(r) for r in defn.requirements],
    }


def definition_from_json(data: Any) -> ProgramDefinition:
    """Rebuild a definition stored by definition_to_json; raises DefinitionError when the data is not one."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DefinitionError(["stored definition: unknown format"])
    try:
        vocabulary = Vocabulary.from_json(data.get("tracks"), data.get("milestones"))
        requirements = tuple(
            requirement_from_dict(r["kind"], r["key"], r["title"], r.get("description") or "",
                                  r.get("concentrations") or [], r.get("track"), r.get("params") or {},
                                  tracks=vocabulary.track_codes, milestone_kinds=vocabulary.milestone_codes)
            for r in data["requirements"])
        return ProgramDefinition(
            code=data["code"], name=data["name"], degree=data.get("degree") or "",
            total_credits=Decimal(data["total_credits"]), min_gpa=Decimal(data["min_gpa"]),
            max_transfer_credits=Decimal(data.get("max_transfer_credits") or 0),
            concentrations=tuple((c, n) for c, n in data.get("concentrations") or ()),
            courses=tuple(_course_from_json(c) for c in data.get("courses") or ()),
            requirements=requirements,
            tracks=vocabulary.tracks, milestones=vocabulary.milestones,
            equivalences=tuple(tuple(g) for g in data.get("equivalences") or ()),
            policies=Policies.from_json(data.get("policies") or {}),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        if isinstance(exc, DefinitionError):
            raise
        raise DefinitionError([f"stored definition: {exc.__class__.__name__}: {exc}"]) from None
