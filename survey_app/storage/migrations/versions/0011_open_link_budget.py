"""open-link refusals; receipts no longer lock cases

Revision ID: 0011
Revises: 0009
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('open_link_refusal',
    sa.Column('wave_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], ),
    sa.PrimaryKeyConstraint('wave_id')
    )
    # Guessing receipts is limited outside the database now (survey_app/ratelimit.py): no case is
    # locked, and no column says that someone tried.
    with op.batch_alter_table('ftsu_case', schema=None, table_kwargs={"sqlite_with_rowid": False}) as batch_op:
        batch_op.drop_column('failed_attempts')
        batch_op.drop_column('locked_until')


def downgrade() -> None:
    with op.batch_alter_table('ftsu_case', schema=None, table_kwargs={"sqlite_with_rowid": False}) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('failed_attempts', sa.Integer(), server_default='0', nullable=False))
    op.drop_table('open_link_refusal')
