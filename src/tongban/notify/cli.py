"""``tongban notify …``: the outbox from the command line.

tongban notify send    send every message that is due now, with progress (the worker does this
                       every minute; this is for operators and for a machine without a worker)
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer

notify_app = typer.Typer(help="Notifications: the outbox / 通知发送", no_args_is_help=True)


@notify_app.command("send")
def send(
    limit: Annotated[int, typer.Option(help="Send at most this many messages.", min=1)] = 100_000,
) -> None:
    """Send the outbox messages that are due now (inbox, e-mail, SMS), showing progress."""
    from rich.progress import Progress

    from tongban.cli import ready_sessions
    from tongban.config import get_settings
    from tongban.notify import outbox

    settings = get_settings()
    factory = ready_sessions(settings)
    with factory() as session:
        due = min(outbox.due_count(session, settings.outbox_lease_seconds), limit)
    outcomes: Counter[str] = Counter()
    with Progress() as bar:
        task = bar.add_task("发送通知 / sending", total=due)

        def advance(done: int, state: str) -> None:
            outcomes[state] += 1
            bar.update(task, completed=done, total=max(due, done))

        outbox.send_due(factory, limit=limit, settings=settings, progress=advance)
    summary = ", ".join(f"{state} {count}" for state, count in sorted(outcomes.items())) or "nothing due"
    typer.echo(f"通知 / notifications: {summary}")
