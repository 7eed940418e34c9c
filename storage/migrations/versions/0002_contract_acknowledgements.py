"""contract acknowledgements: who confirmed reading their role's clauses under which rulebook digest

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import perfrules.storage.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contract_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('rulebook_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('clauses', sa.JSON(), nullable=False),
    sa.Column('acknowledged_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('acknowledged_at', perfrules.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('employee_id', 'role', 'rulebook_digest', name='uq_contract_acknowledgements_key')
    )
    with op.batch_alter_table('contract_acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_acknowledgements_employee_id'), ['employee_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('contract_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_acknowledgements_employee_id'))

    op.drop_table('contract_acknowledgements')
