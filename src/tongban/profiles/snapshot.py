"""The columnar snapshot of all profiles: one Parquet file in the layout of ``rules/columns.py``.

The build streams the current records of every readable source resource out of the hub (in
chunks, only the fields the sources read, extracted from the JSON by DuckDB), then computes the
attributes of all enterprises at once in DuckDB with the same aggregations, conflict resolution
and zero-filling as ``domain.build_profile`` — set-wise, not per subject — and writes
``profiles.parquet`` and ``manifest.json`` into a directory of its own. Self-declared values are
not in the snapshot: it holds shared data only (matching reads self-declared values through the
profile service, where they are marked as such).
"""

# ruff: noqa: S608 - the SQL is generated from the stored source definitions (administrators'
# configuration, never request input): identifiers are quoted by _q and literals escaped by _lit.

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tongban.db import transaction
from tongban.exchange import records
from tongban.exchange.access_log import AccessDraft, append_committed
from tongban.governance import conflicts
from tongban.governance.conflicts_domain import ResolutionKind, ResolutionRule
from tongban.kernel.clock import now, today
from tongban.kernel.codes import enterprise
from tongban.profiles import domain
from tongban.profiles.attributes import Attribute, AttributeRegistry, AttributeType, builtin_registry
from tongban.profiles.models import SnapshotManifest
from tongban.profiles.sources import (
    Plan,
    ReadableSource,
    attribute_decisions,
    attribute_rules,
    plan,
    use_drafts,
)
from tongban.rules import columns

log = logging.getLogger("tongban.profiles.snapshot")
CHUNK = 200_000
PARQUET = "profiles.parquet"
MANIFEST = "manifest.json"
SQL_TYPES = {
    AttributeType.MONEY: "BIGINT",
    AttributeType.COUNT: "BIGINT",
    AttributeType.NUMBER: "DOUBLE",
    AttributeType.RATIO: "DOUBLE",
    AttributeType.BOOL: "BOOLEAN",
    AttributeType.DATE: "DATE",
    AttributeType.REGION: "VARCHAR",
    AttributeType.INDUSTRY: "VARCHAR",
    AttributeType.CODE: "VARCHAR",
    AttributeType.TAGS: "BOOLEAN",
}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


# --- streaming records into DuckDB ----------------------------------------------------------------


def _chunks(engine: Engine, resource_id: int) -> Iterator[list[tuple[Any, ...]]]:
    """Current records of a resource, (id, subject, data, valid_from as UTC text), in chunks,
    straight through the driver (a server-side cursor on PostgreSQL)."""
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        if engine.dialect.name == "sqlite":
            cursor = driver.cursor()
            sql = (
                "SELECT id, subject, data, valid_from FROM records WHERE resource_id = ? AND valid_to IS NULL"
            )
        else:
            cursor = driver.cursor(name=f"profiles_snapshot_{resource_id}")
            sql = (
                "SELECT id, subject, data, (valid_from AT TIME ZONE 'UTC')::text FROM records "
                "WHERE resource_id = %s AND valid_to IS NULL"
            )
        cursor.execute(sql, (resource_id,))
        while rows := cursor.fetchmany(CHUNK):
            yield rows
        cursor.close()
        if engine.dialect.name != "sqlite":
            driver.rollback()
    finally:
        raw.close()


