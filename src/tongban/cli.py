"""The `tongban` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tongban.config import Settings, get_settings
from tongban.db import (
    current_revision,
    head_revision,
    is_up_to_date,
    make_engine,
    make_session_factory,
    transaction,
)
from tongban.db import upgrade as upgrade_db
from tongban.exchange.ingest_cli import ingest_app
from tongban.kernel.codes.cli import codes_app
from tongban.kernel.errors import DomainError
from tongban.kernel.i18n import translate
from tongban.notify.cli import notify_app
from tongban.policy.cli import policy_app
from tongban.profiles.cli import profiles_app
from tongban.rules.cli import rules_app

app = typer.Typer(
    help="Tongban (通办) digital-government platform.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for departments' systems.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit chain.", no_args_is_help=True)
elements_app = typer.Typer(help="Data element registry (数据元).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(audit_app, name="audit")
app.add_typer(elements_app, name="elements")
app.add_typer(codes_app, name="codes", help="National code lists and identifier validators.")
app.add_typer(ingest_app, name="ingest")
app.add_typer(rules_app, name="rules")
app.add_typer(profiles_app, name="profiles")
app.add_typer(policy_app, name="policy")
app.add_typer(notify_app, name="notify")


def _settings() -> Settings:
    return get_settings()


def _engine(settings: Settings) -> Engine:
    return make_engine(settings.effective_database_url)


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _explain(error: DomainError) -> str:
    chinese = translate(error.message, language="zh-CN", **error.params)
    english = translate(error.message, language="en", **error.params)
    lines = [f"{chinese} / {english}"]
    for problem in error.fields:
        lines.append(f"  - {problem.field}: {translate(problem.message, language='zh-CN', **problem.params)}")
    return "\n".join(lines)


def _ensure_schema(settings: Settings, engine: Engine) -> None:
    """Upgrade an embedded SQLite database; refuse to run on an un-migrated server database."""
    if is_up_to_date(engine):
        return
    if settings.is_sqlite:
        upgrade_db(engine)
        return
    _fail(
        "数据库结构不是最新版本，请先运行 `tongban db upgrade`。\n"
        f"The database schema is at {current_revision(engine) or 'none'}, the code needs {head_revision()}: "
        "run `tongban db upgrade` first."
    )


def ready_sessions(settings: Settings | None = None) -> sessionmaker[Session]:
    """Sessions on a database whose schema is current (every command that reads or writes)."""
    settings = settings or _settings()
    engine = _engine(settings)
    _ensure_schema(settings, engine)
    return make_session_factory(engine)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all pending migrations."""
    settings = _settings()
    engine = _engine(settings)
    upgrade_db(engine)
    typer.echo(f"database at revision {current_revision(engine)}")


@db_app.command("status")
def db_status() -> None:
    """Show the schema revision of the database and of the code."""
    engine = _engine(_settings())
    current, head = current_revision(engine), head_revision()
    state = "up to date" if current == head else "UPGRADE NEEDED"
    typer.echo(f"database: {current or 'empty'}  code: {head}  {state}")
    if current != head:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (uvloop and httptools when installed).")] = 1,
) -> None:
    """Serve the web portal, the workbench and the API."""
    import uvicorn

    from tongban.app import served_app

    settings = _settings()
    engine = _engine(settings)
    _ensure_schema(settings, engine)
    if workers > 1:
        uvicorn.run("tongban.asgi:app", host=host, port=port, workers=workers, proxy_headers=True)
    else:
        uvicorn.run(served_app(settings, engine), host=host, port=port, proxy_headers=True)


def _write_city(scale: int, out: Path, seed: int | None) -> None:
    """Generate the synthetic city's department files with a progress bar."""
    from rich.progress import Progress

    from tongban.demo.city import CityConfig, generate

    config = CityConfig(scale=scale) if seed is None else CityConfig(scale=scale, seed=seed)
    with Progress() as bar:
        task = bar.add_task("生成合成城市 / generating the city", total=scale)


        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        manifest = generate(config, out, progress=advance)
    typer.echo(f"{len(manifest.files)} files, manifest: {manifest.path}")


