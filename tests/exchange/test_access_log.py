"""The access log's own hash chain: group commit, platform uses, tampering found, the CLI check."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session
from tests.support.actors import SYSTEM, user
from tests.support.records import USCC, entries, market_resource
from typer.testing import CliRunner

from tongban.cli import app as cli_app
from tongban.exchange import access_log, usage
from tongban.exchange.access_log import AccessDraft, AccessLogWriter
from tongban.exchange.models import AccessKind, AccessLogEntry, AccessLogSubject


def _draft(n: int, subjects: tuple[str, ...] = (USCC,), **extra: Any) -> AccessDraft:
    values: dict[str, Any] = {
        "kind": AccessKind.READ,
        "outcome": "ok",
        "actor_kind": "token",
        "actor_label": f"系统{n}",
        "consumer_org_id": 7,
        "purpose": "纳税信用评价",
        "resource_id": 1,
        "fields": ("企业名称",),
        "subjects": subjects,
        "request_id": f"req-{n}",
    }
    return AccessDraft(**(values | extra))


def test_concurrent_requests_are_group_committed_into_one_gap_free_chain(db: Session, engine: Engine) -> None:
    writer = AccessLogWriter(engine)
    seqs: list[int] = []
    lock = threading.Lock()

    def request(n: int) -> None:
        seq = writer.write_sync(_draft(n))
        with lock:
            seqs.append(seq)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    assert sorted(seqs) == list(range(1, 61))
    assert writer.entries == 60 and writer.batches < 60  # several requests shared a commit
    report = access_log.verify(db, SYSTEM)
    assert report.intact and report.checked == 60


def test_a_bad_entry_does_not_sink_the_others_in_its_batch(db: Session, engine: Engine) -> None:
    seqs = access_log.append_committed(
        engine, [_draft(1), _draft(2, subjects=("\x00" + "9" * 40,), purpose="含\x00字符")]
    )
    assert seqs == [1, 2]
    stored = entries(db)[1]
    assert "\x00" not in stored.purpose
    assert access_log.verify(db, SYSTEM).intact


def test_an_entry_the_writer_cannot_prepare_fails_alone(db: Session, engine: Engine) -> None:
    """A request whose entry cannot be recorded gets no data (its wait fails); the requests that
    shared its batch are recorded and answered."""
    from datetime import datetime

    from tongban.exchange.access_log import AccessLogUnavailable

    writer = AccessLogWriter(engine)
    writer._ensure_started()
    good = writer.submit(_draft(1))
    bad = writer.submit(_draft(2, occurred_at=datetime(2026, 11, 27, 9, 0)))  # no time zone
    also_good = writer.submit(_draft(3))
    assert good.result(10) == 1 and also_good.result(10) == 2
    with pytest.raises(AccessLogUnavailable):
        bad.result(10)
    writer.close()
    assert [e.request_id for e in entries(db)] == ["req-1", "req-3"]
    assert access_log.verify(db, SYSTEM).intact


def test_platform_uses_are_logged_and_shown_to_the_people_concerned(
    db: Session, demo_city: dict[str, Any]
) -> None:
    resource = market_resource(db)
    db.commit()
    own = user(db, "enterprise").uscc or ""
    seq = access_log.record_platform_use(
        db,
        resource_id=resource.id,
        provider_org_id=resource.provider_org_id,
        fields=["营业收入", "企业资质"],
        subjects=[own, USCC, own],
        purpose="惠企政策匹配",
        label="政策匹配引擎",
    )
    [entry] = entries(db)
    assert entry.seq == seq and entry.kind is AccessKind.PLATFORM and entry.actor_kind == "system"
    assert entry.subject_count == 2 and entry.consumer_org_id is None
    from tests.support.actors import actor

    seen = usage.my_usage(db, actor(db, "enterprise"))
    assert [e.purpose for e in seen.items] == ["惠企政策匹配"]
    assert usage.list_entries(db, actor(db, "steward")).total == 1  # its department's resource


@pytest.mark.parametrize(
    ("tamper", "seq", "kind"),
    [
        ("purpose changed", 2, "altered"),
        ("subject removed", 2, "altered"),
        ("entry deleted", 2, "missing"),
        ("last entry deleted", 3, "missing"),
    ],
)
def test_tampering_is_found_at_the_first_bad_entry(
    db: Session, engine: Engine, tamper: str, seq: int, kind: str
) -> None:
    access_log.append_committed(
        engine, [_draft(1), _draft(2, subjects=(USCC, "91350200MA8TEXT02X")), _draft(3)]
    )
    target = db.scalars(select(AccessLogEntry.id).where(AccessLogEntry.seq == seq)).one()
    with engine.begin() as connection:
        if tamper == "purpose changed":
            connection.execute(
                update(AccessLogEntry).where(AccessLogEntry.id == target).values(purpose="别的用途")
            )
        elif tamper == "subject removed":
            connection.execute(
                delete(AccessLogSubject).where(
                    AccessLogSubject.entry_seq == seq, AccessLogSubject.subject == USCC
                )
            )
        else:
            connection.execute(delete(AccessLogSubject).where(AccessLogSubject.entry_seq == seq))
            connection.execute(delete(AccessLogEntry).where(AccessLogEntry.id == target))
    db.commit()  # a fresh snapshot
    report = access_log.verify(db, SYSTEM)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (seq, kind)


def test_cli_verify_checks_both_chains_and_names_the_broken_one(
    db: Session, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TONGBAN_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path / "cli"))
    access_log.append_committed(engine, [_draft(n) for n in range(1, 5)])
    runner = CliRunner()
    intact = runner.invoke(cli_app, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "access-log chain intact: 4 entries" in intact.output and "audit chain intact" in intact.output
    with engine.begin() as connection:
        connection.execute(text("UPDATE access_log SET actor_label = 'x' WHERE seq = 3"))
    broken = runner.invoke(cli_app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "access-log chain BROKEN at entry seq 3" in broken.output and "altered" in broken.output
    assert "audit chain intact" in broken.output


def test_sqlite_log_keeps_its_write_ahead_log_small_under_constant_load(
    db: Session, engine: Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes' writers appending without pause while readers never stop reading: the WAL
    must still be reset now and then. A checkpoint beside such writers never catches up with
    them, and the WAL grew without end (every commit then appends to a longer file)."""
    if backend != "sqlite":
        pytest.skip("the write-ahead log file is SQLite's")
    monkeypatch.setattr(access_log, "CHECKPOINT_SECONDS", 0.1)
    writers = [AccessLogWriter(engine), AccessLogWriter(engine)]  # as two server processes
    busy = threading.Event()
    busy.set()
    written: list[int] = []

    def read_without_pause() -> None:
        with engine.connect() as connection:
            while busy.is_set():
                connection.execute(select(AccessLogEntry.seq).order_by(AccessLogEntry.seq.desc()).limit(1))
                connection.rollback()

    def request_without_pause(writer: AccessLogWriter, n: int) -> None:
        while busy.is_set():
            written.append(writer.write_sync(_draft(n, subjects=(USCC, f"9135020{n:011d}"))))
            if len(written) >= 800:  # a fixed amount of work, however fast the machine is
                busy.clear()

    threads = [threading.Thread(target=read_without_pause) for _ in range(2)] + [
        threading.Thread(target=request_without_pause, args=(writers[n % 2], n)) for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    busy.clear()
    for writer in writers:
        writer.close()
    wal = Path(f"{engine.url.database}-wal").stat().st_size
    assert len(written) >= 800
    # Without a reset: about 40 KB of WAL per commit (6–8 MB here); reset, 1–2 MB.
    assert wal < 4_000_000, (wal, len(written), sum(w.batches for w in writers))
    assert access_log.verify(db, SYSTEM).intact
