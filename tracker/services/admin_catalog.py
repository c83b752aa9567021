"""What the program offers: studios, ensembles, concentrations and catalog courses — add, edit, retire, delete unused."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from ..extensions import db
from ..models import (
    AuditException,
    Concentration,
    Course,
    CourseCategory,
    CourseRecord,
    Enrollment,
    Ensemble,
    EnsembleRecord,
    Program,
    Studio,
    StudioSession,
    User,
)
from . import Problems, ServiceError, history
from .values import optional_decimal, optional_id, parse_decimal

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def _required(value: str | None, field: str, message: str, max_length: int) -> str:
    """A stripped, non-empty value no longer than the column allows."""
    value = (value or "").strip()
    if not value:
        raise ServiceError(message, field)
    if len(value) > max_length:
        raise ServiceError(f"Use at most {max_length} characters.", field)
    return value


def _name_taken(model, name: str, own_id: int | None) -> bool:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(model)
        .where(sa.func.lower(model.name) == name.lower(), model.id != (own_id or 0))
    ) > 0


def _set_active(obj, active: bool, entity_type: str, label: str, actor: User) -> None:
    """Retire or reactivate a studio, ensemble, concentration or course."""
    if obj.active == active:
        raise ServiceError(f"{label} is already {'active' if active else 'retired'}.")
    obj.active = active
    history.record(actor, f"{entity_type}.{'reactivated' if active else 'retired'}", entity_type, obj.id,
                   summary=f"{'Reactivated' if active else 'Retired'} {entity_type} {label}",
                   changes={"active": [not active, active]})
    db.session.commit()


# ---------------------------------------------------------------- studios and ensembles

@dataclass(frozen=True, eq=False)  # eq=False: SQLAlchemy columns overload ==, so compare specs by identity
class SimpleItem:
    """A catalog item that is only a name, one free-text detail and a use count: a studio or an ensemble."""

    model: type[Studio] | type[Ensemble]
    noun: str  # history entity type and the word in messages: "studio"
    article: str  # "a" / "an", for "There is already an ensemble with this name."
    detail: str  # the free-text column: "location" or "description"
    detail_max: int | None  # longest detail kept (None: the form alone limits it)
    usage: InstrumentedAttribute[int]  # the foreign-key column whose rows use an item; an item in use is never deleted
    usage_noun: str  # "studio session(s)", for the refusal to delete
    deleted_changes: tuple[str, ...]  # columns the deletion event keeps


STUDIO = SimpleItem(Studio, "studio", "a", "location", 200, StudioSession.studio_id, "studio session(s)",
                    ("name", "location"))
ENSEMBLE = SimpleItem(Ensemble, "ensemble", "an", "description", None, EnsembleRecord.ensemble_id,
                      "ensemble record(s)", ("name",))


def save_item(kind: SimpleItem, item: Studio | Ensemble | None, name: str, detail: str, *,
              actor: User) -> Studio | Ensemble:
    """Add a studio or ensemble (item None) or edit one."""
    name = _required(name, "name", f"Enter the {kind.noun}'s name.", 120)
    detail = (detail or "").strip()[:kind.detail_max]
    if _name_taken(kind.model, name, item.id if item else None):
        raise ServiceError(f"There is already {kind.article} {kind.noun} with this name.", "name")
    if item is None:
        item = kind.model(name=name, active=True, **{kind.detail: detail})
        db.session.add(item)
        db.session.flush()
        history.record(actor, f"{kind.noun}.created", kind.noun, item.id, summary=f"Added {kind.noun} {name}",
                       changes={"name": name, kind.detail: detail})
    else:
        changes = history.diff(item, {"name": name, kind.detail: detail})
        if not changes:
            return item
        item.name = name
        setattr(item, kind.detail, detail)
        history.record(actor, f"{kind.noun}.updated", kind.noun, item.id, summary=f"Edited {kind.noun} {name}",
                       changes=changes)
    db.session.commit()
    return item


def set_item_active(kind: SimpleItem, item: Studio | Ensemble, active: bool, *, actor: User) -> None:
    """Retire a studio or ensemble (no longer offered for new sessions or records) or bring it back."""
    _set_active(item, active, kind.noun, item.name, actor)


def delete_item(kind: SimpleItem, item: Studio | Ensemble, *, actor: User) -> None:
    """Delete a studio or ensemble nothing uses."""
    used = db.session.scalar(sa.select(sa.func.count()).where(kind.usage == item.id))
    if used:
        raise ServiceError(f"{item.name} has {used} {kind.usage_noun} and cannot be deleted; retire it instead.")
    history.record(actor, f"{kind.noun}.deleted", kind.noun, item.id, summary=f"Deleted {kind.noun} {item.name}",
                   changes={column: getattr(item, column) for column in kind.deleted_changes})
    db.session.delete(item)
    db.session.commit()


# ---------------------------------------------------------------- concentrations

def programs_by_name() -> list[Program]:
    """Every program, by name (for choosing one)."""
    return list(db.session.scalars(sa.select(Program).order_by(Program.name)))


def concentrations_by_name(program_id: int | None = None) -> list[Concentration]:
    """The concentrations of one program (of every program, each with its program, when None), by name."""
    query = sa.select(Concentration).options(joinedload(Concentration.program)).order_by(Concentration.name)
    if program_id:
        query = query.where(Concentration.program_id == program_id)
    return list(db.session.scalars(query))


def catalog_courses(*, program_id: int | None = None, active: bool | None = None, search: str | None = None
                    ) -> list[Course]:
    """The catalog's courses by program and code, with program and concentration, narrowed by the filters given:
    one program, active or retired, a code or title containing `search`."""
    query = (sa.select(Course).join(Program)
             .options(joinedload(Course.program), joinedload(Course.concentration))
             .order_by(Program.code, Course.code))
    if program_id is not None:
        query = query.where(Course.program_id == program_id)
    if active is not None:
        query = query.where(Course.active.is_(active))
    if search:
        query = query.where(sa.or_(Course.code.icontains(search, autoescape=True),
                                   Course.title.icontains(search, autoescape=True)))
    return list(db.session.scalars(query))


def create_concentration(program: Program | None, code: str, name: str, *, actor: User) -> Concentration:
    """Add a concentration to a program; its code is what program definitions and requirements use."""
    problems = Problems()
    if program is None:
        problems.add("program_id", "Choose the program.")
    code = problems.check(_required, code, "code", "Enter a short code, e.g. production.", 32)
    if code is not None:
        code = code.lower()
        if not CODE_PATTERN.match(code):
            problems.add("code", "Use lower-case letters, digits and underscores, starting with a letter.")
    name = problems.check(_required, name, "name", "Enter the concentration's name.", 120)
    if program is not None:
        existing = db.session.scalars(sa.select(Concentration).where(Concentration.program_id == program.id)).all()
        if not problems.has("code") and any(c.code == code for c in existing):
            problems.add("code", f"{program.code} already has a concentration with the code {code}.")
        if name is not None and any(c.name.lower() == name.lower() for c in existing):
            problems.add("name", f"{program.code} already has a concentration called {name}.")
    problems.raise_any()
    conc = Concentration(program_id=program.id, code=code, name=name, active=True)
    db.session.add(conc)
    db.session.flush()
    history.record(actor, "concentration.created", "concentration", conc.id,
                   summary=f"Added concentration {name} to {program.code}",
                   changes={"program": program.code, "code": code, "name": name})
    db.session.commit()
    return conc


def rename_concentration(conc: Concentration, name: str, *, actor: User) -> None:
    """Rename a concentration (its code, used by requirements, stays)."""
    name = _required(name, "name", "Enter the concentration's name.", 120)
    clash = db.session.scalar(sa.select(sa.func.count()).where(
        Concentration.program_id == conc.program_id, sa.func.lower(Concentration.name) == name.lower(),
        Concentration.id != conc.id))
    if clash:
        raise ServiceError("Another concentration of this program has this name.", "name")
    changes = history.diff(conc, {"name": name})
    if not changes:
        return
    conc.name = name
    history.record(actor, "concentration.renamed", "concentration", conc.id,
                   summary=f"Renamed concentration {conc.code} to {name}", changes=changes)
    db.session.commit()


def set_concentration_active(conc: Concentration, active: bool, *, actor: User) -> None:
    """Retire a concentration (no new students in it; current students keep it) or bring it back."""
    _set_active(conc, active, "concentration", conc.name, actor)


def concentration_usage(conc_id: int) -> int:
    """Students enrolled in a concentration."""
    return db.session.scalar(sa.select(sa.func.count()).where(Enrollment.concentration_id == conc_id))


# ---------------------------------------------------------------- courses

def _course_values(program: Program | None, title, credits, category, concentration_id, pass_fail, description,
                   max_credits=None, problems: Problems | None = None) -> dict:
    """Validated column values of a course (all but program and code); every refusal at its field at once.

    Given `problems`, the refusals are added there for the caller to raise with its own (and the values are
    incomplete when there are any).
    """
    own = problems is None
    problems = Problems() if own else problems
    title = problems.check(_required, title, "title", "Enter the course title.", 200)
    if credits is None or (isinstance(credits, str) and not credits.strip()):
        problems.add("credits", "Enter the number of credits.")
    else:
        credits = problems.check(parse_decimal, credits, "credits", places=1, maximum=99,
                                 message="Credits must be a positive number with at most one decimal, below 100.")
    if not problems.has("credits"):
        # A variable-credit course: each record carries from `credits` (the least) up to `max_credits`.
        max_credits = problems.check(
            optional_decimal, max_credits, "max_credits", places=1, minimum=credits, allow_minimum=True, maximum=99,
            message=f"For a variable-credit course, enter the most credits a record may carry: at least the "
                    f"credits ({credits.normalize():f}), at most 99, with at most one decimal. Leave it blank for a "
                    "fixed-credit course.")
    try:
        category = CourseCategory(category)
    except ValueError:
        problems.add("category", "Choose a category.")
    conc = None
    concentration_id = problems.check(optional_id, concentration_id, "concentration_id",
                                      "Choose a concentration of this course's program.")
    if concentration_id and program is not None:
        conc = db.session.get(Concentration, concentration_id)
        if conc is None or conc.program_id != program.id:
            conc = None
            problems.add("concentration_id", "Choose a concentration of this course's program.")
    if category == CourseCategory.CONCENTRATION and conc is None and not problems.has("concentration_id") \
            and program is not None:
        problems.add("concentration_id", "A concentration course needs its concentration.")
    if own:
        problems.raise_any()
    return {"title": title, "credits": credits, "max_credits": max_credits, "category": category,
            "concentration_id": conc.id if conc else None, "pass_fail": bool(pass_fail),
            "description": (description or "").strip()}


def _check_record_credits(course: Course, credits: Decimal, max_credits: Decimal | None) -> None:
    """Refuse a credit range that would leave students' records of the course with credits it no longer allows
    (a record keeps what the student took; the catalog must keep making sense of it)."""
    carrying = sa.select(sa.func.count()).where(CourseRecord.course_id == course.id, CourseRecord.credits.is_not(None))
    if max_credits is None:
        count = db.session.scalar(carrying)
        if count:
            raise ServiceError(f"{count} student record(s) of {course.code} carry their own credits, so it stays a "
                               "variable-credit course: enter its maximum credits.", "max_credits")
        return
    outside = db.session.scalar(carrying.where(sa.or_(CourseRecord.credits < credits,
                                                      CourseRecord.credits > max_credits)))
    if outside:
        raise ServiceError(f"{outside} student record(s) of {course.code} carry credits outside "
                           f"{credits.normalize():f} to {max_credits.normalize():f}; choose a range that includes "
                           "them.", "max_credits")


def create_course(program: Program | None, code: str, title: str, credits, category: str,
                  concentration_id: int | None, pass_fail: bool, description: str, *, actor: User,
                  max_credits=None) -> Course:
    """Add a course to a program's catalog (variable-credit when max_credits is given)."""
    problems = Problems()
    if program is None:
        problems.add("program_id", "Choose the program.")
    code = problems.check(_required, code, "code", "Enter the course code, e.g. MPT 601.", 32)
    if code is not None:
        code = re.sub(r"\s+", " ", code).upper()
        if program is not None and db.session.scalar(
                sa.select(sa.func.count()).where(Course.program_id == program.id, Course.code == code)):
            problems.add("code", f"{program.code} already has a course {code}.")
    values = _course_values(program, title, credits, category, concentration_id, pass_fail, description,
                            max_credits, problems)
    problems.raise_any()
    course = Course(program_id=program.id, code=code, active=True, **values)
    db.session.add(course)
    db.session.flush()
    history.record(actor, "course.created", "course", course.id, summary=f"Added course {code} {values['title']}",
                   changes={"program": program.code, "code": code, **values})
    db.session.commit()
    return course


