"""audit stamps: the keys of cached degree audits, changed by triggers on every write an audit depends on

audit_stamp: one row per student, a new random token whenever one of the student's records, sessions,
exceptions, milestones or their enrollment is written. audit_generation: one row, a new token whenever a
program, catalog version, concentration, course, term, studio, ensemble or a person's name is written.
The triggers are tracker.models.audit_stamps' (the same ones create_all installs).

Revision ID: f3b9a1c7d2e4
Revises: e2c6f4a8b1d3
Create Date: 2026-12-03 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

from tracker.models.audit_stamps import drop_triggers, install_triggers


# revision identifiers, used by Alembic.
revision = 'f3b9a1c7d2e4'
down_revision = 'e2c6f4a8b1d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_stamp',
        sa.Column('student_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('student_id', name=op.f('pk_audit_stamp')),
    )
    op.create_table(
        'audit_generation',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('token', sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_generation')),
    )
    install_triggers(op.get_bind())


def downgrade():
    drop_triggers(op.get_bind())
    op.drop_table('audit_generation')
    op.drop_table('audit_stamp')
