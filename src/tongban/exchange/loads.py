"""Use cases of ingest: load a file or a batch, read load reports, fix or discard quarantined rows.

Only the provider department's data steward, or an API token of that department holding
``data.ingest``, may load into a resource (and see its loads and quarantine); the platform's
own jobs and the command line act as the system.

Transactions: a load runs in the caller's transaction, inside a savepoint. When anything
fails while rows are being written, the savepoint is rolled back — no record version and no
quarantined row of that load remains — and the load is kept as *failed* with its error, and
audited, in the caller's transaction. Re-running the same source afterwards is safe because
loading is idempotent. When the columns do not fit the resource, nothing at all is written
and ``ValidationFailed`` names the missing and repeated columns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from tongban.catalog import resources
from tongban.catalog.domain import check_value
from tongban.catalog.models import Resource, ResourceStatus
from tongban.catalog.schema import ResourceSchema
from tongban.exchange import ingest, records
from tongban.exchange.events import RecordsChanged
from tongban.exchange.ingest_files import Table, open_path, open_table, table_from_mappings
from tongban.exchange.models import Load, LoadSource, LoadStatus, QuarantinedRow, QuarantineStatus
from tongban.kernel import events
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now
from tongban.kernel.errors import N_, Conflict, DomainError, InvalidTransition, NotFound, ValidationFailed
from tongban.kernel.i18n import translate
from tongban.kernel.orgs import service as orgs
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import Actor, Permission, require

log = logging.getLogger(__name__)

MAX_BATCH_ROWS = 10_000

# A load that adds this many record versions refreshes the planner statistics of the records table.
REFRESH_STATISTICS_AFTER = 10_000


# --- resources ------------------------------------------------------------------------------


def _authorise(session: Session, actor: Actor, resource: Resource) -> None:
    require(actor, Permission.DATA_INGEST, org_path=orgs.get(session, resource.provider_org_id).path)


def _schema(session: Session, resource: Resource) -> ResourceSchema:
    """The published shape (a draft or retired resource takes no data)."""
    return resources.schema_for(session, resource.id)


def ingest_resource(session: Session, actor: Actor, resource_code: str) -> Resource:
    """A resource the actor may load into (its department provides it)."""
    resource = resources.lookup(session, resource_code)
    _authorise(session, actor, resource)
    return resource


def ingestible_resources(session: Session, actor: Actor) -> list[Resource]:
    """Published resources of the actor's department (those that take data), by code."""
    require(actor, Permission.DATA_INGEST)
    statement = (
        select(Resource)
        .where(
            Resource.provider_org_id.in_(orgs.org_ids_in_scope(actor)),
            Resource.status == ResourceStatus.PUBLISHED,
        )
        .order_by(Resource.code)
    )
    return list(session.scalars(statement))


# --- loading --------------------------------------------------------------------------------


def ingest_table(
    session: Session,
    actor: Actor,
    resource: Resource,
    table: Table,
    *,
    source: LoadSource,
    source_name: str,
    ignore_columns: Sequence[str] = (),
    progress: ingest.Progress | None = None,
) -> Load:
    """Load a table of rows into a resource the actor may load into; returns the load report."""
    try:
        _authorise(session, actor, resource)
        schema = _schema(session, resource)
        ingest.plan_columns(schema, table.columns, ignore_columns)  # refuse before writing anything
        # Loads into one resource run one at a time, so record ids (the change-feed cursor)
        # become visible in order.
        session.execute(select(Resource.id).where(Resource.id == resource.id).with_for_update())
        moment = now()
        load = Load(
            resource_id=resource.id,
            source=source,
            source_name=source_name[:300],
            status=LoadStatus.RUNNING,
            started_at=moment,
            actor_label=actor.label[:100],
        )
        session.add(load)
        session.flush()
        _run(session, schema, load, table, moment, ignore_columns, progress)
        if load.rows_new + load.rows_changed >= REFRESH_STATISTICS_AFTER:
            # Without fresh statistics both planners may scan a whole resource for one subject.
            session.execute(text("ANALYZE records"))
    finally:
        table.close()
    load.finished_at = now()
    summary: dict[str, Any] = {
        "resource": resource.code,
        "source": source.value,
        "source_name": load.source_name,
        "status": load.status.value,
        "read": load.rows_read,
        "new": load.rows_new,
        "changed": load.rows_changed,
        "unchanged": load.rows_unchanged,
        "quarantined": load.rows_quarantined,
        "duplicate": load.rows_duplicate,
        "held": load.rows_held,
    }
    if load.error:
        summary["error"] = load.error[:200]
    action = "ingest.load" if load.status is LoadStatus.DONE else "ingest.load_failed"
    audit.record(session, actor, action, "load", load.id, summary, org_id=resource.provider_org_id)
    session.flush()
    if load.status is LoadStatus.DONE and load.rows_new + load.rows_changed:
        events.publish(
            session,
            RecordsChanged(resource.id, resource.code, load.id, load.rows_new + load.rows_changed),
        )
    return load