def update_course(course: Course, title: str, credits, category: str, concentration_id: int | None,
                  pass_fail: bool, description: str, *, actor: User, max_credits=None) -> None:
    """Edit a course; its code stays, since requirements and records refer to it."""
    values = _course_values(course.program, title, credits, category, concentration_id, pass_fail, description,
                            max_credits)
    _check_record_credits(course, values["credits"], values["max_credits"])
    changes = history.diff(course, values)
    if not changes:
        return
    for attr, value in values.items():
        setattr(course, attr, value)
    history.record(actor, "course.updated", "course", course.id, summary=f"Edited course {course.code}",
                   changes=changes)
    db.session.commit()


def set_course_active(course: Course, active: bool, *, actor: User) -> None:
    """Retire a course (students can no longer add it) or bring it back."""
    _set_active(course, active, "course", course.code, actor)


def _named(value, code: str) -> bool:
    """True when a requirement's course list (alternatives may be nested lists) names the code."""
    if isinstance(value, (list, tuple)):
        return any(_named(item, code) for item in value)
    return value == code


def course_in_requirements(course: Course) -> list[str]:
    """Titles of the requirements that name the course, in any catalog version of its program ("Core courses
    (Catalog 2025–26)")."""
    from ..domain import requirement_to_dict
    from .catalog_versions import program_versions, rules_of

    named = []
    for version in program_versions(course.program_id, with_definitions=True):
        for req in rules_of(version).rules.requirements:
            params = requirement_to_dict(req)["params"]
            if _named(params.get("courses", []), course.code):
                named.append(f"{req.title} ({version.label})")
    return named


