"""``tongban policy …``: the policy context's commands.

tongban policy match [--item CODE] [--resume RUN]   match every enterprise against live items now
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

policy_app = typer.Typer(help="Enterprise support policies / 惠企政策", no_args_is_help=True)


@policy_app.command("match")
def match_command(
    item: Annotated[
        str | None, typer.Option(help="Code of one published item (default: every live item).")
    ] = None,
    resume: Annotated[int | None, typer.Option(help="Carry on an unfinished run (its id).")] = None,
) -> None:
    """Match every enterprise of the latest profile snapshot against live items, in this process,
    showing progress; prints the run's figures as JSON."""
    from tongban.cli import ready_sessions
    from tongban.db import transaction
    from tongban.kernel.errors import NotFound
    from tongban.policy import matching, service
    from tongban.policy.models import MatchRun

    factory = ready_sessions()
    item_ids: list[int] | None = None
    if item is not None:
        with transaction(factory, write=False) as session:
            try:
                item_ids = [service.get_item_by_code(session, item).id]
            except NotFound:
                typer.echo(f"没有这个政策事项 / no such policy item: {item}", err=True)
                raise typer.Exit(1) from None

    def progress(done: int, total: int) -> None:
        typer.echo(f"匹配进度 / items done: {done}/{total}")

    try:
        run_id = matching.run(factory, "manual", item_ids, resume=resume, progress=progress)
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    with factory() as session:
        run = session.get(MatchRun, run_id)
        assert run is not None
        figures = {
            "run": run.id,
            "state": run.state,
            "enterprises": run.enterprises,
            "items": len(run.items_done or []),
            "matches": run.matches,
            "engine_seconds": round(run.engine_seconds or 0.0, 3),
        }
    typer.echo(json.dumps(figures, ensure_ascii=False))
