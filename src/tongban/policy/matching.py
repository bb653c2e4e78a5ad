"""Matching (精准匹配): every enterprise of the latest profile snapshot against every live item,
and one enterprise against every live item when its profile changes.

A *run* (``run``) reads the snapshot once, evaluates the live items with the population engine
(``rules.population.match``) a group at a time (items of a group share their atoms), and stores
each item's matches in its own transaction: the item's old ``Match`` rows are deleted, the new
ones bulk inserted, the item added to ``MatchRun.items_done`` and the matched enterprises handed
to delivery. A run is therefore idempotent (the same snapshot and items give the same rows) and
resumable (``resume=run_id`` skips the items already done; the nightly job resumes runs left
"running" by a killed worker).

``rematch_subject`` re-matches one enterprise from its current profile with a compiled
``rules.itemset.ItemSet`` (kept per set of live versions and evaluation date, in-process), replaces
its rows and queues notifications for the pairs that are new. When an item ends, its rows go
(``delete_matches``).

Stored per match: eligible or likely, the amount interval in fen (high None: unbounded; both
None: the item has no amount formula), and for a likely match the atoms that stand in the way,
printed in the rules language (``open_atoms``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session, sessionmaker

from tongban.db import transaction
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now, today
from tongban.kernel.errors import N_, NotFound
from tongban.kernel.orgs import service as orgs
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import Actor, Permission, require
from tongban.policy import service
from tongban.policy.domain import ItemClosed, ItemState
from tongban.policy.models import Match, MatchRun, PolicyItem
from tongban.profiles import rules_rows
from tongban.profiles.attributes import builtin_registry
from tongban.rules import ast
from tongban.rules.evaluate import Status
from tongban.rules.evaluate_amounts import AmountCompiler
from tongban.rules.itemset import ItemSet
from tongban.rules.population import ELIGIBLE, MAX_MASK_BITS, ItemMatches, match, polarities
from tongban.rules.printer import print_node
from tongban.rules.scalars import Cond, Row

log = logging.getLogger("tongban")

GROUP = 50  # items evaluated together (they share atoms); bounds the memory of one engine call
CHUNK = 5_000  # rows per bulk insert
OPEN_ATOMS_LIMIT = 8  # atoms listed per likely match (the rest are the explainer's business)
ATOM_TEXT_LIMIT = 200  # characters per atom text


@dataclass(frozen=True)
class Target:
    """A live item as a run evaluates it (plain values: they outlive the reading session)."""

    item_id: int
    version_id: int
    rule: ast.Rule


def _atom_texts(rule: ast.Rule) -> list[str]:
    """Printed text of each atom, in the order of the population engine's open-atom bits."""
    atoms = polarities(rule.condition)[0]
    return [print_node(atom)[:ATOM_TEXT_LIMIT] for atom in atoms[:MAX_MASK_BITS]]


def _open_texts(mask: int, texts: Sequence[str]) -> list[str]:
    return [text for i, text in enumerate(texts) if mask >> i & 1][:OPEN_ATOMS_LIMIT]


# --- a run over the snapshot ---------------------------------------------------------------------


def _start(session: Session, trigger: str, item_ids: Sequence[int] | None, resume: int | None) -> MatchRun:
    if resume is not None:
        found = session.get(MatchRun, resume)
        if found is None:
            raise ValueError(f"no match run {resume}")
        found.state, found.error, found.finished_at = "running", "", None
        return found
    started = MatchRun(
        trigger=trigger[:20],
        item_ids=sorted(set(item_ids)) if item_ids is not None else None,
        state="running",
        evaluation_date=today(),
        items_done=[],
        started_at=now(),
    )
    session.add(started)
    session.flush()
    return started


def _rows_of(
    found: ItemMatches, target: Target, subjects: np.ndarray[Any, Any], run_id: int, moment: datetime
) -> list[dict[str, Any]]:
    """The Match rows of one item (insert parameters)."""
    texts = _atom_texts(target.rule)
    names = subjects[found.rows].tolist()
    statuses = found.status.tolist()
    lows = found.amount_low.tolist()
    highs = found.amount_high.tolist()
    masks = found.open_atoms.tolist()
    rows: list[dict[str, Any]] = []
    for subject, status, low, high, mask in zip(names, statuses, lows, highs, masks, strict=True):
        eligible = status == ELIGIBLE
        rows.append(
            {
                "item_id": target.item_id,
                "version_id": target.version_id,
                "subject": subject,
                "status": "eligible" if eligible else "likely",
                "amount_low": low if found.has_amount else None,
                "amount_high": (None if high < 0 else high) if found.has_amount else None,
                "open_atoms": [] if eligible else _open_texts(mask, texts),
                "run_id": run_id,
                "matched_at": moment,
            }
        )
    return rows


def store(session: Session, item_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """Replace an item's Match rows by ``rows`` (bulk, in chunks), in the caller's transaction."""
    session.execute(delete(Match).where(Match.item_id == item_id))
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(Match), list(rows[start : start + CHUNK]))


