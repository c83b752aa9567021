"""Test helpers for catalog versions: a bare version for a fixture program, and requirements added to a version."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from tracker.domain import ProgramDefinition, requirement_from_dict, requirement_to_dict
from tracker.extensions import db
from tracker.models import CatalogVersion, Concentration, Program, Term
from tracker.services import catalog_versions


def bare_version(program: Program, name: str = "Initial", start_term: Term | None = None, *,
                 requirements: tuple = (), total_credits=None) -> CatalogVersion:
    """A catalog version of a program stored without a definition file: its columns and concentrations, no
    courses, the given requirements (domain objects). Added to the session, not committed."""
    concentrations = db.session.scalars(sa.select(Concentration).where(Concentration.program_id == program.id)
                                        .order_by(Concentration.id)).all()
    defn = ProgramDefinition(
        code=program.code, name=program.name, degree=program.degree or "",
        total_credits=Decimal(total_credits if total_credits is not None else program.total_credits),
        min_gpa=Decimal(program.min_gpa), max_transfer_credits=Decimal(program.max_transfer_credits or 6),
        concentrations=tuple((c.code, c.name) for c in concentrations), courses=(), requirements=tuple(requirements),
    )
    version = CatalogVersion(program_id=program.id, name=name, start_term_id=start_term.id if start_term else None)
    catalog_versions.set_definition(version, catalog_versions.definition_data(defn))
    db.session.add(version)
    return version


def newest(program_id: int) -> CatalogVersion:
    """The program's newest catalog version (its definition loaded)."""
    version = catalog_versions.newest_version(program_id)
    assert version is not None
    return version


def add_requirement(program_id: int, key: str, kind: str, title: str, params: dict, *, concentrations=(),
                    track: str | None = None, version: CatalogVersion | None = None) -> None:
    """Append a requirement to a version's definition (the newest by default) and commit, as loading a definition
    with one more [[requirements]] table would."""
    version = version or newest(program_id)
    data = dict(version.definition)
    req = requirement_from_dict(kind, key, title, "", list(concentrations), track, params)
    data["requirements"] = list(data["requirements"]) + [requirement_to_dict(req)]
    catalog_versions.set_definition(version, data)
    db.session.commit()


def requirement_titles(program_id: int) -> list[str]:
    """Titles of the requirements of the program's newest catalog version, in order."""
    db.session.expire_all()
    return [r["title"] for r in newest(program_id).definition["requirements"]]
