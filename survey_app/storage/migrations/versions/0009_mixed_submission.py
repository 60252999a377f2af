"""mixed submission tokens

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mixed_submission',
    sa.Column('token_hash', sa.LargeBinary(), nullable=False),
    sa.Column('wave_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], ),
    sa.PrimaryKeyConstraint('wave_id', 'token_hash'),
    sqlite_with_rowid=False
    )


def downgrade() -> None:
    op.drop_table('mixed_submission')