def delete_course(course: Course, *, actor: User) -> None:
    """Delete a course nobody has taken and no requirement names; otherwise it can only be retired."""
    records = db.session.scalar(sa.select(sa.func.count()).where(CourseRecord.course_id == course.id))
    exceptions = db.session.scalar(sa.select(sa.func.count()).where(AuditException.course_id == course.id))
    if records or exceptions:
        raise ServiceError(f"{course.code} has {records + exceptions} record(s) and cannot be deleted; "
                           "retire it instead.")
    named = course_in_requirements(course)
    if named:
        raise ServiceError(f"{course.code} is named by the requirement {', '.join(named)}; "
                           "change the program definition first, or retire the course.")
    history.record(actor, "course.deleted", "course", course.id, summary=f"Deleted course {course.code}",
                   changes={"code": course.code, "title": course.title})
    db.session.delete(course)
    db.session.commit()


def _counts(column) -> dict[int, int]:
    return dict(db.session.execute(sa.select(column, sa.func.count()).group_by(column)).all())


def usage_by_item(kind: SimpleItem) -> dict[int, int]:
    """Studio (or ensemble) id -> sessions logged there (or ensemble records) (one query)."""
    return _counts(kind.usage)


def students_by_concentration() -> dict[int, int]:
    """Concentration id -> number of enrolled students (one query)."""
    return _counts(Enrollment.concentration_id)


def records_by_course() -> dict[int, int]:
    """Course id -> course records plus transfer credits naming it (one query)."""
    used = sa.union_all(
        sa.select(CourseRecord.course_id.label("course_id")),
        sa.select(AuditException.course_id.label("course_id")).where(AuditException.course_id.is_not(None)),
    ).subquery()
    return dict(db.session.execute(sa.select(used.c.course_id, sa.func.count()).group_by(used.c.course_id)).all())
