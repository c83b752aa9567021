"""Program requirements: see them, edit or upload the program definition, preview the changes, apply them;
catalog versions: list them, see one, load a new one, move students between them (with a preview of each audit)."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import joinedload, selectinload, undefer
from wtforms import SelectChoice

from ..choices import term_choices
from ..domain import DefinitionError, parse_program_definition, requirement_to_dict
from ..domain.positions import with_lines
from ..extensions import db
from ..forms import add_field_error, attach_error, form_refusal
from ..markdown import render_doc
from ..models import CatalogVersion, Program, Role
from ..permissions import current_actor, role_required
from ..query_args import id_arg, parse_id
from ..services import ServiceError
from ..services import catalog_versions as version_service
from ..services import programs as program_service
from . import bp
from .catalog_routes import get_or_404
from .version_forms import (
    NEW,
    ApplyVersionedDefinitionForm,
    ConfirmMoveForm,
    MoveStudentsForm,
    VersionedDefinitionForm,
    VersionFilterForm,
)


@bp.route("/programs")
@role_required(Role.ADMIN)
def programs():
    """Every program with the size of its catalog, its newest version's requirements and its versions."""
    rows = db.session.scalars(
        sa.select(Program).options(
            selectinload(Program.concentrations), selectinload(Program.courses),
            selectinload(Program.versions).options(joinedload(CatalogVersion.start_term),
                                                   undefer(CatalogVersion.definition)))
        .order_by(Program.name)
    ).all()
    newest = {p.id: version_service.ordered(p.versions)[-1] for p in rows if p.versions}
    requirements = {pid: len(version_service.rules_of(v).rules.requirements) for pid, v in newest.items()}
    return render_template("admin/programs.html", programs=rows, newest=newest, requirements=requirements)


def _requirement_rows(version: CatalogVersion | None) -> list[dict]:
    """A version's requirements as plain dicts (kind, key, title, description, concentrations, track, params)."""
    if version is None:
        return []
    return [requirement_to_dict(r) for r in version_service.rules_of(version).rules.requirements]


@bp.route("/programs/<int:program_id>")
@role_required(Role.ADMIN)
def program(program_id: int):
    """A program's catalog versions and its newest version's requirements, in order, with what each asks for."""
    prog = get_or_404(Program, program_id, selectinload(Program.concentrations))
    versions = version_service.program_versions(prog.id, with_definitions=True)
    return _program_page(prog, versions, versions[-1] if versions else None)


def _program_page(prog: Program, versions: list[CatalogVersion], version: CatalogVersion | None):
    """The program page showing one version's figures, vocabulary and requirements."""
    return render_template(
        "admin/program.html", program=prog, versions=versions, version=version,
        newest=versions[-1] if versions else None, students=version_service.students_by_version(prog.id),
        definition=version_service.rules_of(version).definition if version else None,
        requirements=_requirement_rows(version), concentration_names={c.code: c.name for c in prog.concentrations},
    )


def _version_or_404(prog: Program, version_id: int) -> CatalogVersion:
    version = version_service.get_version(prog.id, version_id)
    if version is None:
        abort(404)
    return version


@bp.route("/programs/<int:program_id>/versions/<int:version_id>")
@role_required(Role.ADMIN)
def program_version(program_id: int, version_id: int):
    """One catalog version's requirements (its students' rules)."""
    prog = get_or_404(Program, program_id, selectinload(Program.concentrations))
    versions = version_service.program_versions(prog.id, with_definitions=True)
    version = next((v for v in versions if v.id == version_id), None)
    if version is None:
        abort(404)
    return _program_page(prog, versions, version)


def _toml_response(code: str, source: str, suffix: str = "") -> Response:
    # Codes are validated when loaded; the filename is still reduced to safe characters, since a header holding a
    # quote or a line break (from a row older than that check) would break the response.
    stem = re.sub(r"[^a-z0-9_-]+", "-", f"{code}{suffix}".lower()).strip("-") or "program"
    return Response(source, mimetype="application/toml",
                    headers={"Content-Disposition": f'attachment; filename="{stem}.toml"'})


