"""Program requirements: see them, edit or upload the program definition, preview the changes, apply them."""
from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy.orm import selectinload

from ..domain import DefinitionError, parse_program_definition
from ..domain.positions import with_lines
from ..extensions import db
from ..forms import form_refusal
from ..markdown import render_markdown
from ..models import Program, Role
from ..permissions import role_required
from ..query_args import parse_id
from ..services import programs as program_service
from . import bp
from .catalog_routes import actor, get_or_404
from .forms import ApplyDefinitionForm, DefinitionForm


@bp.route("/programs")
@role_required(Role.ADMIN)
def programs():
    """Every program with the size of its catalog and requirements."""
    rows = db.session.scalars(
        sa.select(Program).options(selectinload(Program.concentrations), selectinload(Program.courses),
                                   selectinload(Program.requirements)).order_by(Program.name)
    ).all()
    return render_template("admin/programs.html", programs=rows)


@bp.route("/programs/<int:program_id>")
@role_required(Role.ADMIN)
def program(program_id: int):
    """A program's current requirements, in order, with what each asks for."""
    prog = get_or_404(Program, program_id, selectinload(Program.requirements), selectinload(Program.concentrations))
    names = {c.code: c.name for c in prog.concentrations}
    return render_template("admin/program.html", program=prog, concentration_names=names)


@bp.route("/programs/<int:program_id>/definition.toml")
@role_required(Role.ADMIN)
def download_definition(program_id: int):
    """The stored program definition as a file, to edit offline and upload again."""
    prog = get_or_404(Program, program_id)
    if not prog.definition_source:
        abort(404)
    # Codes are validated when loaded; the filename is still reduced to safe characters, since a header holding a
    # quote or a line break (from a row older than that check) would break the response.
    filename = f"{re.sub(r'[^a-z0-9_-]+', '-', prog.code.lower()).strip('-') or 'program'}.toml"
    return Response(prog.definition_source, mimetype="application/toml",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _read_text(form: DefinitionForm) -> str | None:
    """The definition from the uploaded file when one is given, else from the box; None after a decoding error."""
    upload = form.upload.data
    if upload is not None and getattr(upload, "filename", ""):
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.upload.errors = list(form.upload.errors) + ["The file is not UTF-8 text."]
            return None
    return form.definition.data or ""


def _definition_page(form: DefinitionForm, prog: Program | None, problems: list[str] | None = None,
                     warnings: list[str] | None = None):
    return render_template("admin/definition.html", form=form, program=prog, problems=problems or [],
                           warnings=warnings or [])


def _check_text(form: DefinitionForm, text: str, prog: Program | None):
    """Parse the definition; returns it (None after a problem, with the form's errors filled), the problems and
    the warnings, each message led by its line in the text."""
    form.definition.data = text
    if not text.strip():
        form.definition.errors = ["Paste a program definition or choose a .toml file."]
        return None, [], []
    try:
        defn = parse_program_definition(text)
    except DefinitionError as err:
        count = len(err.errors)
        form.definition.errors = [f"The definition has {count} problem{'s' if count != 1 else ''}; nothing was "
                                  "changed. Each problem names its line and the key at fault:"]
        return None, with_lines(text, err.errors), with_lines(text, err.warnings)
    warnings = with_lines(text, defn.warnings)
    if prog is not None and defn.code != prog.code:
        form.definition.errors = [f"This definition is for the program “{defn.code}”, not {prog.code}. "
                                  "Change [program] code, or load it as a new program."]
        return None, [], warnings
    return defn, [], warnings


@bp.route("/programs/definition-reference")
@role_required(Role.ADMIN)
def definition_reference():
    """The program definition reference for directors, rendered from docs/program-definitions.md (one source)."""
    source = Path(current_app.root_path).parent / "docs" / "program-definitions.md"
    return render_template("admin/definition_reference.html",
                           body=render_markdown(source.read_text(encoding="utf-8")))


@bp.route("/programs/<int:program_id>/definition", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_definition(program_id: int):
    """Edit a program's definition (prefilled with the stored one) or upload a file; then preview."""
    prog = get_or_404(Program, program_id)
    form = DefinitionForm()
    if not form.is_submitted():
        form.definition.data = prog.definition_source or ""
    return _preview_or_form(form, prog)


@bp.route("/programs/load", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def load_definition():
    """Load a new program (or update one) from a definition; then preview."""
    return _preview_or_form(DefinitionForm(), None)


def _preview_or_form(form: DefinitionForm, prog: Program | None):
    if not form.validate_on_submit():
        return _definition_page(form, prog)
    text = _read_text(form)
    if text is None:
        return _definition_page(form, prog)
    defn, problems, warnings = _check_text(form, text, prog)
    if defn is None:
        return _definition_page(form, prog, problems, warnings)
    changes = program_service.plan_changes(defn)
    apply_form = ApplyDefinitionForm(formdata=None, definition=text, program_id=str(prog.id) if prog else "")
    return render_template("admin/definition_preview.html", program=prog, definition=defn, changes=changes,
                           apply_form=apply_form, warnings=warnings)


@bp.route("/programs/apply", methods=["POST"])
@role_required(Role.ADMIN)
def apply_definition():
    """Check the previewed definition again and apply it in one transaction."""
    form = ApplyDefinitionForm()
    if not form.validate_on_submit():
        abort(400, description=form_refusal(form))
    raw_id = (form.program_id.data or "").strip()
    program_id = parse_id(raw_id)
    if raw_id and program_id is None:
        abort(404)
    prog = get_or_404(Program, program_id) if program_id is not None else None
    text = form.definition.data or ""
    edit_form = DefinitionForm(formdata=None)
    defn, problems, warnings = _check_text(edit_form, text, prog)
    if defn is None:
        return _definition_page(edit_form, prog, problems, warnings)
    try:
        applied, summary = program_service.apply_definition(defn, text, actor())
    except DefinitionError as err:
        edit_form.definition.errors = ["The definition could not be applied; nothing was changed:"]
        return _definition_page(edit_form, prog, err.errors)
    flash(f"Applied the definition of {applied.code}: {summary}.", "success")
    return redirect(url_for("admin.program", program_id=applied.id))
