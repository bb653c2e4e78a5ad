"""Alembic environment: runs on the engine handed over by ``tongban.db``."""

from alembic import context
from sqlalchemy import Engine

from tongban.db import Base
from tongban.models import import_all_models

import_all_models()
engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):  # pragma: no cover - only reached by misuse
    raise RuntimeError("run migrations through tongban.db.upgrade or `tongban db upgrade`")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
