"""Working-day calendar: published schedules 2024–2026, provisional 2027, counting, regions."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongban.kernel import workdays
from tongban.kernel.workdays import Calendar, Overrides, UnknownYear, load_schedules

D = date


def span(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


# Days off and make-up working days exactly as the State Council notices publish them.
PUBLISHED = {
    2024: (
        [*span(D(2024, 1, 1), D(2024, 1, 1)), *span(D(2024, 2, 10), D(2024, 2, 17)),
         *span(D(2024, 4, 4), D(2024, 4, 6)), *span(D(2024, 5, 1), D(2024, 5, 5)),
         *span(D(2024, 6, 8), D(2024, 6, 10)), *span(D(2024, 9, 15), D(2024, 9, 17)),
         *span(D(2024, 10, 1), D(2024, 10, 7))],
        [D(2024, 2, 4), D(2024, 2, 18), D(2024, 4, 7), D(2024, 4, 28), D(2024, 5, 11),
         D(2024, 9, 14), D(2024, 9, 29), D(2024, 10, 12)],
    ),
    2025: (
        [D(2025, 1, 1), *span(D(2025, 1, 28), D(2025, 2, 4)), *span(D(2025, 4, 4), D(2025, 4, 6)),
         *span(D(2025, 5, 1), D(2025, 5, 5)), *span(D(2025, 5, 31), D(2025, 6, 2)),
         *span(D(2025, 10, 1), D(2025, 10, 8))],
        [D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)],
    ),
    2026: (
        [*span(D(2026, 1, 1), D(2026, 1, 3)), *span(D(2026, 2, 15), D(2026, 2, 23)),
         *span(D(2026, 4, 4), D(2026, 4, 6)), *span(D(2026, 5, 1), D(2026, 5, 5)),
         *span(D(2026, 6, 19), D(2026, 6, 21)), *span(D(2026, 9, 25), D(2026, 9, 27)),
         *span(D(2026, 10, 1), D(2026, 10, 7))],
        [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20),
         D(2026, 10, 10)],
    ),
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_every_day_of_the_published_years(year: int) -> None:
    """Each day of the year: off on holidays and ordinary weekends, on for make-up days."""
    holidays, makeup = PUBLISHED[year]
    assert all(day.weekday() >= 5 for day in makeup)
    for day in span(D(year, 1, 1), D(year, 12, 31)):
        expected = day in makeup or (day.weekday() < 5 and day not in holidays)
        assert workdays.is_working_day(day) is expected, day


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 9, 28), True),    # Sunday make-up for 国庆/中秋
        (D(2025, 10, 11), True),   # Saturday make-up
        (D(2025, 10, 6), False),   # 中秋 inside the 8-day block
        (D(2025, 10, 8), False),
        (D(2025, 10, 9), True),
        (D(2025, 1, 26), True),    # Sunday make-up for 春节
        (D(2025, 1, 28), False),   # 除夕, a statutory day since 2025
        (D(2025, 2, 4), False),
        (D(2025, 2, 8), True),     # Saturday make-up
        (D(2025, 4, 27), True),    # Sunday make-up for 劳动节
        (D(2025, 5, 5), False),
        (D(2026, 2, 14), True),    # Saturday make-up for 春节 2026
        (D(2026, 2, 23), False),
        (D(2026, 2, 28), True),
        (D(2026, 9, 20), True),    # Sunday make-up for 国庆 2026
        (D(2026, 9, 25), False),   # 中秋 2026
        (D(2026, 10, 7), False),
        (D(2026, 10, 10), True),
        (D(2024, 2, 9), True),     # 除夕 2024 was not a public holiday
    ],
)
def test_table(day: date, working: bool) -> None:
    assert workdays.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2025, 9, 30), 1, D(2025, 10, 9)),
        (D(2025, 9, 30), 2, D(2025, 10, 10)),
        (D(2025, 9, 30), 3, D(2025, 10, 11)),   # the Saturday make-up day counts
        (D(2025, 9, 30), 4, D(2025, 10, 13)),
        (D(2025, 9, 26), 1, D(2025, 9, 28)),    # Friday → the Sunday make-up day
        (D(2025, 1, 24), 1, D(2025, 1, 26)),
        (D(2025, 1, 27), 1, D(2025, 2, 5)),     # across 春节
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 14), 1, D(2026, 2, 24)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 10, 1), 0, D(2026, 10, 1)),    # n = 0: the day itself, even a holiday
        (D(2025, 10, 9), -1, D(2025, 9, 30)),
        (D(2025, 10, 9), -2, D(2025, 9, 29)),
        (D(2025, 10, 9), -3, D(2025, 9, 28)),
        (D(2025, 10, 4), -1, D(2025, 9, 30)),
        (D(2024, 12, 31), 1, D(2025, 1, 2)),    # across the year boundary
        (D(2026, 12, 31), 1, D(2027, 1, 4)),
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert workdays.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (D(2025, 9, 30), D(2025, 10, 9), 1),     # (a, b]: b counted, a not
        (D(2025, 9, 29), D(2025, 9, 30), 1),
        (D(2025, 9, 30), D(2025, 9, 30), 0),
        (D(2025, 10, 1), D(2025, 10, 8), 0),
        # 9-28 (Sunday make-up), 9-29, 9-30, 10-9, 10-10, 10-11 (Saturday make-up)
        (D(2025, 9, 27), D(2025, 10, 12), 6),
        (D(2025, 10, 9), D(2025, 9, 30), -1),
        # 2025: 261 weekdays, 18 of them holidays, 5 make-up days → 248 working days
        (D(2024, 12, 31), D(2025, 12, 31), 248),
        (D(2025, 1, 1), D(2025, 12, 31), 248),   # 1 January is a holiday anyway
        # 2026: 261 weekdays, 19 of them holidays, 6 make-up days → 248 working days
        (D(2025, 12, 31), D(2026, 12, 31), 248),
    ],
)
def test_working_days_between(start: date, end: date, count: int) -> None:
    assert workdays.working_days_between(start, end) == count


@given(st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 10, 31)), st.integers(0, 60))
def test_adding_and_counting_agree(start: date, n: int) -> None:
    end = workdays.add_working_days(start, n)
    assert workdays.working_days_between(start, end) == n
    assert workdays.working_days_between(end, start) == -n
    if n:
        assert workdays.is_working_day(end)
        assert workdays.add_working_days(end, -n) <= start


@given(st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 12, 31)))
def test_next_working_day(day: date) -> None:
    found = workdays.next_working_day(day)
    assert workdays.is_working_day(found)
    assert workdays.working_days_between(day, found) == (0 if found == day else 1)


def test_schedules_and_provisional_2027() -> None:
    calendar = workdays.default_calendar()
    for year in (2024, 2025, 2026):
        schedule = calendar.schedule(year)
        assert schedule is not None and not schedule.provisional
        assert "国务院办公厅" in schedule.source and schedule.published is not None
    provisional = calendar.schedule(2027)
    assert provisional is not None and provisional.provisional and provisional.published is None
    assert "PROVISIONAL" in provisional.note
    assert calendar.is_provisional(2027) and calendar.is_provisional(2030)
    assert not calendar.is_provisional(2026)
    assert calendar.holiday_name(D(2027, 2, 5)) == "春节"   # 除夕 2027
    assert calendar.holiday_name(D(2025, 10, 6)) == "国庆节、中秋节"


def test_2027_follows_the_statutory_rules() -> None:
    calendar = workdays.default_calendar()
    # 8 days from 除夕, 5 for 劳动节, 7 for 国庆节
    assert not any(calendar.is_working_day(d) for d in span(D(2027, 2, 5), D(2027, 2, 12)))
    assert not any(calendar.is_working_day(d) for d in span(D(2027, 5, 1), D(2027, 5, 5)))
    assert not any(calendar.is_working_day(d) for d in span(D(2027, 10, 1), D(2027, 10, 7)))
    for day in (D(2027, 1, 1), D(2027, 4, 5), D(2027, 6, 9), D(2027, 9, 15)):
        assert not calendar.is_working_day(day)
    # at most six working days in a row around every block
    run = longest = 0
    for day in span(D(2027, 1, 1), D(2027, 12, 31)):
        run = run + 1 if calendar.is_working_day(day) else 0
        longest = max(longest, run)
    assert longest <= 6


def test_years_without_data_fall_back_or_raise() -> None:
    assert workdays.is_working_day(D(2031, 3, 3))       # a Monday
    assert not workdays.is_working_day(D(2031, 3, 1))   # a Saturday
    strict = Calendar(workdays.default_calendar().schedules, strict=True)
    assert strict.is_working_day(D(2026, 3, 2))
    with pytest.raises(UnknownYear):
        strict.is_working_day(D(2031, 3, 3))


def test_regional_overrides() -> None:
    base = workdays.default_calendar()
    monday = D(2026, 4, 20)
    guangxi = base.with_overrides("45", holidays=[monday])       # e.g. a local festival
    assert not guangxi.is_working_day(monday, region="450102")
    assert guangxi.is_working_day(monday, region="350203")
    assert guangxi.is_working_day(monday)                         # national answer unchanged
    assert base.is_working_day(monday, region="450102")           # the original is unchanged
    # a more specific region wins over its province
    nanning = guangxi.with_overrides("4501", workdays=[monday])
    assert nanning.is_working_day(monday, region="450102")
    assert not nanning.is_working_day(monday, region="450200")
    assert guangxi.add_working_days(D(2026, 4, 17), 1, region="450102") == D(2026, 4, 21)
    assert guangxi.working_days_between(D(2026, 4, 17), D(2026, 4, 21), region="45") == 1


def test_overrides_passed_in() -> None:
    calendar = Calendar(
        workdays.default_calendar().schedules,
        national=Overrides(holidays=frozenset({D(2026, 3, 2)})),
        regional={"350200": Overrides(workdays=frozenset({D(2026, 3, 7)}))},
    )
    assert not calendar.is_working_day(D(2026, 3, 2), region="350203")
    assert calendar.is_working_day(D(2026, 3, 7), region="350203")
    assert not calendar.is_working_day(D(2026, 3, 7), region="350102")
    with pytest.raises(ValueError):
        Overrides(holidays=frozenset({D(2026, 3, 2)}), workdays=frozenset({D(2026, 3, 2)}))
    with pytest.raises(ValueError):
        calendar.is_working_day(D(2026, 3, 2), region="Fujian")


def test_schedules_from_a_directory(tmp_path: Path) -> None:
    data = {
        "year": 2030, "provisional": False, "source": "test", "published": "2029-11-01",
        "holidays": [{"name": "元旦", "en": "New Year's Day", "from": "2030-01-01",
                      "to": "2030-01-01"}],
        "workdays": [{"date": "2030-01-05", "for": "元旦"}],
    }
    (tmp_path / "2030.json").write_text(json.dumps(data), encoding="utf-8")
    calendar = Calendar(tuple(load_schedules(tmp_path)))
    assert not calendar.is_working_day(D(2030, 1, 1))
    assert calendar.is_working_day(D(2030, 1, 5))
    assert calendar.covers(2030) and not calendar.covers(2025)


def test_shipped_files_are_well_formed() -> None:
    for schedule in load_schedules():
        assert schedule.source
        for period in schedule.holidays:
            assert period.start <= period.end
            assert period.name and period.name_en
        assert all(day.weekday() >= 5 for day in schedule.workdays)