@app.command()
def demo(
    scale: Annotated[int, typer.Option(help="Enterprises in the synthetic city.", min=1)] = 2000,
    out: Annotated[
        Path | None, typer.Option(help="Only write the departments' source files (CSV, XLSX) here.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed; the same seed gives the same city.")] = None,
) -> None:
    """Load the demo city (idempotent) and print the log-ins.

    Creates the organisations, accounts and standard data elements, generates the synthetic
    city's department files under the data directory, registers them as catalog resources and
    loads them through ingest. With --out, only write the files for --scale enterprises.
    """
    if out is not None:
        _write_city(scale, out, seed)
        return
    from rich.progress import Progress

    from tongban.catalog.service import seed_standard_elements
    from tongban.demo.hub import load_city, pick_demo_subjects, register_city_resources
    from tongban.demo.organisations import DEMO_PASSWORD
    from tongban.demo.organisations import seed as seed_organisations
    from tongban.kernel.permissions import ROLE_LABELS, Actor

    settings = _settings()
    factory = ready_sessions(settings)
    city_dir = settings.data_dir / "demo-city"
    if not (city_dir / "manifest.json").exists():
        _write_city(scale, city_dir, seed)
    actor = Actor.system("demo")
    with transaction(factory) as session:
        accounts = seed_organisations(session, pick_demo_subjects(city_dir))
        seed_standard_elements(session, actor)
        register_city_resources(session, actor)
    with Progress() as bar:
        task = bar.add_task("归集 / ingest", total=None)

        def advance(title: str, rows: int, total: int | None) -> None:
            bar.update(task, description=f"归集 / ingest {title}", completed=rows, total=total)

        results = load_city(factory, actor, city_dir, advance)
    new = sum(load.rows_new + load.rows_changed for load in results)
    held = sum(load.rows_quarantined for load in results)
    typer.echo(
        f"归集完成 / loaded {len(results)} resources: {new} new or changed records, {held} rows quarantined"
    )
    _prepare_governance_and_profiles(factory, actor, city_dir)
    typer.echo(f"演示账号 / Demo log-ins (password 密码: {DEMO_PASSWORD})")
    for account in accounts:
        label = translate(ROLE_LABELS[account.role], language="zh-CN")
        typer.echo(f"  {account.username:<16} {label:<10} {account.display_name}")


def _prepare_governance_and_profiles(factory: sessionmaker[Session], actor: Any, city_dir: Path) -> None:
    """The demo's quality results, conflicts, open corrections and profiles (each idempotent)."""
    from tongban.demo.governance_corrections import prepare_corrections
    from tongban.demo.governance_quality import prepare_quality
    from tongban.demo.profiles import prepare_profiles

    quality = prepare_quality(factory, actor)
    failed = sum(quality["failed"].values())
    typer.echo(f"数据质量 / quality: {quality['resources']} resources checked, {failed} findings")
    corrections = prepare_corrections(factory, actor, city_dir)
    typer.echo(
        f"冲突与纠错 / conflicts {corrections['conflicts']},"
        f" corrections open {corrections['corrections_open']} (overdue {corrections['corrections_overdue']})"
    )
    profiles = prepare_profiles(factory, actor)
    typer.echo(
        f"企业画像 / profiles {profiles['profiles']}, snapshot {profiles['snapshot_rows']} rows"
        f" in {profiles['snapshot_seconds']} s"
    )
    from tongban.demo.policies import publish_demo_policies

    policies = publish_demo_policies(factory, lambda line: typer.echo(f"  政策 / policy {line}"))
    typer.echo(
        f"惠企政策 / policies {policies.policies} ({policies.created} new), items published"
        f" {policies.items_published}, live {policies.items_live}; matches {policies.matches},"
        f" notifications sent {policies.notifications_sent}"
    )


