"""one-time form submission tokens

Revision ID: 7c1e4b2a9d30
Revises: 52d836c314ad
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e4b2a9d30'
down_revision = '52d836c314ad'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submission_token',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_submission_token_user_id_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_submission_token'))
    )
    with op.batch_alter_table('submission_token', schema=None) as batch_op:
        batch_op.create_index('ix_submission_token_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_token_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('submission_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_token_user_id'))
        batch_op.drop_index('ix_submission_token_created_at')

    op.drop_table('submission_token')