def _run(
    session: Session,
    schema: ResourceSchema,
    load: Load,
    table: Table,
    moment: datetime,
    ignore_columns: Sequence[str],
    progress: ingest.Progress | None,
) -> None:
    """Run the engine in a savepoint: all of the load's rows are written, or none."""
    savepoint = session.begin_nested()
    try:
        ingest.run(
            session, schema, load, table, moment=moment, ignore_columns=ignore_columns, progress=progress
        )
        session.flush()
    except Exception as error:  # a file unreadable half-way, a database error, a bug
        savepoint.rollback()
        if not isinstance(error, DomainError):
            log.exception("load %s into resource %s failed", load.id, schema.code)
        load.status = LoadStatus.FAILED
        load.error = _describe(error)[:2000]
        load.rows_new = load.rows_changed = load.rows_unchanged = 0
        load.rows_quarantined = load.rows_duplicate = load.rows_held = 0
        return
    savepoint.commit()
    load.status = LoadStatus.DONE


def _describe(error: Exception) -> str:
    if isinstance(error, DomainError):
        if error.fields:
            return translate(error.fields[0].message, **error.fields[0].params)
        return translate(error.message, **error.params)
    return f"{type(error).__name__}: {error}"


def load_stream(
    session: Session,
    actor: Actor,
    resource_code: str,
    stream: IO[bytes],
    filename: str,
    *,
    source: LoadSource = LoadSource.UPLOAD,
    progress: ingest.Progress | None = None,
) -> Load:
    """Load an uploaded CSV, XLSX or JSON file (format and text encoding are detected)."""
    resource = ingest_resource(session, actor, resource_code)
    table = open_table(
        stream,
        filename,
        field_names=[f.name for f in resource.fields],
        prefer_sheets=(resource.code, resource.name),
    )
    return ingest_table(
        session, actor, resource, table, source=source, source_name=filename, progress=progress
    )


def load_file(
    session: Session,
    actor: Actor,
    resource_code: str,
    path: Path | str,
    progress: ingest.Progress | None = None,
) -> Load:
    """Load a CSV, XLSX or JSON file from disk (the command line, ``make demo``)."""
    resource = ingest_resource(session, actor, resource_code)
    path = Path(path)
    table = open_path(
        path, field_names=[f.name for f in resource.fields], prefer_sheets=(resource.code, resource.name)
    )
    return ingest_table(
        session, actor, resource, table, source=LoadSource.UPLOAD, source_name=path.name, progress=progress
    )


def load_rows(
    session: Session,
    actor: Actor,
    resource_code: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    source_name: str = "",
) -> Load:
    """Load a pushed JSON batch (objects keyed by field name)."""
    resource = ingest_resource(session, actor, resource_code)
    if not rows:
        raise ValidationFailed(N_("The batch has no rows."), code="empty_batch")
    if len(rows) > MAX_BATCH_ROWS:
        raise ValidationFailed(
            N_("A batch has at most {limit} rows; send more batches."),
            code="batch_too_large",
            limit=MAX_BATCH_ROWS,
        )
    return ingest_table(
        session,
        actor,
        resource,
        table_from_mappings(rows),
        source=LoadSource.PUSH,
        source_name=source_name or actor.label,
    )


# --- reports --------------------------------------------------------------------------------


def _visible_loads(actor: Actor) -> Select[Any]:
    return (
        select(Load)
        .join(Resource, Resource.id == Load.resource_id)
        .where(Resource.provider_org_id.in_(orgs.org_ids_in_scope(actor)))
    )


def list_loads(
    session: Session, actor: Actor, *, resource_id: int | None = None, page: int = 1, page_size: int = 50
) -> Page[Load]:
    """Loads into the actor's department's resources, newest first."""
    require(actor, Permission.DATA_INGEST)
    statement = _visible_loads(actor)
    if resource_id is not None:
        statement = statement.where(Load.resource_id == resource_id)
    return paginate(session, statement.order_by(Load.id.desc()), page, page_size)


def get_load(session: Session, actor: Actor, load_id: int) -> Load:
    load = session.get(Load, load_id)
    if load is None:
        raise NotFound(N_("Load not found."), code="load_not_found")
    _authorise(session, actor, resources.lookup(session, load.resource_id))
    return load


# --- quarantine -----------------------------------------------------------------------------


def list_quarantine(
    session: Session,
    actor: Actor,
    *,
    load_id: int | None = None,
    resource_id: int | None = None,
    status: QuarantineStatus | None = QuarantineStatus.OPEN,
    page: int = 1,
    page_size: int = 50,
) -> Page[QuarantinedRow]:
    """Quarantined rows of the actor's department's resources, oldest first."""
    require(actor, Permission.DATA_INGEST)
    statement = (
        select(QuarantinedRow)
        .join(Resource, Resource.id == QuarantinedRow.resource_id)
        .where(Resource.provider_org_id.in_(orgs.org_ids_in_scope(actor)))
    )
    if load_id is not None:
        statement = statement.where(QuarantinedRow.load_id == load_id)
    if resource_id is not None:
        statement = statement.where(QuarantinedRow.resource_id == resource_id)
    if status is not None:
        statement = statement.where(QuarantinedRow.status == status)
    return paginate(session, statement.order_by(QuarantinedRow.id), page, page_size)


