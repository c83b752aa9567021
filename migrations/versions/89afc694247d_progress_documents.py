"""progress documents: signed, dated snapshots of a student's audit (progress_document)

Revision ID: 89afc694247d
Revises: d7c51544d8f0
Create Date: 2026-12-04 13:16:27.223329

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '89afc694247d'
down_revision = 'd7c51544d8f0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('progress_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_progress_document_issued_by_id_user')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_progress_document_revoked_by_id_user')),
    sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_progress_document_student_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_document')),
    sa.UniqueConstraint('token', name=op.f('uq_progress_document_token'))
    )
    with op.batch_alter_table('progress_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_document_issued_by_id'), ['issued_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_progress_document_revoked_by_id'), ['revoked_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_progress_document_student_id'), ['student_id'], unique=False)



def downgrade():
    with op.batch_alter_table('progress_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_document_student_id'))
        batch_op.drop_index(batch_op.f('ix_progress_document_revoked_by_id'))
        batch_op.drop_index(batch_op.f('ix_progress_document_issued_by_id'))

    op.drop_table('progress_document')
