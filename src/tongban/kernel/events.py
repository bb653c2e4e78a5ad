"""In-process domain events: one context announces what happened, others react in the same
transaction, without the announcing context knowing them (dependencies still point one way:
exchange publishes ``RecordsChanged``; governance and profiles subscribe).

Handlers run synchronously, in subscription order, inside the publisher's transaction: what
they write commits or rolls back with the change itself. A handler that has heavy work to do
(a million changed rows) records what is to be done and leaves the work to a job.
Subscriptions are made when ``tongban.wiring.connect_contexts()`` imports each context's
``subscribers`` module (the app, the CLI and the tests call it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

E = TypeVar("E")
Handler = Callable[[Session, Any], None]

_handlers: dict[type, list[Handler]] = defaultdict(list)


def subscribe(kind: type[E], handler: Callable[[Session, E], None]) -> None:
    """Call ``handler(session, event)`` for every event of ``kind`` published from now on."""
    if handler not in _handlers[kind]:
        _handlers[kind].append(handler)


def publish(session: Session, event: object) -> None:
    """Run the handlers of the event's type, in the caller's transaction."""
    for handler in list(_handlers.get(type(event), ())):
        handler(session, event)


def handlers(kind: type) -> list[Handler]:
    return list(_handlers.get(kind, ()))
