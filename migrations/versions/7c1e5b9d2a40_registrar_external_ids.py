"""registrar external ids: the registrar's own id of an enrollment and of a course record (the API's import key)

Revision ID: 7c1e5b9d2a40
Revises: 3a3ae9d03824
Create Date: 2026-12-04 21:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e5b9d2a40'
down_revision = '3a3ae9d03824'
branch_labels = None
depends_on = None


def upgrade():
    # Plain column additions and unique indexes, never batch mode: SQLite would copy course_record, and dropping the
    # old copy would cascade to the audit exceptions that reference it (and lose the audit-stamp triggers).
    op.add_column('course_record', sa.Column('external_id', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_course_record_external_id'), 'course_record', ['external_id'], unique=True)
    op.add_column('enrollment', sa.Column('external_id', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_enrollment_external_id'), 'enrollment', ['external_id'], unique=True)


def downgrade():
    op.drop_index(op.f('ix_enrollment_external_id'), table_name='enrollment')
    op.drop_column('enrollment', 'external_id')
    op.drop_index(op.f('ix_course_record_external_id'), table_name='course_record')
    op.drop_column('course_record', 'external_id')
