"""staff sign-in: no lock-out columns; session epoch; TOTP second factor and recovery codes

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        # Wrong attempts slow an account down (survey_app/ratelimit.py); nothing locks it.
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('mfa_secret', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('mfa_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recovery_codes', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('recovery_codes')
        batch_op.drop_column('mfa_last_step')
        batch_op.drop_column('mfa_secret')
        batch_op.drop_column('session_epoch')
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
