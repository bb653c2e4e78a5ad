"""governance: conflicts, corrections and the inbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tongban.db

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('conflict_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('element_key', sa.String(length=60), nullable=False),
    sa.Column('resource_code', sa.String(length=60), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('recorded_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=False),
    sa.Column('decided_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflict_decisions')),
    sa.UniqueConstraint('subject', 'element_key', name=op.f('uq_conflict_decisions_subject'))
    )
    with op.batch_alter_table('conflict_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conflict_decisions_subject'), ['subject'], unique=False)

    op.create_table('conflict_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('element_key', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.Enum('authoritative', 'most_recent', 'manual', name='resolutionkind', native_enum=False, length=30), nullable=False),
    sa.Column('authoritative_resource', sa.String(length=60), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflict_rules')),
    sa.UniqueConstraint('element_key', name=op.f('uq_conflict_rules_element_key'))
    )
    op.create_table('conflicts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('element_key', sa.String(length=60), nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('resource_a', sa.String(length=60), nullable=False),
    sa.Column('org_a_id', sa.Integer(), nullable=False),
    sa.Column('field_a', sa.String(length=100), nullable=False),
    sa.Column('record_key_a', sa.String(length=200), nullable=False),
    sa.Column('value_a', sa.Text(), nullable=False),
    sa.Column('recorded_a', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resource_b', sa.String(length=60), nullable=False),
    sa.Column('org_b_id', sa.Integer(), nullable=False),
    sa.Column('field_b', sa.String(length=100), nullable=False),
    sa.Column('record_key_b', sa.String(length=200), nullable=False),
    sa.Column('value_b', sa.Text(), nullable=False),
    sa.Column('recorded_b', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('found_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_a_id'], ['organisations.id'], name=op.f('fk_conflicts_org_a_id_organisations')),
    sa.ForeignKeyConstraint(['org_b_id'], ['organisations.id'], name=op.f('fk_conflicts_org_b_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflicts')),
    sa.UniqueConstraint('element_key', 'subject', 'resource_a', 'resource_b', name=op.f('uq_conflicts_element_key'))
    )
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conflicts_element_key'), ['element_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_conflicts_org_a_id'), ['org_a_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conflicts_org_b_id'), ['org_b_id'], unique=False)
        batch_op.create_index('ix_conflicts_subject', ['subject'], unique=False)

    op.create_table('correction_deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_correction_deadlines_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_deadlines')),
    sa.UniqueConstraint('org_id', name=op.f('uq_correction_deadlines_org_id'))
    )
    op.create_table('inbox_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=False),
    sa.Column('created_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inbox_messages_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_messages'))
    )
    with op.batch_alter_table('inbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_messages_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_inbox_messages_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('disputant_id', sa.Integer(), nullable=False),
    sa.Column('disputant_label', sa.String(length=100), nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('resource_code', sa.String(length=60), nullable=False),
    sa.Column('record_key', sa.String(length=200), nullable=False),
    sa.Column('field', sa.String(length=100), nullable=False),
    sa.Column('element_key', sa.String(length=60), nullable=False),
    sa.Column('attribute', sa.String(length=100), nullable=False),
    sa.Column('disputed_value', sa.Text(), nullable=False),
    sa.Column('proposed_value', sa.Text(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('attachment_path', sa.String(length=300), nullable=False),
    sa.Column('attachment_name', sa.String(length=200), nullable=False),
    sa.Column('attachment_size', sa.Integer(), nullable=False),
    sa.Column('attachment_type', sa.String(length=100), nullable=False),
    sa.Column('status', sa.Enum('open', 'accepted', 'rejected', 'withdrawn', name='status', native_enum=False, length=30), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('overdue_flagged_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=False),
    sa.Column('decided_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('load_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['disputant_id'], ['users.id'], name=op.f('fk_corrections_disputant_id_users')),
    sa.ForeignKeyConstraint(['load_id'], ['loads.id'], name=op.f('fk_corrections_load_id_loads')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_corrections_org_id_organisations')),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_corrections_resource_id_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corrections'))
    )
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_corrections_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_disputant_id'), ['disputant_id'], unique=False)
        batch_op.create_index('ix_corrections_org_status', ['org_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_subject'), ['subject'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corrections_subject'))
        batch_op.drop_index(batch_op.f('ix_corrections_status'))
        batch_op.drop_index(batch_op.f('ix_corrections_resource_id'))
        batch_op.drop_index('ix_corrections_org_status')
        batch_op.drop_index(batch_op.f('ix_corrections_disputant_id'))
        batch_op.drop_index(batch_op.f('ix_corrections_deadline'))

    op.drop_table('corrections')
    with op.batch_alter_table('inbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_messages_user_read')
        batch_op.drop_index(batch_op.f('ix_inbox_messages_user_id'))

    op.drop_table('inbox_messages')
    op.drop_table('correction_deadlines')
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.drop_index('ix_conflicts_subject')
        batch_op.drop_index(batch_op.f('ix_conflicts_org_b_id'))
        batch_op.drop_index(batch_op.f('ix_conflicts_org_a_id'))
        batch_op.drop_index(batch_op.f('ix_conflicts_element_key'))

    op.drop_table('conflicts')
    op.drop_table('conflict_rules')
    with op.batch_alter_table('conflict_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conflict_decisions_subject'))

    op.drop_table('conflict_decisions')