def get_quarantined(session: Session, actor: Actor, row_id: int) -> QuarantinedRow:
    row = session.get(QuarantinedRow, row_id)
    if row is None:
        raise NotFound(N_("Quarantined row not found."), code="quarantined_row_not_found")
    _authorise(session, actor, resources.lookup(session, row.resource_id))
    return row


def _open(row: QuarantinedRow) -> None:
    if row.status is not QuarantineStatus.OPEN:
        raise InvalidTransition(N_("This row has already been resubmitted or discarded."), code="row_closed")


def resubmit(session: Session, actor: Actor, row_id: int, values: Mapping[str, str | None]) -> Load:
    """Apply a fixed quarantined row (values by field name) as a one-row correction load.

    Still-invalid values raise ``ValidationFailed`` naming each field, and nothing changes.
    """
    row = get_quarantined(session, actor, row_id)
    _open(row)
    resource = resources.lookup(session, row.resource_id)
    schema = _schema(session, resource)
    cleaned = {name: (values.get(name) or "").strip() or None for name in schema.field_names}
    problems = ingest.validate_values(schema, cleaned)
    if problems:
        raise ValidationFailed(fields=problems)
    load = ingest_table(
        session,
        actor,
        resource,
        table_from_mappings([cleaned]),
        source=LoadSource.CORRECTION,
        source_name=f"#{row.id}",
    )
    if load.status is not LoadStatus.DONE:
        raise Conflict(
            N_("The corrected row could not be stored: {error}"), code="resubmit_failed", error=load.error
        )
    row.status = QuarantineStatus.RESUBMITTED
    row.resolved_at = now()
    row.resolved_by = actor.label[:100]
    row.resolution_load_id = load.id
    audit.record(
        session,
        actor,
        "ingest.quarantine.resubmit",
        "quarantined_row",
        row.id,
        {"load": row.load_id, "correction_load": load.id, "resource": resource.code},
        org_id=resource.provider_org_id,
    )
    return load


def discard(session: Session, actor: Actor, row_id: int, note: str = "") -> QuarantinedRow:
    """Give up a quarantined row, with an optional reason; it stays visible as discarded."""
    row = get_quarantined(session, actor, row_id)
    _open(row)
    resource = resources.lookup(session, row.resource_id)
    row.status = QuarantineStatus.DISCARDED
    row.resolved_at = now()
    row.resolved_by = actor.label[:100]
    row.note = note.strip()[:2000]
    audit.record(
        session,
        actor,
        "ingest.quarantine.discard",
        "quarantined_row",
        row.id,
        {"load": row.load_id, "resource": resource.code, "note": row.note[:200]},
        org_id=resource.provider_org_id,
    )
    session.flush()
    return row


# --- corrections ----------------------------------------------------------------------------


def correct_record(
    session: Session,
    actor: Actor,
    resource_code: str,
    record_key: str,
    changes: Mapping[str, object],
    note: str,
) -> Load:
    """Write a new version of one current record with some fields changed, as a one-row
    correction load (validated, versioned, in the change feed, ``RecordsChanged`` published).

    Only the provider's steward may do it (as for any load). Invalid values raise
    ``ValidationFailed`` naming each field, and nothing changes; so does a change of a key field.
    """
    resource = ingest_resource(session, actor, resource_code)
    schema = _schema(session, resource)
    version = records.current(session, resource.id, record_key)
    if version is None:
        raise NotFound(N_("The record no longer exists."), code="record_not_found")
    unknown = [name for name in changes if schema.field(name) is None]
    if unknown:
        raise ValidationFailed(
            N_("The resource has no field {field}."), code="unknown_field", field="、".join(unknown)
        )
    keys = {f.name for f in schema.key_fields}
    if not changes or any(name in keys for name in changes):
        raise ValidationFailed(N_("Key fields cannot be corrected."), code="key_field")
    values: dict[str, str | None] = {}
    for field in schema.fields:
        value = changes[field.name] if field.name in changes else version.values.get(field.name)
        if isinstance(value, list):
            value = "、".join(str(v) for v in value)
        text = None if value is None or str(value).strip() == "" else str(value).strip()
        if text is not None and field.unit_factor != 1:
            # Values are stored, shown and corrected in the element's unit; ingest converts from
            # the field's declared unit, so write them in that unit.
            checked = check_value(field.spec, text)
            if checked.valid and isinstance(checked.value, Decimal):
                text = ingest.decimal_text(checked.value / field.unit_factor)
        values[field.name] = text
    problems = ingest.validate_values(schema, values)
    if problems:
        raise ValidationFailed(fields=problems)
    load = ingest_table(
        session,
        actor,
        resource,
        table_from_mappings([values]),
        source=LoadSource.CORRECTION,
        source_name=note[:300],
    )
    if load.status is not LoadStatus.DONE or load.rows_quarantined:
        raise Conflict(
            N_("The corrected row could not be stored: {error}"), code="correction_failed", error=load.error
        )
    return load
