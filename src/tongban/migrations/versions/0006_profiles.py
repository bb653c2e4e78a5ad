"""profiles: attributes, values and snapshots

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tongban.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('profile_attribute_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attribute', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('resource_code', sa.String(length=60), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_attribute_sources'))
    )
    op.create_index('ix_profile_sources_attribute', 'profile_attribute_sources', ['attribute', 'position'], unique=False)
    op.create_index(op.f('ix_profile_attribute_sources_resource_code'), 'profile_attribute_sources', ['resource_code'], unique=False)
    op.create_table('profile_values',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('attribute', sa.String(length=60), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('source_resource', sa.String(length=60), nullable=False),
    sa.Column('source_department', sa.String(length=200), nullable=False),
    sa.Column('source_field', sa.String(length=100), nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=True),
    sa.Column('recorded_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('conflict', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('self_declared', sa.Boolean(), nullable=False),
    sa.Column('updated_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_values'))
    )
    op.create_index('ix_profile_values_subject', 'profile_values', ['subject', 'attribute', 'year'], unique=False)
    op.create_table('profile_self_declared',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('attribute', sa.String(length=60), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('declared_by', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('declared_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_self_declared'))
    )
    op.create_index('ix_profile_self_declared_subject', 'profile_self_declared', ['subject', 'attribute', 'year'], unique=False)
    op.create_table('profile_links',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('record_key', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_links'))
    )
    op.create_index('ix_profile_links_subject', 'profile_links', ['subject', 'resource_id'], unique=False)
    op.create_index('uq_profile_links_record', 'profile_links', ['resource_id', 'record_key', 'subject'], unique=True)
    op.create_table('profile_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('built_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.Column('column_count', sa.Integer(), nullable=False),
    sa.Column('evaluation_date', sa.String(length=10), nullable=False),
    sa.Column('source_versions', sa.JSON(), nullable=False),
    sa.Column('duration_seconds', sa.Float(), nullable=False),
    sa.Column('built_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_snapshots'))
    )
    op.create_index(op.f('ix_profile_snapshots_built_at'), 'profile_snapshots', ['built_at'], unique=False)


def downgrade() -> None:
    op.drop_table('profile_snapshots')
    op.drop_table('profile_links')
    op.drop_table('profile_self_declared')
    op.drop_table('profile_values')
    op.drop_table('profile_attribute_sources')
