"""Alembic environment: runs on the engine handed over by ``tongban.db``."""

from alembic import context
from sqlalchemy import Engine

from tongban.db import Base
from tongban.models import import_all_models

import_all_models()
engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):  # pragma: no cover - only reached by misuse
    raise RuntimeError("run migrations through tongban.db.upgrade or `tongban db upgrade`")

# Tables the migrations create outside the models (the library's full-text index: an FTS5 virtual
# table on SQLite with its shadow tables); autogenerate must not propose dropping them.
UNMODELLED_PREFIXES = ("policy_search",)


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (type_ == "table" and name is not None and name.startswith(UNMODELLED_PREFIXES))


with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
