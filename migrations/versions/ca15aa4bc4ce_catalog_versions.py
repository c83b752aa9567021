"""catalog versions: a program's rules live in versions; each enrollment follows one

Adds the catalog_version table and enrollment.catalog_version_id, and drops the requirement table. Each existing
program gets one version, "Initial" (in force from the beginning), whose definition JSON is built from the
program's columns and vocabulary, its concentrations, its course rows and its requirement rows, in the stored
format 1 of tracker.domain.definition_to_json (written out here on purpose, so this revision keeps meaning what it
meant when the app changes); every enrollment follows it. Downgrading recreates the requirement rows from each
program's newest version (its requirements must be ones the older code knows) and drops the versions.

Revision ID: ca15aa4bc4ce
Revises: b4e8d2f61a93
Create Date: 2026-12-03 09:00:00.000000

"""
import hashlib
import json
from datetime import date, datetime, timezone
from decimal import Decimal

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ca15aa4bc4ce'
down_revision = 'b4e8d2f61a93'
branch_labels = None
depends_on = None

FIRST_VERSION_NAME = "Initial"
FORMAT = 1
# The vocabulary a program row with NULL columns means (as revision b4e8d2f61a93 froze it).
DEFAULT_TRACKS = [{"code": "thesis", "label": "Thesis"}, {"code": "non_thesis", "label": "Non-thesis"}]
DEFAULT_MILESTONES = [
    {"code": code, "label": label, "signed_by": ["advisor", "admin"], "tracks": []}
    for code, label in (("proposal", "Thesis proposal approved"), ("committee", "Committee formed"),
                        ("defense", "Defense passed"), ("deposit", "Thesis deposited"),
                        ("capstone", "Capstone project passed"),
                        ("comprehensive_exam", "Comprehensive exam passed"))
]

program_t = sa.table(
    'program', sa.column('id', sa.Integer), sa.column('code', sa.String), sa.column('name', sa.String),
    sa.column('degree', sa.String), sa.column('total_credits', sa.Numeric(5, 1)),
    sa.column('min_gpa', sa.Numeric(3, 2)), sa.column('max_transfer_credits', sa.Numeric(5, 1)),
    sa.column('definition_source', sa.Text), sa.column('tracks', sa.JSON), sa.column('milestone_kinds', sa.JSON))
concentration_t = sa.table('concentration', sa.column('id', sa.Integer), sa.column('program_id', sa.Integer),
                           sa.column('code', sa.String), sa.column('name', sa.String))
course_t = sa.table(
    'course', sa.column('program_id', sa.Integer), sa.column('code', sa.String), sa.column('title', sa.String),
    sa.column('credits', sa.Numeric(4, 1)), sa.column('category', sa.String),
    sa.column('concentration_id', sa.Integer), sa.column('pass_fail', sa.Boolean),
    sa.column('description', sa.Text))
requirement_t = sa.table(
    'requirement', sa.column('id', sa.Integer), sa.column('program_id', sa.Integer), sa.column('key', sa.String),
    sa.column('position', sa.Integer), sa.column('kind', sa.String), sa.column('title', sa.String),
    sa.column('description', sa.Text), sa.column('concentrations', sa.JSON), sa.column('track', sa.String),
    sa.column('params', sa.JSON))
version_t = sa.table(
    'catalog_version', sa.column('id', sa.Integer), sa.column('program_id', sa.Integer),
    sa.column('name', sa.String), sa.column('start_term_id', sa.Integer), sa.column('source', sa.Text),
    sa.column('definition', sa.JSON), sa.column('digest', sa.String), sa.column('created_at', sa.DateTime))
enrollment_t = sa.table('enrollment', sa.column('program_id', sa.Integer),
                        sa.column('catalog_version_id', sa.Integer))
term_t = sa.table('term', sa.column('id', sa.Integer), sa.column('start_date', sa.Date))


def _amount(value) -> str | None:
    """A stored number as the definition JSON writes it: "36", "1.5" (no trailing zeros)."""
    if value is None:
        return None
    value = Decimal(value)
    return str(int(value)) if value == value.to_integral_value() else str(value.normalize())