def _still_live(session: Session, target: Target) -> bool:
    item = session.get(PolicyItem, target.item_id)
    return (
        item is not None and item.state is ItemState.PUBLISHED and item.live_version_id == target.version_id
    )


def _groups(targets: Sequence[Target]) -> Iterator[list[Target]]:
    for start in range(0, len(targets), GROUP):
        yield list(targets[start : start + GROUP])


def run(
    factory: sessionmaker[Session],
    trigger: str,
    item_ids: Sequence[int] | None = None,
    *,
    resume: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """A match run over the latest snapshot for the given live items (None: every live item);
    returns the MatchRun id. Commits per item; idempotent and resumable (see the module).
    ``progress(done, total)`` is called as items are stored (total: the run's live items)."""
    with transaction(factory) as session:
        current = _start(session, trigger, item_ids, resume)
        run_id = current.id
        wanted = current.item_ids
        done = set(current.items_done or [])
        snapshot = rules_rows.snapshot_table(session)
        if snapshot is None:
            current.state, current.enterprises, current.finished_at = "done", 0, now()
            return run_id
        current.snapshot_id = snapshot.manifest_id
        current.evaluation_date = snapshot.evaluation_date
        current.enterprises = snapshot.table.num_rows
        targets = [
            Target(live.item.id, live.version.id, live.rule)
            for live in service.live_items(session, wanted)
            if live.rule is not None and live.item.id not in done
        ]
    total = len(targets) + len(done)
    table, at = snapshot.table, snapshot.evaluation_date
    subjects = np.asarray(table.column("subject").to_numpy(zero_copy_only=False), dtype=object)
    registry = builtin_registry()
    item_id: int | None = None
    try:
        for group in _groups(targets):
            started = time.perf_counter()
            result = match({str(t.item_id): t.rule for t in group}, table, at, registry)
            engine = time.perf_counter() - started
            for position, target in enumerate(group):
                item_id = target.item_id
                found = result.items[str(target.item_id)]
                _store_item(factory, run_id, target, found, subjects, engine if position == 0 else 0.0)
                done.add(target.item_id)
                if progress is not None:
                    progress(len(done), total)
            del result
        with transaction(factory) as session:
            finished = session.get(MatchRun, run_id)
            assert finished is not None
            finished.state, finished.finished_at = "done", now()
    except Exception as error:
        with transaction(factory) as session:
            failed = session.get(MatchRun, run_id)
            assert failed is not None
            failed.state, failed.finished_at = "failed", now()
            # The exception text may quote values (a subject's USCC): keep only its kind.
            failed.error = f"{type(error).__name__} while matching item {item_id}"[:500]
        log.exception("policy: match run %s failed at item %s", run_id, item_id)
        raise
    return run_id


def _store_item(
    factory: sessionmaker[Session],
    run_id: int,
    target: Target,
    found: ItemMatches,
    subjects: np.ndarray[Any, Any],
    engine_seconds: float,
) -> None:
    """One item's matches, its delivery and the run's progress, in one transaction."""
    from tongban.policy import delivery

    with transaction(factory) as session:
        current = session.get(MatchRun, run_id)
        assert current is not None
        current.engine_seconds = (current.engine_seconds or 0.0) + engine_seconds
        if _still_live(session, target):
            rows = _rows_of(found, target, subjects, run_id, now())
            store(session, target.item_id, rows)
            current.matches = (current.matches or 0) + len(rows)
            matched = [row["subject"] for row in rows]
            if matched:
                delivery.queue_for_matches(session, target.item_id, target.version_id, matched)
        current.items_done = [*(current.items_done or []), target.item_id]


def unfinished_runs(session: Session, started_before: datetime | None = None) -> list[int]:
    """Runs left "running" (a worker was killed, or a queued run not picked up), oldest first;
    only those started before ``started_before`` (not a run a worker is busy with now)."""
    statement = select(MatchRun.id).where(MatchRun.state == "running")
    if started_before is not None:
        statement = statement.where(MatchRun.started_at < started_before)
    return list(session.scalars(statement.order_by(MatchRun.id)))


def list_runs(session: Session, actor: Actor, page: int = 1, page_size: int = 20) -> Page[MatchRun]:
    """Match runs, newest first."""
    require(actor, Permission.POLICY_READ)
    return paginate(session, select(MatchRun).order_by(MatchRun.id.desc()), page, page_size)


def get_run(session: Session, actor: Actor, run_id: int) -> MatchRun:
    require(actor, Permission.POLICY_READ)
    found = session.get(MatchRun, run_id)
    if found is None:
        raise NotFound(N_("There is no such match run."), code="match_run_not_found")
    return found


def start_run(session: Session, actor: Actor, item_code: str | None = None) -> MatchRun:
    """Queue a run for one live item of the actor's department (by code) or for every live item
    within the actor's remit (an officer: the department's; the platform operator: all): the run
    is recorded now ("running", nothing done) and the job queue carries it out once this
    transaction commits (the nightly job resumes it if no worker does)."""
    require(actor, Permission.POLICY_REVIEW)
    item_ids: list[int] | None = None
    if item_code is None and actor.scope_path != "/":
        in_scope = set(session.scalars(orgs.org_ids_in_scope(actor)))
        item_ids = [live.item.id for live in service.live_items(session) if live.item.org_id in in_scope]
    elif item_code is not None:
        item = service.get_item_by_code(session, item_code)
        require(actor, Permission.POLICY_REVIEW, org_path=orgs.get(session, item.org_id).path)
        if item.state is not ItemState.PUBLISHED:
            raise ItemClosed(state=item.state.value)
        item_ids = [item.id]
    queued = _start(session, "manual", item_ids, None)
    audit.record(session, actor, "policy_match.start", "policy_match_run", queued.id, {"items": item_ids})
    run_id = queued.id

    def enqueue(committed: Session) -> None:
        from tongban.policy import jobs

        jobs.resume_run(run_id)

    orm_event.listen(session, "after_commit", enqueue, once=True)
    return queued


def delete_matches(session: Session, item_id: int) -> int:
    """Remove an item's matches (it was withdrawn or expired); how many went."""
    result = session.execute(delete(Match).where(Match.item_id == item_id))
    return int(getattr(result, "rowcount", 0) or 0)


# --- one enterprise ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    itemset: ItemSet
    versions: dict[int, int]  # item id → live version id
    atoms: dict[int, list[tuple[str, Cond, bool]]]  # item id → (text, test, helps when true)


_compiled: dict[tuple[tuple[int, ...], date], _Compiled] = {}


def _compile(targets: Sequence[Target], at: date) -> _Compiled:
    """The ItemSet of the live versions (kept while they and the date stay the same)."""
    key = (tuple(sorted(t.version_id for t in targets)), at)
    found = _compiled.get(key)
    if found is not None:
        return found
    registry = builtin_registry()
    compiler = AmountCompiler(registry, at)
    atoms: dict[int, list[tuple[str, Cond, bool]]] = {}
    for target in targets:
        nodes, _, positive, _ = polarities(target.rule.condition)
        atoms[target.item_id] = [
            (print_node(node)[:ATOM_TEXT_LIMIT], compiler.condition(node), pos)
            for node, pos in zip(nodes[:MAX_MASK_BITS], positive, strict=False)
        ]
    built = _Compiled(
        ItemSet({str(t.item_id): t.rule for t in targets}, registry, at),
        {t.item_id: t.version_id for t in targets},
        atoms,
    )
    _compiled.clear()
    _compiled[key] = built
    return built


def _open_of(atoms: Sequence[tuple[str, Cond, bool]], row: Row) -> list[str]:
    """Atoms that do not help the item (unknown, or false; true under not), as the batch has them."""
    opened = [text for text, test, positive in atoms if test(row, 0) is not positive]
    return opened[:OPEN_ATOMS_LIMIT]


def rematch_subject(session: Session, subject: str) -> list[Match]:
    """One enterprise against every live item from its current profile: replaces its Match rows
    and queues notifications for the pairs that are new (not matched before for that version)."""
    from tongban.policy import delivery

    at = today()
    targets = [
        Target(live.item.id, live.version.id, live.rule)
        for live in service.live_items(session)
        if live.rule is not None
    ]
    before = {
        (item_id, version_id)
        for item_id, version_id in session.execute(
            select(Match.item_id, Match.version_id).where(Match.subject == subject)
        )
    }
    session.execute(delete(Match).where(Match.subject == subject))
    if not targets:
        return []
    compiled = _compile(targets, at)
    row = rules_rows.rules_row(session, subject, at)
    moment = now()
    stored: list[Match] = []
    for name, status, amount in compiled.itemset.match(row):
        item_id = int(name)
        eligible = status is Status.ELIGIBLE
        stored.append(
            Match(
                item_id=item_id,
                version_id=compiled.versions[item_id],
                subject=subject,
                status="eligible" if eligible else "likely",
                amount_low=amount.low_fen if amount is not None else None,
                amount_high=amount.high_fen if amount is not None else None,
                open_atoms=[] if eligible else _open_of(compiled.atoms[item_id], row),
                run_id=None,
                matched_at=moment,
            )
        )
    session.add_all(stored)
    session.flush()
    for found in stored:
        if (found.item_id, found.version_id) not in before:
            delivery.queue_for_matches(session, found.item_id, found.version_id, [subject])
    return stored


def matches_of_subject(session: Session, subject: str) -> list[Match]:
    """The enterprise's current matches of live items (of their live versions)."""
    statement = (
        select(Match)
        .join(PolicyItem, PolicyItem.id == Match.item_id)
        .where(
            Match.subject == subject,
            PolicyItem.state == ItemState.PUBLISHED,
            PolicyItem.live_version_id == Match.version_id,
        )
        .order_by(Match.item_id)
    )
    return list(session.scalars(statement))
