"""Keeping the library's full-text index in step with published items (subscribed on import).

The index (``policy_search``, migration 0008) holds one row per live item: the jieba tokens of
its title and every search token of its live version (``ItemVersion.search_text``). On SQLite it
is an FTS5 table, on PostgreSQL a table with a generated tsvector and a GIN index; both are
written the same way, in the publishing transaction: ``ItemPublished`` replaces the item's row,
``ItemEnded`` removes it. ``rebuild`` rewrites the whole index from the live items (operators,
after a restore or a change of the tokenizer's dictionary).

The table is outside SQLAlchemy's metadata (an FTS5 virtual table cannot be described there),
so it is declared here on its own ``MetaData`` for statements only.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, Table, Text, delete, insert
from sqlalchemy.orm import Session

from tongban.catalog import search
from tongban.kernel import events
from tongban.policy.events import ItemEnded, ItemPublished

index_table = Table(
    "policy_search",
    MetaData(),
    Column("item_id", Integer),
    Column("title", Text),
    Column("tokens", Text),
)


def _row(item_id: int, title: str, search_text: str) -> dict[str, object]:
    return {"item_id": item_id, "title": search.document([title]).strip(), "tokens": search_text.strip()}


def put(session: Session, item_id: int, title: str, search_text: str) -> None:
    """Index (or re-index) one live item."""
    remove(session, item_id)
    session.execute(insert(index_table), [_row(item_id, title, search_text)])


def remove(session: Session, item_id: int) -> None:
    session.execute(delete(index_table).where(index_table.c.item_id == item_id))


def on_published(session: Session, event: ItemPublished) -> None:
    from tongban.policy.models import ItemVersion

    version = session.get(ItemVersion, event.version_id)
    if version is not None:
        put(session, event.item_id, version.title, version.search_text)


def on_ended(session: Session, event: ItemEnded) -> None:
    remove(session, event.item_id)


def rebuild(session: Session) -> int:
    """Rewrite the index from every live item; the number of items indexed."""
    from tongban.policy import service

    session.execute(delete(index_table))
    live = service.live_items(session)
    if live:
        session.execute(
            insert(index_table), [_row(x.item.id, x.version.title, x.version.search_text) for x in live]
        )
    return len(live)


events.subscribe(ItemPublished, on_published)
events.subscribe(ItemEnded, on_ended)
