"""studio life: bookings, opening hours, closures, group sessions, calendar tokens

studio_booking (a reserved slot, or time an admin blocked), studio_opening_hours (one row a weekday) and
studio_closure (whole days); studio gets its booking limits; program its weekly booking quota, reconciliation
tolerance and late-cancellation window; studio_session gets group_id and confirmation (group sessions);
studio_session_group joins a group's sessions; user gets the calendar-feed token.

Revision ID: d7c51544d8f0
Revises: f3b9a1c7d2e4
Create Date: 2026-12-04 06:26:19.140365

"""
from alembic import op
import sqlalchemy as sa

from tracker.models.audit_stamps import drop_triggers, install_triggers


# revision identifiers, used by Alembic.
revision = 'd7c51544d8f0'
down_revision = 'f3b9a1c7d2e4'
branch_labels = None
depends_on = None


def _enum(name, values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values)) + 4)


def upgrade():
    op.create_table(
        'studio_session_group',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_studio_session_group_created_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_studio_session_group')),
    )
    op.create_index(op.f('ix_studio_session_group_created_by_id'), 'studio_session_group', ['created_by_id'])

    # On SQLite the new foreign key and CHECK constraint make batch mode copy studio_session into a new table: done
    # before anything references it; the audit-stamp triggers, which the copy loses, are installed again below.
    with op.batch_alter_table('studio_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('confirmation', _enum('confirmation', ['confirmed', 'awaiting', 'declined']),
                                      server_default='confirmed', nullable=False))
        batch_op.create_index(batch_op.f('ix_studio_session_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_studio_session_group_id_studio_session_group'),
                                    'studio_session_group', ['group_id'], ['id'], ondelete='SET NULL')

    op.create_table(
        'studio_closure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('studio_id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_studio_closure_ends_after_start')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_studio_closure_created_by_id_user')),
        sa.ForeignKeyConstraint(['studio_id'], ['studio.id'], name=op.f('fk_studio_closure_studio_id_studio'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_studio_closure')),
    )
    op.create_index(op.f('ix_studio_closure_created_by_id'), 'studio_closure', ['created_by_id'])
    op.create_index('ix_studio_closure_studio_days', 'studio_closure', ['studio_id', 'starts_on', 'ends_on'])
    op.create_index(op.f('ix_studio_closure_studio_id'), 'studio_closure', ['studio_id'])

    op.create_table(
        'studio_opening_hours',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('studio_id', sa.Integer(), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('opens_at', sa.Time(), nullable=False),
        sa.Column('closes_at', sa.Time(), nullable=False),
        sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_studio_opening_hours_closes_after_opening')),
        sa.CheckConstraint('weekday >= 0 AND weekday <= 6', name=op.f('ck_studio_opening_hours_weekday_range')),
        sa.ForeignKeyConstraint(['studio_id'], ['studio.id'], name=op.f('fk_studio_opening_hours_studio_id_studio'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_studio_opening_hours')),
        sa.UniqueConstraint('studio_id', 'weekday', name=op.f('uq_studio_opening_hours_studio_id_weekday')),
    )
    op.create_index(op.f('ix_studio_opening_hours_studio_id'), 'studio_opening_hours', ['studio_id'])

    op.create_table(
        'studio_booking',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('studio_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('booked_by_id', sa.Integer(), nullable=False),
        sa.Column('kind', _enum('bookingkind', ['booking', 'block']), nullable=False),
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('start_time', sa.Time(), nullable=False),
        sa.Column('end_time', sa.Time(), nullable=False),
        sa.Column('purpose', sa.String(length=200), nullable=False),
        sa.Column('project', sa.String(length=200), nullable=False),
        sa.Column('status', _enum('bookingstatus', ['active', 'cancelled']), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(), nullable=True),
        sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
        sa.Column('late_cancellation', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('end_time > start_time', name=op.f('ck_studio_booking_ends_after_start')),
        sa.ForeignKeyConstraint(['booked_by_id'], ['user.id'], name=op.f('fk_studio_booking_booked_by_id_user')),
        sa.ForeignKeyConstraint(['cancelled_by_id'], ['user.id'], name=op.f('fk_studio_booking_cancelled_by_id_user')),
        sa.ForeignKeyConstraint(['session_id'], ['studio_session.id'],
                                name=op.f('fk_studio_booking_session_id_studio_session'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['studio_id'], ['studio.id'], name=op.f('fk_studio_booking_studio_id_studio')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_studio_booking_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_studio_booking')),
    )
    op.create_index(op.f('ix_studio_booking_booked_by_id'), 'studio_booking', ['booked_by_id'])
    op.create_index(op.f('ix_studio_booking_cancelled_by_id'), 'studio_booking', ['cancelled_by_id'])
    op.create_index(op.f('ix_studio_booking_session_id'), 'studio_booking', ['session_id'])
    op.create_index('ix_studio_booking_studio_date', 'studio_booking', ['studio_id', 'date', 'status'])
    op.create_index(op.f('ix_studio_booking_studio_id'), 'studio_booking', ['studio_id'])
    op.create_index('ix_studio_booking_user_date', 'studio_booking', ['user_id', 'date'])

    # Plain column additions: SQLite adds them in place, without copying tables that others reference.
    op.add_column('program', sa.Column('booking_weekly_quota_minutes', sa.Integer(), nullable=True))
    op.add_column('program', sa.Column('reconciliation_tolerance_minutes', sa.Integer(), server_default='15',
                                       nullable=False))
    op.add_column('program', sa.Column('late_cancellation_hours', sa.Integer(), server_default='24', nullable=False))
    op.add_column('studio', sa.Column('max_booking_minutes', sa.Integer(), server_default='240', nullable=False))
    op.add_column('studio', sa.Column('booking_weeks_ahead', sa.Integer(), server_default='4', nullable=False))
    op.add_column('user', sa.Column('calendar_token', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_user_calendar_token'), 'user', ['calendar_token'], unique=True)

    drop_triggers(op.get_bind())
    install_triggers(op.get_bind())


def downgrade():
    # Not in batch mode where SQLite can drop a column in place: copying "user", program or studio would make
    # SQLite's DROP TABLE delete (or cascade to) the rows that reference them.
    op.drop_index(op.f('ix_user_calendar_token'), table_name='user')
    op.drop_column('user', 'calendar_token')
    op.drop_column('studio', 'booking_weeks_ahead')
    op.drop_column('studio', 'max_booking_minutes')
    op.drop_column('program', 'late_cancellation_hours')
    op.drop_column('program', 'reconciliation_tolerance_minutes')
    op.drop_column('program', 'booking_weekly_quota_minutes')
    op.drop_table('studio_booking')
    op.drop_table('studio_opening_hours')
    op.drop_table('studio_closure')
    # Nothing references studio_session any more, so SQLite's copy of it is safe; the triggers go back on after.
    with op.batch_alter_table('studio_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_studio_session_group_id_studio_session_group'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_studio_session_group_id'))
        batch_op.drop_constraint(batch_op.f('ck_studio_session_confirmation'), type_='check')
        batch_op.drop_column('confirmation')
        batch_op.drop_column('group_id')
    op.drop_table('studio_session_group')
    drop_triggers(op.get_bind())
    install_triggers(op.get_bind())