def _canonical(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _definition(conn, program) -> dict:
    """Format 1 of a program's definition, from its rows."""
    concentrations = conn.execute(
        sa.select(concentration_t.c.id, concentration_t.c.code, concentration_t.c.name)
        .where(concentration_t.c.program_id == program.id).order_by(concentration_t.c.id)).all()
    code_of = {row.id: row.code for row in concentrations}
    courses = [
        {"code": row.code, "title": row.title, "credits": _amount(row.credits), "category": row.category,
         "concentration": code_of.get(row.concentration_id), "pass_fail": bool(row.pass_fail),
         "description": row.description or "", "max_credits": None, "tags": [], "repeatable": None,
         "repeat_max_credits": None, "counts_toward_total": True}
        for row in conn.execute(sa.select(course_t).where(course_t.c.program_id == program.id)
                                .order_by(course_t.c.code))
    ]
    requirements = [
        {"kind": row.kind, "key": row.key, "title": row.title, "description": row.description or "",
         "concentrations": list(row.concentrations or []), "track": row.track, "params": row.params or {}}
        for row in conn.execute(sa.select(requirement_t).where(requirement_t.c.program_id == program.id)
                                .order_by(requirement_t.c.position, requirement_t.c.id))
    ]
    return {
        "format": FORMAT, "code": program.code, "name": program.name, "degree": program.degree or "",
        "total_credits": _amount(program.total_credits), "min_gpa": _amount(program.min_gpa),
        "max_transfer_credits": _amount(program.max_transfer_credits),
        "concentrations": [[row.code, row.name] for row in concentrations],
        "tracks": program.tracks if program.tracks is not None else DEFAULT_TRACKS,
        "milestones": program.milestone_kinds if program.milestone_kinds is not None else DEFAULT_MILESTONES,
        "courses": courses, "equivalences": [], "policies": {}, "requirements": requirements,
    }


def upgrade():
    op.create_table('catalog_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('start_term_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('replaced_at', sa.DateTime(), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_catalog_version_created_by_id_user')),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_catalog_version_program_id_program')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['user.id'], name=op.f('fk_catalog_version_replaced_by_id_user')),
    sa.ForeignKeyConstraint(['start_term_id'], ['term.id'], name=op.f('fk_catalog_version_start_term_id_term')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_version')),
    sa.UniqueConstraint('program_id', 'name', name=op.f('uq_catalog_version_program_id_name')),
    sa.UniqueConstraint('program_id', 'start_term_id', name=op.f('uq_catalog_version_program_id_start_term_id'))
    )
    with op.batch_alter_table('catalog_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_version_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_version_program_id'), ['program_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_version_replaced_by_id'), ['replaced_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_version_start_term_id'), ['start_term_id'], unique=False)

    conn = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for program in conn.execute(sa.select(program_t).order_by(program_t.c.id)).all():
        data = _definition(conn, program)
        conn.execute(version_t.insert().values(
            program_id=program.id, name=FIRST_VERSION_NAME, start_term_id=None, source=program.definition_source,
            definition=data, digest=hashlib.sha256(_canonical(data).encode("utf-8")).hexdigest(), created_at=now))

    # Added nullable (in place, also on SQLite), filled, then made NOT NULL with its key (SQLite copies the table).
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('catalog_version_id', sa.Integer(), nullable=True))
    first = (sa.select(version_t.c.id).where(version_t.c.program_id == enrollment_t.c.program_id)
             .order_by(version_t.c.id).limit(1).scalar_subquery())
    conn.execute(enrollment_t.update().values(catalog_version_id=first))
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.alter_column('catalog_version_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_enrollment_catalog_version_id'), ['catalog_version_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_enrollment_catalog_version_id_catalog_version'),
                                    'catalog_version', ['catalog_version_id'], ['id'])

    with op.batch_alter_table('requirement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requirement_program_id'))
    op.drop_table('requirement')


def _newest_versions(conn) -> dict[int, dict]:
    """Program id -> the definition of its newest version (the latest start term; from the beginning first)."""
    rows = conn.execute(
        sa.select(version_t.c.id, version_t.c.program_id, version_t.c.definition, term_t.c.start_date)
        .select_from(version_t.outerjoin(term_t, term_t.c.id == version_t.c.start_term_id))).all()
    newest: dict[int, tuple] = {}
    for row in rows:
        key = (row.start_date is not None, row.start_date or date.min, row.id)
        if row.program_id not in newest or key > newest[row.program_id][0]:
            newest[row.program_id] = (key, row.definition)
    return {program_id: definition for program_id, (_key, definition) in newest.items()}


def downgrade():
    op.create_table('requirement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('concentrations', sa.JSON(), nullable=False),
    sa.Column('track', sa.String(length=32), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_requirement_program_id_program')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requirement')),
    sa.UniqueConstraint('program_id', 'key', name=op.f('uq_requirement_program_id_key'))
    )
    with op.batch_alter_table('requirement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requirement_program_id'), ['program_id'], unique=False)

    conn = op.get_bind()
    for program_id, definition in sorted(_newest_versions(conn).items()):
        if isinstance(definition, str):
            definition = json.loads(definition)
        rows = [
            {"program_id": program_id, "position": position, "key": req["key"], "kind": req["kind"],
             "title": req["title"], "description": req.get("description") or "",
             "concentrations": list(req.get("concentrations") or []), "track": req.get("track"),
             "params": req.get("params") or {}}
            for position, req in enumerate(definition.get("requirements") or [])
        ]
        if rows:
            conn.execute(requirement_t.insert(), rows)

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_enrollment_catalog_version_id_catalog_version'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_enrollment_catalog_version_id'))
        batch_op.drop_column('catalog_version_id')

    with op.batch_alter_table('catalog_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_version_start_term_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_version_replaced_by_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_version_program_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_version_created_by_id'))
    op.drop_table('catalog_version')
