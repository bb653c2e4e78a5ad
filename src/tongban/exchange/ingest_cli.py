"""``tongban ingest …``: load files, pull from department databases, manage pull sources.

The command line acts as the platform operator (the system actor). Each load is one
transaction; a failed load is reported and recorded, and leaves no records behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from tongban.exchange.models import Load, LoadStatus
from tongban.kernel.errors import DomainError
from tongban.kernel.permissions import Actor

ingest_app = typer.Typer(
    help="Ingest (归集): load files and pull department databases.", no_args_is_help=True
)

CLI_ACTOR = Actor.system("cli")


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[object]:
    """A rich progress bar fed by the engine's (rows read, estimated total) callback."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=max(total or 0, done) or None)

        yield update


def _report(load: Load) -> str:
    if load.status is not LoadStatus.DONE:
        return f"归集失败 / load #{load.id} FAILED (nothing stored): {load.error}"
    lines = [
        f"归集完成 / load #{load.id} done: 读取 read {load.rows_read}, 新增 new {load.rows_new}, "
        f"变更 changed {load.rows_changed}, 未变 unchanged {load.rows_unchanged}, "
        f"隔离 quarantined {load.rows_quarantined}, 重复 repeated {load.rows_duplicate}"
    ]
    if load.columns_unknown:
        lines.append(f"  忽略的列 / columns ignored: {', '.join(load.columns_unknown)}")
    if load.columns_missing:
        lines.append(f"  缺少的列 / columns missing (stored empty): {', '.join(load.columns_missing)}")
    return "\n".join(lines)


@ingest_app.command("file")
def ingest_file(
    path: Annotated[
        Path, typer.Argument(help="CSV (UTF-8 or GB18030), XLSX or JSON file.", exists=True, dir_okay=False)
    ],
    resource: Annotated[str, typer.Option(help="Resource code, e.g. 350200-SWJ-0001.")],
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Load a file into a resource: validate, keep history, quarantine bad rows."""
    from tongban import cli
    from tongban.db import transaction
    from tongban.exchange import loads

    factory = cli.ready_sessions()
    try:
        with _progress(progress, path.name) as update, transaction(factory) as session:
            load = loads.load_file(session, CLI_ACTOR, resource, path, progress=update)  # type: ignore[arg-type]
    except DomainError as error:
        cli._fail(cli._explain(error))
    typer.echo(_report(load))
    if load.status is not LoadStatus.DONE:
        raise typer.Exit(1)


@ingest_app.command("pull")
def ingest_pull(
    source: Annotated[
        str | None, typer.Argument(help="Pull source name or id; all due sources when omitted.")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Pull from department databases: one source now, or every source whose interval has passed."""
    from tongban import cli
    from tongban.db import transaction
    from tongban.exchange import sources

    factory = cli.ready_sessions()
    if source is None:
        outcomes = sources.pull_due(factory, CLI_ACTOR)
        if not outcomes:
            typer.echo("没有到期的拉取源 / no pull source is due")
        failed = False
        for name, outcome in outcomes:
            if isinstance(outcome, Load):
                typer.echo(f"[{name}] {_report(outcome)}")
                failed = failed or outcome.status is not LoadStatus.DONE
            else:
                message = cli._explain(outcome) if isinstance(outcome, DomainError) else str(outcome)
                typer.echo(f"[{name}] {message}", err=True)
                failed = True
        if failed:
            raise typer.Exit(1)
        return
    try:
        with _progress(progress, source) as update, transaction(factory) as session:
            found = sources.get_source(session, CLI_ACTOR, source)
            load = sources.pull(session, CLI_ACTOR, found, progress=update)  # type: ignore[arg-type]
    except DomainError as error:
        cli._fail(cli._explain(error))
    typer.echo(_report(load))
    if load.status is not LoadStatus.DONE:
        raise typer.Exit(1)


@ingest_app.command("add-source")
def ingest_add_source(
    resource: Annotated[str, typer.Option(help="Resource code the source feeds.")],
    name: Annotated[str, typer.Option(help="Name of the source.")],
    env: Annotated[str, typer.Option(help="Environment variable holding the database's SQLAlchemy URL.")],
    query: Annotated[
        str, typer.Option(help="SELECT returning the fields by name; :since binds the last change.")
    ],
    change_column: Annotated[str, typer.Option(help="Column that grows with every change.")] = "",
    start: Annotated[str, typer.Option(help="Value :since takes on the first pull.")] = "",
    interval: Annotated[int, typer.Option(help="Minutes between scheduled pulls.")] = 1440,
) -> None:
    """Register a department database to pull from."""
    from tongban import cli
    from tongban.db import transaction
    from tongban.exchange import sources

    factory = cli.ready_sessions()
    try:
        with transaction(factory) as session:
            added = sources.add_source(
                session,
                CLI_ACTOR,
                resource_code=resource,
                name=name,
                connection_env=env,
                query=query,
                change_column=change_column,
                start_value=start,
                interval_minutes=interval,
            )
            source_id = added.id
    except DomainError as error:
        cli._fail(cli._explain(error))
    typer.echo(f"拉取源已添加 / pull source {name} added (id {source_id})")


@ingest_app.command("sources")
def ingest_sources() -> None:
    """List pull sources with their last run."""
    from tongban import cli
    from tongban.exchange import sources

    factory = cli.ready_sessions()
    with factory() as session:
        for s in sources.list_sources(session, CLI_ACTOR):
            last = s.last_run_at.isoformat(timespec="seconds") if s.last_run_at else "-"
            state = "active" if s.active else "paused"
            typer.echo(
                f"{s.id:>4} {s.name:<24} env={s.connection_env} every {s.interval_minutes} min  "
                f"since={s.last_change_value or '-'}  last={last}  {state}"
            )
