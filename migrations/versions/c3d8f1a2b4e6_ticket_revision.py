"""a ticket's revision, one more at every change: the phone keeps the newest message

Revision ID: c3d8f1a2b4e6
Revises: b7c41e2d9a10
Create Date: 2026-12-07 11:20:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3d8f1a2b4e6'
down_revision = 'b7c41e2d9a10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rev', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('rev')