@elements_app.command("seed")
def elements_seed() -> None:
    """Add the platform's standard data elements that are missing (idempotent)."""
    from tongban.catalog.service import seed_standard_elements
    from tongban.kernel.permissions import Actor

    with transaction(ready_sessions()) as session:
        added = seed_standard_elements(session, Actor.system("cli"))
    typer.echo(f"新增标准数据元 / standard data elements added: {added}")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Log-in name.")],
    role: Annotated[str, typer.Option(help="citizen, enterprise, officer, steward, admin or leader.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    org: Annotated[str | None, typer.Option(help="Organisation code, e.g. 350200-SCJGJ.")] = None,
    uscc: Annotated[str | None, typer.Option(help="Enterprise's unified social credit code.")] = None,
    enterprise_name: Annotated[str | None, typer.Option(help="Enterprise name.")] = None,
    ric: Annotated[str | None, typer.Option(help="Citizen's resident ID number.")] = None,
    password: Annotated[str | None, typer.Option(help="Initial password; asked for when omitted.")] = None,
) -> None:
    """Create an account (as the platform operator)."""
    from tongban.kernel.accounts import service as accounts
    from tongban.kernel.orgs import service as orgs
    from tongban.kernel.permissions import Actor, Role

    if role not in {r.value for r in Role}:
        _fail(f"未知角色 / unknown role: {role}")
    secret = password or typer.prompt("Password 密码", hide_input=True, confirmation_prompt=True)
    try:
        with transaction(ready_sessions()) as session:
            org_id = orgs.get_by_code(session, org).id if org else None
            user = accounts.create_user(
                session,
                Actor.system("cli"),
                username=username,
                display_name=name,
                password=secret,
                role=Role(role),
                org_id=org_id,
                uscc=uscc,
                enterprise_name=enterprise_name,
                ric=ric,
            )
            typer.echo(f"created user {user.username} (id {user.id})")
    except DomainError as error:
        _fail(_explain(error))


@tokens_app.command("create")
def tokens_create(
    org: Annotated[str, typer.Option(help="Department code, e.g. 350200-SCJGJ.")],
    name: Annotated[str, typer.Option(help="Name of the system that will use it.")],
    permission: Annotated[list[str], typer.Option(help="Permission to grant; repeat for several.")],
    days: Annotated[int, typer.Option(help="Days until it expires.")] = 365,
) -> None:
    """Issue an API token; it is printed once and stored only as a hash."""
    from tongban.kernel.accounts import tokens
    from tongban.kernel.orgs import service as orgs
    from tongban.kernel.permissions import Actor

    try:
        with transaction(ready_sessions()) as session:
            org_id = orgs.get_by_code(session, org).id
            issued = tokens.create_token(
                session, Actor.system("cli"), org_id=org_id, name=name, permissions=permission, days=days
            )
            token_id = issued.token.id
    except DomainError as error:
        _fail(_explain(error))
    typer.echo(f"token id {token_id} (shown once 仅显示一次):")
    typer.echo(issued.secret)


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[int, typer.Argument(help="Token id.")]) -> None:
    """Revoke an API token at once."""
    from tongban.kernel.accounts import tokens
    from tongban.kernel.permissions import Actor

    try:
        with transaction(ready_sessions()) as session:
            tokens.revoke_token(session, Actor.system("cli"), token_id)
    except DomainError as error:
        _fail(_explain(error))
    typer.echo(f"token {token_id} revoked")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit chain and the access-log chain; exit 0 when both are intact, 1 naming
    the first bad entry of each broken one."""
    from tongban.exchange import access_log
    from tongban.kernel.audit import service as audit
    from tongban.kernel.permissions import Actor

    settings = _settings()
    engine = _engine(settings)
    system = Actor.system("cli")
    with make_session_factory(engine)() as session:
        reports = [
            ("审计链", "audit chain", "event", "events", audit.verify(session, system)),
            ("访问日志链", "access-log chain", "entry", "entries", access_log.verify(session, system)),
        ]
    broken = False
    for chinese, english, unit, units, report in reports:
        if report.intact:
            typer.echo(f"{chinese}完整 / {english} intact: {report.checked} {units}")
            continue
        broken = True
        problem = report.problem
        assert problem is not None
        where = f" (id {problem.event_id})" if problem.event_id is not None else ""
        typer.echo(
            f"{chinese}被篡改 / {english} BROKEN at {unit} seq {problem.seq}{where}: "
            f"{problem.kind} — {problem.detail}",
            err=True,
        )
    if broken:
        raise typer.Exit(1)


@app.command("worker")
def worker(workers: int = typer.Option(2, min=1, max=32, help="Worker threads.")) -> None:
    """Run background jobs and the schedule (quality checks, snapshot rebuilds, due pulls)."""
    from huey.consumer import Consumer

    from tongban.jobs import huey, load_job_modules

    ready_sessions()
    load_job_modules()
    typer.echo(f"worker: {workers} threads; scheduled jobs run on time while it runs")
    Consumer(huey, workers=workers, worker_type="thread").run()


def main() -> None:
    from tongban.wiring import connect_contexts

    connect_contexts()
    app(prog_name="tongban")


if __name__ == "__main__":
    main()
