"""governance: quality rules and results

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tongban.db

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('quality_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('completeness', 'validity', 'uniqueness', 'freshness', 'cross_field', 'cross_resource', name='rulekind', native_enum=False, length=30), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('built_in', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_quality_rules_resource_id_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_rules'))
    )
    op.create_index('ix_quality_rules_resource_active', 'quality_rules', ['resource_id', 'active'], unique=False)
    op.create_table('quality_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.Enum('ingest', 'schedule', 'manual', name='runtrigger', native_enum=False, length=30), nullable=False),
    sa.Column('load_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'done', 'failed', name='runstatus', native_enum=False, length=30), nullable=False),
    sa.Column('requested_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rows_checked', sa.Integer(), nullable=False),
    sa.Column('rules_run', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('actor_label', sa.String(length=100), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['load_id'], ['loads.id'], name=op.f('fk_quality_runs_load_id_loads')),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_quality_runs_resource_id_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_runs'))
    )
    op.create_index('ix_quality_runs_resource_status', 'quality_runs', ['resource_id', 'status', 'finished_at'], unique=False)
    op.create_index(op.f('ix_quality_runs_status'), 'quality_runs', ['status'], unique=False)
    op.create_table('quality_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('checked', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['rule_id'], ['quality_rules.id'], name=op.f('fk_quality_results_rule_id_quality_rules')),
    sa.ForeignKeyConstraint(['run_id'], ['quality_runs.id'], name=op.f('fk_quality_results_run_id_quality_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_results')),
    sa.UniqueConstraint('run_id', 'rule_id', name=op.f('uq_quality_results_run_id'))
    )
    op.create_index(op.f('ix_quality_results_rule_id'), 'quality_results', ['rule_id'], unique=False)
    op.create_index(op.f('ix_quality_results_run_id'), 'quality_results', ['run_id'], unique=False)
    op.create_table('quality_issues',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('record_key', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=True),
    sa.Column('value', sa.String(length=300), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['result_id'], ['quality_results.id'], name=op.f('fk_quality_issues_result_id_quality_results')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_issues'))
    )
    op.create_index(op.f('ix_quality_issues_result_id'), 'quality_issues', ['result_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_quality_issues_result_id'), table_name='quality_issues')
    op.drop_table('quality_issues')
    op.drop_index(op.f('ix_quality_results_run_id'), table_name='quality_results')
    op.drop_index(op.f('ix_quality_results_rule_id'), table_name='quality_results')
    op.drop_table('quality_results')
    op.drop_index(op.f('ix_quality_runs_status'), table_name='quality_runs')
    op.drop_index('ix_quality_runs_resource_status', table_name='quality_runs')
    op.drop_table('quality_runs')
    op.drop_index('ix_quality_rules_resource_active', table_name='quality_rules')
    op.drop_table('quality_rules')
