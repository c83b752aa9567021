"""the grade transfer credit was earned with

audit_exception.transfer_grade: the letter grade (or P) at the other institution, optional. A program's
[policies] transfer_min_grade refuses transfer credit below it; credit recorded without a grade was vetted when it
was accepted and keeps counting, as before.

Revision ID: e2c6f4a8b1d3
Revises: d7a3c9e15b02
Create Date: 2026-12-03 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2c6f4a8b1d3'
down_revision = 'd7a3c9e15b02'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_exception', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transfer_grade', sa.String(length=4), nullable=True))


def downgrade():
    # Not in batch mode: SQLite drops a column in place (see d7a3c9e15b02) rather than copying a referenced table.
    op.drop_column('audit_exception', 'transfer_grade')
