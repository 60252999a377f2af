"""spent visit tokens: a reloaded thank-you page never shows the receipt again

Revision ID: 0018
Revises: 0013
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0018'
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('spent_visit',
    sa.Column('token_hash', sa.LargeBinary(), nullable=False),
    sa.Column('wave_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('expires_week', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], ),
    sa.PrimaryKeyConstraint('token_hash'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('spent_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spent_visit_wave_id'), ['wave_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('spent_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spent_visit_wave_id'))
    op.drop_table('spent_visit')
