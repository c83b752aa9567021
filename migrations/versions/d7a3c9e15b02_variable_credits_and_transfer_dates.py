"""variable-credit courses and records; the date transfer credit was earned

course.max_credits: set for a variable-credit course (a record carries from course.credits up to this many);
course_record.credits: what a record of such a course carries (NULL: the course's own credits);
audit_exception.earned_on: when transfer credit was earned at the other institution (optional).
All three are nullable, so existing rows keep their meaning (fixed-credit courses, transfer credit without a date).

Revision ID: d7a3c9e15b02
Revises: ca15aa4bc4ce
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a3c9e15b02'
down_revision = 'ca15aa4bc4ce'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_credits', sa.Numeric(precision=4, scale=1), nullable=True))
    with op.batch_alter_table('course_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credits', sa.Numeric(precision=4, scale=1), nullable=True))
    with op.batch_alter_table('audit_exception', schema=None) as batch_op:
        batch_op.add_column(sa.Column('earned_on', sa.Date(), nullable=True))


def downgrade():
    # Records of variable-credit courses fall back to the course's (least) credits; the dates are dropped.
    # Not in batch mode: SQLite (3.35 and later) drops a column in place instead of copying the table, which
    # other tables reference (course records and exceptions refer to course, exceptions to course_record).
    op.drop_column('audit_exception', 'earned_on')
    op.drop_column('course_record', 'credits')
    op.drop_column('course', 'max_credits')