def _load_resource(
    con: duckdb.DuckDBPyConnection, engine: Engine, resource_id: int, fields: Sequence[str]
) -> str:
    """A DuckDB table r<id>(id, subject, recorded_at, f0, f1 …): the fields' values as text."""
    table = f"r{resource_id}"
    paths = "[" + ", ".join(_lit('$."' + f.replace('"', '\\"') + '"') for f in fields) + "]"
    values = "".join(f", v[{i + 1}] AS f{i}" for i in range(len(fields)))
    nulls = "".join(f", CAST(NULL AS VARCHAR) AS f{i}" for i in range(len(fields)))
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT CAST(NULL AS BIGINT) AS id, "
        f"CAST(NULL AS VARCHAR) AS subject, CAST(NULL AS TIMESTAMP) AS recorded_at{nulls} LIMIT 0"
    )
    for rows in _chunks(engine, resource_id):
        ids, subjects, data, recorded = zip(*rows, strict=True)
        stamps = recorded if isinstance(recorded[0], str) else [str(v) for v in recorded]
        chunk = pa.table(
            {
                "id": pa.array(ids, pa.int64()),
                "subject": pa.array(subjects, pa.string()),
                "data": pa.array(data, pa.string()),
                "recorded_at": pa.array(stamps, pa.string()),
            }
        )
        con.register("chunk", chunk)
        con.execute(
            f"INSERT INTO {table} SELECT id, subject, CAST(recorded_at AS TIMESTAMP){values} FROM "
            f"(SELECT *, json_extract_string(data, {paths}) AS v FROM chunk)"
            if fields
            else f"INSERT INTO {table} SELECT id, subject, CAST(recorded_at AS TIMESTAMP) FROM chunk"
        )
        con.unregister("chunk")
        del chunk, ids, subjects, data, recorded, stamps
    return table


# --- the aggregations in SQL (the same meaning as domain.aggregate) -------------------------------


@dataclass(frozen=True)
class _Fields:
    table: str
    names: tuple[str, ...]

    def col(self, name: str) -> str:
        return f"f{self.names.index(name)}"


def _day(expr: str) -> str:
    return f"TRY_CAST(substr({expr}, 1, 10) AS DATE)"


def _int(expr: str) -> str:
    return f"CAST(trunc(TRY_CAST({expr} AS DOUBLE)) AS BIGINT)"


def _value(kind: AttributeType, expr: str) -> str:
    """domain.canonical in SQL."""
    if kind is AttributeType.MONEY:
        # DECIMAL(18, 4) is held in 64 bits (fast); up to 10^14 yuan, which no figure reaches
        return f"CAST(round(TRY_CAST({expr} AS DECIMAL(18, 4)) * 100) AS BIGINT)"
    if kind is AttributeType.COUNT:
        return _int(expr)
    if kind in (AttributeType.NUMBER, AttributeType.RATIO):
        return f"TRY_CAST({expr} AS DOUBLE)"
    if kind is AttributeType.BOOL:
        return f"({expr} = 'true')"
    if kind is AttributeType.DATE:
        return _day(expr)
    return f"NULLIF(trim({expr}), '')"


def _condition(c: domain.Condition, f: _Fields) -> str:
    col = f.col(c.field)
    if c.op == "eq":
        if isinstance(c.value, str):
            return f"{col} = {_lit(c.value)}"
        if isinstance(c.value, bool):
            return f"{col} = {_lit(str(c.value).lower())}"
        return f"TRY_CAST({col} AS DOUBLE) = {_lit(c.value)}"
    if c.op == "in":
        return f"{col} IN ({', '.join(_lit(v) for v in c.value)})"
    if c.op == "ge":
        return f"TRY_CAST({col} AS DECIMAL(18, 4)) >= {_lit(c.value)}"
    if c.op == "true":
        return f"{col} = 'true'"
    if c.op == "months_before":
        return f"{_day(col)} <= {_day(f.col(c.other))} - INTERVAL {int(c.months)} MONTH"
    raise ValueError(f"unknown condition {c.op!r}")


def _where(spec: domain.SourceSpec, f: _Fields) -> str:
    return " AND ".join(["TRUE", *(f"({_condition(c, f)})" for c in spec.where)])


def _subject(spec: domain.SourceSpec, f: _Fields) -> str:
    return f"NULLIF({f.col(spec.subject_field)}, '')" if spec.subject_field else "subject"