@bp.route("/programs/<int:program_id>/definition.toml")
@role_required(Role.ADMIN)
def definition_download(program_id: int):
    """The newest version's program definition as a file, to edit offline and upload again."""
    prog = get_or_404(Program, program_id)
    if not prog.definition_source:
        abort(404)
    return _toml_response(prog.code, prog.definition_source)


@bp.route("/programs/<int:program_id>/versions/<int:version_id>/definition.toml")
@role_required(Role.ADMIN)
def version_definition_download(program_id: int, version_id: int):
    """One catalog version's program definition as a file."""
    prog = get_or_404(Program, program_id)
    version = _version_or_404(prog, version_id)
    if not version.source:
        abort(404)
    return _toml_response(prog.code, version.source, f"-{version.name}")


@bp.route("/programs/catalog-versions-help")
@role_required(Role.ADMIN)
def catalog_versions_help():
    """How catalog versions work and how to move students, for directors (docs/catalog-versions.md)."""
    return render_template("admin/catalog_versions_help.html", body=render_doc("catalog-versions.md"))


@bp.route("/programs/audit-engine-help")
@role_required(Role.ADMIN)
def audit_engine_help():
    """How the degree audit decides what counts where, for directors (docs/audit-engine.md)."""
    return render_template("admin/audit_engine_help.html", body=render_doc("audit-engine.md"))


# ---------------------------------------------------------------- loading a definition

def _read_text(form: VersionedDefinitionForm) -> str | None:
    """The definition from the uploaded file when one is given, else from the box; None after a decoding error."""
    upload = form.upload.data
    if upload is not None and getattr(upload, "filename", ""):
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            add_field_error(form.upload, "The file is not UTF-8 text.")
            return None
    return form.definition.data or ""


def _version_choices(form: VersionedDefinitionForm, prog: Program | None) -> list[CatalogVersion]:
    """Fill the form's version and term choices; returns the program's versions, oldest first."""
    versions = version_service.program_versions(prog.id) if prog is not None else []
    form.version_id.choices = [SelectChoice(str(v.id), v.name + (" (newest)" if v is versions[-1] else ""))
                               for v in reversed(versions)]
    form.start_term_id.choices = term_choices("— choose the first term —")
    return versions


def _definition_page(form: VersionedDefinitionForm, prog: Program | None, problems: list[str] | None = None,
                     warnings: list[str] | None = None):
    return render_template("admin/definition.html", form=form, program=prog, problems=problems or [],
                           warnings=warnings or [])


def _check_text(form: VersionedDefinitionForm, text: str, prog: Program | None):
    """Parse the definition; returns it (None after a problem, with the form's errors filled), the problems and
    the warnings, each message led by its line in the text."""
    form.definition.data = text
    if not text.strip():
        attach_error(form, ServiceError("Paste a program definition or choose a .toml file.", "definition"))
        return None, [], []
    try:
        defn = parse_program_definition(text)
    except DefinitionError as err:
        count = len(err.errors)
        attach_error(form, ServiceError(f"The definition has {count} problem{'s' if count != 1 else ''}; nothing "
                                        "was changed. Each problem names its line and the key at fault:",
                                        "definition"))
        return None, with_lines(text, err.errors), with_lines(text, err.warnings)
    warnings = with_lines(text, defn.warnings)
    if prog is not None and defn.code != prog.code:
        attach_error(form, ServiceError(f"This definition is for the program “{defn.code}”, not {prog.code}. "
                                        "Change [program] code, or load it as a new program.", "definition"))
        return None, [], warnings
    return defn, [], warnings


