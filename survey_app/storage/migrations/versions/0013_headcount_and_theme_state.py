"""organisation headcount; sealed theme state

Revision ID: 0013
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('organisation', sa.Column('headcount', sa.Integer(), nullable=True))
    op.add_column('published_theme_set', sa.Column('sealed_state', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column('published_theme_set', 'sealed_state')
    op.drop_column('organisation', 'headcount')
