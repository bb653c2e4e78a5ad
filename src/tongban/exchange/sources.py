"""Pulling from department databases (拉取): a query, incremental on a change column, on a schedule.

A pull source names an environment variable that holds the SQLAlchemy URL of the
department's database (credentials never enter the hub's database), a SELECT returning the
resource's fields by column name, and optionally a change column (a timestamp or a number
that grows with every change). The query binds ``:since`` to the largest change value seen so
far (or to the start value given when the source was added), e.g.::

    SELECT uscc AS 统一社会信用代码, year AS 年度, revenue AS 营业收入, updated_at
    FROM tax_returns WHERE updated_at >= :since ORDER BY updated_at

Because loading is idempotent, ``>=`` is the safe comparison: rows sharing the last change
value are read again and counted unchanged, and none committed late with that value is missed.
The change column is not a field and is not reported as unknown. The new change value is
stored in the same transaction as the load, so a failed pull is simply retried next time.

``pull_due`` runs every active source whose interval has passed; the command line
(``tongban ingest pull --due``) or a scheduler calls it.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from tongban.catalog import resources
from tongban.exchange import ingest, loads
from tongban.exchange.ingest_files import Cells, Table, cell_text, normalise_header
from tongban.exchange.models import Load, LoadSource, LoadStatus, PullSource
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now
from tongban.kernel.errors import N_, Conflict, FieldProblem, NotFound, ValidationFailed
from tongban.kernel.permissions import Actor

log = logging.getLogger(__name__)

ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")
SINCE = re.compile(r":since\b")
READ_ONLY_START = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)
STREAM_ROWS = 5000


def _check(
    name: str, connection_env: str, query: str, change_column: str, interval_minutes: int
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if not name.strip() or len(name) > 100:
        problems.append(FieldProblem("name", N_("This field is required.")))
    if not ENV_NAME.match(connection_env):
        problems.append(
            FieldProblem("connection_env", N_("Name an environment variable: capital letters, digits and _."))
        )
    body = query.strip().rstrip(";")
    if not READ_ONLY_START.match(body) or ";" in body:
        problems.append(FieldProblem("query", N_("The query must be one SELECT statement.")))
    if SINCE.search(body) and not change_column.strip():
        problems.append(FieldProblem("change_column", N_("A query with :since needs a change column.")))
    if not 1 <= interval_minutes <= 525_600:
        problems.append(FieldProblem("interval_minutes", N_("Between 1 minute and one year.")))
    return problems


def add_source(
    session: Session,
    actor: Actor,
    *,
    resource_code: str,
    name: str,
    connection_env: str,
    query: str,
    change_column: str = "",
    start_value: str = "",
    interval_minutes: int = 1440,
) -> PullSource:
    """Register a department database to pull a resource from (the resource's steward)."""
    resource = loads.ingest_resource(session, actor, resource_code)
    problems = _check(name, connection_env, query, change_column, interval_minutes)
    if problems:
        raise ValidationFailed(fields=problems)
    if session.scalar(select(PullSource.id).where(PullSource.name == name.strip())) is not None:
        raise Conflict(N_("A pull source named {name} exists already."), code="source_name_taken", name=name)
    source = PullSource(
        resource_id=resource.id,
        name=name.strip(),
        connection_env=connection_env,
        query=query.strip().rstrip(";"),
        change_column=change_column.strip(),
        last_change_value=start_value,
        interval_minutes=interval_minutes,
        active=True,
    )
    session.add(source)
    session.flush()
    audit.record(
        session,
        actor,
        "ingest.source.create",
        "pull_source",
        source.id,
        {"name": source.name, "resource": resource.code, "connection_env": connection_env},
        org_id=resource.provider_org_id,
    )
    return source


def list_sources(session: Session, actor: Actor) -> list[PullSource]:
    """Pull sources of the resources the actor may load into."""
    resource_ids = [r.id for r in loads.ingestible_resources(session, actor)]
    statement = select(PullSource).where(PullSource.resource_id.in_(resource_ids)).order_by(PullSource.name)
    return list(session.scalars(statement))


def get_source(session: Session, actor: Actor, name_or_id: str | int) -> PullSource:
    statement = select(PullSource)
    if isinstance(name_or_id, int) or str(name_or_id).isdigit():
        statement = statement.where(PullSource.id == int(name_or_id))
    else:
        statement = statement.where(PullSource.name == name_or_id)
    source = session.scalar(statement)
    if source is None:
        raise NotFound(N_("Pull source not found."), code="source_not_found")
    loads.ingest_resource(session, actor, resources.lookup(session, source.resource_id).code)
    return source


def change_text(value: Any) -> str:
    """A change value as stored and bound again next time (timestamps keep their time)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


class _Tracker:
    """Remembers the largest change value among the rows read."""

    def __init__(self) -> None:
        self.largest: Any = None

    def see(self, value: Any) -> None:
        if value is not None and (self.largest is None or value > self.largest):
            self.largest = value


def pull(session: Session, actor: Actor, source: PullSource, progress: ingest.Progress | None = None) -> Load:
    """Read the source's query from the department database and load the rows."""
    resource = loads.ingest_resource(session, actor, resources.lookup(session, source.resource_id).code)
    url = os.environ.get(source.connection_env, "")
    if not url:
        raise Conflict(
            N_("The environment variable {name} with the database address is not set."),
            code="source_not_configured",
            name=source.connection_env,
        )
    params = {"since": source.last_change_value or None} if SINCE.search(source.query) else {}
    engine = create_engine(url, poolclass=NullPool)
    tracker = _Tracker()
    try:
        with engine.connect() as connection:
            result = connection.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(
                text(source.query), params
            )
            names = result.keys()
            columns = [normalise_header(c) for c in names]
            change = source.change_column
            if change and change not in columns:
                raise ValidationFailed(
                    fields=[
                        FieldProblem(
                            "change_column",
                            N_("The query returns no column {column}."),
                            {"column": change},
                        )
                    ]
                )
            position = columns.index(change) if change else None

            def rows() -> Iterator[tuple[int, Cells]]:
                for number, row in enumerate(result, start=1):
                    if position is not None:
                        tracker.see(row[position])
                    yield number, [cell_text(v) for v in row]

            load = loads.ingest_table(
                session,
                actor,
                resource,
                Table(columns, rows()),
                source=LoadSource.PULL,
                source_name=source.name,
                ignore_columns=[change] if change else [],
                progress=progress,
            )
    except SQLAlchemyError as error:
        raise Conflict(
            N_("The department database could not be read: {detail}"),
            code="source_unreachable",
            detail=type(error).__name__,
        ) from error
    finally:
        engine.dispose()
    if load.status is LoadStatus.DONE and tracker.largest is not None:
        source.last_change_value = change_text(tracker.largest)[:100]
    source.last_run_at = now()
    source.last_load_id = load.id
    session.flush()
    return load


def due_sources(session: Session, moment: datetime | None = None) -> list[PullSource]:
    """Active sources never pulled, or last pulled at least their interval ago."""
    moment = moment or now()
    sources = session.scalars(select(PullSource).where(PullSource.active.is_(True)).order_by(PullSource.id))
    return [
        s
        for s in sources
        if s.last_run_at is None or s.last_run_at + timedelta(minutes=s.interval_minutes) <= moment
    ]


def pull_due(factory: sessionmaker[Session], actor: Actor) -> list[tuple[str, Load | Exception]]:
    """Pull every due source, each in its own transaction; one failing source stops no other."""
    with factory() as session:
        names = [s.name for s in due_sources(session)]
    outcomes: list[tuple[str, Load | Exception]] = []
    for name in names:
        session = factory()
        try:
            load = pull(session, actor, get_source(session, actor, name))
            session.commit()
            outcomes.append((name, load))
        except Exception as error:
            session.rollback()
            log.warning("pull of source %s failed: %s", name, error)
            outcomes.append((name, error))
        finally:
            session.close()
    return outcomes
