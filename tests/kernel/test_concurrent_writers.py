"""Concurrent writers produce one gap-free audit chain on both databases (no lost or failed writes)."""

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tongban.db import transaction
from tongban.kernel.audit import service as audit
from tongban.kernel.audit.models import AuditEvent
from tongban.kernel.permissions import Actor

WRITERS = 8
EVENTS_EACH = 5


def test_parallel_transactions_that_read_then_write(session_factory: sessionmaker[Session]) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(number: int) -> None:
        try:
            start.wait()
            for event in range(EVENTS_EACH):
                with transaction(session_factory) as session:
                    session.scalar(select(func.count()).select_from(AuditEvent))  # read first
                    audit.record(session, Actor.system(f"writer-{number}"), "test.write", "test", event)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_factory() as session:
        report = audit.verify(session, Actor.system("test"))
        assert report.intact and report.checked == WRITERS * EVENTS_EACH
