"""inbox epochs: short-lived inbox keys per wave; each inbox row records the epoch it is sealed to

Every wave gets one epoch from the key pair it already has (`wave.public_key`, whose private half
is in the wave's key file): current for an open wave, held for a closed one, destroyed for a retired
one. Its inbox rows are sealed to it. The worker moves that private key into the epoch's own key
file on its first round and from then on rotates the wave like any other (survey_app/epochs.py).
`wave.public_key` goes: the web process reads the current epoch's public key instead.

Revision ID: 0010
Revises: 0009
"""

import secrets

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

LIVE = "state IN ('current', 'held')"


def upgrade() -> None:
    op.create_table('inbox_epoch',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('wave_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inbox_epoch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_epoch_wave_id'), ['wave_id'], unique=False)
        batch_op.create_index('one_live_epoch_per_wave', ['wave_id'], unique=True,
                              sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))

    connection = op.get_bind()
    waves = connection.execute(sa.text("SELECT id, status, keys_destroyed, public_key FROM wave")).all()
    epoch_of = {}
    for wave in waves:
        epoch_of[wave.id] = secrets.token_hex(16)
        state = "destroyed" if wave.keys_destroyed else ("current" if wave.status == "open" else "held")
        connection.execute(
            sa.text("INSERT INTO inbox_epoch (id, wave_id, public_key, state) VALUES (:id, :wave, :key, :state)"),
            {"id": epoch_of[wave.id], "wave": wave.id, "key": wave.public_key, "state": state},
        )

    if connection.dialect.name == "sqlite":
        # SQLite cannot add a NOT NULL column with a reference: build the table again (WITHOUT ROWID).
        op.create_table('inbox_new',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('wave_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('epoch_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('sealed', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['epoch_id'], ['inbox_epoch.id'], ),
        sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sqlite_with_rowid=False
        )
        connection.execute(sa.text(
            "INSERT INTO inbox_new (id, wave_id, epoch_id, sealed) "
            "SELECT inbox.id, inbox.wave_id, inbox_epoch.id, inbox.sealed FROM inbox "
            "JOIN inbox_epoch ON inbox_epoch.wave_id = inbox.wave_id"
        ))
        op.drop_index('ix_inbox_wave_id', table_name='inbox')
        op.drop_table('inbox')
        op.rename_table('inbox_new', 'inbox')
        op.create_index('ix_inbox_wave_id', 'inbox', ['wave_id'], unique=False)
        op.create_index('ix_inbox_epoch_id', 'inbox', ['epoch_id'], unique=False)
        # SQLite 3.35 and later drop a plain column in place.
        op.execute("ALTER TABLE wave DROP COLUMN public_key")
    else:
        op.add_column('inbox', sa.Column('epoch_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        connection.execute(sa.text(
            "UPDATE inbox SET epoch_id = inbox_epoch.id FROM inbox_epoch WHERE inbox_epoch.wave_id = inbox.wave_id"
        ))
        op.alter_column('inbox', 'epoch_id', nullable=False)
        op.create_foreign_key(None, 'inbox', 'inbox_epoch', ['epoch_id'], ['id'])
        op.create_index('ix_inbox_epoch_id', 'inbox', ['epoch_id'], unique=False)
        op.drop_column('wave', 'public_key')


def downgrade() -> None:
    # The public key of each wave's live (else latest) epoch goes back on the wave. Rows sealed to
    # any other epoch cannot be opened by the older code: downgrade only with an empty inbox.
    connection = op.get_bind()
    if connection.execute(sa.text("SELECT count(*) FROM inbox")).scalar_one():
        raise RuntimeError("downgrade below 0010 needs an empty inbox: mix or retire the waves first")
    op.add_column('wave', sa.Column('public_key', sa.LargeBinary(), nullable=True))
    connection.execute(sa.text(
        "UPDATE wave SET public_key = (SELECT public_key FROM inbox_epoch WHERE inbox_epoch.wave_id = wave.id "
        "ORDER BY CASE WHEN state IN ('current', 'held') THEN 0 ELSE 1 END LIMIT 1)"
    ))
    op.drop_index('ix_inbox_epoch_id', table_name='inbox')
    with op.batch_alter_table('inbox', schema=None, table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.drop_column('epoch_id')
    op.drop_index('one_live_epoch_per_wave', table_name='inbox_epoch')
    op.drop_index('ix_inbox_epoch_wave_id', table_name='inbox_epoch')
    op.drop_table('inbox_epoch')