def _target(form: VersionedDefinitionForm, prog: Program | None) -> program_service.LoadTarget:
    """Where the form says the definition goes (the service checks it). The load page, without a program, names
    only the first version (an existing program's newest version is replaced, as before versions existed)."""
    if prog is None:
        return program_service.LoadTarget(name=form.version_name.data or None)
    if form.mode.data == NEW:
        return program_service.LoadTarget(new_version=True, name=form.version_name.data,
                                          start_term_id=parse_id(form.start_term_id.data or ""))
    return program_service.LoadTarget(version_id=parse_id(form.version_id.data or ""))


@bp.route("/programs/definition-reference")
@role_required(Role.ADMIN)
def definition_reference():
    """The program definition reference for directors, rendered from docs/program-definitions.md (one source)."""
    return render_template("admin/definition_reference.html", body=render_doc("program-definitions.md"))


@bp.route("/programs/<int:program_id>/definition", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def definition_edit(program_id: int):
    """Edit a version's definition (prefilled with the stored one; the newest unless ?version= names one) or upload
    a file, choose to replace that version or create a new one; then preview."""
    prog = get_or_404(Program, program_id)
    form = VersionedDefinitionForm()
    versions = _version_choices(form, prog)
    if not form.is_submitted():
        chosen = next((v for v in versions if v.id == id_arg("version")), None)
        if chosen is not None:
            form.version_id.data = str(chosen.id)
            form.definition.data = db.session.scalar(sa.select(CatalogVersion.source)
                                                     .where(CatalogVersion.id == chosen.id)) or ""
        else:
            form.version_id.data = str(versions[-1].id) if versions else ""
            form.definition.data = prog.definition_source or ""
    return _preview_or_form(form, prog)


@bp.route("/programs/load", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def definition_load():
    """Load a new program (or update one) from a definition; then preview."""
    form = VersionedDefinitionForm()
    _version_choices(form, None)
    if not form.is_submitted():
        form.version_name.data = program_service.FIRST_VERSION_NAME
    return _preview_or_form(form, None)


def _preview_or_form(form: VersionedDefinitionForm, prog: Program | None):
    if not form.validate_on_submit():
        return _definition_page(form, prog)
    text = _read_text(form)
    if text is None:
        return _definition_page(form, prog)
    defn, problems, warnings = _check_text(form, text, prog)
    if defn is None:
        return _definition_page(form, prog, problems, warnings)
    target = _target(form, prog)
    try:
        changes = program_service.plan_changes(defn, target)
    except ServiceError as err:
        attach_error(form, err)
        return _definition_page(form, prog, [], warnings)
    apply_form = ApplyVersionedDefinitionForm(
        formdata=None, definition=text, program_id=str(prog.id) if prog else "", mode=form.mode.data or "",
        version_id=form.version_id.data or "", version_name=form.version_name.data or "",
        start_term_id=form.start_term_id.data or "")
    return render_template("admin/definition_preview.html", program=prog, definition=defn, changes=changes,
                           apply_form=apply_form, warnings=warnings)


@bp.route("/programs/apply", methods=["POST"])
@role_required(Role.ADMIN)
def definition_apply():
    """Check the previewed definition and where it goes again, and apply it in one transaction."""
    form = ApplyVersionedDefinitionForm()
    if not form.validate_on_submit():
        abort(400, description=form_refusal(form))
    raw_id = (form.program_id.data or "").strip()
    program_id = parse_id(raw_id)
    if raw_id and program_id is None:
        abort(404)
    prog = get_or_404(Program, program_id) if program_id is not None else None
    text = form.definition.data or ""
    edit_form = VersionedDefinitionForm(formdata=None, mode=form.mode.data or "replace",
                                        version_id=form.version_id.data, version_name=form.version_name.data,
                                        start_term_id=form.start_term_id.data)
    _version_choices(edit_form, prog)
    defn, problems, warnings = _check_text(edit_form, text, prog)
    if defn is None:
        return _definition_page(edit_form, prog, problems, warnings)
    try:
        applied, summary = program_service.apply_definition(defn, text, current_actor(), _target(edit_form, prog))
    except ServiceError as err:
        attach_error(edit_form, err)
        return _definition_page(edit_form, prog, [], warnings)
    except DefinitionError as err:
        attach_error(edit_form, ServiceError("The definition could not be applied; nothing was changed:",
                                             "definition"))
        return _definition_page(edit_form, prog, err.errors)
    flash(f"Applied the definition of {applied.code}: {summary}.", "success")
    return redirect(url_for("admin.program", program_id=applied.id))


# ---------------------------------------------------------------- moving students between versions

def _move_forms(prog: Program, versions: list[CatalogVersion]):
    """The filter (GET) and move (POST) forms with their choices; returns them and the students listed."""
    filters = VersionFilterForm(formdata=request.args)
    filters.current.choices = [SelectChoice("", "Any version")] + [
        SelectChoice(str(v.id), v.name) for v in reversed(versions)]
    shown_id = id_arg("current")
    shown = next((v for v in versions if v.id == shown_id), None)
    if shown is None:
        filters.current.data = ""
    everyone = version_service.students_of(prog.id)
    listed = [e for e in everyone if shown is None or e.catalog_version_id == shown.id]
    form = MoveStudentsForm()
    # Any student of the program is a valid choice (a student can be listed under another filter in another tab).
    form.students.choices = [SelectChoice(str(e.student_id), e.student.display_name) for e in everyone]
    form.target.choices = [SelectChoice("", "— choose a version —")] + [
        SelectChoice(str(v.id), v.name) for v in reversed(versions)]
    return filters, form, listed, shown


def _move_page(prog: Program, versions, filters, form, listed, shown, status: int = 200):
    return render_template("admin/move_students.html", program=prog, versions=versions, filters=filters, form=form,
                           listed=listed, shown=shown), status


@bp.route("/programs/<int:program_id>/versions/move", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def students_move(program_id: int):
    """Choose students (filtered by the version they follow) and a target version; POST shows the preview of
    every chosen student's audit under both versions. Nothing is written here."""
    prog = get_or_404(Program, program_id)
    versions = version_service.program_versions(prog.id)
    filters, form, listed, shown = _move_forms(prog, versions)
    if request.method == "GET":
        return _move_page(prog, versions, filters, form, listed, shown)
    if version_service.parse_student_ids(request.form.getlist("students")) is None:
        abort(400, description="The chosen students are not valid.")
    if not form.validate_on_submit():
        return _move_page(prog, versions, filters, form, listed, shown)
    chosen = [e.student_id for e in listed] if form.everyone.data else \
        version_service.parse_student_ids(form.students.data or [])
    try:
        preview = version_service.preview_move(prog, chosen, form.target.data)
    except ServiceError as err:
        attach_error(form, err)
        return _move_page(prog, versions, filters, form, listed, shown)
    confirm = ConfirmMoveForm(formdata=None, students=",".join(str(i) for i in preview.student_ids),
                              target=str(preview.target.id))
    return render_template("admin/move_preview.html", program=prog, preview=preview, confirm=confirm)


@bp.route("/programs/<int:program_id>/versions/move/apply", methods=["POST"])
@role_required(Role.ADMIN)
def students_move_apply(program_id: int):
    """Move the previewed students in one transaction (one history event each), or none of them."""
    prog = get_or_404(Program, program_id)
    form = ConfirmMoveForm()
    if not form.validate_on_submit():
        abort(400, description=form_refusal(form))
    ids = version_service.parse_student_ids((form.students.data or "").split(","))
    if ids is None:
        abort(400, description="The chosen students are not valid.")
    try:
        moved = version_service.apply_move(prog, ids, form.target.data, actor=current_actor())
    except ServiceError as err:
        flash(err.message, "danger")
        return redirect(url_for("admin.students_move", program_id=prog.id))
    target = version_service.get_version(prog.id, parse_id(form.target.data))
    flash(f"Moved {moved} student{'' if moved == 1 else 's'} to {target.label}; their audits now follow it.",
          "success")
    return redirect(url_for("admin.program", program_id=prog.id))
