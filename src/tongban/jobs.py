"""Background and scheduled jobs (huey): the queue, the worker's sessions, and the command.

Jobs live in each context's ``jobs.py`` (quality checks, snapshot rebuilds, pulls from
department databases …) and are registered on the one ``huey`` instance here when
``JOB_MODULES`` are imported. The queue is SQLite under ``data_dir`` by default and Redis when
``TONGBAN_JOBS_URL`` is a redis:// URL. ``tongban worker`` runs the consumer, which also fires
the periodic tasks. Tests run tasks at once (``huey.immediate = True``).
"""

from __future__ import annotations

import importlib
from functools import cache

from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy.orm import Session, sessionmaker

from tongban.config import Settings, get_settings
from tongban.db import make_engine, make_session_factory

JOB_MODULES = (
    "tongban.exchange.jobs",
    "tongban.governance.jobs",
    "tongban.governance.correction_jobs",
    "tongban.profiles.jobs",
    "tongban.policy.jobs",
    "tongban.policy.delivery_jobs",
    "tongban.notify.jobs",
)


def make_huey(settings: Settings) -> Huey:
    url = settings.jobs_url
    if url and url.startswith(("redis://", "rediss://")):
        return RedisHuey("tongban", url=url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("tongban", filename=str((settings.data_dir / "jobs.sqlite3").resolve()))


huey: Huey = make_huey(get_settings())


@cache
def sessions() -> sessionmaker[Session]:
    """The worker's sessions on the configured database."""
    return make_session_factory(make_engine(get_settings().effective_database_url))


def load_job_modules() -> None:
    for name in JOB_MODULES:
        importlib.import_module(name)
