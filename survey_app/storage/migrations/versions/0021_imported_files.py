"""imported files: a keyed hash of each file's content per wave, so a file is not imported twice

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0021'
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('imported_file',
    sa.Column('wave_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('fingerprint', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], ),
    sa.PrimaryKeyConstraint('wave_id', 'fingerprint')
    )


def downgrade() -> None:
    op.drop_table('imported_file')