def source_sql(spec: domain.SourceSpec, kind: AttributeType, f: _Fields, years: range) -> str:
    """(subject, year, value, recorded_at) of one non-tag source."""
    subject = _subject(spec, f)
    value = _value(kind, f.col(spec.field)) if spec.field else "NULL"
    where = _where(spec, f)
    if spec.aggregation == "latest":
        return (
            "SELECT subject, CAST(NULL AS BIGINT) AS year, value, recorded_at FROM "
            f"(SELECT {subject} AS subject, {value} AS value, recorded_at, id FROM {f.table} "
            f"WHERE {where}) WHERE value IS NOT NULL "
            "QUALIFY row_number() OVER (PARTITION BY subject ORDER BY recorded_at DESC, id DESC) = 1"
        )
    if spec.aggregation == "exists":
        return (
            f"SELECT {subject} AS subject, CAST(NULL AS BIGINT) AS year, TRUE AS value, max(recorded_at) "
            f"AS recorded_at FROM {f.table} WHERE {where} GROUP BY ALL"
        )
    year = f"year({_day(f.col(spec.year_field))})" if spec.year_is_date else _int(f.col(spec.year_field))
    window = ", ".join(str(y) for y in years)
    base = (
        f"SELECT {subject} AS subject, {year} AS year, {value} AS value, recorded_at, id FROM {f.table} "
        f"WHERE {where}"
    )
    kept = f"FROM ({base}) WHERE year IN ({window}) AND subject IS NOT NULL"
    if spec.aggregation in ("count_per_year", "count_related"):
        return f"SELECT subject, year, count(*) AS value, max(recorded_at) AS recorded_at {kept} GROUP BY ALL"
    if spec.aggregation == "sum_per_year":
        cast = SQL_TYPES[kind]
        return (
            f"SELECT subject, year, CAST(sum(value) AS {cast}) AS value, max(recorded_at) AS recorded_at "
            f"{kept} GROUP BY ALL HAVING sum(value) IS NOT NULL"
        )
    order = (
        "recorded_at DESC, id DESC"
        if spec.aggregation == "latest_per_year"
        else ("value DESC, recorded_at DESC, id DESC")
    )
    return (
        f"SELECT subject, year, value, recorded_at {kept} AND value IS NOT NULL "
        f"QUALIFY row_number() OVER (PARTITION BY subject, year ORDER BY {order}) = 1"
    )


def tag_sql(spec: domain.SourceSpec, f: _Fields) -> str:
    """(subject, tag, since, until) of one qualification list."""
    if spec.tag:
        tag = _lit(spec.tag)
    else:
        cases = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in spec.tag_map.items())
        tag = f"CASE {f.col(spec.tag_field)} {cases} END"
    if "field" in spec.since:
        since = _day(f.col(spec.since["field"]))
    else:
        since = f"make_date({_int(f.col(spec.since['year_start']))}, 1, 1)"
    until = "CAST(NULL AS DATE)"
    if spec.until and "field" in spec.until:
        until = _day(f.col(spec.until["field"]))
    elif spec.until and "add_years" in spec.until:
        until = (
            f"CAST(({since}) + to_years(CAST({_int(f.col(spec.until['add_years']))} AS INTEGER)) "
            "- INTERVAL 1 DAY AS DATE)"
        )
    elif spec.until and "year_end" in spec.until:
        until = f"make_date({_int(f.col(spec.until['year_end']))}, 12, 31)"
    limited = "until IS NOT NULL" if spec.until else "TRUE"
    return (
        f"SELECT * FROM (SELECT subject, {tag} AS tag, {since} AS since, {until} AS until FROM {f.table}) "
        f"WHERE tag IS NOT NULL AND since IS NOT NULL AND {limited}"
    )


MERGE_TAGS = """
SELECT subject, tag, since, until FROM (
  SELECT subject, tag, grp, min(since) AS since,
         NULLIF(max(coalesce(until, DATE '9999-12-31')), DATE '9999-12-31') AS until
  FROM (
    SELECT *, sum(brk) OVER (PARTITION BY subject, tag ORDER BY since, coalesce(until, DATE '9999-12-31')
                             ROWS UNBOUNDED PRECEDING) AS grp
    FROM (
      SELECT *, CASE WHEN prev_end IS NULL OR since > prev_end + 1 THEN 1 ELSE 0 END AS brk
      FROM (
        SELECT *, max(coalesce(until, DATE '9999-12-31')) OVER (
          PARTITION BY subject, tag ORDER BY since, coalesce(until, DATE '9999-12-31')
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
        FROM ({intervals})
      )
    )
  ) GROUP BY subject, tag, grp
) QUALIFY row_number() OVER (PARTITION BY subject, tag ORDER BY grp DESC) = 1
"""


