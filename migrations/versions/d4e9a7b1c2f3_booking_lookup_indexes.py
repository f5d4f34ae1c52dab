"""indexes for the bookings found by code, by phone and by status: no whole-table read as years are kept

Revision ID: d4e9a7b1c2f3
Revises: c3d8f1a2b4e6
Create Date: 2026-12-08 01:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4e9a7b1c2f3'
down_revision = 'c3d8f1a2b4e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_code', ['code'], unique=False)
        batch_op.create_index('ix_booking_phone', ['phone', 'status', 'day'], unique=False)
        batch_op.create_index('ix_booking_status_day', ['status', 'day'], unique=False)


def downgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_status_day')
        batch_op.drop_index('ix_booking_phone')
        batch_op.drop_index('ix_booking_code')
