"""the queue index covers the service: counting who waits for one service reads the index alone

Revision ID: b7c41e2d9a10
Revises: 9ea0feaecdff
Create Date: 2026-11-22 09:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7c41e2d9a10'
down_revision = '9ea0feaecdff'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_queue')
        batch_op.create_index('ix_ticket_queue', ['office_id', 'day', 'status', 'service_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_queue')
        batch_op.create_index('ix_ticket_queue', ['office_id', 'day', 'status'], unique=False)
