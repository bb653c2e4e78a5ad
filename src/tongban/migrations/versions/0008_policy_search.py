"""policy library full-text index

The index of live item versions (policy/library_index.py keeps it in step on ItemPublished and
ItemEnded). One row per live item: its title tokens (ranked higher) and every search token
(ItemVersion.search_text: space-separated jieba tokens).

- SQLite: an FTS5 virtual table ``policy_search(item_id UNINDEXED, title, tokens)`` with the
  default unicode61 tokenizer, which splits the stored tokens at the spaces; ranked by bm25.
- PostgreSQL: a table with a generated ``document`` tsvector ('simple' configuration, the title
  weighted A) and a GIN index; ranked by ts_rank.

The index is not part of SQLAlchemy's metadata (an FTS5 table cannot be described there).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE policy_search USING fts5(item_id UNINDEXED, title, tokens)")
    else:
        op.execute(
            "CREATE TABLE policy_search ("
            " item_id integer PRIMARY KEY,"
            " title text NOT NULL DEFAULT '',"
            " tokens text NOT NULL DEFAULT '',"
            " document tsvector GENERATED ALWAYS AS ("
            "  setweight(to_tsvector('simple', title), 'A') || to_tsvector('simple', tokens)) STORED)"
        )
        op.execute("CREATE INDEX ix_policy_search_document ON policy_search USING gin (document)")
    _fill(bind)


def _fill(bind: sa.Connection) -> None:
    """Index the items already live (an upgrade of a database with published items)."""
    rows = bind.execute(
        sa.text(
            "SELECT i.id, v.title, v.search_text FROM policy_items i"
            " JOIN policy_item_versions v ON v.id = i.live_version_id WHERE i.state = 'published'"
        )
    ).all()
    if not rows:
        return
    from tongban.catalog import search

    bind.execute(
        sa.text("INSERT INTO policy_search (item_id, title, tokens) VALUES (:item_id, :title, :tokens)"),
        [
            {"item_id": r[0], "title": search.document([r[1]]).strip(), "tokens": (r[2] or "").strip()}
            for r in rows
        ],
    )


def downgrade() -> None:
    op.execute("DROP TABLE policy_search")
