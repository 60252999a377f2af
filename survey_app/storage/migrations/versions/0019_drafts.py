"""drafts: answers saved to come back later, sealed under a key only the resume code gives

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0019'
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('draft',
    sa.Column('locator_hash', sa.LargeBinary(), nullable=False),
    sa.Column('wave_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('salt', sa.LargeBinary(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('visit_tag', sa.LargeBinary(), nullable=False),
    sa.Column('expires_week', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], ),
    sa.PrimaryKeyConstraint('locator_hash'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draft_wave_id'), ['wave_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_draft_visit_tag'), ['visit_tag'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draft_visit_tag'))
        batch_op.drop_index(batch_op.f('ix_draft_wave_id'))
    op.drop_table('draft')