def resolve_sql(
    attribute: Attribute, parts: Sequence[tuple[str, str]], rule: ResolutionRule, decided: str | None
) -> str:
    """conflicts_domain.choose over the candidates of several sources: (subject, year, value)."""
    union = " UNION ALL ".join(f"SELECT *, {_lit(code)} AS resource FROM ({sql})" for code, sql in parts)
    latest = "arg_max(value, {'t': recorded_at, 'r': resource})"
    chosen = latest
    if rule.kind is ResolutionKind.AUTHORITATIVE and rule.authoritative_resource:
        auth = _lit(rule.authoritative_resource)
        chosen = f"coalesce(max(value) FILTER (WHERE resource = {auth}), {latest})"
    elif rule.kind is ResolutionKind.MANUAL:
        chosen = f"CAST(NULL AS {SQL_TYPES[attribute.type]})"
    grouped = (
        f"SELECT subject, year, count(DISTINCT value) AS n, {latest} AS latest, {chosen} AS chosen "
        f"FROM ({union}) WHERE value IS NOT NULL GROUP BY subject, year"
    )
    if decided is None:
        return f"SELECT subject, year, CASE WHEN n = 1 THEN latest ELSE chosen END AS value FROM ({grouped})"
    return (
        f"SELECT g.subject, g.year, CASE WHEN n = 1 THEN latest WHEN d.subject IS NOT NULL THEN "
        f"CAST(d.value AS {SQL_TYPES[attribute.type]}) ELSE chosen END AS value FROM ({grouped}) g "
        f"LEFT JOIN {decided} d ON d.subject = g.subject AND d.attribute = {_lit(attribute.key)}"
    )


# --- the build --------------------------------------------------------------------------------------


def layout(registry: AttributeRegistry, at: date) -> list[tuple[str, str]]:
    """Every column of the snapshot with its DuckDB type, in order (subject first)."""
    out = [("subject", "VARCHAR")]
    tags = [q.code for q in enterprise.qualifications()]
    for attribute in registry.values():
        kind = SQL_TYPES[attribute.type]
        if attribute.type is AttributeType.TAGS:
            out.append((attribute.key, "BOOLEAN"))
            for tag in tags:
                out.append((columns.tag_since(attribute.key, tag), "DATE"))
                out.append((columns.tag_until(attribute.key, tag), "DATE"))
        elif attribute.yearly:
            out += [(columns.yearly(attribute.key, y), kind) for y in columns.history_years(at)]
        else:
            out.append((attribute.key, kind))
    return out


def _decisions_table(con: duckdb.DuckDBPyConnection, plan_: Plan, session: Session) -> str | None:
    decided = attribute_decisions(plan_, conflicts.manual_decisions(session, None))
    if not decided:
        return None

    def text(value: object) -> str | None:
        return None if value is None else str(value).lower() if isinstance(value, bool) else str(value)

    table = pa.table(
        {
            "subject": [s for s, _ in decided],
            "attribute": [a for _, a in decided],
            "value": pa.array([text(c.value) for c in decided.values()], pa.string()),
        }
    )
    con.register("decisions_arrow", table)
    con.execute("CREATE TABLE decisions AS SELECT * FROM decisions_arrow")
    con.unregister("decisions_arrow")
    return "decisions"


