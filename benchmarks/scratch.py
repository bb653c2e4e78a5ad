"""A scratch PostgreSQL database for a benchmark run: created on the given server, dropped after."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database(server_url: str, label: str) -> Iterator[str]:
    """The URL of a new, empty database ``tongban_bench_<label>_<pid>`` on the server of
    ``server_url``; it is dropped when the block ends, however it ends."""
    admin_url = make_url(server_url)
    name = f"tongban_bench_{label}_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
