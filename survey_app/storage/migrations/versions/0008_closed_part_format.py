"""closed part format

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Waves that exist already seal closed answers as JSON (format 1) and keep doing so.
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_part_format', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_column('closed_part_format')
