"""``tongban codes …``: check identifiers and look up code lists from the command line."""

from __future__ import annotations

import enum

import typer

from tongban.kernel import workdays
from tongban.kernel.codes import industries, regions
from tongban.kernel.codes.validators import validate
from tongban.kernel.i18n import format_date, translate

codes_app = typer.Typer(help="National code lists and identifier validators / 国家代码表与校验")
regions_app = typer.Typer(help="GB/T 2260 administrative divisions / 行政区划")
industries_app = typer.Typer(help="GB/T 4754-2017 industries / 国民经济行业分类")
codes_app.add_typer(regions_app, name="regions")
codes_app.add_typer(industries_app, name="industries")

_LEVELS_ZH = {
    "province": "省级", "city": "地级", "county": "县级",
    "section": "门类", "division": "大类", "group": "中类", "class": "小类",
}


class Kind(enum.StrEnum):
    uscc = "uscc"
    ric = "ric"
    mobile = "mobile"
    orgcode = "orgcode"


@codes_app.command("validate")
def validate_command(
    kind: Kind = typer.Argument(..., help="uscc | ric | mobile | orgcode"),
    value: str = typer.Argument(..., help="the identifier to check"),
) -> None:
    """Check an identifier: prints 有效/valid or 无效/invalid with the reason; exit 1 if invalid."""
    verdict = validate(kind.value, value)
    if verdict.valid:
        typer.echo(f"有效 / valid: {verdict.value}")
        return
    reason = verdict.reason or ""
    params = verdict.params or {}
    zh = translate(reason, language="zh-CN", **params)
    en = translate(reason, language="en", **params)
    typer.echo(f"无效：{zh} / invalid: {en}")
    raise typer.Exit(1)


@regions_app.command("lookup")
def regions_lookup(
    name_or_code: str = typer.Argument(..., help="厦门, 思明区, 350203, 3502 …"),
    retired: bool = typer.Option(False, "--retired", help="include retired codes / 含已撤销代码"),
) -> None:
    """Find divisions by code or name; prints code, full name and level."""
    key = name_or_code.strip()
    if key.isdigit():
        region = regions.get(key)
        found = [region] if region else []
    else:
        found = regions.lookup(key, include_retired=retired)
    if not found:
        typer.echo(f"未找到 / not found: {key}")
        raise typer.Exit(1)
    for region in found:
        status = f"  已撤销 retired {region.retired_year}" if region.retired else ""
        successor = f" → {region.successor}" if region.successor else ""
        label = _LEVELS_ZH[region.level]
        typer.echo(
            f"{region.code}  {regions.full_name(region.code)}  {label} {region.level}"
            f"{status}{successor}"
        )


@industries_app.command("lookup")
def industries_lookup(
    name_or_code: str = typer.Argument(..., help="C, 39, 3911, 软件开发 …"),
) -> None:
    """Find industries by code or name; prints the chain from the section down."""
    key = name_or_code.strip()
    if industries.level_of(key) is None:
        found = industries.lookup(key)
    else:
        item = industries.get(key)
        if item is None:
            chain = " > ".join(f"{i.code} {i.name}" for i in industries.ancestors(key))
            typer.echo(f"{industries.normalise(key)}  未收录 / not listed  {chain}")
            return
        found = [item]
    if not found:
        typer.echo(f"未找到 / not found: {key}")
        raise typer.Exit(1)
    for item in found:
        chain = " > ".join(f"{i.code} {i.name}" for i in industries.ancestors(item.code))
        typer.echo(f"{item.code}  {_LEVELS_ZH[item.level]} {item.level}  {chain}")


@codes_app.command("holidays")
def holidays_command(year: int = typer.Argument(..., help="e.g. 2026")) -> None:
    """List the national holidays and make-up working days (调休上班) of a year."""
    schedule = workdays.default_calendar().schedule(year)
    if schedule is None:
        typer.echo(f"{year} 年无节假日安排数据 / no holiday schedule for {year}")
        raise typer.Exit(1)
    typer.echo(schedule.source)
    if schedule.provisional:
        typer.echo("暂定（未公布）/ PROVISIONAL (not yet published)")
    for period in schedule.holidays:
        days = (period.end - period.start).days + 1
        start, end = format_date(period.start, "zh-CN"), format_date(period.end, "zh-CN")
        typer.echo(f"放假 {period.name}: {start}—{end}，共{days}天")
    for day in schedule.workdays:
        typer.echo(f"上班 {format_date(day, 'zh-CN')}（{'一二三四五六日'[day.weekday()]}）")
