"""``tongban profiles …``: build every enterprise's profile and the columnar snapshot.

tongban profiles build       refresh every profile from the hub (incremental, idempotent)
tongban profiles snapshot    rebuild the Parquet snapshot of all profiles and print its manifest
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

profiles_app = typer.Typer(help="Enterprise profiles and their snapshot / 企业画像", no_args_is_help=True)


@profiles_app.command("build")
def build() -> None:
    """Refresh every enterprise's profile from the records the platform may read."""
    from tongban.cli import ready_sessions
    from tongban.demo.profiles import build_all

    count = build_all(ready_sessions())
    typer.echo(f"企业画像已更新 / profiles refreshed: {count}")


@profiles_app.command("snapshot")
def snapshot_command(
    out: Annotated[Path | None, typer.Option(help="Directory for snapshots (default: data dir).")] = None,
    at: Annotated[str | None, typer.Option(help="Evaluation date (YYYY-MM-DD); default today.")] = None,
) -> None:
    """Rebuild the columnar snapshot (Parquet + manifest.json) of all profiles."""
    from tongban.cli import ready_sessions
    from tongban.profiles import jobs, snapshot

    built = snapshot.build_snapshot(
        ready_sessions(),
        out or jobs.snapshot_root(),
        label="cli",
        at=date.fromisoformat(at) if at else None,
    )
    typer.echo(json.dumps(snapshot.read_manifest(built.path), ensure_ascii=False, indent=2))
