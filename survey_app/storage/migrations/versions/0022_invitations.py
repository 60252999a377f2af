"""invitations: a wave's access mode, keyed hashes of unused and of spent invitation codes

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0022'
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('wave') as batch:
        batch.add_column(
            sa.Column('access', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default='open')
        )
    for table in ('invitation', 'spent_invitation'):
        op.create_table(table,
        sa.Column('wave_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('code_hash', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], ),
        sa.PrimaryKeyConstraint('wave_id', 'code_hash'),
        sqlite_with_rowid=False,
        )


def downgrade() -> None:
    op.drop_table('spent_invitation')
    op.drop_table('invitation')
    with op.batch_alter_table('wave') as batch:
        batch.drop_column('access')
