"""policy: policies, items, matches; notify outbox

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tongban.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('policy_match_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('item_ids', sa.JSON(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('evaluation_date', sa.Date(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=True),
    sa.Column('enterprises', sa.Integer(), nullable=False),
    sa.Column('matches', sa.Integer(), nullable=False),
    sa.Column('items_done', sa.JSON(), nullable=False),
    sa.Column('engine_seconds', sa.Float(), nullable=False),
    sa.Column('started_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_match_runs'))
    )
    with op.batch_alter_table('policy_match_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_match_runs_state'), ['state'], unique=False)

    op.create_table('notify_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('not_before', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('claimed_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('opened_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notify_outbox_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notify_outbox_dedupe_key'))
    )
    with op.batch_alter_table('notify_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_notify_outbox_due', ['state', 'not_before'], unique=False)
        batch_op.create_index(batch_op.f('ix_notify_outbox_user_id'), ['user_id'], unique=False)

    op.create_table('notify_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('sms', sa.Boolean(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('quiet_start', sa.String(length=5), nullable=False),
    sa.Column('quiet_end', sa.String(length=5), nullable=False),
    sa.Column('updated_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notify_preferences_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notify_preferences'))
    )
    op.create_table('policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('doc_number', sa.String(length=100), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('level', sa.Enum('national', 'provincial', 'municipal', 'district', name='policylevel', native_enum=False, length=30), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('effective_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('full_text', sa.Text(), nullable=False),
    sa.Column('source_url', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_policies_created_by_id_users')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_policies_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policies'))
    )
    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policies_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policies_region_code'), ['region_code'], unique=False)

    op.create_table('policy_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['policies.id'], name=op.f('fk_policy_attachments_policy_id_policies')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_policy_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_attachments'))
    )
    with op.batch_alter_table('policy_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_attachments_policy_id'), ['policy_id'], unique=False)

    op.create_table('policy_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('unpublished', 'published', 'withdrawn', 'expired', name='itemstate', native_enum=False, length=30), nullable=False),
    sa.Column('live_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_policy_items_org_id_organisations')),
    sa.ForeignKeyConstraint(['policy_id'], ['policies.id'], name=op.f('fk_policy_items_policy_id_policies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_items')),
    sa.UniqueConstraint('code', name=op.f('uq_policy_items_code'))
    )
    with op.batch_alter_table('policy_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_items_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_items_policy_id'), ['policy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_items_state'), ['state'], unique=False)

    op.create_table('policy_engagements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('step', sa.String(length=10), nullable=False),
    sa.Column('at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['policy_items.id'], name=op.f('fk_policy_engagements_item_id_policy_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_engagements')),
    sa.UniqueConstraint('version_id', 'subject', 'step', name=op.f('uq_policy_engagements_version_id'))
    )
    with op.batch_alter_table('policy_engagements', schema=None) as batch_op:
        batch_op.create_index('ix_policy_engagements_item', ['item_id'], unique=False)

    op.create_table('policy_item_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'in_review', 'rejected', 'published', 'superseded', 'withdrawn', 'expired', name='versionstate', native_enum=False, length=30), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('condition_text', sa.Text(), nullable=False),
    sa.Column('amount_text', sa.Text(), nullable=False),
    sa.Column('rule', sa.JSON(), nullable=True),
    sa.Column('support_types', sa.JSON(), nullable=False),
    sa.Column('industries', sa.JSON(), nullable=False),
    sa.Column('sizes', sa.JSON(), nullable=False),
    sa.Column('window_opens', sa.Date(), nullable=True),
    sa.Column('window_closes', sa.Date(), nullable=True),
    sa.Column('handling_org_id', sa.Integer(), nullable=True),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('exclusive_group', sa.String(length=60), nullable=False),
    sa.Column('annual_budget_fen', sa.BigInteger(), nullable=True),
    sa.Column('no_application', sa.Boolean(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('published_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', tongban.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('preview', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_policy_item_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['handling_org_id'], ['organisations.id'], name=op.f('fk_policy_item_versions_handling_org_id_organisations')),
    sa.ForeignKeyConstraint(['item_id'], ['policy_items.id'], name=op.f('fk_policy_item_versions_item_id_policy_items')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_policy_item_versions_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_policy_item_versions_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_item_versions')),
    sa.UniqueConstraint('item_id', 'number', name=op.f('uq_policy_item_versions_item_id'))
    )
    with op.batch_alter_table('policy_item_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_item_versions_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_policy_item_versions_state', ['state'], unique=False)

    op.create_table('policy_matches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('amount_low', sa.BigInteger(), nullable=True),
    sa.Column('amount_high', sa.BigInteger(), nullable=True),
    sa.Column('open_atoms', sa.JSON(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('matched_at', tongban.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['policy_items.id'], name=op.f('fk_policy_matches_item_id_policy_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_matches')),
    sa.UniqueConstraint('item_id', 'subject', name=op.f('uq_policy_matches_item_id'))
    )
    with op.batch_alter_table('policy_matches', schema=None) as batch_op:
        batch_op.create_index('ix_policy_matches_subject', ['subject'], unique=False)
        batch_op.create_index('ix_policy_matches_version', ['version_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('policy_matches', schema=None) as batch_op:
        batch_op.drop_index('ix_policy_matches_version')
        batch_op.drop_index('ix_policy_matches_subject')

    op.drop_table('policy_matches')
    with op.batch_alter_table('policy_item_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_policy_item_versions_state')
        batch_op.drop_index(batch_op.f('ix_policy_item_versions_item_id'))

    op.drop_table('policy_item_versions')
    with op.batch_alter_table('policy_engagements', schema=None) as batch_op:
        batch_op.drop_index('ix_policy_engagements_item')

    op.drop_table('policy_engagements')
    with op.batch_alter_table('policy_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_items_state'))
        batch_op.drop_index(batch_op.f('ix_policy_items_policy_id'))
        batch_op.drop_index(batch_op.f('ix_policy_items_org_id'))

    op.drop_table('policy_items')
    with op.batch_alter_table('policy_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_attachments_policy_id'))

    op.drop_table('policy_attachments')
    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policies_region_code'))
        batch_op.drop_index(batch_op.f('ix_policies_org_id'))

    op.drop_table('policies')
    op.drop_table('notify_preferences')
    with op.batch_alter_table('notify_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notify_outbox_user_id'))
        batch_op.drop_index('ix_notify_outbox_due')

    op.drop_table('notify_outbox')
    with op.batch_alter_table('policy_match_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_match_runs_state'))

    op.drop_table('policy_match_runs')