def _attribute_relations(
    con: duckdb.DuckDBPyConnection,
    plan_: Plan,
    tables: dict[int, _Fields],
    rules: dict[str, ResolutionRule],
    decided: str | None,
    at: date,
) -> dict[str, str]:
    """A DuckDB table per attribute with sources: a<i>(subject, <its columns>); by attribute key."""
    registry = builtin_registry()
    years = columns.history_years(at)
    by_attribute: dict[str, list[ReadableSource]] = {}
    for source in plan_.readable:
        if source.spec.attribute in registry:
            by_attribute.setdefault(source.spec.attribute, []).append(source)
    relations: dict[str, str] = {}
    for index, (key, sources) in enumerate(by_attribute.items()):
        attribute = registry[key]
        name = f"a{index}"
        if attribute.type is AttributeType.TAGS:
            intervals = " UNION ALL ".join(tag_sql(s.spec, tables[s.resource_id]) for s in sources)
            merged = MERGE_TAGS.format(intervals=intervals)
            tags = [q.code for q in enterprise.qualifications()]
            pivot = ", ".join(
                f"max(since) FILTER (WHERE tag = {_lit(t)}) AS {_q(columns.tag_since(key, t))}, "
                f"max(until) FILTER (WHERE tag = {_lit(t)}) AS {_q(columns.tag_until(key, t))}"
                for t in tags
            )
            known = " UNION ".join(f"SELECT subject FROM {tables[s.resource_id].table}" for s in sources)
            con.execute(
                f"CREATE TABLE {name} AS SELECT k.subject, TRUE AS {_q(key)}, {pivot} FROM ({known}) k "
                f"LEFT JOIN ({merged}) m ON m.subject = k.subject GROUP BY k.subject"
            )
            if any(s.spec.full_coverage for s in sources):
                relations[key + "#all"] = name  # every subject's set is known
            relations[key] = name
            continue
        parts = [
            (s.spec.resource, source_sql(s.spec, attribute.type, tables[s.resource_id], years))
            for s in sources
        ]
        resolved = resolve_sql(attribute, parts, rules.get(key, ResolutionRule()), decided)
        if attribute.yearly:
            pivot = ", ".join(
                f"max(value) FILTER (WHERE year = {y}) AS {_q(columns.yearly(key, y))}" for y in years
            )
            con.execute(f"CREATE TABLE {name} AS SELECT subject, {pivot} FROM ({resolved}) GROUP BY subject")
        else:
            con.execute(f"CREATE TABLE {name} AS SELECT subject, value AS {_q(key)} FROM ({resolved})")
        relations[key] = name
        zero = any(s.spec.full_coverage for s in sources) and (
            all(s.spec.aggregation in domain.ZERO_FILLED or s.spec.aggregation == "exists" for s in sources)
        )
        if zero:
            relations[key + "#zero"] = name
    return relations


def _final_select(relations: dict[str, str], cols: list[tuple[str, str]], at: date) -> str:
    registry = builtin_registry()
    joins: list[str] = []
    select_list = ["s.subject"]
    aliases: dict[str, str] = {}
    for key, table in relations.items():
        if "#" not in key:
            aliases[key] = f"j{len(aliases)}"
            joins.append(f"LEFT JOIN {table} {aliases[key]} ON {aliases[key]}.subject = s.subject")
    for name, kind in cols[1:]:
        key = name.split("@")[0].split("#")[0]
        alias = aliases.get(key)
        if alias is None:
            select_list.append(f"CAST(NULL AS {kind}) AS {_q(name)}")
            continue
        expr = f"{alias}.{_q(name)}"
        attribute = registry[key]
        if attribute.type is AttributeType.TAGS and name == key and key + "#all" in relations:
            expr = "TRUE"
        elif key + "#zero" in relations and attribute.type is not AttributeType.TAGS:
            expr = f"coalesce({expr}, {'FALSE' if attribute.type is AttributeType.BOOL else '0'})"
        select_list.append(f"CAST({expr} AS {kind}) AS {_q(name)}")
    return f"SELECT {', '.join(select_list)} FROM subjects s {' '.join(joins)} ORDER BY s.subject"


@dataclass(frozen=True)
class Built:
    manifest_id: int
    path: Path
    rows: int
    seconds: float


def _subjects_sql(plan_: Plan, tables: dict[int, _Fields]) -> str:
    parts: list[str] = []
    for source in plan_.readable:
        f = tables[source.resource_id]
        parts.append(f"SELECT {_subject(source.spec, f)} AS subject FROM {f.table}")
    if not parts:
        return "SELECT CAST(NULL AS VARCHAR) AS subject WHERE FALSE"
    return f"SELECT DISTINCT subject FROM ({' UNION ALL '.join(parts)}) WHERE subject IS NOT NULL"


