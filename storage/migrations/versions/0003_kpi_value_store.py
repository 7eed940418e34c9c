"""kpi value store: the figure sets pages show, per period, scope, rulebook and facts generation

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import perfrules.storage.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kpi_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('figures', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('scope_kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('rulebook', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('computed_at', perfrules.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('figures', 'scope_kind', 'scope', 'period', 'as_of', 'rulebook', 'generation', name='uq_kpi_values_key')
    )


def downgrade() -> None:
    op.drop_table('kpi_values')
