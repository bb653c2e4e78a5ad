"""access log: no foreign key from subjects to entries, no duplicate consumer index

Every access-log subject row used to be checked against ``access_log.seq`` by a foreign key. On
PostgreSQL that check is a prepared query whose plan a long-lived writer connection keeps: made
while the log was small, it scanned the whole log for every subject row, so appending grew
slower as the log grew (at 35,000 entries the writer's backends used most of a core; see
docs/decisions/0002-access-log-without-foreign-key.md). The writer inserts an entry and its
subjects in one transaction and the hash chain covers the subjects, so the key added no
protection the chain does not give. ``ix_access_log_consumer_org_id`` duplicated the leading
column of ``ix_access_log_consumer_time``.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_log_subjects", schema=None) as batch_op:
        batch_op.drop_constraint("fk_access_log_subjects_entry_seq_access_log", type_="foreignkey")
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index("ix_access_log_consumer_org_id")


def downgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index("ix_access_log_consumer_org_id", ["consumer_org_id"], unique=False)
    with op.batch_alter_table("access_log_subjects", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_access_log_subjects_entry_seq_access_log", "access_log", ["entry_seq"], ["seq"]
        )
