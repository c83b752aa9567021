"""programs declare their own tracks and milestone kinds

Enrollment.track, Requirement.track and MilestoneRecord.kind become plain strings (the program's declared codes,
checked by the services) instead of fixed enums; the program row holds its vocabulary as two JSON lists. Existing
values are kept as they are, and existing programs get the default vocabulary they have always had. Downgrading
restores the enums and so needs every stored value to be one of the old codes.

Revision ID: b4e8d2f61a93
Revises: 7c1e4b2a9d30
Create Date: 2026-12-02 01:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4e8d2f61a93'
down_revision = '7c1e4b2a9d30'
branch_labels = None
depends_on = None

# The vocabulary every program had before this revision (tracker.domain.vocabulary, frozen here on purpose).
DEFAULT_TRACKS = [{"code": "thesis", "label": "Thesis"}, {"code": "non_thesis", "label": "Non-thesis"}]
DEFAULT_MILESTONES = [
    {"code": code, "label": label, "signed_by": ["advisor", "admin"], "tracks": []}
    for code, label in (("proposal", "Thesis proposal approved"), ("committee", "Committee formed"),
                        ("defense", "Defense passed"), ("deposit", "Thesis deposited"),
                        ("capstone", "Capstone project passed"),
                        ("comprehensive_exam", "Comprehensive exam passed"))
]


def _track_enum():
    return sa.Enum('thesis', 'non_thesis', name='track', native_enum=False, create_constraint=True, length=14)


def _milestone_enum():
    return sa.Enum('proposal', 'committee', 'defense', 'deposit', 'capstone', 'comprehensive_exam',
                   name='milestonekind', native_enum=False, create_constraint=True, length=22)


# (table, column, enum factory, nullable, the enum's CHECK constraint as the naming convention names it)
COLUMNS = (
    ('enrollment', 'track', _track_enum, False, 'ck_enrollment_track'),
    ('requirement', 'track', _track_enum, True, 'ck_requirement_track'),
    ('milestone_record', 'kind', _milestone_enum, False, 'ck_milestone_record_milestonekind'),
)


def upgrade():
    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracks', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('milestone_kinds', sa.JSON(), nullable=True))
    program = sa.table('program', sa.column('tracks', sa.JSON()), sa.column('milestone_kinds', sa.JSON()))
    # Written out, so every program row says what it has; the columns stay nullable (NULL reads as the defaults)
    # because making them NOT NULL would make SQLite copy the program table, which other tables reference.
    op.execute(program.update().values(tracks=DEFAULT_TRACKS, milestone_kinds=DEFAULT_MILESTONES))

    for table, column, enum, nullable, _check in COLUMNS:
        # Given the enum as existing_type, Alembic drops its CHECK (PostgreSQL) or leaves it out of the table's
        # copy (SQLite).
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=enum(), type_=sa.String(length=32),
                                  existing_nullable=nullable)


def downgrade():
    for table, column, enum, nullable, _check in reversed(COLUMNS):
        # Alembic adds the enum's CHECK back (named by the naming convention, as the initial schema had it).
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=32), type_=enum(),
                                  existing_nullable=nullable)

    # Not in batch mode: SQLite (3.35 and later) drops a column in place instead of copying the referenced table.
    op.drop_column('program', 'milestone_kinds')
    op.drop_column('program', 'tracks')