def build_snapshot(
    factory: sessionmaker[Session],
    out_root: Path,
    *,
    label: str = "",
    at: date | None = None,
    memory_limit: str = "2GB",
) -> Built:
    """Build the snapshot of all profiles into ``out_root/<timestamp>/`` and record its manifest."""
    started = time.perf_counter()
    at = at or today()
    with factory() as session:
        plan_ = plan(session)
        resource_ids = sorted({r.resource_id for r in plan_.readable})
        versions = {
            r.spec.resource: records.latest_cursor(session, r.resource_id)
            for r in sorted(plan_.readable, key=lambda r: r.spec.resource)
        }
        counts = {rid: records.count_current(session, rid) for rid in resource_ids}
        rules = attribute_rules(plan_, conflicts.resolution_rules(session))
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        con = duckdb.connect(config={"memory_limit": memory_limit, "preserve_insertion_order": False})
        decided = _decisions_table(con, plan_, session)
    for rid in resource_ids:  # logged before the data is read (platform use, per resource)
        log_use_engine(
            engine, use_drafts(plan_, [rid], (), label=label or "企业画像快照", subject_count=counts[rid])
        )
    try:
        tables: dict[int, _Fields] = {}
        for rid, sources in plan_.by_resource().items():
            names = tuple(dict.fromkeys(f for s in sources for f in s.fields))
            tables[rid] = _Fields(_load_resource(con, engine, rid, names), names)
            log.info(
                "read %s (%s records) at %.1f s",
                sources[0].spec.resource,
                counts[rid],
                time.perf_counter() - started,
            )
        con.execute(f"CREATE TABLE subjects AS {_subjects_sql(plan_, tables)}")
        relations = _attribute_relations(con, plan_, tables, rules, decided, at)
        log.info("attributes computed at %.1f s", time.perf_counter() - started)
        for f in tables.values():
            con.execute(f"DROP TABLE {f.table}")
        cols = layout(builtin_registry(), at)
        moment = now()
        directory = out_root / moment.strftime("%Y%m%dT%H%M%S%f")
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / PARQUET
        con.execute(
            f"COPY ({_final_select(relations, cols, at)}) TO {_lit(str(path))} "
            "(FORMAT PARQUET, COMPRESSION ZSTD, ROW_GROUP_SIZE 122880)"
        )
        rows = int(pq.ParquetFile(path).metadata.num_rows)
        log.info("written %s rows at %.1f s", rows, time.perf_counter() - started)
    finally:
        con.close()
    seconds = time.perf_counter() - started
    manifest = {
        "built_at": moment.isoformat(),
        "path": str(path),
        "rows": rows,
        "columns": len(cols),
        "evaluation_date": at.isoformat(),
        "history_years": [min(columns.history_years(at)), max(columns.history_years(at))],
        "layout": "tongban.rules.columns",
        "source_versions": versions,
        "duration_seconds": round(seconds, 3),
        "built_by": label,
        "self_declared": "excluded",
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    with transaction(factory) as session:
        row = SnapshotManifest(
            built_at=moment,
            path=str(path),
            row_count=rows,
            column_count=len(cols),
            evaluation_date=at.isoformat(),
            source_versions=versions,
            duration_seconds=seconds,
            built_by=label[:100],
        )
        session.add(row)
        session.flush()
        manifest_id = row.id
    return Built(manifest_id, path, rows, seconds)


def log_use_engine(engine: Engine, drafts: Sequence[AccessDraft]) -> None:
    if drafts:
        append_committed(engine, drafts)


def read_snapshot(path: str | Path) -> pa.Table:
    """The snapshot as an Arrow table (the policy engine reads it directly, or through DuckDB)."""
    return pq.read_table(path)


def read_manifest(path: str | Path) -> dict[str, Any]:
    """manifest.json beside a snapshot's Parquet file."""
    data: dict[str, Any] = json.loads((Path(path).parent / MANIFEST).read_text("utf-8"))
    return data


def latest(session: Session) -> SnapshotManifest | None:
    return session.scalar(select(SnapshotManifest).order_by(SnapshotManifest.id.desc()).limit(1))


def history(session: Session, limit: int = 20) -> list[SnapshotManifest]:
    return list(session.scalars(select(SnapshotManifest).order_by(SnapshotManifest.id.desc()).limit(limit)))
