"""Working-day calendar: national public holidays, 调休 make-up working days, regional overrides.

A day is a *working day* when it is Monday to Friday and not a public holiday, or when it is a
make-up working day (调休上班日, a Saturday or Sunday worked in exchange for a bridge day).
The national schedule of each year is a data file ``codes/data/holidays/<year>.json``, one per
State Council notice (国务院办公厅关于<year>年部分节假日安排的通知); a year derived before its
notice is published is marked ``provisional``. Years without a file fall back to the plain
Monday-to-Friday rule (or raise ``UnknownYear`` on a ``strict`` calendar).

Regions may add days off (a local holiday, e.g. 广西 壮族三月三) or working days; overrides are
keyed by a GB/T 2260 code or prefix ("45", "3502", "350203") and apply to every division
within it, the more specific key winning. A ``Calendar`` is immutable and pure: later code
(a per-region table in the database) builds one with ``with_overrides`` and passes it in.

Counting rules, used for deadlines (法定时限, 承诺时限):

- ``add_working_days(d, n)`` for n > 0 is the n-th working day *after* d (d itself is not
  counted, whether or not it is a working day); for n < 0 the |n|-th working day before d;
  for n = 0, d itself.
- ``working_days_between(a, b)`` is the number of working days in the half-open interval
  (a, b] — after a, up to and including b — when a <= b, and minus the number in (b, a]
  when a > b. Hence ``working_days_between(d, add_working_days(d, n)) == n`` for n >= 0.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from tongban.kernel.codes import regions

_HOLIDAY_DIR = "data/holidays"


class UnknownYear(ValueError):
    """A strict calendar was asked about a year it has no schedule for."""


@dataclass(frozen=True)
class HolidayPeriod:
    """One published block of days off, e.g. 春节 2025-01-28 … 2025-02-04."""

    name: str
    name_en: str
    start: date
    end: date

    def days(self) -> list[date]:
        return [self.start + timedelta(n) for n in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class YearSchedule:
    """The national schedule of one year, as published (or derived, when provisional)."""

    year: int
    holidays: tuple[HolidayPeriod, ...]
    workdays: tuple[date, ...]
    source: str
    published: date | None = None
    provisional: bool = False
    note: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> YearSchedule:
        return cls(
            year=int(data["year"]),
            holidays=tuple(
                HolidayPeriod(
                    item["name"],
                    item.get("en", ""),
                    date.fromisoformat(item["from"]),
                    date.fromisoformat(item["to"]),
                )
                for item in data["holidays"]
            ),
            workdays=tuple(date.fromisoformat(item["date"]) for item in data["workdays"]),
            source=str(data.get("source", "")),
            published=date.fromisoformat(data["published"]) if data.get("published") else None,
            provisional=bool(data.get("provisional", False)),
            note=str(data.get("note", "")),
        )


@dataclass(frozen=True)
class Overrides:
    """Extra days off and extra working days, nationally or for one region."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"days both off and working: {sorted(both)}")


def load_schedules(directory: Traversable | Path | None = None) -> list[YearSchedule]:
    """Every ``<year>.json`` in a directory (default: the shipped national schedules)."""
    folder = directory or resources.files("tongban.kernel.codes").joinpath(_HOLIDAY_DIR)
    found = [
        YearSchedule.from_json(json.loads(entry.read_text("utf-8")))
        for entry in folder.iterdir()
        if entry.name.endswith(".json") and entry.name[:4].isdigit()
    ]
    return sorted(found, key=lambda schedule: schedule.year)


def _region_key(code: str) -> str:
    normal = regions.normalise(code)
    if normal is None:
        raise ValueError(f"not a GB/T 2260 code or prefix: {code!r}")
    return regions.prefix_of(normal)


@dataclass(frozen=True, eq=False)
class Calendar:
    """National schedules plus optional national and per-region overrides (immutable)."""

    schedules: tuple[YearSchedule, ...] = ()
    national: Overrides = field(default_factory=Overrides)
    regional: Mapping[str, Overrides] = field(default_factory=dict)
    strict: bool = False
    _off: dict[date, str] = field(init=False, repr=False)
    _on: frozenset[date] = field(init=False, repr=False)
    _years: dict[int, YearSchedule] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        off: dict[date, str] = {}
        on: set[date] = set()
        for schedule in self.schedules:
            for period in schedule.holidays:
                off.update(dict.fromkeys(period.days(), period.name))
            on.update(schedule.workdays)
        object.__setattr__(self, "_off", off)
        object.__setattr__(self, "_on", frozenset(on))
        object.__setattr__(self, "_years", {s.year: s for s in self.schedules})
        keys = {_region_key(code): value for code, value in self.regional.items()}
        object.__setattr__(self, "regional", keys)

    # --- building -------------------------------------------------------------------------

    def with_overrides(
        self,
        region: str | None = None,
        *,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
    ) -> Calendar:
        """A new calendar with extra days off / working days, nationally or for a region."""
        if region is None:
            base = self.national
            merged = Overrides(base.holidays | set(holidays), base.workdays | set(workdays))
            return replace(self, national=merged)
        key = _region_key(region)
        base = self.regional.get(key, Overrides())
        merged = Overrides(base.holidays | set(holidays), base.workdays | set(workdays))
        return replace(self, regional={**self.regional, key: merged})

    # --- questions about one day ----------------------------------------------------------

    def schedule(self, year: int) -> YearSchedule | None:
        return self._years.get(year)

    def covers(self, year: int) -> bool:
        return year in self._years

    def is_provisional(self, year: int) -> bool:
        """True when the year's schedule is derived rather than published, or missing."""
        schedule = self._years.get(year)
        return schedule is None or schedule.provisional

    def holiday_name(self, day: date) -> str | None:
        """The national holiday a day belongs to (春节, 国庆节 …), or None."""
        return self._off.get(day)

    def _layers(self, region: str | None) -> list[Overrides]:
        """Overrides that apply to a region, national first, most specific last."""
        layers = [self.national]
        if region is not None:
            key = _region_key(region)
            layers += [
                overrides
                for code, overrides in sorted(self.regional.items(), key=lambda kv: len(kv[0]))
                if key.startswith(code)
            ]
        return layers

    def _is_working(self, day: date, layers: list[Overrides]) -> bool:
        if self.strict and day.year not in self._years:
            raise UnknownYear(f"no holiday schedule for {day.year}")
        working = day in self._on or (day.weekday() < 5 and day not in self._off)
        for layer in layers:
            if day in layer.holidays:
                working = False
            elif day in layer.workdays:
                working = True
        return working

    def is_working_day(self, day: date, region: str | None = None) -> bool:
        return self._is_working(day, self._layers(region))

    # --- counting -------------------------------------------------------------------------

    def add_working_days(self, day: date, n: int, region: str | None = None) -> date:
        """The n-th working day after ``day`` (before it when n < 0); ``day`` when n == 0."""
        layers = self._layers(region)
        step = timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        current = day
        while remaining:
            current += step
            if self._is_working(current, layers):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date, region: str | None = None) -> int:
        """Working days in (start, end]; negative (minus those in (end, start]) if end < start."""
        if end < start:
            return -self.working_days_between(end, start, region)
        layers = self._layers(region)
        return sum(
            self._is_working(start + timedelta(n), layers)
            for n in range(1, (end - start).days + 1)
        )

    def next_working_day(self, day: date, region: str | None = None) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        return day if self.is_working_day(day, region) else self.add_working_days(day, 1, region)


@cache
def default_calendar() -> Calendar:
    """The national calendar from the shipped schedules (no regional overrides)."""
    return Calendar(tuple(load_schedules()))


def is_working_day(day: date, region: str | None = None) -> bool:
    return default_calendar().is_working_day(day, region)


def add_working_days(day: date, n: int, region: str | None = None) -> date:
    return default_calendar().add_working_days(day, n, region)


def working_days_between(start: date, end: date, region: str | None = None) -> int:
    return default_calendar().working_days_between(start, end, region)


def next_working_day(day: date, region: str | None = None) -> date:
    return default_calendar().next_working_day(day, region)
